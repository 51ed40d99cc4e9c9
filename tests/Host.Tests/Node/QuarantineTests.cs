using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NetTopologySuite.Geometries;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Sources;
using NrtCluster.Geo.Stac;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Tests.Cluster;
using Xunit.Abstractions;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// What the operator sees of bad input: a tiny synthetic archive with three broken items on the west granule of three
/// two-granule days (a truncated COG, an item without its nir08 asset, an asset whose file was deleted), <c>nrtc fit</c>,
/// <c>fast-forward</c> and <c>status</c> as real processes on an embedded node, timed against the same run on the intact
/// archive, then <c>nrtc run</c> on the same state answering <c>GET /api/tiles/status</c> and <c>status --node</c> (real
/// GDAL, SQLite, Akka, HTTP).
/// </summary>
public sealed partial class QuarantineTests(ITestOutputHelper output)
{
    /// <summary>A tiny archive: a year of history and two months of monitoring (also used by <see cref="RerunTests"/>).</summary>
    internal static readonly SyntheticArchiveOptions Archive = new()
    {
        GranuleSize = 40, Start = new DateOnly(2021, 5, 1), HistoryEnd = new DateOnly(2021, 12, 31), End = new DateOnly(2022, 1, 31),
    };

    internal static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    /// <summary>
    /// What broken items may cost a fast-forward beyond the intact archive's: they are not retried. Retrying them as if
    /// they could pass (ten attempts with backoff) costs minutes per broken day.
    /// </summary>
    private static readonly TimeSpan BrokenItemsAllowance = TimeSpan.FromSeconds(15);


    /// <summary>
    /// A broken granule is never retried: on a tile the other granule of its day covers, the day is applied from that
    /// granule and status lists the broken one; on a tile only the broken granule covers, the day is quarantined at once and
    /// later days go on. The fast-forward takes no longer than on the intact archive, plus seconds.
    /// </summary>
    [Fact]
    public async Task BrokenGranulesAreLeftOutOrQuarantinedAtOnceAndListedInStatus()
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-quarantine-").FullName;
        try
        {
            var archive = SyntheticArchive.Generate(Path.Combine(folder, "archive"), Archive);
            var scene = archive.Scene;
            DateOnly[] monitoring = [.. scene.Acquisitions.Select(a => a.Date).Where(d => d > Archive.HistoryEnd).Distinct().Order()];
            var (west, east) = (scene.Geometry.Granules[0], scene.Geometry.Granules[1]);

            // The same project twice: on the intact archive, and on a copy whose west granule is broken on three days.
            var brokenArchive = Path.Combine(folder, "broken-archive");
            CopyFolder(archive.Directory, brokenArchive);
            var broken = Break(brokenArchive, scene, west, monitoring[1..4]);
            var clean = Project(Path.Combine(folder, "clean"), archive.Directory, archive);
            var project = Project(Path.Combine(folder, "broken"), brokenArchive, archive);

            var footprints = ProjectArchive.Footprints(ProjectConfigLoader.Load(project));
            HashSet<string> Touched(Granule g) => [.. footprints.TilesTouching(Polygon(g)).Select(t => t.ToString())];
            var (westTiles, eastTiles) = (Touched(west), Touched(east));
            var expected = new Expected(westTiles.Union(eastTiles).ToHashSet(), westTiles.Intersect(eastTiles).ToHashSet(), westTiles.Except(eastTiles).ToHashSet(), monitoring, broken);
            // Meaningful only if some tiles see both granules (left out) and some only the broken one (quarantined).
            Assert.NotEmpty(expected.Both);
            Assert.NotEmpty(expected.WestOnly);

            // Side by side, so that both runs share the machine's load.
            await Task.WhenAll(Task.Run(() => Fit(clean)), Task.Run(() => Fit(project)));
            var runs = await Task.WhenAll(Task.Run(() => FastForward(clean)), Task.Run(() => FastForward(project)));
            var ((cleanTime, _), (brokenTime, ff)) = (runs[0], runs[1]);
            // A quarantined day counts as done: no tile failed; each tile that quarantined is named.
            Assert.Contains($"on {expected.WithData.Count} tiles, 0 failed;", ff);
            foreach (var tile in expected.WithData)
                Assert.Equal(expected.WestOnly.Contains(tile), ff.Contains($"fast-forward: tile {tile}: 3 day(s) quarantined", StringComparison.Ordinal));
            output.WriteLine($"fast-forward of {monitoring.Length} days on {expected.WithData.Count} tiles ({Archive.GranuleSize} px granules): " +
                $"intact archive {cleanTime.TotalSeconds:0.0} s, three broken items {brokenTime.TotalSeconds:0.0} s");
            Assert.True(brokenTime <= cleanTime + BrokenItemsAllowance,
                $"the fast-forward took {brokenTime.TotalSeconds:0.0} s with broken items, {cleanTime.TotalSeconds:0.0} s without");
            // While it runs, the console shows each quarantined day with the tile, the day and why, before the job's end.
            int end = ff.IndexOf(": 100%", StringComparison.Ordinal);
            Assert.True(end > 0, ff);
            foreach (var tile in expected.WestOnly)
                foreach (var b in broken)
                {
                    int shown = ff.IndexOf($"fast-forward: tile {tile}: {b.Day:yyyy-MM-dd} quarantined: ", StringComparison.Ordinal);
                    Assert.True(shown >= 0 && shown < end, ff);
                }
            // The job's log names each quarantined day and why.
            var log = File.ReadAllText(Path.Combine(Path.GetDirectoryName(project)!, "nrtc.log"));
            foreach (var tile in expected.WestOnly)
                foreach (var b in broken)
                    Assert.Contains($"tile={tile} day={b.Day:yyyy-MM-dd} status=Running", log);

            var (statusCode, status) = Nrtc.RunWithin(CommandTimeout, "status", "--project", project);
            Assert.True(statusCode == 0, status);
            // tile, fit, last day, days applied, breaks, newest in archive, lag, quarantined
            expected.AssertShown(status, 8, fit: 1, lastDay: 2, daysApplied: 3, newest: 5, lag: 6, quarantined: 7);

            // The same state served by a node: the JSON and status --node show the same.
            using var node = NrtcProcess.Start("run", "run", "--project", project, "--http-port", "0");
            var url = await node.WaitForHttpAddressAsync(TimeSpan.FromSeconds(60));
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
            var json = JsonNode.Parse(await http.GetStringAsync(url + "/api/tiles/status"))!;
            Assert.Equal(expected.WithData.Order(), json["tiles"]!.AsArray().Select(t => t!["tile"]!.ToString()).Order());
            foreach (var t in json["tiles"]!.AsArray())
            {
                var tile = t!["tile"]!.ToString();
                Assert.Equal(expected.WestOnly.Contains(tile) ? 3 : 0, (int)t["quarantinedDays"]!);
                Assert.Equal(expected.Both.Contains(tile) ? 3 : 0, (int)t["leftOutItems"]!);
            }
            Assert.Equal(expected.WestOnly.Count * 3, json["quarantined"]!.AsArray().Count);
            var leftOut = json["leftOut"]!.AsArray();
            Assert.Equal(expected.Both.Count * 3, leftOut.Count);
            foreach (var l in leftOut)
            {
                var b = Assert.Single(broken, b => $"{b.Day:yyyy-MM-dd}" == l!["day"]!.ToString());
                Assert.Equal(b.ItemId, l!["item"]!.ToString());
                Assert.Contains(b.Reason, l["reason"]!.ToString());
            }
            var (remoteCode, remote) = Nrtc.RunWithin(CommandTimeout, "status", "--node", url);
            Assert.True(remoteCode == 0, remote);
            // tile, shard, node, fit, last day, days applied, breaks, newest in archive, lag, quarantined
            expected.AssertShown(remote, 10, fit: 3, lastDay: 4, daysApplied: 5, newest: 7, lag: 8, quarantined: 9);
            node.Terminate();
            Assert.True(node.WaitForExit(TimeSpan.FromSeconds(30)), node.Output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A project on <paramref name="archiveFolder"/> with 4 x 4 tiles, so that some tiles see only one granule.</summary>
    private static string Project(string folder, string archiveFolder, SyntheticArchiveResult archive)
    {
        ClusterFixture.WriteProject(folder, archiveFolder, archive, tilesAcross: 4);
        return Path.Combine(folder, "project.conf");
    }

    private static void Fit(string project) => ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "fit", "--project", project), "fit");

    /// <summary>Fast-forwards the project to the archive's end; returns how long it took and what it printed.</summary>
    private static (TimeSpan Elapsed, string Output) FastForward(string project)
    {
        var clock = Stopwatch.StartNew();
        var (code, output) = Nrtc.RunWithin(CommandTimeout, "fast-forward", "--project", project, "--to", $"{Archive.End:yyyy-MM-dd}");
        var elapsed = clock.Elapsed;
        Assert.True(code == 0, output);
        return (elapsed, output);
    }

    /// <summary>One broken item: its day, its id and what its reason must contain.</summary>
    private sealed record BrokenItem(DateOnly Day, string ItemId, string Reason);

    /// <summary>
    /// Breaks the <paramref name="granule"/>'s item on three <paramref name="days"/>: a truncated red COG, an item document
    /// without its nir08 asset, and a deleted SCL file (an asset href that dangles).
    /// </summary>
    private static BrokenItem[] Break(string archiveFolder, SyntheticScene scene, Granule granule, DateOnly[] days)
    {
        string ItemOf(DateOnly day) => SyntheticArchive.ItemId(scene.Acquisitions.First(a => a.Date == day), granule);
        string FileOf(string itemId, string name) => Path.Combine(archiveFolder, SyntheticArchiveLayout.ItemFolder(itemId), name);

        var truncatedItem = ItemOf(days[0]);
        var red = FileOf(truncatedItem, SyntheticBands.Reflectance[1].FileName);
        var bytes = File.ReadAllBytes(red);
        File.WriteAllBytes(red, bytes[..(bytes.Length / 2)]);

        var lackingItem = ItemOf(days[1]);
        var document = Path.Combine(archiveFolder, SyntheticArchiveLayout.ItemFile(lackingItem));
        var json = JsonNode.Parse(File.ReadAllText(document))!.AsObject();
        Assert.True(json["assets"]!.AsObject().Remove("nir08"));
        File.WriteAllText(document, json.ToJsonString());

        var danglingItem = ItemOf(days[2]);
        var scl = FileOf(danglingItem, SyntheticBands.SceneClassification.FileName);
        File.Delete(scl);
        return
        [
            new(days[0], truncatedItem, red),
            new(days[1], lackingItem, "has no asset for band 'nir'"),
            new(days[2], danglingItem, scl),
        ];
    }

    internal static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>The job settings file the node verbs take is named when it is missing or not HOCON, before any node starts.</summary>
    [Fact]
    public void ABadHoconFileIsNamed()
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-quarantine-").FullName;
        try
        {
            var project = Path.Combine(folder, "project.conf");
            ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "init", project, "--name", "t"), "init");
            var missing = Path.Combine(folder, "missing.conf");
            var (code, output) = Nrtc.RunWithin(CommandTimeout, "fit", "--project", project, "--hocon", missing);
            Assert.Equal(1, code);
            Assert.Contains($"fit: --hocon {missing} does not exist", output);

            var bad = Path.Combine(folder, "bad.conf");
            File.WriteAllText(bad, "nrtcluster.jobs { max-attempts = ");
            (code, output) = Nrtc.RunWithin(CommandTimeout, "fast-forward", "--project", project, "--hocon", bad);
            Assert.Equal(1, code);
            Assert.Contains($"fast-forward: --hocon {bad}:1:17: '{{' opened here is never closed: the file ends first", output);

            File.WriteAllText(bad, "nrtcluster.jobs { max-attempts = }");
            (code, output) = Nrtc.RunWithin(CommandTimeout, "fast-forward", "--project", project, "--hocon", bad);
            Assert.Equal(1, code);
            Assert.Contains($"fast-forward: --hocon {bad}: 'nrtcluster.jobs.max-attempts' has no value", output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// What status must show: every tile with data at the last day; tiles of both granules with every day applied and the
    /// broken items listed as left out; tiles of the broken granule only with its three days quarantined.
    /// </summary>
    private sealed record Expected(
        IReadOnlySet<string> WithData, IReadOnlySet<string> Both, IReadOnlySet<string> WestOnly, DateOnly[] Monitoring, BrokenItem[] Broken)
    {
        public void AssertShown(string status, int columns, int fit, int lastDay, int daysApplied, int newest, int lag, int quarantined)
        {
            var rows = TableRows(status, columns);
            Assert.True(WithData.Order().SequenceEqual(rows.Keys.Order()), status);
            foreach (var (tile, cells) in rows)
            {
                Assert.StartsWith("#1", cells[fit]);
                Assert.Equal($"{Monitoring[^1]:yyyy-MM-dd}", cells[lastDay]);
                Assert.Equal(WestOnly.Contains(tile) ? Monitoring.Length - 3 : Monitoring.Length, int.Parse(cells[daysApplied]));
                Assert.Equal(cells[lastDay], cells[newest]);
                Assert.Equal("0", cells[lag]);
                Assert.Equal(WestOnly.Contains(tile) ? "3" : "0", cells[quarantined]);
            }
            Assert.Contains($"quarantined days: {WestOnly.Count * 3} (", status);
            Assert.Contains($"left-out granules: {Both.Count * 3} (", status);
            var lines = status.Split('\n').Where(l => l.StartsWith("  tile ", StringComparison.Ordinal)).ToList();
            Assert.True((WestOnly.Count + Both.Count) * 3 == lines.Count, status);
            foreach (var b in Broken)
            {
                foreach (var tile in WestOnly)
                    Assert.Contains(b.Reason, Assert.Single(lines, l => l.StartsWith($"  tile {tile} {b.Day:yyyy-MM-dd} items [{b.ItemId}]: ", StringComparison.Ordinal)));
                foreach (var tile in Both)
                    Assert.Contains(b.Reason, Assert.Single(lines, l => l.StartsWith($"  tile {tile} {b.Day:yyyy-MM-dd} item {b.ItemId}: ", StringComparison.Ordinal)));
            }
        }
    }

    private static Polygon Polygon(Granule granule)
    {
        var ring = granule.Footprint.Select(p => new Coordinate(p.Lon, p.Lat)).ToList();
        if (!ring[0].Equals2D(ring[^1])) ring.Add(ring[0]);
        return StacJson.GeometryFactory.CreatePolygon([.. ring]);
    }

    /// <summary>A status table's body rows by tile: the cells between the box-drawing separators, trimmed.</summary>
    internal static Dictionary<string, string[]> TableRows(string status, int columns) =>
        status.Split('\n')
            .Where(l => l.TrimStart().StartsWith('│'))
            .Select(l => l.Split('│', StringSplitOptions.TrimEntries)[1..^1])
            .Where(cells => cells.Length == columns && cells[0].StartsWith('x'))
            .ToDictionary(cells => cells[0]);
}
