using System.Collections.Immutable;
using System.Globalization;
using Akka.Actor;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Sources;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Host.Node;

/// <summary>What became of the items of one push (<see cref="PushedItems.AcceptAsync"/>).</summary>
/// <param name="Received">Items in the document, valid or not.</param>
/// <param name="Accepted">Ids the poller recorded: they reach the tiles once their solar day has settled.</param>
/// <param name="Duplicates">Items the poller had already (polled or pushed before), or given twice in the push.</param>
/// <param name="Rejected">Items that are not valid STAC, whose footprint the grid cannot place, or whose id came before with another datetime.</param>
/// <param name="Ignored">Valid items the project does not take (another collection, too cloudy, outside the area, within the history).</param>
public sealed record PushOutcome(int Received, ImmutableArray<string> Accepted, int Duplicates, ImmutableArray<RejectedItem> Rejected, ImmutableArray<RejectedItem> Ignored);

/// <summary>
/// Items a provider pushes to a node (a push subscription, an item-notification topic) instead of waiting for the next poll:
/// validated as polled items are, filtered to the project (collection, cloud cover, area, after the history) and handed to
/// the poller (<see cref="ItemsPushed"/>), which records them like polled ones: the same settle delay, dedupe by id and
/// reliable delivery to the tiles.
/// </summary>
public static class PushedItems
{
    /// <summary>Longest wait for the poller to record a push.</summary>
    public static readonly TimeSpan PollerTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Takes the items of <paramref name="body"/> (a STAC item, an item collection, or a JSON array of items) read from
    /// <paramref name="location"/>. A body that holds no items throws <see cref="StacFormatException"/>; a poller that does
    /// not answer within <see cref="PollerTimeout"/>, <see cref="AskTimeoutException"/> (nothing is recorded then).
    /// </summary>
    public static async Task<PushOutcome> AcceptAsync(ProjectNode node, string body, string location, CancellationToken ct)
    {
        var parsed = StacJson.ParseItems(StacJson.ParseDocument(body, location), location);
        var items = StacItemList.Collect([parsed]);
        var filter = ProjectItemFilter.Of(node.Config);
        var ignored = ImmutableArray.CreateBuilder<RejectedItem>();
        var taken = new List<StacItem>();
        foreach (var item in items)
        {
            var why = item.DateTime.UtcDateTime <= node.HistoryEndUtc
                ? string.Create(CultureInfo.InvariantCulture,
                    $"acquired {item.DateTime.UtcDateTime:yyyy-MM-dd}, within the history (project.history.end = {node.Config.HistoryEnd:yyyy-MM-dd}): the fit covers it")
                : filter.Excludes(item);
            if (why is null) taken.Add(item);
            else ignored.Add(new RejectedItem(item.Id, item.Source, why));
        }
        var found = ItemDiscovery.Discover(new StacItemList(taken, items.Rejected), node.Footprints, node.Profile);
        foreach (var outside in found.Items.Where(i => i.Tiles.IsEmpty))
            ignored.Add(new RejectedItem(outside.Id, location, "its footprint touches no tile of the project's area (project.area-of-interest)"));
        var recorded = await node.Poller.Ask<ItemsPushedRecorded>(
            new ItemsPushed([.. found.Items.Where(i => !i.Tiles.IsEmpty)], found.Rejected), PollerTimeout, ct).ConfigureAwait(false);
        int received = parsed.Count + parsed.Rejected.Count;
        var outcome = new PushOutcome(received, recorded.Accepted, received - recorded.Accepted.Length - recorded.Rejected.Length - ignored.Count,
            recorded.Rejected, ignored.ToImmutable());
        node.Log.Write("push", $"items={received} accepted={outcome.Accepted.Length} duplicates={outcome.Duplicates} rejected={outcome.Rejected.Length} ignored={outcome.Ignored.Length}");
        return outcome;
    }
}
