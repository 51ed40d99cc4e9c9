using System.Globalization;
using Akka.Actor;
using Akka.Cluster.Sharding;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tiles;

/// <summary>
/// Routes <see cref="ITileMessage"/>s: entity id = tile id, shard id = the block of neighbouring tiles
/// (see <see cref="TileShards.ShardId"/>), so tiles that share STAC items move between nodes together.
/// </summary>
public sealed class TileMessageExtractor(int shardBlockSize) : IMessageExtractor
{
    public int ShardBlockSize { get; } = shardBlockSize >= 1
        ? shardBlockSize
        : throw new ArgumentOutOfRangeException(nameof(shardBlockSize), shardBlockSize, "The shard block size must be at least 1 tile.");

    public string? EntityId(object message) => message switch
    {
        ITileMessage m => m.Tile.ToString(),
        _ => null,
    };

    public object? EntityMessage(object message) => message;

    public string? ShardId(object message) => message switch
    {
        ITileMessage m => m.Tile.ShardId(ShardBlockSize),
        _ => null,
    };

    /// <summary>Used by sharding itself (remembered entities, StartEntity), which Akka handles before the other methods.</summary>
    public string ShardId(string entityId, object? messageHint = null) => TileId.Parse(entityId).ShardId(ShardBlockSize);
}

public static class TileSharding
{
    public const string TypeName = "tile";

    /// <summary>Starts the tile shard region with the shard block size of <c>nrtcluster.tiles.shard-block-size</c>.</summary>
    public static IActorRef Start(ActorSystem system, TileActorSettings settings) =>
        Start(system, settings, system.Settings.Config.GetInt("nrtcluster.tiles.shard-block-size", 4));

    /// <summary>Starts the tile shard region on this node (nodes of the sharding role, when akka.cluster.sharding.role is set).</summary>
    public static IActorRef Start(ActorSystem system, TileActorSettings settings, int shardBlockSize)
    {
        settings.Validate();
        // The extension first: it adds the sharding defaults the settings are read from.
        var sharding = ClusterSharding.Get(system);
        var shardingSettings = ClusterShardingSettings.Create(system);
        return sharding.Start(
            TypeName,
            entityId => TileActor.Props(TileId.Parse(entityId), settings),
            shardingSettings,
            new TileMessageExtractor(shardBlockSize),
            // Least-shard allocation, overridden by the operator's moves and drains (NrtCluster.Actors.Cluster.ShardOperations).
            Cluster.PlacementAllocationStrategy.Create(system, TypeName, shardingSettings),
            PoisonPill.Instance);
    }
}

public static class TileShards
{
    /// <summary>
    /// Shard of this tile: the block of <paramref name="blockSize"/> x <paramref name="blockSize"/> tiles it falls in,
    /// so neighbouring tiles (which share STAC items and are read together) live on the same node.
    /// </summary>
    public static string ShardId(this TileId tile, int blockSize)
    {
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "The shard block size must be at least 1 tile.");
        int bc = (int)Math.Floor(tile.Column / (double)blockSize);
        int br = (int)Math.Floor(tile.Row / (double)blockSize);
        return string.Create(CultureInfo.InvariantCulture, $"s{bc}_{br}");
    }
}
