using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using NrtCluster.Actors;
using NrtCluster.Actors.Bench;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Jobs;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Archive;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Bench;

/// <summary>One source's fast-forward: the stage times the node recorded (<c>nrtc_stage_seconds</c>), its wall and processor time.</summary>
public sealed record TileDayRun(string Source, int ReportEveryDays, int Days, int Applied, TimeSpan Wall, TimeSpan Processor, IReadOnlyDictionary<string, List<TimeSpan>> Stages)
{
    public TimeSpan WallPerDay => Wall / Math.Max(1, Applied);
    public TimeSpan ProcessorPerDay => Processor / Math.Max(1, Applied);
}

/// <summary>
/// A tile-day as users run it: a synthetic archive of two overlapping UTM granules (zones 32N and 33N) around one
/// EPSG:3035 tile, fitted on its history, then fast-forwarded through the real pipeline on an embedded (SQLite) node:
/// the poller's search, the tile actor's load and warp of both granules, the monitor step, the state stored, the report.
/// Once with the static catalog on disk, once through the loopback STAC API (<see cref="ArchiveServer"/>: search and COGs
/// over HTTP range requests). The stages are the node's own timings, so what is printed is what the metrics show.
/// </summary>
public static class TileDayBench
{
    public static readonly string[] Stages = [Telemetry.Search, Telemetry.Load, Telemetry.Monitor, Telemetry.Persist, Telemetry.Report];

    /// <param name="size">Tile side in pixels; the granules are 1.2 times as wide.</param>
    /// <param name="days">Monitoring days fast-forwarded (one every 5 days).</param>
    /// <param name="reportEveryDays">
    /// <c>nrtcluster.tiles.report-every-days</c> (0: the report once, after the last day); each source also runs with 1 (a
    /// report after every day, as before reports were batched), on a node of its own, for comparison.
    /// </param>
    public static async Task<IReadOnlyList<TileDayRun>> RunAsync(string folder, int size, int days, int reportEveryDays, bool http, TextWriter output, CancellationToken ct)
    {
        var historyEnd = new DateOnly(2021, 12, 31);
        var options = new SyntheticArchiveOptions
        {
            GranuleSize = (int)Math.Ceiling(size * 1.2),
            // 18 history dates: enough for the fit, which is not what is measured.
            Start = historyEnd.AddDays(-89),
            HistoryEnd = historyEnd,
            End = historyEnd.AddDays(5 * days),
        };
        options.Validate();
        string archiveDir = Path.Combine(folder, "archive");
        var clock = Stopwatch.StartNew();
        output.WriteLine($"writing a synthetic archive of {options.GranuleSize} x {options.GranuleSize} px granules, {options.Start:yyyy-MM-dd} to {options.End:yyyy-MM-dd}, in {archiveDir} ...");
        var archive = SyntheticArchive.Generate(archiveDir, options);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {archive.ItemCount} items, {archive.Bytes / 1e6:F0} MB in {clock.Elapsed.TotalSeconds:F0} s"));

        var runs = new List<TileDayRun>();
        int[] modes = reportEveryDays == 1 ? [1] : [1, reportEveryDays];
        foreach (var every in modes) runs.Add(await RunSourceAsync("disk", archive, folder, size, every, null, output, ct));
        if (http)
        {
            await using var server = await ArchiveServer.StartAsync(archiveDir, 0, ct);
            foreach (var every in modes) runs.Add(await RunSourceAsync("http", archive, folder, size, every, server, output, ct));
        }
        return runs;
    }

    private static async Task<TileDayRun> RunSourceAsync(string name, SyntheticArchiveResult archive, string folder, int size, int reportEveryDays,
        ArchiveServer? server, TextWriter output, CancellationToken ct)
    {
        string outDir = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"{name}-every-{reportEveryDays}"));
        Directory.CreateDirectory(outDir);
        // One tile centred on the scene, where both granules overlap it; the area is inside it, so it is the project's only tile.
        var reference = archive.Scene.Geometry.Reference;
        double cx = reference.Transform.X0 + reference.Width * 20 / 2.0, cy = reference.Transform.Y0 - reference.Height * 20 / 2.0;
        double originX = Math.Round((cx - size * 10) / 20) * 20, originY = Math.Round((cy + size * 10) / 20) * 20;
        var grid = new ProcessingGrid("EPSG:3035", 20, originX, originY, size);
        var tile = new TileId(0, 0);
        var box = grid.LonLatEnvelope(tile, tile);
        double[] area = [box.MinX + box.Width / 4, box.MinY + box.Height / 4, box.MaxX - box.Width / 4, box.MaxY - box.Height / 4];
        string stacLine = server is null
            ? $"catalog = {ProjectTemplate.Quote(Path.Combine(archive.Directory, SyntheticArchiveLayout.Catalog))}"
            : $"api = {ProjectTemplate.Quote(server.BaseUrl)}";
        string projectFile = Path.Combine(outDir, "project.conf");
        await File.WriteAllTextAsync(projectFile, ProjectTemplate.Demo(stacLine, originX, originY, size, area,
            Path.Combine(archive.Directory, SyntheticArchiveLayout.ForestMask), archive.Scene.Options.Start, archive.Scene.Options.HistoryEnd), ct);
        var config = ProjectConfigLoader.Load(projectFile);
        var nodeOptions = new NodeOptions(NodeProfile.Embedded, config.OutputFolder)
        {
            Hostname = "127.0.0.1",
            Port = 0,
            ExtraHocon = string.Create(CultureInfo.InvariantCulture, $"akka.loglevel = WARNING\nnrtcluster.tiles.report-every-days = {reportEveryDays}"),
        };
        await using var node = ProjectNode.Start(config, nodeOptions);
        ImmutableArray<TileId> tiles = [tile];
        name = Label(name, reportEveryDays);
        output.WriteLine($"{name}: fitting tile {tile} ({size} x {size} px) on {config.HistoryStart:yyyy-MM-dd}..{config.HistoryEnd:yyyy-MM-dd} ...");
        var fit = await node.RunJobAsync(new JobRequest.Fit($"bench-fit-{name}", tiles, config.HistoryStart, config.HistoryEnd), _ => { }, ct);
        if (fit.TilesDone != 1) throw new InvalidOperationException($"The benchmark tile was not fitted: {fit.Tiles.Single().Detail} (see {node.Log.Path}).");

        var stages = new Dictionary<string, List<TimeSpan>>();
        using var listener = TilePersistenceBenchmark.StageListener(Telemetry.Get(node.System), stages);
        output.WriteLine($"{name}: fast-forwarding ...");
        var processor = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var ff = await node.RunJobAsync(new JobRequest.FastForward($"bench-ff-{name}", tiles, node.HistoryEndUtc, archive.Scene.Options.End.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc)), _ => { }, ct);
        var wall = clock.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - processor;
        var progress = ff.Tiles.Single();
        if (ff.TilesDone != 1 || progress.DaysApplied == 0)
            throw new InvalidOperationException($"The benchmark's fast-forward did not apply its days: {progress.Detail} (see {node.Log.Path}).");
        lock (stages) return new TileDayRun(name, reportEveryDays, progress.DaysTotal, progress.DaysApplied, wall, cpu, stages.ToDictionary(kv => kv.Key, kv => kv.Value.ToList()));
    }

    /// <summary>The per-stage table: count, median and total per stage and source, then each source's tile-day.</summary>
    public static string Format(IReadOnlyList<TileDayRun> runs, int size)
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(string.Create(inv, $"tile-day {size} x {size} px, 2 granules (UTM 32N/33N COGs warped onto EPSG:3035), embedded SQLite node, " +
            $"{Environment.ProcessorCount} cores seen (DOTNET_PROCESSOR_COUNT), GDAL_NUM_THREADS={Environment.GetEnvironmentVariable("GDAL_NUM_THREADS") ?? "default"}"));
        text.AppendLine("run                  stage      count  median ms  total s  per tile-day ms");
        foreach (var run in runs)
        {
            foreach (var stage in Stages)
            {
                var times = run.Stages.GetValueOrDefault(stage) ?? [];
                var total = times.Aggregate(TimeSpan.Zero, (a, b) => a + b);
                text.AppendLine(string.Create(inv,
                    $"{run.Source,-20} {stage,-9} {times.Count,6} {Median(times).TotalMilliseconds,10:F0} {total.TotalSeconds,8:F2} {(total / Math.Max(1, run.Applied)).TotalMilliseconds,16:F0}"));
            }
            text.AppendLine(string.Create(inv,
                $"{run.Source}: {run.Applied} of {run.Days} days applied in {run.Wall.TotalSeconds:F1} s: {run.WallPerDay.TotalMilliseconds:F0} ms per tile-day (wall), " +
                $"{run.ProcessorPerDay.TotalMilliseconds:F0} ms processor time per tile-day (all threads: the one-core cost)"));
        }
        return text.ToString().TrimEnd();
    }

    private static string Label(string source, int reportEveryDays) => reportEveryDays switch
    {
        0 => source + ", report once",
        1 => source + ", report daily",
        _ => string.Create(CultureInfo.InvariantCulture, $"{source}, report /{reportEveryDays}d"),
    };

    private static TimeSpan Median(List<TimeSpan> times)
    {
        if (times.Count == 0) return TimeSpan.Zero;
        var sorted = times.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
