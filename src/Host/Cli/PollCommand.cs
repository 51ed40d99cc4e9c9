using System.CommandLine;
using Akka.Actor;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Tiles;
using NrtCluster.Host.Node;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc poll --once [--project FILE]</c>: one poll of the STAC archive on an embedded node: new items are recorded,
/// their solar days (once settled) handed to the tiles, and the command waits until the tiles have applied them.
/// </summary>
public static class PollCommand
{
    public static Command Create()
    {
        var project = NodeCli.ProjectOption();
        var once = new Option<bool>("--once") { Description = "Poll once and exit when the tiles have applied what was found (the only mode; 'run' polls on its interval)", Required = true };
        var noSettle = new Option<bool>("--no-settle") { Description = "Dispatch the solar days found now without waiting for project.settle-delay (catching up on an old archive)" };
        var command = new Command("poll", "Poll the STAC archive once for new items and apply their solar days to the tiles (embedded node).");
        command.Options.Add(project);
        command.Options.Add(once);
        command.Options.Add(noSettle);
        command.SetAction(async (parseResult, ct) =>
        {
            var file = parseResult.GetValue(project)!;
            if (NodeCli.Load("poll", file) is not { } config) return 1;
            return await StopSignals.RunAsync("poll", ct, stop => NodeCli.GuardAsync("poll", file, async () =>
            {
                await using var node = ProjectNode.Start(config);
                var settle = parseResult.GetValue(noSettle) ? TimeSpan.Zero : config.SettleDelay;
                // What the tiles held before: an item new to this poller may be of a day a fast-forward already applied.
                var before = await TileDaysAsync(node, stop);
                var poller = node.StartPoller(settle, scheduled: false);
                var completed = await poller.Ask<PollCompleted>(PollNow.Instance, TimeSpan.FromMinutes(10), stop);
                if (completed.Error is not null)
                {
                    Console.Error.WriteLine($"poll: {completed.Error}");
                    return 1;
                }
                foreach (var r in completed.Rejected) Console.Error.WriteLine($"poll: warning: {r}; the other items go on");
                int repeats = completed.NewTileDays.Count(x => before.TryGetValue(x.Tile, out var had) && had.Applied.Contains(x.Day));
                Console.WriteLine($"poll: {completed.NewItems} items new to the poller, {completed.NewTileDays.Length} tile-days " +
                                  $"({repeats} of them applied before), {completed.PendingDays} solar days pending " +
                                  $"(settle delay {settle}: a day goes to the tiles once it has passed), cursor {completed.CursorUtc:yyyy-MM-dd HH:mm}");
                node.Log.Write("poll", $"new_items={completed.NewItems} tile_days={completed.NewTileDays.Length} repeats={repeats} pending_days={completed.PendingDays} cursor={completed.CursorUtc:O}");
                var after = await WaitForTilesAsync(node, poller, stop);
                int applied = Added(before, after, t => t.Applied);
                int quarantined = Added(before, after, t => t.Quarantined);
                Console.WriteLine($"poll: tiles settled; {applied} tile-days applied, {repeats} repeated (applied before), {quarantined} quarantined; " +
                                  $"{after.Values.Sum(t => t.Applied.Count)} applied in total; log {node.Log.Path}");
                return 0;
            }));
        });
        return command;
    }

    /// <summary>The solar days a tile has applied and those it set aside.</summary>
    private sealed record TileDays(IReadOnlySet<DateOnly> Applied, IReadOnlySet<DateOnly> Quarantined);

    /// <summary>Tile-days in <paramref name="after"/> that were not in <paramref name="before"/>.</summary>
    private static int Added(Dictionary<TileId, TileDays> before, Dictionary<TileId, TileDays> after, Func<TileDays, IReadOnlySet<DateOnly>> days) =>
        after.Sum(kv => days(kv.Value).Count(d => !(before.TryGetValue(kv.Key, out var had) && days(had).Contains(d))));

    private static async Task<Dictionary<TileId, TileDays>> TileDaysAsync(ProjectNode node, CancellationToken ct)
    {
        var days = new Dictionary<TileId, TileDays>();
        foreach (var tile in node.Footprints.ProjectTiles)
        {
            var s = await node.StatusAsync(tile, ct);
            days[tile] = new(s.Days.Select(d => d.Day).ToHashSet(), s.Quarantined.Select(q => q.Day).ToHashSet());
        }
        return days;
    }

    /// <summary>
    /// Reliable delivery hands days over asynchronously: waits until the poller's outbox is empty and the tiles' applied
    /// days stop changing (three checks two seconds apart), at most ten minutes; returns the tiles' days then.
    /// </summary>
    private static async Task<Dictionary<TileId, TileDays>> WaitForTilesAsync(ProjectNode node, IActorRef poller, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddMinutes(10);
        int previous = -1, stable = 0;
        while (DateTime.UtcNow < deadline)
        {
            var status = await poller.Ask<PollerStatus>(GetPollerStatus.Instance, TimeSpan.FromMinutes(1), ct);
            var days = await TileDaysAsync(node, ct);
            int applied = days.Values.Sum(t => t.Applied.Count + t.Quarantined.Count);
            stable = status.Outbox == 0 && applied == previous ? stable + 1 : 0;
            if (stable >= 3)
            {
                foreach (var (tile, t) in days.Where(kv => kv.Value.Applied.Count > 0))
                    node.Log.Write("poll", $"tile={tile} day={t.Applied.Max():yyyy-MM-dd} days={t.Applied.Count}");
                return days;
            }
            previous = applied;
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }
        throw new TimeoutException("the tiles were still applying days after ten minutes; run 'nrtc status' to see where they are.");
    }
}
