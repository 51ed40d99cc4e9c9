using System.Collections.Immutable;

namespace NrtCluster.Actors.Cluster;

/// <summary>A shard region as the coordinator sees it: its node, whether the node can take shards now (up and reachable), its shards.</summary>
public sealed record RegionInfo(string Address, bool Usable, IReadOnlyList<string> Shards);

/// <summary>
/// The placement decisions of <see cref="PlacementAllocationStrategy"/>, pure: a pinned shard goes to its node when that
/// node can take it; nothing goes to a drained node while another can take it; everything else is left to the least-shard strategy.
/// </summary>
public static class PlacementRules
{
    /// <summary>The node a shard must be allocated to (its pin), or null to let the least-shard strategy choose among <see cref="Candidates"/>.</summary>
    public static string? PinnedTarget(string shardId, IReadOnlyList<RegionInfo> regions, PlacementPolicy policy)
    {
        string? pin = policy.PinOf(shardId);
        return pin is not null && CanTake(pin, regions, policy) ? pin : null;
    }

    /// <summary>The regions ordinary allocation may choose from: those not drained, or all when every one is drained.</summary>
    public static IReadOnlyList<RegionInfo> Candidates(IReadOnlyList<RegionInfo> regions, PlacementPolicy policy)
    {
        var open = regions.Where(r => !policy.IsDrained(r.Address)).ToList();
        return open.Count > 0 ? open : regions;
    }

    /// <summary>
    /// Shards on the wrong node: pinned to another node that can take them, or on a drained node while another node can
    /// take them. At most <paramref name="limit"/> minus the moves already in progress, pinned moves first, in shard order.
    /// </summary>
    public static ImmutableHashSet<string> Misplaced(
        IReadOnlyList<RegionInfo> regions, PlacementPolicy policy, IReadOnlySet<string> inProgress, int limit)
    {
        int room = limit - inProgress.Count;
        if (room <= 0 || !regions.Any(r => r.Usable && !policy.IsDrained(r.Address))) return [];

        var pinned = new List<string>();
        var drained = new List<string>();
        foreach (var region in regions)
        {
            foreach (var shard in region.Shards)
            {
                if (inProgress.Contains(shard)) continue;
                string? pin = policy.PinOf(shard);
                if (pin is not null && pin != region.Address && CanTake(pin, regions, policy)) pinned.Add(shard);
                else if (policy.IsDrained(region.Address)) drained.Add(shard);
            }
        }
        return [.. pinned.Order(StringComparer.Ordinal).Concat(drained.Order(StringComparer.Ordinal)).Take(room)];
    }

    /// <summary>
    /// What the least-shard rebalance may see: the regions of nodes not drained (a drained node would look like the
    /// emptiest and attract shards that allocation then refuses to give it).
    /// </summary>
    public static IReadOnlyList<RegionInfo> ForLeastShardRebalance(IReadOnlyList<RegionInfo> regions, PlacementPolicy policy) =>
        [.. regions.Where(r => !policy.IsDrained(r.Address))];

    /// <summary>
    /// Drops from a least-shard rebalance the shards that sit on their pinned node: allocation would put them straight back.
    /// </summary>
    public static ImmutableHashSet<string> WithoutPinnedInPlace(IEnumerable<string> shards, IReadOnlyList<RegionInfo> regions, PlacementPolicy policy)
    {
        var home = regions.SelectMany(r => r.Shards.Select(s => (Shard: s, r.Address))).ToDictionary(x => x.Shard, x => x.Address);
        return [.. shards.Where(s => policy.PinOf(s) is not { } pin || !home.TryGetValue(s, out var at) || at != pin)];
    }

    private static bool CanTake(string address, IReadOnlyList<RegionInfo> regions, PlacementPolicy policy) =>
        !policy.IsDrained(address) && regions.Any(r => r.Address == address && r.Usable);
}
