using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace NrtCluster.Actors.Cluster;

/// <summary>
/// Shard allocation that follows the operator's <see cref="PlacementPolicy"/> (see <see cref="PlacementRules"/>) and
/// otherwise the least-shard strategy: a pinned shard goes to its node, drained nodes get no shards, and every rebalance
/// round first moves shards that sit on the wrong node (at most the least-shard absolute limit per round), then lets the
/// least-shard strategy even out the rest. Only the instance on the node running the shard coordinator is used; it reads
/// the policy from that node's replica, so a change takes effect at the next rebalance round (akka.cluster.sharding.rebalance-interval).
/// </summary>
public sealed class PlacementAllocationStrategy : IActorSystemDependentAllocationStrategy
{
    private static readonly ImmutableHashSet<MemberStatus> Usable = [MemberStatus.Up, MemberStatus.WeaklyUp];
    private static readonly ImmutableHashSet<MemberStatus> Joining = [MemberStatus.Joining, MemberStatus.WeaklyUp];

    private readonly string _typeName;
    private readonly IShardAllocationStrategy _leastShard;
    private readonly int _moveLimit;
    private ShardPlacement? _placement;
    private Akka.Cluster.Cluster? _cluster;

    /// <param name="leastShard">The strategy for everything the policy leaves open (Akka's least-shard strategy).</param>
    /// <param name="moveLimit">Most shards moved off wrong nodes per rebalance round.</param>
    public PlacementAllocationStrategy(string typeName, IShardAllocationStrategy leastShard, int moveLimit)
    {
        _typeName = typeName;
        _leastShard = leastShard;
        _moveLimit = moveLimit >= 1 ? moveLimit : throw new ArgumentOutOfRangeException(nameof(moveLimit), moveLimit, "At least one shard must move per rebalance round.");
    }

    /// <summary>
    /// The strategy for <paramref name="typeName"/> over Akka's default least-shard strategy of <paramref name="settings"/>,
    /// moving at most <c>akka.cluster.sharding.least-shard-allocation-strategy.rebalance-absolute-limit</c> shards per round.
    /// </summary>
    public static PlacementAllocationStrategy Create(ActorSystem system, string typeName, ClusterShardingSettings settings)
    {
        // Every node subscribes to the policy from the start, so a node taking over the coordinator already holds it.
        ShardPlacement.Get(system).Current(typeName);
        return new(typeName,
            ClusterSharding.Get(system).DefaultShardAllocationStrategy(settings),
            Math.Max(1, system.Settings.Config.GetInt("akka.cluster.sharding.least-shard-allocation-strategy.rebalance-absolute-limit", 10)));
    }

    public void Start(ActorSystem system)
    {
        _cluster = Akka.Cluster.Cluster.Get(system);
        _placement = ShardPlacement.Get(system);
        _placement.Current(_typeName);     // subscribes, when built without Create
        switch (_leastShard)
        {
            case IActorSystemDependentAllocationStrategy s: s.Start(system); break;
            case IStartableAllocationStrategy s: s.Start(); break;
        }
    }

    public Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations)
    {
        var (policy, regions, refs) = Snapshot(currentShardAllocations);
        if (PlacementRules.PinnedTarget(shardId, regions, policy) is { } pinned) return Task.FromResult(refs[pinned]);
        var candidates = PlacementRules.Candidates(regions, policy);
        return _leastShard.AllocateShard(requester, shardId, Allocations(candidates, refs, currentShardAllocations));
    }

    public async Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations, IImmutableSet<string> rebalanceInProgress)
    {
        if (!IsAGoodTimeToRebalance()) return ImmutableHashSet<string>.Empty;
        var (policy, regions, refs) = Snapshot(currentShardAllocations);
        var misplaced = PlacementRules.Misplaced(regions, policy, rebalanceInProgress.ToImmutableHashSet(), _moveLimit);
        if (!misplaced.IsEmpty) return misplaced;
        var open = PlacementRules.ForLeastShardRebalance(regions, policy);
        if (open.Count == 0) return ImmutableHashSet<string>.Empty;
        var balancing = await _leastShard.Rebalance(Allocations(open, refs, currentShardAllocations), rebalanceInProgress);
        return PlacementRules.WithoutPinnedInPlace(balancing, regions, policy);
    }

    /// <summary>As Akka's least-shard strategy: a hand-off needs every region's acknowledgement, and joining nodes should settle first.</summary>
    private bool IsAGoodTimeToRebalance()
    {
        var state = Cluster.State;
        return state.Unreachable.IsEmpty && !state.Members.Any(m => Joining.Contains(m.Status));
    }

    private (PlacementPolicy Policy, IReadOnlyList<RegionInfo> Regions, Dictionary<string, IActorRef> Refs) Snapshot(
        IImmutableDictionary<IActorRef, IImmutableList<string>> allocations)
    {
        var policy = (_placement ?? throw NotStarted()).Current(_typeName);
        var state = Cluster.State;
        var members = state.Members.ToDictionary(m => m.Address);
        var regions = new List<RegionInfo>(allocations.Count);
        var refs = new Dictionary<string, IActorRef>(allocations.Count);
        foreach (var (region, shards) in allocations)
        {
            // The coordinator's own node's region has a local path.
            var address = region.Path.Address.HasLocalScope ? Cluster.SelfAddress : region.Path.Address;
            bool usable = members.TryGetValue(address, out var member) && Usable.Contains(member.Status) && !state.Unreachable.Contains(member);
            string key = address.ToString();
            regions.Add(new RegionInfo(key, usable, shards));
            refs[key] = region;
        }
        return (policy, regions, refs);
    }

    private static IImmutableDictionary<IActorRef, IImmutableList<string>> Allocations(
        IReadOnlyList<RegionInfo> regions, Dictionary<string, IActorRef> refs, IImmutableDictionary<IActorRef, IImmutableList<string>> all) =>
        regions.Count == refs.Count ? all : regions.ToImmutableDictionary(r => refs[r.Address], r => all[refs[r.Address]]);

    private Akka.Cluster.Cluster Cluster => _cluster ?? throw NotStarted();

    private InvalidOperationException NotStarted() =>
        new($"The placement allocation strategy of '{_typeName}' was used before Start(system); sharding starts it on the coordinator node.");

    public override string ToString() => $"PlacementAllocationStrategy({_typeName}, {_leastShard}, move limit {_moveLimit})";
}
