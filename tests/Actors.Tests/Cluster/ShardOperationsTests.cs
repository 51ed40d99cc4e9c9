using Akka.Actor;
using NrtCluster.Actors.Cluster;
using NrtCluster.Actors.Tiles;
using Xunit.Abstractions;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tests.Cluster;

/// <summary>The shard view, moves, drains and input errors on a real three-node cluster (see <see cref="ThreeNodeTileCluster"/>).</summary>
public sealed class ShardOperationsTests(ThreeNodeTileCluster cluster, ITestOutputHelper output) : IClassFixture<ThreeNodeTileCluster>
{
    private ThreeNodeTileCluster.Node First => cluster.Nodes[0];

    private ShardOperations Ops => First.Shards;

    private static string ShardOf(TileId tile) => ThreeNodeTileCluster.ShardOf(tile);

    private static string? NodeOf(ClusterView view, string shard) => ThreeNodeTileCluster.NodeOf(view, shard);

    private Task<(ClusterView View, TimeSpan Took)> ViewWhen(string what, Func<ClusterView, bool> condition, ThreeNodeTileCluster.Node? from = null) =>
        ThreeNodeTileCluster.ViewWhen(from ?? First, what, condition, output);

    [Fact]
    public async Task View_lists_the_three_nodes_and_every_allocated_shard_with_its_node_and_tiles()
    {
        TileId[] tiles = [.. Enumerable.Range(0, 9).Select(i => new TileId(i, 100))];
        await cluster.Wake(tiles, First);
        var shards = tiles.Select(ShardOf).ToHashSet();
        var addresses = cluster.Nodes.Select(n => n.Address).Order(StringComparer.Ordinal).ToList();

        // Asked on the third node: the view is the cluster's, not the asking node's. Its copy of the placement policy may
        // still show an undrain of another test as pending (distributed data is gossiped), so that is waited for too.
        var (view, _) = await ViewWhen("the nine shards listed, no node drained",
            v => shards.IsSubsetOf(v.Shards.Select(s => s.ShardId)) && v.Nodes.All(n => !n.Drained), cluster.Nodes[2]);

        Assert.Equal("tile", view.TypeName);
        Assert.Equal(addresses, view.Nodes.Select(n => n.Address));
        Assert.All(view.Nodes, n =>
        {
            Assert.Equal("Up", n.Status);
            Assert.True(n.Reachable);
            Assert.True(n.HostsShards);
            Assert.False(n.Drained);
            Assert.Contains("tiles", n.Roles);
        });
        Assert.Single(view.Nodes, n => n.IsOldest);
        Assert.Single(view.Nodes, n => n.IsLeader);
        Assert.Empty(view.Unanswered);
        foreach (var tile in tiles)
        {
            var shard = Assert.Single(view.Shards, s => s.ShardId == ShardOf(tile));
            Assert.Contains(shard.Node, addresses);
            Assert.Equal(tile.ToString(), Assert.Single(shard.Entities));
            Assert.Equal(1, shard.EntityCount);
        }
        Assert.Equal(view.Shards.Length, view.Nodes.Sum(n => n.ShardCount));
        Assert.Equal(view.Shards.Sum(s => s.EntityCount), view.Nodes.Sum(n => n.EntityCount));
    }

    [Fact]
    public async Task Moving_a_shard_and_draining_a_node_show_in_the_view_within_seconds_and_undrain_lets_shards_back()
    {
        TileId[] tiles = [.. Enumerable.Range(0, 6).Select(i => new TileId(i, 200))];
        await cluster.Wake(tiles, First);
        var (before, _) = await ViewWhen("the six shards listed", v => tiles.All(t => NodeOf(v, ShardOf(t)) is not null));

        // Move: a shard to a node it is not on.
        var target = cluster.Nodes[1].Address;
        var moved = tiles.First(t => NodeOf(before, ShardOf(t)) != target);
        string shard = ShardOf(moved);
        await Ops.MoveShardAsync(shard, target);
        var (afterMove, took) = await ViewWhen($"shard {shard} on {target}", v => NodeOf(v, shard) == target);
        Assert.Equal(target, afterMove.Pins[shard]);
        Assert.Equal(target, afterMove.Shards.Single(s => s.ShardId == shard).PinnedTo);
        output.WriteLine($"move shown after {took.TotalSeconds:F1} s");
        // Its tile restarts there on its next message.
        await cluster.Wake([moved], cluster.Nodes[2]);
        await ViewWhen($"tile {moved} running in {shard} on {target}",
            v => v.Shards.Any(s => s.ShardId == shard && s.Node == target && s.Entities.Contains(moved.ToString())));

        try
        {
            // Drain the target (given as host:port): its shards leave, the pinned one too (a drain wins over a pin).
            await Ops.DrainAsync(target[(target.LastIndexOf('@') + 1)..]);
            var (drained, _) = await ViewWhen($"no shard on drained {target}", v => v.Shards.All(s => s.Node != target) && v.Shards.Any(s => s.ShardId == shard));
            Assert.True(drained.Nodes.Single(n => n.Address == target).Drained);
            Assert.Equal(target, Assert.Single(drained.Drained));
            Assert.Equal(0, drained.Nodes.Single(n => n.Address == target).ShardCount);

            // New shards, woken from the drained node itself, go elsewhere.
            TileId[] fresh = [.. Enumerable.Range(0, 6).Select(i => new TileId(i, 300))];
            await cluster.Wake(fresh, cluster.Nodes[1]);
            var (withFresh, _) = await ViewWhen("the new shards listed", v => fresh.All(t => NodeOf(v, ShardOf(t)) is not null));
            Assert.All(fresh, t => Assert.NotEqual(target, NodeOf(withFresh, ShardOf(t))));
        }
        finally
        {
            await Ops.UndrainAsync(target);
        }

        // Undrained, the node takes its pinned shard back.
        var (undrained, _) = await ViewWhen($"shard {shard} back on undrained {target}", v => NodeOf(v, shard) == target);
        Assert.False(undrained.Nodes.Single(n => n.Address == target).Drained);
        Assert.Empty(undrained.Drained);

        await Ops.UnpinShardAsync(shard);
        await ViewWhen($"shard {shard} unpinned", v => !v.Pins.ContainsKey(shard));
    }

    [Fact]
    public async Task Bad_inputs_and_refused_operations_give_clear_errors()
    {
        var addresses = cluster.Nodes.Select(n => n.Address).ToList();

        var badShard = await Assert.ThrowsAsync<ArgumentException>(() => Ops.MoveShardAsync("x3_y7", addresses[1]));
        Assert.Contains("'x3_y7' is not a tile shard id", badShard.Message);
        Assert.Contains("s<column block>_<row block>", badShard.Message);

        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => Ops.MoveShardAsync("s1_2", "127.0.0.1:1"));
        Assert.Contains("'127.0.0.1:1'", unknown.Message);
        Assert.All(addresses, a => Assert.Contains(a, unknown.Message));

        var unknownDrain = await Assert.ThrowsAsync<ArgumentException>(() => Ops.DrainAsync("akka.tcp://nrtcluster@10.0.0.1:4053"));
        Assert.All(addresses, a => Assert.Contains(a, unknownDrain.Message));
        await Assert.ThrowsAsync<ArgumentException>(() => Ops.DrainAsync(" "));

        var notPinned = await Assert.ThrowsAsync<ArgumentException>(() => Ops.UnpinShardAsync("s9_9"));
        Assert.Contains("s9_9 is not pinned", notPinned.Message);

        try
        {
            await Ops.DrainAsync(addresses[0]);
            await Ops.DrainAsync(addresses[0]);     // again: no change, no error
            var toDrained = await Assert.ThrowsAsync<InvalidOperationException>(() => Ops.MoveShardAsync("s1_2", addresses[0]));
            Assert.Contains("is drained", toDrained.Message);

            await Ops.DrainAsync(addresses[1]);
            var last = await Assert.ThrowsAsync<InvalidOperationException>(() => Ops.DrainAsync(addresses[2]));
            Assert.Contains($"Node {addresses[2]} is the last up node that is not drained", last.Message);
            var (view, _) = await ViewWhen("two nodes drained", v => v.Drained.Length == 2);
            Assert.False(view.Nodes.Single(n => n.Address == addresses[2]).Drained);
        }
        finally
        {
            await Ops.UndrainAsync(addresses[0]);
            await Ops.UndrainAsync(addresses[1]);
        }
        await ViewWhen("no node drained", v => v.Drained.IsEmpty);
    }
}
