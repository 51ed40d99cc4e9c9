using System.Text.Json.Nodes;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Tests.Cluster;
using Xunit.Abstractions;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// A static catalog whose collection also links broken item documents (an unknown geometry type, a bbox of strings, NaN
/// coordinates, a footprint of 1e300 degrees) and a granule repeated with another datetime: <c>nrtc fit</c>,
/// <c>fast-forward</c>, <c>poll --once</c> and <c>status</c> as real processes (GDAL, SQLite) name each rejected item and end with the same
/// tiles and reports as on the intact archive.
/// </summary>
public sealed class HostileCatalogTests(ITestOutputHelper output)
{
    private static readonly SyntheticArchiveOptions Archive = new()
    {
        GranuleSize = 20, Start = new DateOnly(2021, 3, 1), HistoryEnd = new DateOnly(2021, 12, 31), End = new DateOnly(2022, 1, 31),
    };

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    /// <summary>The rejected items: id and what the reason must say.</summary>
    private static readonly (string Id, string Reason)[] Rejected =
    [
        ("hostile-circle", "geometry type 'Circle' is not a GeoJSON type"),
        ("hostile-text-bbox", "\"bbox\" must be an array of 4 or 6 finite numbers"),
        ("hostile-nan", "is not a finite number"),
        ("hostile-huge", "is off the globe"),
    ];

    [Fact]
    public async Task Broken_items_of_a_catalog_are_named_by_fit_fast_forward_poll_and_status_and_the_reports_equal_the_intact_runs()
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-hostile-").FullName;
        try
        {
            var archive = SyntheticArchive.Generate(Path.Combine(folder, "archive"), Archive);
            var hostileArchive = Path.Combine(folder, "hostile-archive");
            QuarantineTests.CopyFolder(archive.Directory, hostileArchive);
            var repeated = Spoil(hostileArchive, archive.Scene);
            var clean = Project(Path.Combine(folder, "clean"), archive.Directory, archive);
            var hostile = Project(Path.Combine(folder, "hostile"), hostileArchive, archive);

            var fits = await Task.WhenAll(Task.Run(() => Run(clean, "fit")), Task.Run(() => Run(hostile, "fit")));
            var forwards = await Task.WhenAll(
                Task.Run(() => Run(clean, "fast-forward", "--to", $"{Archive.End:yyyy-MM-dd}")),
                Task.Run(() => Run(hostile, "fast-forward", "--to", $"{Archive.End:yyyy-MM-dd}")));
            // The poller finds every item again (the days are applied already): the repeated id opens no new day.
            var polls = await Task.WhenAll(
                Task.Run(() => Run(clean, "poll", "--once", "--no-settle")), Task.Run(() => Run(hostile, "poll", "--once", "--no-settle")));
            var statuses = await Task.WhenAll(Task.Run(() => Run(clean, "status")), Task.Run(() => Run(hostile, "status")));
            Assert.Contains("tiles settled; 0 tile-days applied", polls[1]);

            foreach (var (verb, text) in new[] { ("fit", fits[1]), ("fast-forward", forwards[1]), ("poll", polls[1]) })
            {
                foreach (var (id, reason) in Rejected.Append((repeated, "the first version is kept")))
                {
                    var line = Assert.Single(text.Split('\n'), l => l.StartsWith($"{verb}: warning: STAC item '{id}' from ", StringComparison.Ordinal));
                    Assert.Contains(reason, line);
                }
                Assert.DoesNotContain("warning: STAC item", verb switch { "fit" => fits[0], "poll" => polls[0], _ => forwards[0] });
                Assert.DoesNotContain(text.Split('\n'), l => l.StartsWith("   at ", StringComparison.Ordinal));
            }
            output.WriteLine(fits[1]);

            // The same tiles, days, breaks and lag; the same report pixels.
            Assert.Equal(QuarantineTests.TableRows(statuses[0], 8), QuarantineTests.TableRows(statuses[1], 8));
            Assert.NotEmpty(QuarantineTests.TableRows(statuses[0], 8));
            Assert.Contains("rejected archive items: none", statuses[0]);
            var lines = statuses[1].Split('\n');
            Assert.Contains(lines, l => l.StartsWith("rejected archive items: 5 (", StringComparison.Ordinal));
            foreach (var (id, reason) in Rejected.Append((repeated, "already given with datetime")))
                Assert.Contains(reason, Assert.Single(lines, l => l.StartsWith($"  item {id} (", StringComparison.Ordinal)));
            // A node on the same state: its poller logs each rejected item once, and the status JSON and status --node list them.
            using (var node = NrtcProcess.Start("run", "run", "--project", hostile, "--http-port", "0"))
            {
                var url = await node.WaitForHttpAddressAsync(TimeSpan.FromSeconds(60));
                using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
                var json = JsonNode.Parse(await http.GetStringAsync(url + "/api/tiles/status"))!;
                Assert.Equal(Rejected.Select(r => r.Id).Append(repeated), json["rejected"]!.AsArray().Select(r => r!["item"]!.ToString()));
                var remote = Run(hostile, "status", "--node", url).Split('\n');
                foreach (var (id, _) in Rejected) Assert.Single(remote, l => l.StartsWith($"  item {id} (", StringComparison.Ordinal));
                await node.WaitForOutputAsync(new System.Text.RegularExpressions.Regex($"STAC item '{repeated}' .* rejected"), TimeSpan.FromSeconds(60));
                foreach (var (id, _) in Rejected)
                    Assert.Single(node.Output.Split('\n'), l => l.Contains($"STAC item '{id}' from ", StringComparison.Ordinal));
                node.Terminate();
                Assert.True(node.WaitForExit(TimeSpan.FromSeconds(30)), node.Output);
            }

            var reports = Directory.GetFiles(Path.Combine(Path.GetDirectoryName(clean)!, "tiles"), "report.tif", SearchOption.AllDirectories);
            Assert.NotEmpty(reports);
            foreach (var report in reports)
            {
                var twin = Path.Combine(Path.GetDirectoryName(hostile)!, Path.GetRelativePath(Path.GetDirectoryName(clean)!, report));
                Assert.True(File.ReadAllBytes(report).AsSpan().SequenceEqual(File.ReadAllBytes(twin)), $"{twin} differs from {report}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Project(string folder, string archiveFolder, SyntheticArchiveResult archive)
    {
        ClusterFixture.WriteProject(folder, archiveFolder, archive);
        return Path.Combine(folder, "project.conf");
    }

    private static string Run(string project, string verb, params string[] extra)
    {
        var (code, text) = Nrtc.RunWithin(CommandTimeout, [verb, "--project", project, .. extra]);
        Assert.True(code == 0, text);
        return text;
    }

    /// <summary>
    /// Adds to the collection, after its own items, four broken copies of a monitoring item and the same item again with
    /// the datetime of a later acquisition (which, taken, would open a day from this granule's pixels); returns its id.
    /// </summary>
    private static string Spoil(string archiveFolder, SyntheticScene scene)
    {
        var acquisitions = scene.Acquisitions.Where(a => a.Date > Archive.HistoryEnd).OrderBy(a => a.Date).ToArray();
        var original = SyntheticArchive.ItemId(acquisitions[0], scene.Geometry.Granules[0]);
        var document = Path.Combine(archiveFolder, SyntheticArchiveLayout.ItemFile(original));
        string Copy(string id, Action<JsonObject> spoil)
        {
            var json = JsonNode.Parse(File.ReadAllText(document))!.AsObject();
            json["id"] = id;
            spoil(json);
            return json.ToJsonString();
        }
        JsonArray Ring(string x) => JsonNode.Parse($"[[[{x},1],[2,1],[2,2],[1,2],[{x},1]]]")!.AsArray();
        var copies = new (string File, string Text)[]
        {
            ("hostile-circle.json", Copy("hostile-circle", j => j["geometry"] = JsonNode.Parse("""{"type":"Circle","coordinates":[10,50],"radius":3}"""))),
            ("hostile-text-bbox.json", Copy("hostile-text-bbox", j => j["bbox"] = JsonNode.Parse("""["a","b","c","d"]"""))),
            // Bare NaN as Python's json writes it; the placeholder keeps the document JSON until it is written.
            ("hostile-nan.json", Copy("hostile-nan", j => j["geometry"]!["coordinates"] = Ring("12345.678")).Replace("12345.678", "NaN")),
            ("hostile-huge.json", Copy("hostile-huge", j => j["geometry"]!["coordinates"] = Ring("-1e300"))),
            ("repeated.json", Copy(original, j => j["properties"]!["datetime"] = acquisitions[^1].Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture))),
        };
        var folder = Path.GetDirectoryName(document)!;
        foreach (var (file, text) in copies) File.WriteAllText(Path.Combine(folder, file), text);

        var collectionFile = Path.Combine(archiveFolder, SyntheticArchiveLayout.Collection);
        var collection = JsonNode.Parse(File.ReadAllText(collectionFile))!.AsObject();
        foreach (var (file, _) in copies)
            collection["links"]!.AsArray().Add(new JsonObject
            {
                ["rel"] = "item",
                ["href"] = Path.GetRelativePath(Path.GetDirectoryName(collectionFile)!, Path.Combine(folder, file)),
            });
        File.WriteAllText(collectionFile, collection.ToJsonString());
        return original;
    }
}
