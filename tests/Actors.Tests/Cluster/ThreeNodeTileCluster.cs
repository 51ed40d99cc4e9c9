using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using NrtCluster.Actors.Cluster;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Tests.Support;
using NrtCluster.Actors.Tiles;
using Xunit.Abstractions;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tests.Cluster;

/// <summary>
/// Three actor systems on 127.0.0.1 (random ports) forming a real cluster, each hosting the real tile shard region
/// (with the placement strategy) on one shared SQLite file; tiles are woken with status queries. Shard block size 1,
/// so every tile is a shard of its own. Plus the view helpers of the tests.
/// </summary>
public sealed class ThreeNodeTileCluster : IAsyncLifetime
{
    public const int ShardBlockSize = 1;
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ViewTimeout = TimeSpan.FromSeconds(5);

    private readonly TempFolder _temp = new();
    private KernelMonitorEngine? _engine;
    private CaseObservationSource? _source;

    public sealed record Node(ActorSystem System, IActorRef Region, ShardOperations Shards, string Address)
    {
        public int Port => Akka.Cluster.Cluster.Get(System).SelfAddress.Port!.Value;
    }

    public List<Node> Nodes { get; } = [];

    public async Task InitializeAsync()
    {
        var data = ConformanceCase.Load("cusum_roc");
        _engine = data.Engine();
        _source = new CaseObservationSource(data);
        for (int i = 0; i < 3; i++) StartNode();
        await Eventually.Until(() => Nodes.All(n => Akka.Cluster.Cluster.Get(n.System).State.Members.Count(m => m.Status == MemberStatus.Up) == 3),
            Limit, "all three nodes up on every node");
    }

    /// <summary>Starts a node (on <paramref name="port"/>, or a free one) joining the first, with its tile region.</summary>
    public Node StartNode(int port = 0)
    {
        var config = AkkaProfiles.Load(new NodeOptions(NodeProfile.Embedded, _temp.Path)
        {
            HoconFolder = RepoPaths.HoconFolder,
            Port = port,
            ExtraHocon = "akka.loglevel = WARNING",
        });
        var system = ActorSystem.Create(AkkaProfiles.SystemName, config);
        var cluster = Akka.Cluster.Cluster.Get(system);
        cluster.Join(Nodes.Count == 0 ? cluster.SelfAddress : Akka.Cluster.Cluster.Get(Nodes[0].System).SelfAddress);
        var settings = TileActorSettings.FromConfig(system.Settings.Config, _engine!, _source!, null, null);
        var region = TileSharding.Start(system, settings, ShardBlockSize);
        var node = new Node(system, region, new ShardOperations(system, region), cluster.SelfAddress.ToString());
        Nodes.Add(node);
        return node;
    }

    /// <summary>Newest first, each leaving while the others are up, so every leave completes without waiting for timeouts.</summary>
    public async Task DisposeAsync()
    {
        for (int i = Nodes.Count - 1; i >= 0; i--) await Nodes[i].System.Terminate();
        _temp.Dispose();
    }

    public static string ShardOf(TileId tile) => tile.ShardId(ShardBlockSize);

    public static string? NodeOf(ClusterView view, string shard) => view.Shards.FirstOrDefault(s => s.ShardId == shard)?.Node;

    /// <summary>Wakes the tiles through a node's region (each answers its status from its shard, wherever that is).</summary>
    public async Task Wake(IEnumerable<TileId> tiles, Node from)
    {
        var statuses = await Task.WhenAll(tiles.Select(t => from.Region.Ask<TileStatus>(new GetTileStatus(t), Limit)));
        Assert.All(statuses, s => Assert.Equal(0, s.FitNumber));
    }

    /// <summary>Polls the view asked on <paramref name="from"/> until <paramref name="condition"/> holds; returns that view and how long it took.</summary>
    public static async Task<(ClusterView View, TimeSpan Took)> ViewWhen(
        Node from, string what, Func<ClusterView, bool> condition, ITestOutputHelper output)
    {
        var clock = Stopwatch.StartNew();
        ClusterView? view = null;
        await Eventually.Until(async () => condition(view = await from.Shards.ViewAsync(ViewTimeout)), Limit, what, () => Describe(view));
        output.WriteLine($"{what}: {clock.Elapsed.TotalSeconds:F1} s");
        return (view!, clock.Elapsed);
    }

    public static string Describe(ClusterView? view) => view is null ? "no view" :
        "Nodes: " + string.Join(", ", view.Nodes.Select(n => $"{n.Address} {n.Status}{(n.Drained ? " drained" : "")}")) +
        ". Shards: " + string.Join("; ", view.Shards.Select(s => $"{s.ShardId}@{s.Node}[{string.Join(",", s.Entities)}]")) +
        ". Pins: " + string.Join(", ", view.Pins.Select(p => $"{p.Key}->{p.Value}"));
}
