using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NetTopologySuite.Geometries;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Sources;
using NrtCluster.Geo.Stac;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Tests.Cluster;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// What the operator sees of bad input: one corrupt COG in a tiny synthetic archive, <c>nrtc fit</c>, <c>fast-forward</c>
/// and <c>status</c> as real processes on an embedded node, then <c>nrtc run</c> on the same state answering
/// <c>GET /api/tiles/status</c> and <c>status --node</c> (real GDAL, SQLite, Akka, HTTP).
/// </summary>
public sealed partial class QuarantineTests
{
    /// <summary>A tiny archive: a year of history and two months of monitoring (also used by <see cref="RerunTests"/>).</summary>
    internal static readonly SyntheticArchiveOptions Archive = new()
    {
        GranuleSize = 40, Start = new DateOnly(2021, 1, 1), HistoryEnd = new DateOnly(2021, 12, 31), End = new DateOnly(2022, 2, 28),
    };

    internal static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    [GeneratedRegex(@"HTTP (http://127\.0\.0\.1:\d+)")]
    private static partial Regex HttpUrl();

    /// <summary>
    /// A day whose red band of one granule is garbage is retried, quarantined on the tiles that granule touches, the later days
    /// are applied, and status lists the day with the file; the tiles only the other granule touches apply every day.
    /// </summary>
    [Fact]
    public async Task ACorruptCogIsQuarantinedOnItsTilesAndListedInStatus()
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-quarantine-").FullName;
        try
        {
            var archiveFolder = Path.Combine(folder, "archive");
            var archive = SyntheticArchive.Generate(archiveFolder, Archive);
            var projectFolder = Path.Combine(folder, "project");
            // Tiles of a quarter of the window: the west granule (the corrupt one) does not reach the easternmost column.
            ClusterFixture.WriteProject(projectFolder, archiveFolder, archive, tilesAcross: 4);
            var project = Path.Combine(projectFolder, "project.conf");
            // Two quick attempts instead of ten with backoff up to 30 s.
            var hocon = Path.Combine(projectFolder, "jobs.conf");
            File.WriteAllText(hocon, """
                nrtcluster.jobs.max-attempts = 2
                nrtcluster.jobs.min-backoff = 50ms
                nrtcluster.jobs.max-backoff = 100ms
                """);

            var scene = archive.Scene;
            DateOnly[] monitoring = [.. scene.Acquisitions.Select(a => a.Date).Where(d => d > Archive.HistoryEnd).Distinct().Order()];
            var bad = scene.Acquisitions.First(a => a.Date == monitoring[2]);
            var granule = scene.Geometry.Granules[0];
            var itemId = SyntheticArchive.ItemId(bad, granule);
            var corrupt = Path.Combine(archiveFolder, SyntheticArchiveLayout.ItemFolder(itemId), SyntheticBands.Reflectance[1].FileName);
            Assert.EndsWith("B04.tif", corrupt);

            var footprints = ProjectArchive.Footprints(ProjectConfigLoader.Load(project));
            var withData = scene.Geometry.Granules.SelectMany(g => footprints.TilesTouching(Polygon(g))).Select(t => t.ToString()).ToHashSet();
            var hit = footprints.TilesTouching(Polygon(granule)).Select(t => t.ToString()).ToHashSet();
            // Meaningful only if some tiles see the corrupt item and some with data do not.
            Assert.NotEmpty(hit);
            Assert.True(hit.Count < withData.Count, $"granule {granule.Tile} touches every tile with data ({string.Join(", ", withData)})");

            ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "fit", "--project", project, "--hocon", hocon), "fit");
            File.WriteAllBytes(corrupt, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 31 % 251))]);

            var (ffCode, ff) = Nrtc.RunWithin(CommandTimeout, "fast-forward", "--project", project, "--to", $"{Archive.End:yyyy-MM-dd}", "--hocon", hocon);
            // A quarantined day counts as done: no tile failed, so the job succeeded; it names each tile that quarantined.
            Assert.True(ffCode == 0, ff);
            Assert.Contains($"on {withData.Count} tiles, 0 failed;", ff);
            foreach (var tile in withData)
                Assert.Equal(hit.Contains(tile), ff.Contains($"fast-forward: tile {tile}: 1 day(s) quarantined", StringComparison.Ordinal));
            // While it runs, the console shows each quarantined day (and any retry before it), naming the tile and the day,
            // before the job's end.
            var end = ff.IndexOf(": 100%", StringComparison.Ordinal);
            Assert.True(end > 0, ff);
            foreach (var tile in withData)
            {
                int retry = ff.IndexOf($"fast-forward: tile {tile}: retrying, attempt 2 of 2 after: day {bad.Date:yyyy-MM-dd} failed:", StringComparison.Ordinal);
                int quarantined = ff.IndexOf($"fast-forward: tile {tile}: {bad.Date:yyyy-MM-dd} quarantined: ", StringComparison.Ordinal);
                Assert.True(hit.Contains(tile) ? quarantined >= 0 && retry < quarantined && quarantined < end : retry < 0 && quarantined < 0, ff);
            }
            // The job's log names the day and why, per tile.
            var log = File.ReadAllText(Path.Combine(projectFolder, "nrtc.log"));
            foreach (var tile in hit)
                Assert.Contains($"tile={tile} day={bad.Date:yyyy-MM-dd} status=Running days=3/{monitoring.Length} detail=\"{bad.Date:yyyy-MM-dd} quarantined:", log);

            var expected = new Expected(withData, hit, monitoring, bad.Date, itemId, corrupt);
            var (statusCode, status) = Nrtc.RunWithin(CommandTimeout, "status", "--project", project, "--hocon", hocon);
            Assert.True(statusCode == 0, status);
            // tile, fit, last day, days applied, breaks, newest in archive, lag, quarantined
            expected.AssertShown(status, 8, fit: 1, lastDay: 2, daysApplied: 3, newest: 5, lag: 6, quarantined: 7);

            // The same state served by a node: the JSON and status --node show the same.
            using var node = NrtcProcess.Start("run", "run", "--project", project, "--hocon", hocon, "--http-port", "0");
            var url = await WaitForHttpAsync(node);
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
            var json = JsonNode.Parse(await http.GetStringAsync(url + "/api/tiles/status"))!;
            Assert.Equal(withData.Order(), json["tiles"]!.AsArray().Select(t => t!["tile"]!.ToString()).Order());
            foreach (var t in json["tiles"]!.AsArray())
                Assert.Equal(hit.Contains(t!["tile"]!.ToString()) ? 1 : 0, (int)t["quarantinedDays"]!);
            var listed = json["quarantined"]!.AsArray();
            Assert.Equal(hit.Order(), listed.Select(q => q!["tile"]!.ToString()).Order());
            foreach (var q in listed)
            {
                Assert.Equal($"{bad.Date:yyyy-MM-dd}", q!["day"]!.ToString());
                Assert.Contains(itemId, q["items"]!.AsArray().Select(i => i!.ToString()));
                Assert.Contains(corrupt, q["reason"]!.ToString());
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
            Assert.Contains($"fast-forward: --hocon {bad} is not valid HOCON: 'nrtcluster.jobs.max-attempts' has no value", output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>What status must show: every tile with data at the last day, the corrupt granule's tiles one day short with it quarantined.</summary>
    private sealed record Expected(
        IReadOnlySet<string> WithData, IReadOnlySet<string> Hit, DateOnly[] Monitoring, DateOnly BadDay, string ItemId, string CorruptFile)
    {
        public void AssertShown(string status, int columns, int fit, int lastDay, int daysApplied, int newest, int lag, int quarantined)
        {
            var rows = TableRows(status, columns);
            Assert.True(WithData.Order().SequenceEqual(rows.Keys.Order()), status);
            foreach (var (tile, cells) in rows)
            {
                Assert.StartsWith("#1", cells[fit]);
                Assert.Equal($"{Monitoring[^1]:yyyy-MM-dd}", cells[lastDay]);
                Assert.Equal(Hit.Contains(tile) ? Monitoring.Length - 1 : Monitoring.Length, int.Parse(cells[daysApplied]));
                Assert.Equal(cells[lastDay], cells[newest]);
                Assert.Equal("0", cells[lag]);
                Assert.Equal(Hit.Contains(tile) ? "1" : "0", cells[quarantined]);
            }
            Assert.Contains($"quarantined days: {Hit.Count} (", status);
            var listed = status.Split('\n').Where(l => l.StartsWith("  tile ", StringComparison.Ordinal)).ToList();
            Assert.True(Hit.Count == listed.Count, status);
            foreach (var tile in Hit)
            {
                var line = Assert.Single(listed, l => l.StartsWith($"  tile {tile} {BadDay:yyyy-MM-dd} items [", StringComparison.Ordinal));
                Assert.Contains(ItemId, line);
                Assert.Contains("failed 2 attempts", line);
                Assert.Contains(CorruptFile, line);
            }
        }
    }

    /// <summary>The node's HTTP address, once <c>nrtc run</c> printed it (it listens by then).</summary>
    private static async Task<string> WaitForHttpAsync(NrtcProcess node)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (HttpUrl().Match(node.Output) is { Success: true } m) return m.Groups[1].Value;
            if (node.HasExited) break;
            await Task.Delay(200);
        }
        throw new InvalidOperationException($"nrtc run did not print its HTTP address: {node.Output}");
    }

    private static Polygon Polygon(Granule granule)
    {
        var ring = granule.Footprint.Select(p => new Coordinate(p.Lon, p.Lat)).ToList();
        if (!ring[0].Equals2D(ring[^1])) ring.Add(ring[0]);
        return StacJson.GeometryFactory.CreatePolygon([.. ring]);
    }

    /// <summary>A status table's body rows by tile: the cells between the box-drawing separators, trimmed.</summary>
    private static Dictionary<string, string[]> TableRows(string status, int columns) =>
        status.Split('\n')
            .Where(l => l.TrimStart().StartsWith('│'))
            .Select(l => l.Split('│', StringSplitOptions.TrimEntries)[1..^1])
            .Where(cells => cells.Length == columns && cells[0].StartsWith('x'))
            .ToDictionary(cells => cells[0]);
}
