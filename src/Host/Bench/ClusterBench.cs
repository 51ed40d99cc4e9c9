using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NrtCluster.Actors.Jobs;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Archive;
using NrtCluster.Host.Http;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Bench;

/// <summary>What <c>nrtc bench cluster</c> runs; the parts are small (the throughput runs), kill, join and large.</summary>
public sealed record ClusterBenchOptions
{
    public static readonly string[] AllParts = ["small", "kill", "join", "large"];

    /// <summary>Tiles wanted in the small-tile runs: the archive is made just large enough (the count with data is printed).</summary>
    public int Tiles { get; init; } = 600;
    public int TileSize { get; init; } = 50;
    /// <summary>Monitoring days (solar days after the history), every tile seeing each.</summary>
    public int Days { get; init; } = 3;
    public int HistoryDates { get; init; } = 16;
    /// <summary>Node counts of the small-tile runs, each on its own copy of the fitted database; the last one's run is kept for kill and join.</summary>
    public IReadOnlyList<int> Nodes { get; init; } = [1, 3];
    public int LargeTileSize { get; init; } = 1000;
    /// <summary>Whole large tiles, in a block of about square columns x rows (rounded up to fill it).</summary>
    public int LargeTiles { get; init; } = 4;
    public int LargeDays { get; init; } = 10;
    public IReadOnlyList<string> Parts { get; init; } = AllParts;
    /// <summary>Extra Akka settings (a HOCON file) for every node, e.g. shorter split-brain timings.</summary>
    public string? Hocon { get; init; }

    public const int RevisitDays = 10;
    // Spring and summer: no winter snow, so a short history has enough clear observations.
    public static readonly DateOnly Start = new(2021, 4, 1);
    public DateOnly HistoryEnd => Start.AddDays(RevisitDays * (HistoryDates - 1));
    public DateOnly End => HistoryEnd.AddDays(RevisitDays * Days);

    /// <summary>The options' problem, naming the option, or null.</summary>
    public string? Problem()
    {
        if (Tiles < 1) return "--tiles must be at least 1";
        if (TileSize is < 10 or > 5000) return "--tile-size must be between 10 and 5000 px";
        if (Days < 1 || LargeDays < 1) return "--days and --large-days must be at least 1";
        if (HistoryDates < 8) return "--history-dates must be at least 8 (the fit needs 1.5 x 5 clear observations a pixel)";
        if (Nodes.Count == 0 || Nodes.Any(n => n is < 1 or > 8)) return "--nodes takes node counts from 1 to 8, e.g. 1,3";
        if (Parts.FirstOrDefault(p => !AllParts.Contains(p)) is { } bad) return $"--parts: '{bad}' is not a part; give some of {string.Join(",", AllParts)}";
        if (!Parts.Contains("small") && (Parts.Contains("kill") || Parts.Contains("join"))) return "--parts: kill and join run on the small-tile cluster; add small";
        if (Parts.Contains("kill") && Nodes[^1] < 3) return "--parts kill needs the last --nodes count to be at least 3 (two survivors keep the majority)";
        if (LargeTileSize is < 10 or > 5000) return "--large-size must be between 10 and 5000 px";
        if (LargeTiles is < 1 or > 16) return "--large-tiles must be between 1 and 16";
        if (Hocon is not null && !File.Exists(Hocon)) return $"--hocon {Hocon} does not exist; give a HOCON file of Akka settings";
        return null;
    }

    /// <summary>Granule side that gives about <see cref="Tiles"/> tiles: the two granules' union has about 1.45 granules' area.</summary>
    public int GranuleSize => Math.Clamp((int)Math.Ceiling(TileSize * Math.Sqrt(Tiles / 1.45)), 40, 5490);
}

/// <summary>
/// <c>nrtc bench cluster</c>: a synthetic archive served by the loopback STAC server (<see cref="ArchiveServer"/>, in this
/// process), a PostgreSQL 15 started in a temporary folder (<see cref="PostgresServer"/>), and <c>nrtc run --profile
/// cluster</c> node processes driven through their control API. The tiles are fitted once, on one node; every run then
/// fast-forwards its own copy of that database (<c>CREATE DATABASE ... TEMPLATE</c>) and output folder.
/// The overhead per tile-day is the nodes' processor time during the fast-forward minus the time of the stages that do the
/// tile-day's work (load, monitor, report, from <c>nrtc_stage_seconds</c>; wall-clock, so scaled down to the processor time the
/// nodes had when more stages ran at once than there were processors), divided by the tile-days: what actors, delivery,
/// persistence, messaging and the job's status reads cost.
/// </summary>
public static partial class ClusterBench
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan ClusterTimeout = TimeSpan.FromMinutes(3);
    private static readonly string[] WorkStages = ["load", "monitor", "report"];

    public static async Task RunAsync(ClusterBenchOptions options, TextWriter output, CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        var folder = Directory.CreateTempSubdirectory("nrtc-bench-cluster-").FullName;
        try
        {
            using var postgres = new PostgresServer();
            var bench = new Bench(options, postgres, folder, output);
            if (options.Parts.Contains("small"))
            {
                var archiveOptions = new SyntheticArchiveOptions
                {
                    GranuleSize = options.GranuleSize, Start = ClusterBenchOptions.Start, HistoryEnd = options.HistoryEnd, End = options.End,
                    RevisitDays = ClusterBenchOptions.RevisitDays,
                };
                var clock = Stopwatch.StartNew();
                var archive = SyntheticArchive.Generate(Path.Combine(folder, "archive"), archiveOptions);
                await using var server = await ArchiveServer.StartAsync(archive.Directory, 0, ct);
                Say(output, $"archive: 2 granules of {options.GranuleSize} x {options.GranuleSize} px, {options.HistoryDates} history dates and " +
                            $"{(archive.Scene.Acquisitions.Count - options.HistoryDates)} monitoring dates every {ClusterBenchOptions.RevisitDays} days, " +
                            $"written in {clock.Elapsed.TotalSeconds:F0} s; STAC API {server.BaseUrl}; PostgreSQL 15 on 127.0.0.1:{postgres.Port}; " +
                            $"{Environment.ProcessorCount} cores, load {LoadAverage()}");
                await bench.SmallAsync(archive, server, ct);
            }
            if (options.Parts.Contains("large"))
            {
                var clock = Stopwatch.StartNew();
                var large = LargeTileArchive.Write(Path.Combine(folder, "large-archive"), options.LargeTiles, options.LargeTileSize, options.HistoryDates + options.LargeDays);
                await using var server = await ArchiveServer.StartAsync(large.Archive.Directory, 0, ct);
                var size = large.Archive.Scene.Options.GranuleSize;
                Say(output, $"large archive: 2 granules of {size} x {size} px holding {large.Columns} x {large.Rows} whole tiles of {options.LargeTileSize} px, " +
                            $"{large.Dates} dates every {ClusterBenchOptions.RevisitDays} days repeating {large.Scenes} rendered scenes (files linked), " +
                            $"written in {clock.Elapsed.TotalSeconds:F0} s; STAC API {server.BaseUrl}; load {LoadAverage()}");
                await bench.LargeAsync(large, server, ct);
            }
            Say(output, $"bench cluster: {total.Elapsed.TotalSeconds:F0} s in all, load {LoadAverage()}");
            if (bench.Last is { } last) Say(output, last);
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { }
        }
    }

    /// <summary>The 1, 5 and 15 minute load averages (/proc/loadavg): other work on the machine slows every figure.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static void Say(TextWriter output, string line)
    {
        output.WriteLine(line);
        output.Flush();
    }

    private sealed class Bench(ClusterBenchOptions options, PostgresServer postgres, string folder, TextWriter output)
    {
        private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromMinutes(5) };

        /// <summary>The last line: the small-tile run with the most nodes.</summary>
        public string? Last { get; private set; }

        public async Task SmallAsync(SyntheticArchiveResult archive, ArchiveServer server, CancellationToken ct)
        {
            var reference = archive.Scene.Geometry.Reference;
            var fitted = await FitAsync("small", server, reference.Transform.X0, reference.Transform.Y0, options.TileSize, archive.Scene.Geometry.BboxLonLat, ct);
            Run? kept = null;
            foreach (var (n, i) in options.Nodes.Select((n, i) => (n, i)))
            {
                var run = await FastForwardAsync(fitted, $"small{i}", n, options.Days, ct);
                try
                {
                    var line = ThroughputLine($"small tiles ({options.TileSize} x {options.TileSize} px), {n} node{(n == 1 ? "" : "s")}", run);
                    Say(output, line + $"; {run.Detail}");
                    Last = string.Create(CultureInfo.InvariantCulture,
                        $"cluster: {run.Tiles} tiles, {n} nodes, {run.TileDays} tile-days in {run.Seconds:F1} s: {run.PerMinute:F0} tile-days/min, overhead {run.OverheadMs:F1} ms per tile-day");
                    if (i == 0)
                        Say(output, $"database: {run.DatabaseGrowth / (double)run.TileDays:F0} bytes per tile-day (pg_database_size grew {run.DatabaseGrowth / 1e6:F1} MB over {run.TileDays} tile-days; {n} node{(n == 1 ? "" : "s")})");
                    if (i == options.Nodes.Count - 1) { kept = run; continue; }
                }
                catch
                {
                    run.Dispose();
                    throw;
                }
                run.Dispose();
            }
            using (kept)
            {
                await MemoryAsync(kept!, ct);
                if (options.Parts.Contains("kill")) await KillAsync(kept!, ct);
                if (options.Parts.Contains("join")) await JoinAsync(kept!, ct);
            }
        }

        public async Task LargeAsync(LargeTileArchive large, ArchiveServer server, CancellationToken ct)
        {
            var fitted = await FitAsync("large", server, large.OriginX, large.OriginY, options.LargeTileSize, large.BboxLonLat, ct);
            using var run = await FastForwardAsync(fitted, "large0", 1, options.LargeDays, ct);
            // Every tile of the block is whole in the granules: all its pixels hold data.
            Say(output, ThroughputLine($"large tiles ({options.LargeTileSize} x {options.LargeTileSize} px), 1 node", run) +
                        string.Create(CultureInfo.InvariantCulture, $"; {run.Tiles * (double)options.LargeTileSize * options.LargeTileSize / 1e6:F2} Mpx with data; {run.Detail}"));
        }

        private static string ThroughputLine(string what, Run run) => string.Create(CultureInfo.InvariantCulture,
            $"{what}: {run.Tiles} tiles x {run.Days} days = {run.TileDays} tile-days in {run.Seconds:F1} s: {run.PerMinute:F0} tile-days/min, " +
            $"overhead {run.OverheadMs:F1} ms per tile-day");

        /// <summary>Writes the project (tiles of <paramref name="tileSize"/> from the origin, over the bbox) and fits it on one node; returns its name (database and folder).</summary>
        private async Task<(string Name, int Unfitted)> FitAsync(string name, ArchiveServer server, double originX, double originY, int tileSize, double[] bboxLonLat, CancellationToken ct)
        {
            var projectFolder = Path.Combine(folder, name);
            Directory.CreateDirectory(projectFolder);
            File.WriteAllText(Path.Combine(projectFolder, "project.conf"), ProjectTemplate.Demo($"api = {ProjectTemplate.Quote(server.BaseUrl)}",
                originX, originY, tileSize, bboxLonLat, forestMask: null, ClusterBenchOptions.Start, options.HistoryEnd,
                // Every pixel monitored (no forest mask) and no buffer around clouds: a tile of a few pixels always has pixels to fit.
                buffer: 0));
            postgres.CreateDatabase(name);
            var clock = Stopwatch.StartNew();
            var nodes = await StartClusterAsync(name, 1, ct);
            try
            {
                using var client = new NodeClient(nodes[0].HttpUrl);
                var fit = await client.RunJobAsync("api/jobs/fit", _ => { }, TimeSpan.FromSeconds(1), ct).WaitAsync(JobTimeout, ct);
                // A tile on the swath's edge may hold too few clear pixels to fit: it is left out of the fast-forwards.
                var failed = fit.Tiles.Where(t => t.Status == TileJobStatus.Failed).ToList();
                if (fit.Error is not null || failed.Any(t => t.Detail?.Contains("valid history observations", StringComparison.Ordinal) != true) || failed.Count * 2 > fit.TilesTotal)
                    throw new InvalidOperationException($"the fit of the {name} tiles failed: {fit.Error ?? string.Join("; ", failed.Take(3).Select(t => $"{t.Tile}: {t.Detail}"))}");
                Say(output, $"fit: {fit.TilesDone} tiles of {tileSize} x {tileSize} px on 1 node in {clock.Elapsed.TotalSeconds:F0} s (with its start)" +
                            $"{(failed.Count == 0 ? "" : $"; {failed.Count} tiles on the swath's edge without enough clear history left out")}; load {LoadAverage()}");
                return (name, failed.Count);
            }
            finally
            {
                foreach (var node in nodes) node.Stop(TimeSpan.FromMinutes(1));
                foreach (var node in nodes) node.Dispose();
            }
        }

        /// <summary>Copies the fitted database and folder to <paramref name="name"/>, starts <paramref name="n"/> nodes on them and fast-forwards <paramref name="days"/> days.</summary>
        private async Task<Run> FastForwardAsync((string Name, int Unfitted) fitted, string name, int n, int days, CancellationToken ct)
        {
            postgres.CreateDatabase(name, template: fitted.Name);
            CopyFolder(Path.Combine(folder, fitted.Name), Path.Combine(folder, name));
            var nodes = await StartClusterAsync(name, n, ct);
            try
            {
                long bytesBefore = postgres.DatabaseBytes(name);
                var stagesBefore = await StagesAsync(nodes, ct);
                var cpuBefore = nodes.Sum(x => x.ProcessorTime.TotalSeconds);
                var to = options.HistoryEnd.AddDays(ClusterBenchOptions.RevisitDays * days);
                var clock = Stopwatch.StartNew();
                using var client = new NodeClient(nodes[0].HttpUrl);
                var result = await client.RunJobAsync($"api/jobs/fast-forward?to={to:yyyy-MM-dd}", _ => { }, TimeSpan.FromSeconds(1), ct).WaitAsync(JobTimeout, ct);
                double seconds = clock.Elapsed.TotalSeconds;
                var cpu = nodes.Sum(x => x.ProcessorTime.TotalSeconds) - cpuBefore;
                var stagesAfter = await StagesAsync(nodes, ct);
                long bytesAfter = postgres.DatabaseBytes(name);
                // The tiles left unfitted fail at once ("not fitted yet"); no other may.
                if (result.TilesFailed != fitted.Unfitted || result.Error is not null)
                    throw new InvalidOperationException($"the fast-forward of {name} failed: {result.Error ?? string.Join("; ", result.Tiles.Where(t => t.Status == TileJobStatus.Failed).Take(3).Select(t => $"{t.Tile}: {t.Detail}"))}");
                int applied = result.Tiles.Sum(t => t.DaysApplied);
                if (applied != result.TilesDone * days)
                    throw new InvalidOperationException($"the fast-forward of {name} applied {applied} tile-days, not {result.TilesDone} tiles x {days} days: {JobConsole.DaysSummary(result)}");
                var stage = stagesAfter.ToDictionary(s => s.Key, s => (s.Value - stagesBefore.GetValueOrDefault(s.Key)) * 1000 / applied);
                // Stage times are wall-clock: with more stages running at once than the nodes had processors, each stage second
                // had less than a processor second, so they are scaled down to the processor time the nodes used.
                double perTileDay = cpu * 1000 / applied;
                var work = WorkStages.Sum(s => stage.GetValueOrDefault(s)) * Math.Min(1, perTileDay / Math.Max(1e-9, stage.Values.Sum()));
                var status = await StatusAsync(nodes[0], ct);
                return new Run(nodes, name, result.TilesDone, days, seconds, perTileDay - work, bytesAfter - bytesBefore, status,
                    string.Create(CultureInfo.InvariantCulture,
                        $"per tile-day: nodes' processor time {perTileDay:F1} ms, of it load + monitor + report {work:F1} ms; " +
                        $"stage wall times {string.Join(", ", stage.OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Value:F1}"))} ms; load {LoadAverage()}"));
            }
            catch
            {
                foreach (var node in nodes) node.Dispose();
                throw;
            }
        }

        /// <summary>Each node's peak and current memory, with the tiles it holds (idle since the fast-forward).</summary>
        private async Task MemoryAsync(Run run, CancellationToken ct)
        {
            var view = await GetJsonAsync(run.Nodes[0].HttpUrl + "/api/cluster", ct);
            var entities = view["members"]!.AsArray().ToDictionary(m => m!["address"]!.ToString(), m => m!["entities"]?.GetValue<int>() ?? 0);
            Say(output, "memory: " + string.Join("; ", run.Nodes.Select(node =>
            {
                var (peak, now) = node.Memory();
                return string.Create(CultureInfo.InvariantCulture,
                    $"node {node.Number} peak {peak / 1048576.0:F0} MB, now {now / 1048576.0:F0} MB with {entities.GetValueOrDefault(node.Address)} idle tiles");
            })) + " (VmHWM, VmRSS; tiles passivate after akka.cluster.sharding.passivate-idle-entity-after)");
        }

        /// <summary>Kills the node (not the seed) holding the most tiles with SIGKILL and times until all its tiles answer elsewhere; checks no day was applied twice.</summary>
        private async Task KillAsync(Run run, CancellationToken ct)
        {
            var before = await StatusAsync(run.Nodes[0], ct);
            var victim = run.Nodes.Skip(1).MaxBy(node => Tiles(before).Count(t => t.Node == node.Address))!;
            var its = Tiles(before).Where(t => t.Node == victim.Address).Select(t => t.Tile).ToHashSet();
            var clock = Stopwatch.StartNew();
            victim.Kill();
            JsonObject after;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                if (clock.Elapsed > ClusterTimeout)
                    throw new InvalidOperationException($"the tiles of the killed node {victim.Number} did not all answer elsewhere within {ClusterTimeout.TotalSeconds:F0} s");
                try
                {
                    after = await StatusAsync(run.Nodes[0], ct);
                    var moved = Tiles(after).Where(t => its.Contains(t.Tile)).ToList();
                    if (moved.Count == its.Count && moved.All(t => t.Node is not null && t.Node != victim.Address)) break;
                }
                catch (Exception e) when (e is NodeRequestException or HttpRequestException or TaskCanceledException) { }
                await Task.Delay(500, ct);
            }
            double seconds = clock.Elapsed.TotalSeconds;
            var days = Fitted(after).Select(t => t["days"]!.AsArray().Select(d => d!.ToString()).ToList()).ToList();
            int twice = days.Sum(d => d.Count - d.Distinct().Count());
            int wrong = days.Count(d => d.Distinct().Count() != run.Days);
            Say(output, string.Create(CultureInfo.InvariantCulture,
                $"kill: node {victim.Number} holding {its.Count} tiles killed with SIGKILL: every one answers status on another node after {seconds:F1} s; " +
                $"{(twice == 0 ? "no day applied twice" : $"{twice} days applied twice")} ({days.Count} tiles, {days.Sum(d => d.Count)} tile-days" +
                $"{(wrong == 0 ? $", {run.Days} days each" : $", {wrong} tiles without {run.Days} days")}); load {LoadAverage()}"));
            if (twice > 0 || wrong > 0) throw new InvalidOperationException("the tiles' days after the kill are not each applied once");
        }

        /// <summary>Starts one more node and times until it is Up and until the shards are balanced (at most one apart) under the rebalance limits.</summary>
        private async Task JoinAsync(Run run, CancellationToken ct)
        {
            var seed = run.Nodes[0];
            var clock = Stopwatch.StartNew();
            using var joining = BenchNode.Start(run.Nodes.Length + 1, Project(run.Name), PostgresServer.FreeLoopbackPort(), seed.AkkaPort, postgres.ConnectionStringOf(run.Name), options.Hocon);
            double? upAfter = null;
            string counts = "";
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                if (joining.HasExited) throw new InvalidOperationException($"the joining node exited: {joining.Output}");
                if (clock.Elapsed > ClusterTimeout)
                    throw new InvalidOperationException($"the shards were not balanced within {ClusterTimeout.TotalSeconds:F0} s of node {joining.Number} starting: {counts}");
                try
                {
                    var view = await GetJsonAsync(seed.HttpUrl + "/api/cluster", ct);
                    var up = view["members"]!.AsArray().Where(m => m!["status"]!.ToString() == "Up" && m["hostsShards"]?.GetValue<bool>() != false).ToList();
                    if (upAfter is null && up.Any(m => m!["address"]!.ToString() == joining.Address)) upAfter = clock.Elapsed.TotalSeconds;
                    var shards = up.Select(m => m!["shards"]!.GetValue<int>()).ToList();
                    counts = string.Join("/", shards);
                    if (upAfter is not null && shards.Max() - shards.Min() <= 1) break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException) { }
                await Task.Delay(500, ct);
            }
            Say(output, string.Create(CultureInfo.InvariantCulture,
                $"join: node {joining.Number} Up {upAfter:F1} s after starting; shards balanced ({counts} per node) {clock.Elapsed.TotalSeconds - upAfter:F1} s later " +
                $"(rebalance limits in force: at most 10 shards and 10% a round every 2 s); load {LoadAverage()}"));
            joining.Stop(TimeSpan.FromMinutes(1));
        }

        private string Project(string name) => Path.Combine(folder, name, "project.conf");

        private async Task<BenchNode[]> StartClusterAsync(string name, int n, CancellationToken ct)
        {
            var ports = Enumerable.Range(0, n).Select(_ => PostgresServer.FreeLoopbackPort()).ToArray();
            var nodes = ports.Select((port, i) => BenchNode.Start(i + 1, Project(name), port, ports[0], postgres.ConnectionStringOf(name), options.Hocon)).ToArray();
            try
            {
                var clock = Stopwatch.StartNew();
                while (true)
                {
                    ct.ThrowIfCancellationRequested();
                    if (nodes.FirstOrDefault(x => x.HasExited) is { } gone) throw new InvalidOperationException($"node {gone.Number} exited: {gone.Output}");
                    if (clock.Elapsed > ClusterTimeout)
                        throw new InvalidOperationException($"the {n} nodes were not all ready within {ClusterTimeout.TotalSeconds:F0} s: {string.Join("\n", nodes.Select(x => x.Output))}");
                    try
                    {
                        bool ready = true;
                        foreach (var node in nodes)
                        {
                            using var response = await _http.GetAsync(node.HttpUrl + "/readyz", ct);
                            ready &= response.IsSuccessStatusCode;
                        }
                        var view = await GetJsonAsync(nodes[0].HttpUrl + "/api/cluster", ct);
                        if (ready && view["members"]!.AsArray().Count(m => m!["status"]!.ToString() == "Up") == n) return nodes;
                    }
                    catch (HttpRequestException) { }
                    await Task.Delay(500, ct);
                }
            }
            catch
            {
                foreach (var node in nodes) node.Dispose();
                throw;
            }
        }

        /// <summary>The seconds each stage took on all the nodes together, from their /metrics (nrtc_stage_seconds_sum).</summary>
        private async Task<Dictionary<string, double>> StagesAsync(IEnumerable<BenchNode> nodes, CancellationToken ct)
        {
            var sums = new Dictionary<string, double>();
            foreach (var node in nodes)
            {
                var text = await _http.GetStringAsync(node.HttpUrl + "/metrics", ct);
                foreach (Match m in StageSum().Matches(text))
                    sums[m.Groups[1].Value] = sums.GetValueOrDefault(m.Groups[1].Value) + double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            }
            return sums;
        }

        private Task<JsonObject> StatusAsync(BenchNode node, CancellationToken ct) => GetJsonAsync(node.HttpUrl + "/api/tiles/status?days=true", ct);

        private static IEnumerable<JsonNode> Fitted(JsonObject status) => status["tiles"]!.AsArray().Where(t => t!["fitNumber"]!.GetValue<int>() > 0)!;

        private static IEnumerable<(string Tile, string? Node)> Tiles(JsonObject status) =>
            status["tiles"]!.AsArray().Select(t => (t!["tile"]!.ToString(), t["node"]?.ToString()));

        private async Task<JsonObject> GetJsonAsync(string url, CancellationToken ct)
        {
            using var response = await _http.GetAsync(url, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{url}: {(int)response.StatusCode} {text}");
            return JsonNode.Parse(text)!.AsObject();
        }

        private static void CopyFolder(string from, string to)
        {
            foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
                Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
            Directory.CreateDirectory(to);
            foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
                File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }

    /// <summary>One fast-forward run: its nodes (kept running for the kill and join parts) and figures.</summary>
    private sealed record Run(BenchNode[] Nodes, string Name, int Tiles, int Days, double Seconds, double OverheadMs, long DatabaseGrowth, JsonObject Status, string Detail)
        : IDisposable
    {
        public int TileDays => Tiles * Days;
        public double PerMinute => TileDays / Seconds * 60;

        public void Dispose()
        {
            foreach (var node in Nodes) node.Stop(TimeSpan.FromMinutes(1));
            foreach (var node in Nodes) node.Dispose();
        }
    }

    [GeneratedRegex(@"^nrtc_stage_seconds_sum\{[^}]*stage=""(\w+)""[^}]*\} (\S+)", RegexOptions.Multiline)]
    private static partial Regex StageSum();
}
