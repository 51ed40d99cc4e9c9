using NrtCluster.Actors.Tiles;
using Xunit.Abstractions;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tests.Cluster;

/// <summary>Removing and adding nodes on a real cluster: shards follow, pins wait for their node's address.</summary>
public sealed class NodeLeavingTests(ThreeNodeTileCluster cluster, ITestOutputHelper output) : IClassFixture<ThreeNodeTileCluster>
{
    [Fact]
    public async Task Shards_of_a_leaving_node_go_to_the_others_and_a_pinned_one_returns_when_a_node_rejoins_at_its_address()
    {
        var first = cluster.Nodes[0];
        var leaving = cluster.Nodes[2];
        TileId[] tiles = [.. Enumerable.Range(0, 6).Select(i => new TileId(i, 400))];
        string pinned = ThreeNodeTileCluster.ShardOf(tiles[0]);
        await cluster.Wake(tiles, first);
        await first.Shards.MoveShardAsync(pinned, leaving.Address);
        await ThreeNodeTileCluster.ViewWhen(first, $"shard {pinned} on {leaving.Address}", v => ThreeNodeTileCluster.NodeOf(v, pinned) == leaving.Address, output);

        // The node leaves gracefully (its shards are handed off); woken again, every tile finds a shard on the other two.
        int port = leaving.Port;
        await leaving.System.Terminate();
        cluster.Nodes.Remove(leaving);
        await ThreeNodeTileCluster.ViewWhen(first, "two nodes left", v => v.Nodes.Length == 2 && v.Shards.All(s => s.Node != leaving.Address), output);
        await cluster.Wake(tiles, first);
        var (without, _) = await ThreeNodeTileCluster.ViewWhen(first, "the six shards on the two nodes",
            v => tiles.All(t => ThreeNodeTileCluster.NodeOf(v, ThreeNodeTileCluster.ShardOf(t)) is not null), output);
        Assert.All(without.Shards, s => Assert.NotEqual(leaving.Address, s.Node));
        Assert.Equal(leaving.Address, without.Pins[pinned]);
        Assert.Equal(leaving.Address, without.Shards.Single(s => s.ShardId == pinned).PinnedTo);
        var gone = await Assert.ThrowsAsync<ArgumentException>(() => first.Shards.MoveShardAsync(pinned, leaving.Address));
        Assert.Contains("known nodes", gone.Message);

        // A new node at the same address takes its pinned shard back; the view lists it with its shard.
        var rejoined = cluster.StartNode(port);
        Assert.Equal(leaving.Address, rejoined.Address);
        var (with, took) = await ThreeNodeTileCluster.ViewWhen(first, $"shard {pinned} back on the rejoined {rejoined.Address}",
            v => ThreeNodeTileCluster.NodeOf(v, pinned) == rejoined.Address, output);
        var node = with.Nodes.Single(n => n.Address == rejoined.Address);
        Assert.Equal("Up", node.Status);
        Assert.True(node.HostsShards);
        Assert.True(node.ShardCount >= 1);
        output.WriteLine($"rejoin to pinned shard back: {took.TotalSeconds:F1} s");
    }
}
