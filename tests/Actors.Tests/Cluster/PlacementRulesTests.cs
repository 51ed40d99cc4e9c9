using System.Collections.Immutable;
using NrtCluster.Actors.Cluster;

namespace NrtCluster.Actors.Tests.Cluster;

/// <summary>The placement decisions on their own: pins, drains and the least-shard hand-over.</summary>
public sealed class PlacementRulesTests
{
    private const string A = "akka.tcp://nrtcluster@127.0.0.1:4001";
    private const string B = "akka.tcp://nrtcluster@127.0.0.1:4002";
    private const string C = "akka.tcp://nrtcluster@127.0.0.1:4003";

    private static readonly ImmutableHashSet<string> NoneInProgress = [];

    private static ImmutableHashSet<string> InProgress(params string[] shards) => [.. shards];

    private static PlacementPolicy Policy(IEnumerable<(string Shard, string Node)>? pins = null, IEnumerable<string>? drained = null) =>
        new((pins ?? []).ToImmutableSortedDictionary(p => p.Shard, p => p.Node, StringComparer.Ordinal),
            (drained ?? []).ToImmutableSortedSet(StringComparer.Ordinal));

    private static List<RegionInfo> Regions(params (string Address, bool Usable, string[] Shards)[] regions) =>
        [.. regions.Select(r => new RegionInfo(r.Address, r.Usable, r.Shards))];

    [Fact]
    public void Pinned_shard_goes_to_its_node_only_when_that_node_can_take_it()
    {
        var regions = Regions((A, true, ["s0_0"]), (B, true, []), (C, false, []));
        Assert.Equal(B, PlacementRules.PinnedTarget("s1_0", regions, Policy([("s1_0", B)])));
        Assert.Null(PlacementRules.PinnedTarget("s1_0", regions, Policy([("s1_0", C)])));            // not up
        Assert.Null(PlacementRules.PinnedTarget("s1_0", regions, Policy([("s1_0", B)], [B])));       // drained
        Assert.Null(PlacementRules.PinnedTarget("s1_0", regions, Policy([("s1_0", "akka.tcp://nrtcluster@127.0.0.1:9")])));
        Assert.Null(PlacementRules.PinnedTarget("s2_0", regions, Policy([("s1_0", B)])));
    }

    [Fact]
    public void Allocation_candidates_leave_out_drained_nodes_unless_all_are()
    {
        var regions = Regions((A, true, []), (B, true, []), (C, true, []));
        Assert.Equal([A, C], PlacementRules.Candidates(regions, Policy(drained: [B])).Select(r => r.Address));
        Assert.Equal([A, B, C], PlacementRules.Candidates(regions, Policy(drained: [A, B, C])).Select(r => r.Address));
    }

    [Fact]
    public void Misplaced_are_pinned_shards_elsewhere_then_shards_on_drained_nodes_within_the_limit()
    {
        var regions = Regions((A, true, ["s0_0", "s1_0", "s2_0"]), (B, true, ["s3_0", "s4_0"]), (C, true, ["s5_0"]));
        var policy = Policy([("s5_0", A), ("s0_0", A), ("s4_0", C)], [B]);

        // s5_0 pinned to A, s3_0 and s4_0 on drained B (s4_0 also pinned to C); s0_0 sits on its pin.
        Assert.Equal(["s3_0", "s4_0", "s5_0"], PlacementRules.Misplaced(regions, policy, NoneInProgress, 10).Order());
        Assert.Equal(["s4_0", "s5_0"], PlacementRules.Misplaced(regions, policy, NoneInProgress, 2).Order());
        Assert.Equal(["s3_0"], PlacementRules.Misplaced(regions, policy, InProgress("s4_0", "s5_0"), 3));
        Assert.Empty(PlacementRules.Misplaced(regions, policy, InProgress("s4_0", "s5_0"), 2));
    }

    [Fact]
    public void Nothing_is_misplaced_when_no_other_node_can_take_it()
    {
        var regions = Regions((A, true, ["s0_0"]), (B, false, ["s1_0"]));
        Assert.Empty(PlacementRules.Misplaced(regions, Policy([("s0_0", B)]), NoneInProgress, 10));     // B not up
        Assert.Empty(PlacementRules.Misplaced(regions, Policy(drained: [A]), NoneInProgress, 10));       // only A is up
        Assert.Empty(PlacementRules.Misplaced(regions, Policy(drained: [A, B]), NoneInProgress, 10));
    }

    [Fact]
    public void Least_shard_rebalance_sees_no_drained_node_and_never_moves_a_shard_off_its_pin()
    {
        var regions = Regions((A, true, ["s0_0", "s1_0", "s2_0"]), (B, true, []), (C, true, ["s3_0"]));
        var policy = Policy([("s0_0", A), ("s3_0", A)], [B]);
        Assert.Equal([A, C], PlacementRules.ForLeastShardRebalance(regions, policy).Select(r => r.Address));
        Assert.Equal(["s1_0", "s3_0"], PlacementRules.WithoutPinnedInPlace(["s0_0", "s1_0", "s3_0"], regions, policy).Order());
    }
}
