using System.Collections.Concurrent;
using Akka.Actor;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tests.Support;

/// <summary>An embedded node (real SQLite in <paramref name="outputFolder"/>) with the tile shard region started.</summary>
public sealed class TileNode : IAsyncDisposable
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    private TileNode(ActorSystem system, IActorRef region, ConcurrentQueue<TileAlert> alerts)
    {
        System = system;
        Region = region;
        Alerts = alerts;
    }

    public ActorSystem System { get; }
    public IActorRef Region { get; }
    public ConcurrentQueue<TileAlert> Alerts { get; }

    /// <summary>The processing grid of the tests: EPSG:3035, 20 m, tiles of the conformance cases' 24 x 24 pixels.</summary>
    public static ProcessingGrid Grid { get; } = new("EPSG:3035", 20, 5_200_000, 2_900_000, 24);

    public static GeoTiffTileReportWriter ReportWriter(string outputFolder, KernelMonitorEngine engine) =>
        new(Grid, outputFolder, ["mask", "detection_date"], engine);

    public static TileNode Start(string outputFolder, KernelMonitorEngine engine, IObservationSource source, int snapshotsToKeep = 2) =>
        Start(new NodeOptions(NodeProfile.Embedded, outputFolder), engine, source, snapshotsToKeep);

    /// <summary>A node of the cluster profile on PostgreSQL, alone (it joins itself), on a free port.</summary>
    public static TileNode StartClustered(string outputFolder, string postgres, KernelMonitorEngine engine, IObservationSource source) =>
        Start(new NodeOptions(NodeProfile.Cluster, outputFolder) { Port = 0, PostgresConnectionString = postgres }, engine, source, 2);

    private static TileNode Start(NodeOptions options, KernelMonitorEngine engine, IObservationSource source, int snapshotsToKeep)
    {
        string outputFolder = options.OutputFolder;
        var system = AkkaProfiles.Start(options with { HoconFolder = RepoPaths.HoconFolder, ExtraHocon = "akka.loglevel = WARNING" });
        var alerts = new ConcurrentQueue<TileAlert>();
        var sink = system.ActorOf(Props.Create(() => new AlertCollector(alerts)), "alerts");
        var settings = TileActorSettings.FromConfig(system.Settings.Config, engine, source, ReportWriter(outputFolder, engine), sink) with
        {
            SnapshotsToKeep = snapshotsToKeep,
        };
        var region = TileSharding.Start(system, settings);
        return new TileNode(system, region, alerts);
    }

    public Task<T> Ask<T>(ITileMessage message) => Region.Ask<T>(message, AskTimeout);

    public Task<TileState> State(TileId tile) => Ask<TileState>(new TileActor.GetTileState(tile));

    /// <summary>Stops the node abruptly (as a crash would), leaving whatever the database holds; its pooled connections go with it.</summary>
    public async ValueTask DisposeAsync()
    {
        await System.Terminate();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    private sealed class AlertCollector : ReceiveActor
    {
        public AlertCollector(ConcurrentQueue<TileAlert> alerts) => Receive<TileAlert>(alerts.Enqueue);
    }
}
