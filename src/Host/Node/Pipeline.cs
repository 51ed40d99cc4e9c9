using Akka.Actor;
using NrtCluster.Actors.Poller;

namespace NrtCluster.Host.Node;

/// <summary>The STAC poller singleton of a node: searches from the end of the history (minus an overlap) and hands new days to the tiles.</summary>
public static class Pipeline
{
    /// <summary>Items published up to this long after an earlier poll's cursor are still found (late granules).</summary>
    public static readonly TimeSpan Overlap = TimeSpan.FromDays(2);

    public static IActorRef StartPoller(ProjectNode node, TimeSpan? settleDelay = null) =>
        StacPollerSingleton.Start(node.System, new StacPollerSettings(node.Archive, node.Footprints,
            new PollerRules(node.HistoryEndUtc, Overlap, settleDelay ?? node.Config.SettleDelay), node.Config.PollInterval, node.Tiles));
}
