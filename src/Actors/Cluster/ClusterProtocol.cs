using System.Collections.Immutable;

namespace NrtCluster.Actors.Cluster;

// Records of the shard view and placement policy. None of them crosses nodes: the policy travels as Akka
// distributed data (ORSet / LWWDictionary of strings, Akka's own serializers) and the view is assembled on the
// asking node from Akka's sharding queries (GetCurrentRegions, GetShardRegionState, Akka's serializers).

/// <summary>
/// The operator's placement policy for one sharded type, replicated to every node: shards pinned to a node (by node
/// address, <c>akka.tcp://system@host:port</c>) and nodes drained of shards. Pins and drains are overrides; every other
/// shard is placed by the least-shard strategy.
/// </summary>
public sealed record PlacementPolicy(ImmutableSortedDictionary<string, string> Pins, ImmutableSortedSet<string> Drained)
{
    public static PlacementPolicy Empty { get; } = new(ImmutableSortedDictionary<string, string>.Empty, ImmutableSortedSet<string>.Empty);

    public string? PinOf(string shardId) => Pins.GetValueOrDefault(shardId);

    public bool IsDrained(string nodeAddress) => Drained.Contains(nodeAddress);
}

/// <summary>Where the shards of a sharded type live, as seen from one node at <see cref="TakenUtc"/>.</summary>
/// <param name="Nodes">Every cluster member, sorted by address.</param>
/// <param name="Shards">Every allocated shard whose region answered, sorted by shard id.</param>
/// <param name="Pins">Shard id -> node address the operator moved it to (also for shards not allocated now).</param>
/// <param name="Drained">Drained node addresses, also of nodes no longer in the cluster (a node rejoining at such an address stays drained).</param>
/// <param name="Unanswered">Addresses of shard regions that did not answer within the timeout: their shards are missing from <see cref="Shards"/>.</param>
public sealed record ClusterView(
    string TypeName,
    DateTime TakenUtc,
    ImmutableArray<NodeView> Nodes,
    ImmutableArray<ShardView> Shards,
    ImmutableSortedDictionary<string, string> Pins,
    ImmutableArray<string> Drained,
    ImmutableArray<string> Unanswered);

/// <param name="Address">The node's address, <c>akka.tcp://system@host:port</c>; the form the move and drain operations take.</param>
/// <param name="Status">Cluster membership status (Joining, Up, Leaving, Exiting, Down, ...).</param>
/// <param name="HostsShards">A shard region of the type runs on the node (it is registered with the coordinator).</param>
/// <param name="IsLeader">The cluster leader (moves members between statuses).</param>
/// <param name="IsOldest">The oldest up member of the sharding role: it hosts the shard coordinator, which applies the placement policy.</param>
public sealed record NodeView(
    string Address,
    string Status,
    bool Reachable,
    ImmutableArray<string> Roles,
    bool HostsShards,
    bool Drained,
    bool IsLeader,
    bool IsOldest,
    int ShardCount,
    int EntityCount);

/// <param name="Node">Address of the node hosting the shard.</param>
/// <param name="Entities">Ids of the entities (tiles) running in the shard now, sorted; idle tiles are passivated and not listed.</param>
/// <param name="PinnedTo">Node the operator pinned the shard to, or null; differs from <see cref="Node"/> while a move is in progress.</param>
public sealed record ShardView(string ShardId, string Node, ImmutableArray<string> Entities, string? PinnedTo)
{
    public int EntityCount => Entities.Length;
}
