using Akka.Actor;
using NrtCluster.Actors.Poller;

namespace NrtCluster.Host.Node;

/// <summary>
/// The STAC poller singleton of a node (<see cref="ProjectNode.Poller"/>): searches from the end of the history (minus an
/// overlap) and hands new days to the tiles, and backfills fast-forwards' ranges.
/// </summary>
public static class Pipeline
{
    /// <summary>Items published up to this long after an earlier poll's cursor are still found (late granules).</summary>
    public static readonly TimeSpan Overlap = TimeSpan.FromDays(2);

    /// <param name="scheduled">False: the poller searches only when asked (<see cref="PollNow"/>), not on its interval.</param>
    internal static IActorRef StartPoller(ProjectNode node, TimeSpan? settleDelay = null, bool scheduled = true) =>
        StacPollerSingleton.Start(node.System, new StacPollerSettings(node.Archive, node.Footprints,
            new PollerRules(node.HistoryEndUtc, Overlap, settleDelay ?? node.Config.SettleDelay), node.Config.PollInterval, node.Tiles)
        {
            Scheduled = scheduled,
            Profile = node.Profile,
        });
}
