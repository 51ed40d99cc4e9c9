using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Archive;
using NrtCluster.Host.Http;
using NrtCluster.Host.Tests.Cluster;
using NrtCluster.Host.Tests.Node;
using Xunit.Abstractions;

namespace NrtCluster.Host.Tests.Http;

/// <summary>
/// A node as operators run it (<c>nrtc run</c>, a real process on SQLite, over a synthetic archive served as a STAC API on
/// 127.0.0.1), fitted and fast-forwarded through <c>--node</c> by <c>nrtc</c> processes.
/// </summary>
public sealed partial class MeteredNode : IAsyncLifetime
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("nrtc-metrics-").FullName;
    public SyntheticArchiveResult Archive { get; private set; } = null!;
    public string Project { get; private set; } = "";
    public string Url { get; private set; } = "";
    /// <summary>Tile-days the first fast-forward reported applied.</summary>
    public int Applied { get; private set; }
    public HttpClient Http { get; } = new();
    private ArchiveServer _server = null!;
    private NrtcProcess _node = null!;

    [GeneratedRegex(@"fast-forward: (\d+) tile-days applied, (\d+) repeated \(applied before\), (\d+) quarantined on \d+ tiles, 0 failed")]
    public static partial Regex Summary();

    public async Task InitializeAsync()
    {
        Archive = SyntheticArchive.Generate(Path.Combine(Folder, "archive"), QuarantineTests.Archive);
        _server = await ArchiveServer.StartAsync(Archive.Directory, 0);
        var projectFolder = Path.Combine(Folder, "project");
        ClusterFixture.WriteProject(projectFolder, Archive.Directory, Archive, stacApi: _server.BaseUrl);
        Project = Path.Combine(projectFolder, "project.conf");
        _node = NrtcProcess.Start("run", "run", "--project", Project, "--http-port", "0");
        Url = await _node.WaitForHttpAddressAsync(TimeSpan.FromSeconds(90));
        RequeueTests.Succeed("fit", "--project", Project, "--node", Url);
        var summary = FastForward();
        Assert.Equal(("0", "0"), (summary.Groups[2].Value, summary.Groups[3].Value));
        Applied = int.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(Applied > 0, summary.Value);
    }

    /// <summary>A fast-forward to the archive's end through the node; its summary line.</summary>
    public Match FastForward()
    {
        var output = RequeueTests.Succeed("fast-forward", "--project", Project, "--to", $"{QuarantineTests.Archive.End:yyyy-MM-dd}", "--node", Url);
        var summary = Summary().Match(output);
        Assert.True(summary.Success, output);
        return summary;
    }

    public async Task DisposeAsync()
    {
        _node.Terminate();
        _node.WaitForExit(TimeSpan.FromSeconds(60));
        _node.Dispose();
        Http.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}

/// <summary>
/// <c>/metrics</c> scraped over HTTP after a fit and a fast-forward: the tile-day counts are the job's, every stage of a
/// tile-day was timed, each tile's lag is the one <c>GET /api/tiles/status</c> computes, the runtime's and ASP.NET Core's
/// instruments are there; and the web map's side panel shows the same freshness.
/// </summary>
public sealed partial class MetricsTests(MeteredNode node, ITestOutputHelper output) : IClassFixture<MeteredNode>
{
    private sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$", RegexOptions.Multiline)]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();

    private async Task<List<Sample>> ScrapeAsync()
    {
        using var response = await node.Http.GetAsync(node.Url + "/metrics");
        Assert.True(response.IsSuccessStatusCode, $"/metrics answered {(int)response.StatusCode}");
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        // The node's own series, for a look at what a scrape shows.
        output.WriteLine(string.Join('\n', text.Split('\n').Where(l => l.StartsWith("nrtc_", StringComparison.Ordinal))));
        return
        [
            .. SampleLine().Matches(text).Select(m => new Sample(
                m.Groups[1].Value,
                Label().Matches(m.Groups[2].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value),
                double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture))),
        ];
    }

    private static double TileDays(List<Sample> samples, string outcome) =>
        samples.Where(s => s.Name == "nrtc_tile_days_applied_total" && s.Labels.GetValueOrDefault("outcome") == outcome).Sum(s => s.Value);

    [Fact]
    public async Task The_scrape_counts_the_tile_days_the_job_applied_times_every_stage_and_counts_a_repeated_fast_forward()
    {
        var samples = await ScrapeAsync();
        Assert.Equal(node.Applied, TileDays(samples, "applied"));
        Assert.Equal(0, TileDays(samples, "repeated"));
        Assert.Equal(0, TileDays(samples, "quarantined"));

        var status = JsonNode.Parse(await node.Http.GetStringAsync(node.Url + "/api/tiles/status"))!;
        var tiles = status["tiles"]!.AsArray().Select(t => (Tile: (string)t!["tile"]!, Lag: (int?)t["lagDays"], Days: (int)t["daysApplied"]!)).ToList();
        // Every stage ran: the poller's searches, for each applied day its load, step and storage, and each tile's report once,
        // after the last day of the fast-forward.
        foreach (var stage in new[] { "search", "load", "monitor", "persist", "report" })
        {
            var count = samples.Where(s => s.Name == "nrtc_stage_seconds_count" && s.Labels.GetValueOrDefault("stage") == stage).Sum(s => s.Value);
            Assert.True(stage switch { "search" => count >= 1, "report" => count == tiles.Count(t => t.Days > 0), _ => count == node.Applied },
                $"stage {stage}: {count} timings for {node.Applied} applied tile-days");
        }
        Assert.Contains(samples, s => s.Name == "nrtc_poll_seconds_count" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "nrtc_shards" && s.Value >= 1);

        // The lag of each tile is what the tiles' status says: 0 once every day of the archive is applied.
        Assert.Equal(node.Applied, tiles.Sum(t => t.Days));
        var lags = samples.Where(s => s.Name == "nrtc_tile_lag_days").ToDictionary(s => s.Labels["tile"], s => (int?)s.Value);
        Assert.Equal(tiles.Where(t => t.Days > 0).ToDictionary(t => t.Tile, t => t.Lag), lags);
        Assert.All(lags.Values, lag => Assert.Equal(0, lag));

        // The runtime's and ASP.NET Core's instruments (the node's own HTTP requests, e.g. the jobs the CLI posted).
        Assert.Contains(samples, s => s.Name.StartsWith("dotnet_gc_", StringComparison.Ordinal));
        Assert.Contains(samples, s => s.Name == "http_server_request_duration_seconds_count" && s.Labels.GetValueOrDefault("http_route") == "/api/jobs/fast-forward");

        // Again: every day is found applied before and counted as a repeat; nothing more is applied.
        var again = node.FastForward();
        Assert.Equal(("0", node.Applied.ToString(CultureInfo.InvariantCulture)), (again.Groups[1].Value, again.Groups[2].Value));
        samples = await ScrapeAsync();
        Assert.Equal(node.Applied, TileDays(samples, "applied"));
        Assert.Equal(node.Applied, TileDays(samples, "repeated"));
    }

    [Fact]
    public async Task The_web_map_shows_the_last_applied_day_the_lag_and_the_quarantined_days()
    {
        var status = JsonNode.Parse(await node.Http.GetStringAsync(node.Url + "/api/tiles/status"))!;
        var tiles = status["tiles"]!.AsArray();
        var applied = tiles.Where(t => (int)t!["daysApplied"]! > 0).ToList();
        var last = applied.Max(t => (string)t!["lastDay"]!);
        var oldest = applied.Min(t => (string)t!["lastDay"]!);

        await using var browser = await HeadlessChromium.StartAsync(1280, 800);
        await browser.OpenAsync(node.Url + "/");
        await browser.WaitForAsync("!!(window.nrtcMap && window.nrtcMap.freshness)", "({ state: window.nrtcMap })");
        var text = (string)(await browser.EvaluateAsync("document.getElementById('freshness').textContent"))!;
        var expected = $"Last applied day {last}" + (oldest != last ? $" (oldest tile at {oldest})" : "") +
                       $", up to 0 days behind the archive, 0 quarantined days; {tiles.Count} tiles on this node.";
        Assert.Equal(expected, text);
    }
}

/// <summary>
/// Two nodes' servers in one process (as in tests): each <c>/metrics</c> shows its own node's instruments and its own HTTP
/// requests, not the other's.
/// </summary>
public sealed class MetricsPerNodeTests
{
    [Fact]
    public async Task Each_server_of_a_process_exports_its_own_nodes_instruments_and_requests()
    {
        var (a, b) = (new Actors.Telemetry(), new Actors.Telemetry());
        using var http = new HttpClient();
        try
        {
            var (appA, urlA) = await Start(a);
            await using var _ = appA;
            var (appB, urlB) = await Start(b);
            await using var __ = appB;
            for (int i = 0; i < 3; i++) a.TileDay(Actors.TileDayOutcome.Applied);
            for (int i = 0; i < 5; i++) b.TileDay(Actors.TileDayOutcome.Applied);
            for (int i = 0; i < 4; i++) await http.GetStringAsync(urlB + "/api/freshness");

            var textA = await http.GetStringAsync(urlA + "/metrics");
            var textB = await http.GetStringAsync(urlB + "/metrics");
            Assert.Single(Regex.Matches(textA, @"^nrtc_tile_days_applied_total\{.*outcome=""applied"".*\} 3$", RegexOptions.Multiline));
            Assert.Single(Regex.Matches(textB, @"^nrtc_tile_days_applied_total\{.*outcome=""applied"".*\} 5$", RegexOptions.Multiline));
            // B's requests are counted by B alone.
            Assert.Matches(new Regex(@"^http_server_request_duration_seconds_count\{.*http_route=""/api/freshness"".*\} 4$", RegexOptions.Multiline), textB);
            Assert.DoesNotContain("/api/freshness", textA);
        }
        finally
        {
            a.Dispose();
            b.Dispose();
        }

        static async Task<(Microsoft.AspNetCore.Builder.WebApplication, string)> Start(Actors.Telemetry telemetry) =>
            await WebHosting.StartAsync(System.Net.IPAddress.Loopback, 0, app => NodeMetrics.Map(app, telemetry), CancellationToken.None,
                builder => NodeMetrics.Add(builder, telemetry));
    }
}
