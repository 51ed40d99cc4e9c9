using System.Collections.Immutable;
using NrtCluster.Actors.Jobs;
using NrtCluster.Actors.Tiles;
using Spectre.Console;

namespace NrtCluster.Host.Node;

/// <summary>Shows a fit or fast-forward job with a Spectre.Console progress bar (with ETA), run in process or followed on a node.</summary>
public static class JobConsole
{
    public static Task<JobProgress> FitAsync(ProjectNode node, ImmutableArray<TileKey> tiles, bool replace, CancellationToken ct) =>
        RunAsync(node, new JobRequest.Fit("fit", tiles, node.Config.HistoryStart, node.Config.HistoryEnd, replace), "fit", ct);

    public static Task<JobProgress> FastForwardAsync(ProjectNode node, ImmutableArray<TileKey> tiles, DateTime toUtc, CancellationToken ct) =>
        RunAsync(node, new JobRequest.FastForward("fast-forward", tiles, node.HistoryEndUtc, toUtc, node.Archive, node.Footprints), "fast-forward", ct);

    private static Task<JobProgress> RunAsync(ProjectNode node, JobRequest request, string label, CancellationToken ct) =>
        ShowAsync(label, (onProgress, token) => node.RunJobAsync(request, onProgress, token), ct);

    /// <summary>
    /// Shows the progress <paramref name="run"/> reports until it returns the last one, then names every failed tile
    /// (and the job's error) and every tile that quarantined days on standard error.
    /// </summary>
    public static async Task<JobProgress> ShowAsync(string label, Func<Action<JobProgress>, CancellationToken, Task<JobProgress>> run, CancellationToken ct)
    {
        JobProgress? result = null;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(label, maxValue: 1);
                result = await run(p =>
                {
                    // A fit counts tiles; a fast-forward counts tile-days.
                    double total = p.Kind == JobKind.Fit ? p.TilesTotal : Math.Max(1, p.Tiles.Sum(t => t.DaysTotal));
                    double done = p.Kind == JobKind.Fit ? p.TilesDone + p.TilesFailed : p.Tiles.Sum(t => t.DaysDone);
                    task.MaxValue = Math.Max(1, total);
                    task.Value = p.Finished ? task.MaxValue : done;
                    task.Description = p.CurrentDay is { } day ? $"{label} {day:yyyy-MM-dd}" : label;
                }, ct);
            });
        var r = result!;
        foreach (var failed in r.Tiles.Where(t => t.Status == TileJobStatus.Failed))
            Console.Error.WriteLine($"{label}: tile {failed.Tile} failed: {failed.Detail}");
        foreach (var t in r.Tiles.Where(t => t.DaysQuarantined > 0))
            Console.Error.WriteLine($"{label}: tile {t.Tile}: {t.DaysQuarantined} day(s) quarantined, their items could not be loaded (nrtc status lists them)");
        if (r.Error is not null) Console.Error.WriteLine($"{label}: {r.Error}");
        return r;
    }
}
