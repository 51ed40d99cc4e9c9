using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Archive;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Bench;

/// <summary>A clear-cut carried by an acquisition published after the archive: its day, items and where it is (EPSG:3035).</summary>
public sealed record PublishedCut(DateOnly Day, IReadOnlyList<string> ItemIds, double X, double Y, double Radius);

/// <summary>
/// A synthetic archive (no disturbance in it) served by the loopback STAC server (<see cref="ArchiveServer"/>) and the
/// project reading it (one tile, IQR confirming a break at the first outlier), to which acquisitions carrying a fresh
/// clear-cut are published while a node runs: the bench's world and the push tests'.
/// </summary>
public sealed class LatencyArchive : IAsyncDisposable
{
    /// <summary>Radius of each published clear-cut: about 80 pixels of 20 m.</summary>
    public const double CutRadius = 100;

    private readonly List<(double X, double Y)> _sites;
    private int _published;

    private LatencyArchive(string folder, SyntheticScene scene, ArchiveServer server, string projectFile, List<(double X, double Y)> sites)
    {
        Folder = folder;
        Scene = scene;
        Server = server;
        ProjectFile = projectFile;
        _sites = sites;
    }

    public string Folder { get; }
    public SyntheticScene Scene { get; }
    public ArchiveServer Server { get; }
    public string ProjectFile { get; }
    public string ArchiveFolder => Path.Combine(Folder, "archive");

    /// <summary>The history (one year), then four monitoring dates in summer, when a cut stands out from the forest.</summary>
    public static SyntheticArchiveOptions Options(int granuleSize) => new()
    {
        GranuleSize = granuleSize, Start = new DateOnly(2020, 6, 1), HistoryEnd = new DateOnly(2021, 5, 31), End = new DateOnly(2021, 6, 20),
        MonitoringDisturbances = 0, HistoryDisturbances = 0,
    };

    /// <summary>Clear-cuts this archive has room for (forest sites far enough apart).</summary>
    public int Sites => _sites.Count;

    public DateOnly LastArchiveDay => Scene.Acquisitions[^1].Date;

    /// <summary>
    /// Writes the archive and the project into <paramref name="folder"/> and serves the archive; <paramref name="extraProject"/>:
    /// lines added to the project file (e.g. its poll interval and settle delay).
    /// </summary>
    public static async Task<LatencyArchive> CreateAsync(string folder, int granuleSize, string extraProject, CancellationToken ct)
    {
        var archiveFolder = Path.Combine(folder, "archive");
        var archive = SyntheticArchive.Generate(archiveFolder, Options(granuleSize));
        var server = await ArchiveServer.StartAsync(archiveFolder, 0, ct).ConfigureAwait(false);
        var scene = archive.Scene;
        var reference = scene.Geometry.Reference;
        var project = Path.Combine(folder, "project", "project.conf");
        Directory.CreateDirectory(Path.GetDirectoryName(project)!);
        File.WriteAllText(project, ProjectTemplate.Demo($"api = {ProjectTemplate.Quote(server.BaseUrl)}", reference.Transform.X0, reference.Transform.Y0,
            Math.Max(reference.Width, reference.Height), scene.Geometry.BboxLonLat, Path.Combine(archiveFolder, SyntheticArchiveLayout.ForestMask),
            scene.Options.Start, scene.Options.HistoryEnd) + """
            # A published clear-cut alerts at its first observation (the default waits for three), so one item makes the alert.
            project.monitor.options.boundary = 1

            """ + extraProject + "\n");
        return new LatencyArchive(folder, scene, server, project, ForestSites(scene));
    }

    /// <summary>Centres of disks of <see cref="CutRadius"/> wholly in covered forest, at least four radii apart, in reading order.</summary>
    private static List<(double X, double Y)> ForestSites(SyntheticScene scene)
    {
        var box = scene.Geometry.Reference;
        var forest = scene.ForestMask();
        var covered = scene.ReferenceCovered;
        int reach = (int)Math.Ceiling(CutRadius / Math.Abs(box.Transform.PixelWidth)) + 1;
        var sites = new List<(double X, double Y)>();
        for (var r = reach; r < box.Height - reach; r++)
            for (var c = reach; c < box.Width - reach; c++)
            {
                var (x, y) = box.PixelCentre(c, r);
                if (sites.Any(s => Math.Abs(s.X - x) < 4 * CutRadius && Math.Abs(s.Y - y) < 4 * CutRadius)) continue;
                var clear = true;
                for (var dr = -reach; dr <= reach && clear; dr++)
                    for (var dc = -reach; dc <= reach && clear; dc++)
                        clear = forest[(r + dr) * box.Width + c + dc] == 1 && covered[(r + dr) * box.Width + c + dc];
                if (clear) sites.Add((x, y));
            }
        return sites;
    }

    /// <summary>
    /// Writes the next acquisition after the archive (one revisit after the last one published) with a clear-cut on the next
    /// forest site, and publishes its items on the STAC server; returns where the cut is.
    /// </summary>
    public PublishedCut PublishNextCut()
    {
        if (_published >= _sites.Count)
            throw new InvalidOperationException($"the archive has forest room for {_sites.Count} clear-cut(s); give a larger granule size");
        var (x, y) = _sites[_published];
        var acquisition = Scene.Acquisitions[^1].After(Scene.Options.RevisitDays, ++_published);
        var files = SyntheticArchive.WriteAcquisition(ArchiveFolder, Scene, acquisition, g => Scene.RenderCleared(g, acquisition, x, y, CutRadius));
        return new PublishedCut(acquisition.Date, Server.Publish(files), x, y, CutRadius);
    }

    /// <summary>The cut's items as the STAC server serves them, in one FeatureCollection: what a provider's notification delivers.</summary>
    public async Task<string> ItemCollectionAsync(HttpClient http, PublishedCut cut, CancellationToken ct)
    {
        var features = new JsonArray();
        foreach (var id in cut.ItemIds)
            features.Add(JsonNode.Parse(await http.GetStringAsync(Server.ItemUrl(SyntheticArchiveLayout.CollectionId, id), ct).ConfigureAwait(false)));
        return new JsonObject { ["type"] = "FeatureCollection", ["features"] = features }.ToJsonString();
    }

    /// <summary>Whether the node's alert feed holds an alert of the cut's day inside it.</summary>
    public static async Task<bool> AlertedAsync(HttpClient http, string nodeUrl, PublishedCut cut, CancellationToken ct)
    {
        var day = cut.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var page = JsonNode.Parse(await http.GetStringAsync($"{nodeUrl}/api/alerts?since={day}&until={day}&limit=10000", ct).ConfigureAwait(false))!;
        return page["features"]!.AsArray().Any(f => Inside(cut, (double)f!["properties"]!["grid_x"]!, (double)f["properties"]!["grid_y"]!));
    }

    /// <summary>Whether the node's WMS (GetFeatureInfo at the cut's centre) shows a break detected on the cut's day.</summary>
    public static async Task<bool> OnWmsAsync(HttpClient http, string nodeUrl, PublishedCut cut, CancellationToken ct)
    {
        // WMS 1.3.0 orders EPSG:3035 as northing, easting.
        var url = string.Create(CultureInfo.InvariantCulture,
            $"{nodeUrl}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=detection_date&QUERY_LAYERS=detection_date&CRS=EPSG:3035" +
            $"&BBOX={cut.Y - 10},{cut.X - 10},{cut.Y + 10},{cut.X + 10}&WIDTH=1&HEIGHT=1&I=0&J=0&INFO_FORMAT=application/json");
        var info = JsonNode.Parse(await http.GetStringAsync(url, ct).ConfigureAwait(false))!;
        return info["features"]!.AsArray().Any(f => f!["properties"]!["detection_date"]?.ToString() == cut.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
    }

    private static bool Inside(PublishedCut cut, double x, double y) => (x - cut.X) * (x - cut.X) + (y - cut.Y) * (y - cut.Y) <= cut.Radius * cut.Radius;

    public async ValueTask DisposeAsync() => await Server.DisposeAsync().ConfigureAwait(false);
}

/// <summary>Settings of <c>nrtc bench latency</c>.</summary>
/// <param name="GranuleSize">Side of each of the archive's two granules, in 20 m pixels.</param>
public sealed record LatencyBenchOptions(int GranuleSize, TimeSpan PollInterval, TimeSpan SettleDelay)
{
    /// <summary>Longest wait for one alert before the bench gives up: well beyond both goals.</summary>
    public TimeSpan AlertTimeout => PollInterval + SettleDelay + TimeSpan.FromMinutes(5);
}

/// <summary>
/// <c>nrtc bench latency</c>: a fresh <c>nrtc run</c> node (embedded SQLite) on a synthetic archive served by the loopback
/// STAC server, fitted and fast-forwarded; then an acquisition carrying a clear-cut is published and left to the poller, and
/// another is published and pushed to the node (<c>POST /api/items</c>). For each, the time from publication until the
/// alert is in <c>/api/alerts</c> and on the WMS is printed, with the poll interval, the settle delay and the load.
/// </summary>
public static partial class LatencyBench
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(10);

    public static async Task RunAsync(LatencyBenchOptions options, TextWriter output, CancellationToken ct)
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-bench-latency-").FullName;
        try
        {
            await using var world = await LatencyArchive.CreateAsync(folder, options.GranuleSize, string.Create(CultureInfo.InvariantCulture,
                $"project.poll-interval = {options.PollInterval.TotalSeconds:0}s\nproject.settle-delay = {options.SettleDelay.TotalSeconds:0}s"), ct).ConfigureAwait(false);
            if (world.Sites < 2) throw new InvalidOperationException($"a {options.GranuleSize} px archive has no forest room for two clear-cuts; give a larger --size");
            var monitoring = world.Scene.Acquisitions.Count(a => a.Date > world.Scene.Options.HistoryEnd);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"latency: 2 granules of {options.GranuleSize} x {options.GranuleSize} px, 1 tile, {world.Scene.Acquisitions.Count - monitoring} history and {monitoring} monitoring dates; " +
                $"poll interval {Seconds(options.PollInterval)}, settle delay {Seconds(options.SettleDelay)}, {Environment.ProcessorCount} cores"));
            await NrtcChild.RunAsync("fit", CommandTimeout, ct, "fit", "--project", world.ProjectFile).ConfigureAwait(false);
            await NrtcChild.RunAsync("fast-forward", CommandTimeout, ct, "fast-forward", "--project", world.ProjectFile).ConfigureAwait(false);

            var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            using var node = NrtcChild.Start("run", new Dictionary<string, string> { ["NRTC_API_TOKEN"] = token },
                "run", "--project", world.ProjectFile, "--http-port", "0");
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
            var url = await node.WaitForAsync(HttpLine(), TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
            await UntilAsync(async () => (await http.GetAsync(url + "/readyz", ct).ConfigureAwait(false)).IsSuccessStatusCode,
                TimeSpan.FromMinutes(2), "the node did not turn ready", node, ct).ConfigureAwait(false);

            var polled = await MeasureAsync(world, node, http, url, options, push: null, ct).ConfigureAwait(false);
            output.WriteLine(Line("polled", polled, $"poll interval + 60 s = {Seconds(options.PollInterval + TimeSpan.FromSeconds(60))}",
                options.PollInterval + TimeSpan.FromSeconds(60)));
            var pushed = await MeasureAsync(world, node, http, url, options, push: token, ct).ConfigureAwait(false);
            output.WriteLine(Line("pushed", pushed, $"settle delay + 60 s = {Seconds(options.SettleDelay + TimeSpan.FromSeconds(60))}",
                options.SettleDelay + TimeSpan.FromSeconds(60)));
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { }
        }
    }

    private sealed record Measured(PublishedCut Cut, TimeSpan Alert, TimeSpan Wms, TimeSpan NodeProcessor, string Load, string? Push);

    /// <summary>Publishes the next cut (and pushes it with <paramref name="push"/>, the token) and times its alert on the feed and the WMS.</summary>
    private static async Task<Measured> MeasureAsync(LatencyArchive world, NrtcChild node, HttpClient http, string url, LatencyBenchOptions options,
        string? push, CancellationToken ct)
    {
        var processor = node.ProcessorTime;
        var clock = Stopwatch.StartNew();
        var cut = world.PublishNextCut();
        string? pushed = null;
        if (push is not null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url + "/api/items")
            {
                Content = new StringContent(await world.ItemCollectionAsync(http, cut, ct).ConfigureAwait(false), Encoding.UTF8, "application/geo+json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", push);
            using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if ((int)response.StatusCode != 202) throw new InvalidOperationException($"POST /api/items answered {(int)response.StatusCode}: {body}");
            var answer = JsonNode.Parse(body)!;
            pushed = $"{answer["accepted"]} of {answer["received"]} items accepted, {answer["duplicates"]} duplicate";
        }
        TimeSpan? alert = null, wms = null;
        await UntilAsync(async () =>
        {
            if (alert is null && await LatencyArchive.AlertedAsync(http, url, cut, ct).ConfigureAwait(false)) alert = clock.Elapsed;
            if (wms is null && await LatencyArchive.OnWmsAsync(http, url, cut, ct).ConfigureAwait(false)) wms = clock.Elapsed;
            return alert is not null && wms is not null;
        }, options.AlertTimeout, $"no alert of the clear-cut published for {cut.Day:yyyy-MM-dd}", node, ct).ConfigureAwait(false);
        return new Measured(cut, alert!.Value, wms!.Value, node.ProcessorTime - processor, Load(), pushed);
    }

    private static string Line(string how, Measured m, string goalText, TimeSpan goal) => string.Create(CultureInfo.InvariantCulture,
        $"latency {how}: {m.Cut.Day:yyyy-MM-dd} published{(m.Push is null ? "" : $" and pushed ({m.Push})")} -> alert in /api/alerts after {m.Alert.TotalSeconds:0.0} s, " +
        $"on the WMS after {m.Wms.TotalSeconds:0.0} s (goal <= {goalText}: {(m.Alert <= goal && m.Wms <= goal ? "met" : "missed")}); " +
        $"node processor time {m.NodeProcessor.TotalSeconds:0.0} s; load {m.Load}");

    /// <summary>The 1, 5 and 15 minute load averages, as <c>uptime</c> prints them.</summary>
    private static string Load() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string Seconds(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0} s");

    /// <summary>Polls <paramref name="done"/> twice a second until it holds; throws naming <paramref name="what"/> when the node stops or time runs out.</summary>
    private static async Task UntilAsync(Func<Task<bool>> done, TimeSpan timeout, string what, NrtcChild node, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await done().ConfigureAwait(false)) return;
            }
            catch (HttpRequestException)
            {
                // Not answering yet (starting) or for a moment: asked again below.
            }
            if (node.HasExited) throw new InvalidOperationException($"{what}: the node stopped: {node.Output}");
            if (clock.Elapsed > timeout) throw new TimeoutException($"{what} within {timeout.TotalSeconds:0} s; the node's output: {node.Output}");
            await Task.Delay(500, ct).ConfigureAwait(false);
        }
    }

    [GeneratedRegex(@"HTTP (http://\S+) ")]
    private static partial Regex HttpLine();
}
