using System.Collections.Immutable;
using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;

namespace NrtCluster.Actors.Cluster;

/// <summary>
/// The <see cref="PlacementPolicy"/> of each sharded type, replicated with Akka distributed data (default replicator,
/// in memory on every node): an LWW dictionary of pins (shard id -> node address) and an OR-set of drained node addresses.
/// Each node keeps the latest copy by subscription (<see cref="Current"/>) for the allocation strategy, which runs
/// wherever the shard coordinator is.
/// </summary>
public sealed class ShardPlacement : IExtension
{
    /// <summary>A policy change is confirmed once a majority of nodes hold it; the rest get it by gossip within seconds.</summary>
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AskSlack = TimeSpan.FromSeconds(2);

    private readonly ExtendedActorSystem _system;
    private readonly IActorRef _replicator;
    private readonly Akka.Cluster.Cluster _cluster;
    private readonly ILoggingAdapter _log;
    private readonly Dictionary<string, Replica> _replicas = [];

    public ShardPlacement(ExtendedActorSystem system)
    {
        _system = system;
        _replicator = DistributedData.Get(system).Replicator;
        _cluster = Akka.Cluster.Cluster.Get(system);
        _log = Logging.GetLogger(system, typeof(ShardPlacement));
    }

    public static ShardPlacement Get(ActorSystem system) => system.WithExtension<ShardPlacement, ShardPlacementProvider>();

    /// <summary>The latest copy of the type's policy this node has received (starts the subscription on first use).</summary>
    public PlacementPolicy Current(string typeName) => ReplicaOf(typeName).Policy;

    /// <summary>The type's policy as this node's replica holds it now, including this node's own latest writes.</summary>
    public async Task<PlacementPolicy> ReadAsync(string typeName, CancellationToken cancellationToken)
    {
        var replica = ReplicaOf(typeName);
        var pins = await GetAsync(replica.PinsKey, cancellationToken) ?? LWWDictionary<string, string>.Empty;
        var drained = await GetAsync(replica.DrainedKey, cancellationToken) ?? ORSet<string>.Empty;
        var policy = Replica.ToPolicy(pins, drained);
        replica.Policy = policy;
        return policy;
    }

    public Task PinAsync(string typeName, string shardId, string nodeAddress, CancellationToken cancellationToken) =>
        UpdateAsync(typeName, ReplicaOf(typeName).PinsKey, LWWDictionary<string, string>.Empty, d => d.SetItem(_cluster, shardId, nodeAddress),
            $"pin shard {shardId} to {nodeAddress}", cancellationToken);

    public Task UnpinAsync(string typeName, string shardId, CancellationToken cancellationToken) =>
        UpdateAsync(typeName, ReplicaOf(typeName).PinsKey, LWWDictionary<string, string>.Empty, d => d.Remove(_cluster, shardId),
            $"unpin shard {shardId}", cancellationToken);

    public Task SetDrainedAsync(string typeName, string nodeAddress, bool drained, CancellationToken cancellationToken) =>
        UpdateAsync(typeName, ReplicaOf(typeName).DrainedKey, ORSet<string>.Empty,
            s => drained ? s.Add(_cluster, nodeAddress) : s.Remove(_cluster, nodeAddress),
            drained ? $"drain {nodeAddress}" : $"undrain {nodeAddress}", cancellationToken);

    private async Task<T?> GetAsync<T>(IKey<T> key, CancellationToken cancellationToken) where T : class, IReplicatedData<T>
    {
        var response = await _replicator.Ask<IGetResponse>(Dsl.Get(key, ReadLocal.Instance), AskSlack, cancellationToken);
        return response.IsFound ? response.Get(key) : null;
    }

    private async Task UpdateAsync<T>(string typeName, IKey<T> key, T initial, Func<T, T> modify, string what, CancellationToken cancellationToken)
        where T : class, IReplicatedData<T>
    {
        var response = await _replicator.Ask<IUpdateResponse>(
            Dsl.Update(key, initial, new WriteMajority(WriteTimeout), modify), WriteTimeout + AskSlack, cancellationToken);
        switch (response)
        {
            case UpdateTimeout:
                // Applied on this node; gossip carries it to the others.
                _log.Warning("Shard placement: {0} not confirmed by a majority within {1}; it spreads by gossip", what, WriteTimeout);
                break;
            case { IsSuccessful: false }:
                throw new InvalidOperationException($"Shard placement: could not {what}: {response}.");
        }
        _log.Info("Shard placement of {0}: {1}", typeName, what);
        await ReadAsync(typeName, cancellationToken);
    }

    private Replica ReplicaOf(string typeName)
    {
        if (string.IsNullOrWhiteSpace(typeName)) throw new ArgumentException("The sharded type name is empty.", nameof(typeName));
        lock (_replicas)
        {
            if (_replicas.TryGetValue(typeName, out var replica)) return replica;
            replica = new Replica(typeName);
            _system.SystemActorOf(Props.Create(() => new PolicySubscriber(_replicator, replica)), "shard-placement-" + Uri.EscapeDataString(typeName));
            _replicas.Add(typeName, replica);
            return replica;
        }
    }

    /// <summary>This node's copy of one type's policy; written by its subscriber, read by the strategy on any thread.</summary>
    private sealed class Replica(string typeName)
    {
        private volatile PlacementPolicy _policy = PlacementPolicy.Empty;

        public LWWDictionaryKey<string, string> PinsKey { get; } = new($"nrtc-shard-pins-{typeName}");
        public ORSetKey<string> DrainedKey { get; } = new($"nrtc-drained-nodes-{typeName}");

        public PlacementPolicy Policy { get => _policy; set => _policy = value; }

        public static PlacementPolicy ToPolicy(LWWDictionary<string, string> pins, ORSet<string> drained) =>
            new(pins.Entries.ToImmutableSortedDictionary(StringComparer.Ordinal), drained.Elements.ToImmutableSortedSet(StringComparer.Ordinal));

        public void Changed(LWWDictionary<string, string> pins) =>
            Policy = Policy with { Pins = pins.Entries.ToImmutableSortedDictionary(StringComparer.Ordinal) };

        public void Changed(ORSet<string> drained) =>
            Policy = Policy with { Drained = drained.Elements.ToImmutableSortedSet(StringComparer.Ordinal) };
    }

    private sealed class PolicySubscriber : ReceiveActor
    {
        public PolicySubscriber(IActorRef replicator, Replica replica)
        {
            replicator.Tell(Dsl.Subscribe(replica.PinsKey, Self));
            replicator.Tell(Dsl.Subscribe(replica.DrainedKey, Self));
            Receive<Changed>(c => c.Key.Equals(replica.PinsKey), c => replica.Changed(c.Get(replica.PinsKey)));
            Receive<Changed>(c => c.Key.Equals(replica.DrainedKey), c => replica.Changed(c.Get(replica.DrainedKey)));
        }
    }
}

public sealed class ShardPlacementProvider : ExtensionIdProvider<ShardPlacement>
{
    public override ShardPlacement CreateExtension(ExtendedActorSystem system) => new(system);
}
