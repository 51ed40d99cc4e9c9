using System.Collections.Immutable;
using System.Globalization;
using NrtCluster.Actors.Jobs;
using NrtCluster.Actors.Tiles;
using Spectre.Console;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Node;

/// <summary>
/// Shows a fit or fast-forward job, run in process or followed on a node: a Spectre.Console progress bar (with ETA) on a
/// terminal, plain lines in time order when the output is redirected (cron, CI); a line per retry and per quarantined day.
/// </summary>
public static class JobConsole
{
    public static Task<JobProgress> FitAsync(ProjectNode node, ImmutableArray<TileId> tiles, bool replace, CancellationToken ct) =>
        RunAsync(node, new JobRequest.Fit("fit", tiles, node.Config.HistoryStart, node.Config.HistoryEnd, replace), "fit", ct);

    /// <param name="restart">The tiles were rewound (a requeue): their days are sent again from the history end.</param>
    public static Task<JobProgress> FastForwardAsync(ProjectNode node, ImmutableArray<TileId> tiles, DateTime toUtc, CancellationToken ct, bool restart = false) =>
        RunAsync(node, new JobRequest.FastForward("fast-forward", tiles, node.HistoryEndUtc, toUtc, restart), "fast-forward", ct);

    private static Task<JobProgress> RunAsync(ProjectNode node, JobRequest request, string label, CancellationToken ct) =>
        ShowAsync(label, (onProgress, token) => node.RunJobAsync(request, onProgress, token), ct);

    /// <summary>
    /// Shows the progress <paramref name="run"/> reports until it returns the last one, then names every failed tile (one line
    /// per cause) and the job's error, and every tile that quarantined days, on standard error.
    /// </summary>
    public static async Task<JobProgress> ShowAsync(string label, Func<Action<JobProgress>, CancellationToken, Task<JobProgress>> run, CancellationToken ct)
    {
        JobProgress r;
        if (AnsiConsole.Profile.Capabilities.Interactive)
        {
            JobProgress? result = null;
            await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(label, maxValue: 1);
                    var view = new ProgressView(label);
                    result = await run(p =>
                    {
                        // Written through Spectre so the lines go above the bar.
                        foreach (var line in view.Next(p)) AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(line)}[/]");
                        task.MaxValue = view.Total;
                        task.Value = view.Done;
                        task.Description = view.Description;
                    }, ct);
                });
            r = result!;
        }
        else
        {
            // Spectre's fallback for redirected output prints at its own pace; plain lines on each percent change are
            // easier to follow in a log.
            var view = new ProgressView(label);
            int shown = -1;
            r = await run(p =>
            {
                foreach (var line in view.Next(p)) Console.WriteLine(line);
                int percent = (int)(100 * view.Done / view.Total);
                if (percent == shown) return;
                shown = percent;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{view.Description}: {percent}%"));
            }, ct);
        }
        // Tiles failing alike (a full disk fails every tile's report) are named on one line, so each cause is said once.
        foreach (var failed in r.Tiles.Where(t => t.Status == TileJobStatus.Failed).GroupBy(t => t.Detail))
            Console.Error.WriteLine($"{label}: {(failed.Count() == 1 ? "tile" : "tiles")} {string.Join(", ", failed.Select(t => t.Tile))} failed: {failed.Key}");
        foreach (var t in r.Tiles.Where(t => t.DaysQuarantined > 0))
            Console.Error.WriteLine($"{label}: tile {t.Tile}: {t.DaysQuarantined} day(s) quarantined, their items could not be loaded (nrtc status lists them; nrtc requeue applies them again once they can be)");
        if (r.Error is not null) Console.Error.WriteLine($"{label}: {r.Error}");
        return r;
    }

    /// <summary>
    /// A fast-forward's tile-days as the operator reads them: applied by this job, repeats of days the tiles had applied
    /// before, and quarantined, e.g. "0 tile-days applied, 201 repeated (applied before), 0 quarantined".
    /// </summary>
    public static string DaysSummary(JobProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"{p.Tiles.Sum(t => t.DaysApplied)} tile-days applied, {p.Tiles.Sum(t => t.DaysRepeated)} repeated (applied before), {p.Tiles.Sum(t => t.DaysQuarantined)} quarantined");

    /// <summary>
    /// What the console shows of successive progress reports: the share done, a description whose day never goes back
    /// (tiles run in parallel and a tile starting late is at an earlier day) and a line per retry and quarantined day.
    /// </summary>
    public sealed class ProgressView(string label)
    {
        private readonly Dictionary<TileId, TileProgress> _last = new();
        private DateOnly? _day;

        public double Total { get; private set; } = 1;
        public double Done { get; private set; }
        public string Description => _day is { } day ? string.Create(CultureInfo.InvariantCulture, $"{label} {day:yyyy-MM-dd}") : label;

        /// <summary>Takes the next report; returns the lines for what happened since the last one.</summary>
        public IReadOnlyList<string> Next(JobProgress p)
        {
            // A fit counts tiles; a fast-forward counts tile-days.
            Total = Math.Max(1, p.Kind == JobKind.Fit ? p.TilesTotal : p.Tiles.Sum(t => t.DaysTotal));
            Done = p.Finished ? Total : p.Kind == JobKind.Fit ? p.TilesDone + p.TilesFailed : p.Tiles.Sum(t => t.DaysDone);
            if (p.CurrentDay is { } day && (_day is null || day > _day)) _day = day;
            var lines = new List<string>();
            foreach (var t in p.Tiles)
            {
                var before = _last.GetValueOrDefault(t.Tile);
                // A report read from a node every half second may already carry a later detail.
                if (t.Retries > (before?.Retries ?? 0))
                    lines.Add($"{label}: tile {t.Tile}: retrying" + (t.Detail?.StartsWith("attempt ", StringComparison.Ordinal) == true ? $", {t.Detail}" : ""));
                if (t.DaysQuarantined > (before?.DaysQuarantined ?? 0))
                    lines.Add($"{label}: tile {t.Tile}: " + (t.Detail?.Contains(" quarantined: ", StringComparison.Ordinal) == true
                        ? t.Detail : $"{t.DaysQuarantined} day(s) quarantined"));
                _last[t.Tile] = t;
            }
            return lines;
        }
    }
}
