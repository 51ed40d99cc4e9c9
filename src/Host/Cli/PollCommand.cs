using System.CommandLine;
using Akka.Actor;
using NrtCluster.Actors.Poller;
using NrtCluster.Host.Node;

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
            return await NodeCli.GuardAsync("poll", file, async () =>
            {
                await using var node = ProjectNode.Start(config, reliableTiles: true);
                var settle = parseResult.GetValue(noSettle) ? TimeSpan.Zero : config.SettleDelay;
                var poller = Pipeline.StartPoller(node, settle);
                var completed = await poller.Ask<PollCompleted>(PollNow.Instance, TimeSpan.FromMinutes(10), ct);
                if (completed.Error is not null)
                {
                    Console.Error.WriteLine($"poll: {completed.Error}");
                    return 1;
                }
                Console.WriteLine($"poll: {completed.NewItems} new items, {completed.PendingDays} solar days pending (settle delay {settle}: a day goes to the tiles once it has passed), cursor {completed.CursorUtc:yyyy-MM-dd HH:mm}");
                node.Log.Write("poll", $"new_items={completed.NewItems} pending_days={completed.PendingDays} cursor={completed.CursorUtc:O}");
                var applied = await WaitForTilesAsync(node, poller, ct);
                Console.WriteLine($"poll: tiles settled; {applied} tile-days applied in total; log {node.Log.Path}");
                return 0;
            });
        });
        return command;
    }

    /// <summary>
    /// Reliable delivery hands days over asynchronously: waits until the poller's outbox is empty and the tiles' applied
    /// days stop changing (three checks two seconds apart), at most ten minutes.
    /// </summary>
    private static async Task<int> WaitForTilesAsync(ProjectNode node, IActorRef poller, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddMinutes(10);
        int previous = -1, stable = 0;
        while (DateTime.UtcNow < deadline)
        {
            var status = await poller.Ask<PollerStatus>(GetPollerStatus.Instance, TimeSpan.FromMinutes(1), ct);
            int applied = 0;
            foreach (var tile in node.Footprints.ProjectTiles)
            {
                var s = await node.StatusAsync(tile, ct);
                applied += s.Days.Length;
                if (s.LastDay is { } day) node.Log.Write("poll", $"tile={tile} day={day:yyyy-MM-dd} days={s.Days.Length}");
            }
            stable = status.Outbox == 0 && applied == previous ? stable + 1 : 0;
            if (stable >= 3) return applied;
            previous = applied;
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }
        throw new TimeoutException("the tiles were still applying days after ten minutes; run 'nrtc status' to see where they are.");
    }
}
