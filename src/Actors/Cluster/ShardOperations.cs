using System.Collections.Immutable;
using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Cluster;

/// <summary>
/// The operator's view and control of the tile shards, callable on any node (one that hosts tiles or only a proxy):
/// where every shard lives and which tiles run in it, and moving a shard or draining a node through the replicated
/// <see cref="PlacementPolicy"/>, which the <see cref="PlacementAllocationStrategy"/> applies at its next rebalance round.
/// Bad input throws <see cref="ArgumentException"/> (unknown shard id form, unknown node: the message lists the known
/// nodes); a refused operation throws <see cref="InvalidOperationException"/> (draining the last open node, moving to a drained node).
/// </summary>
public sealed class ShardOperations
{
    private readonly ActorSystem _system;
    private readonly IActorRef _region;
    private readonly string _typeName;
    private readonly string? _role;
    private readonly Akka.Cluster.Cluster _cluster;
    private readonly ShardPlacement _placement;

    /// <param name="tileRegion">The tile shard region (or a proxy to it) of this node.</param>
    public ShardOperations(ActorSystem system, IActorRef tileRegion) : this(system, tileRegion, TileSharding.TypeName) { }

    /// <param name="region">The shard region (or a proxy) of <paramref name="typeName"/> on this node.</param>
    public ShardOperations(ActorSystem system, IActorRef region, string typeName)
    {
        _system = system;
        _region = region;
        _typeName = typeName;
        ClusterSharding.Get(system);    // loads the sharding defaults the settings are read from
        string role = ClusterShardingSettings.Create(system).Role;
        _role = string.IsNullOrEmpty(role) ? null : role;
        _cluster = Akka.Cluster.Cluster.Get(system);
        _placement = ShardPlacement.Get(system);
    }

    /// <summary>
    /// Members, shards with their node and running entities, pins and drains. Regions that do not answer within
    /// <paramref name="timeout"/> are listed in <see cref="ClusterView.Unanswered"/> and their shards left out; takes at
    /// most twice the timeout (the coordinator, then every region at once). Throws <see cref="TimeoutException"/> when
    /// the coordinator does not answer. Shards are empty until the coordinator has started (the first seconds of a cluster).
    /// </summary>
    public async Task<ClusterView> ViewAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var policy = await _placement.ReadAsync(_typeName, cancellationToken);
        CurrentRegions regions;
        try
        {
            regions = await _region.Ask<CurrentRegions>(GetCurrentRegions.Instance, timeout, cancellationToken);
        }
        catch (AskTimeoutException e)
        {
            throw new TimeoutException(
                $"The {_typeName} shard coordinator did not answer within {timeout.TotalSeconds:0.#} s; the cluster may still be forming " +
                "or be partitioned (check the members' status), or give a longer timeout.", e);
        }
        var answers = await Task.WhenAll(regions.Regions.Select(a => RegionStateAsync(a, timeout, cancellationToken)));

        var shards = answers
            .Where(a => a.State is not null)
            .SelectMany(a => a.State!.Shards.Select(s => new ShardView(
                s.ShardId,
                a.Address,
                [.. s.EntityIds.Order(StringComparer.Ordinal)],
                policy.PinOf(s.ShardId))))
            .OrderBy(s => s.ShardId, StringComparer.Ordinal)
            .ToImmutableArray();

        var state = _cluster.State;
        var hosting = regions.Regions.Select(a => a.ToString()).ToHashSet();
        var oldest = ShardMembers(state).Where(m => m.Status == MemberStatus.Up).OrderBy(m => m, Member.AgeOrdering).FirstOrDefault();
        var nodes = state.Members
            .OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m =>
            {
                string address = m.Address.ToString();
                var own = shards.Where(s => s.Node == address).ToList();
                return new NodeView(
                    address,
                    m.Status.ToString(),
                    !state.Unreachable.Contains(m),
                    [.. m.Roles.Order(StringComparer.Ordinal)],
                    hosting.Contains(address),
                    policy.IsDrained(address),
                    m.Address.Equals(state.Leader),
                    m.Equals(oldest),
                    own.Count,
                    own.Sum(s => s.EntityCount));
            })
            .ToImmutableArray();

        return new ClusterView(
            _typeName,
            DateTime.UtcNow,
            nodes,
            shards,
            policy.Pins,
            [.. policy.Drained],
            [.. answers.Where(a => a.State is null).Select(a => a.Address).Order(StringComparer.Ordinal)]);
    }

    /// <summary>
    /// Pins <paramref name="shardId"/> to the node: the shard moves there at the next rebalance round (entities are handed
    /// off and restart on their next message), and stays there until moved again or unpinned. The shard need not be allocated
    /// now. <paramref name="nodeAddress"/>: <c>akka.tcp://system@host:port</c> or <c>host:port</c> of an up node hosting shards.
    /// </summary>
    public async Task MoveShardAsync(string shardId, string nodeAddress, CancellationToken cancellationToken = default)
    {
        ValidateShardId(shardId);
        var member = ResolveNode(nodeAddress, nameof(nodeAddress));
        string address = member.Address.ToString();
        if (member.Status != MemberStatus.Up)
            throw new InvalidOperationException($"Node {address} is {member.Status}, not Up; move shard {shardId} to an up node: {KnownNodes()}.");
        var policy = await _placement.ReadAsync(_typeName, cancellationToken);
        if (policy.IsDrained(address))
            throw new InvalidOperationException($"Node {address} is drained; undrain it first, or move shard {shardId} to another node: {KnownNodes()}.");
        await _placement.PinAsync(_typeName, shardId, address, cancellationToken);
    }

    /// <summary>Removes the pin of <paramref name="shardId"/>: it stays where it is and is balanced like any other shard.</summary>
    public async Task UnpinShardAsync(string shardId, CancellationToken cancellationToken = default)
    {
        ValidateShardId(shardId);
        var policy = await _placement.ReadAsync(_typeName, cancellationToken);
        if (policy.PinOf(shardId) is null)
            throw new ArgumentException($"Shard {shardId} is not pinned; pinned shards: {List(policy.Pins.Keys)}.", nameof(shardId));
        await _placement.UnpinAsync(_typeName, shardId, cancellationToken);
    }

    /// <summary>
    /// Drains a node: its shards move to the other nodes over the next rebalance rounds (pinned ones too) and no shard is
    /// allocated to it while another node can take it. Refused when it would leave no undrained node hosting shards.
    /// </summary>
    public async Task DrainAsync(string nodeAddress, CancellationToken cancellationToken = default)
    {
        var member = ResolveNode(nodeAddress, nameof(nodeAddress));
        string address = member.Address.ToString();
        var policy = await _placement.ReadAsync(_typeName, cancellationToken);
        if (policy.IsDrained(address)) return;
        var open = ShardMembers(_cluster.State)
            .Where(m => m.Status == MemberStatus.Up && !m.Address.Equals(member.Address) && !policy.IsDrained(m.Address.ToString()))
            .ToList();
        if (open.Count == 0)
            throw new InvalidOperationException(
                $"Node {address} is the last up node that is not drained; draining it would leave the shards nowhere to go. " +
                "Undrain or add another node first.");
        await _placement.SetDrainedAsync(_typeName, address, true, cancellationToken);
    }

    /// <summary>Undrains a node (also one no longer in the cluster): the least-shard strategy moves shards back to it over time.</summary>
    public async Task UndrainAsync(string nodeAddress, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(nodeAddress))
            throw new ArgumentException($"The node address is empty; give one of {KnownNodes()}.", nameof(nodeAddress));
        var policy = await _placement.ReadAsync(_typeName, cancellationToken);
        string? drained = policy.Drained.FirstOrDefault(d => SameNode(d, nodeAddress.Trim()));
        if (drained is null)
        {
            var member = ResolveNode(nodeAddress, nameof(nodeAddress));
            if (!policy.IsDrained(member.Address.ToString())) return;
            drained = member.Address.ToString();
        }
        await _placement.SetDrainedAsync(_typeName, drained, false, cancellationToken);
    }

    /// <summary>Shard ids of tiles are <c>s{column block}_{row block}</c> (<see cref="TileId.ShardId"/>), e.g. s3_-2.</summary>
    public static bool IsShardId(string? shardId)
    {
        if (shardId is null || shardId.Length < 4 || shardId[0] != 's') return false;
        int sep = shardId.IndexOf('_', 2);
        return sep > 1
            && int.TryParse(shardId.AsSpan(1, sep - 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
            && int.TryParse(shardId.AsSpan(sep + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
    }

    private void ValidateShardId(string shardId)
    {
        if (string.IsNullOrWhiteSpace(shardId))
            throw new ArgumentException("The shard id is empty; the shards command lists them.", nameof(shardId));
        if (_typeName == TileSharding.TypeName && !IsShardId(shardId))
            throw new ArgumentException(
                $"'{shardId}' is not a tile shard id; expected s<column block>_<row block>, e.g. s3_7 (the shards command lists them).", nameof(shardId));
    }

    private async Task<(string Address, CurrentShardRegionState? State)> RegionStateAsync(Address address, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var region = _system.ActorSelection(new RootActorPath(address) / "system" / "sharding" / _typeName);
        try
        {
            return (address.ToString(), await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, timeout, cancellationToken));
        }
        catch (AskTimeoutException)
        {
            return (address.ToString(), null);
        }
    }

    /// <summary>The member with this address (full or host:port) that can host shards, or an error listing those that can.</summary>
    private Member ResolveNode(string nodeAddress, string parameter)
    {
        if (string.IsNullOrWhiteSpace(nodeAddress))
            throw new ArgumentException($"The node address is empty; give one of {KnownNodes()}.", parameter);
        string wanted = nodeAddress.Trim();
        return ShardMembers(_cluster.State).FirstOrDefault(m => SameNode(m.Address.ToString(), wanted))
            ?? throw new ArgumentException($"No node hosting {_typeName} shards has the address '{wanted}'; known nodes: {KnownNodes()}.", parameter);
    }

    private static bool SameNode(string address, string wanted)
    {
        if (string.Equals(address, wanted, StringComparison.OrdinalIgnoreCase)) return true;
        // host:port, the form an operator reads off the node's start line.
        int at = address.LastIndexOf('@');
        return at >= 0 && string.Equals(address[(at + 1)..], wanted, StringComparison.OrdinalIgnoreCase);
    }

    private IEnumerable<Member> ShardMembers(ClusterEvent.CurrentClusterState state) =>
        state.Members.Where(m => _role is null || m.HasRole(_role));

    private string KnownNodes() => List(ShardMembers(_cluster.State).Select(m => $"{m.Address} ({m.Status})"));

    private static string List(IEnumerable<string> items)
    {
        var all = items.Order(StringComparer.Ordinal).ToList();
        return all.Count == 0 ? "(none)" : string.Join(", ", all);
    }
}
