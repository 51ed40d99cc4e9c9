using System.Collections.Immutable;
using Akka.Actor;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Jobs;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Reports;
using NrtCluster.Actors.Sources;
using NrtCluster.Actors.Tiles;

namespace NrtCluster.Host.Node;

/// <summary>
/// A node running one project: the actor system of its profile, the report aggregator singleton, the tile shard region
/// with the STAC observation source and GeoTIFF reports, and the jobs (fit, fast-forward) driven from the command line.
/// </summary>
public sealed class ProjectNode : IAsyncDisposable
{
    private ProjectNode(ProjectConfig config, ActorSystem system, IActorRef reports, IActorRef tiles, IStacArchive archive,
        GridTileFootprints footprints, HttpClient http, NodeLog log)
    {
        Config = config;
        System = system;
        Reports = reports;
        Tiles = tiles;
        Archive = archive;
        Footprints = footprints;
        Http = http;
        Log = log;
    }

    public ProjectConfig Config { get; }
    public ActorSystem System { get; }
    public IActorRef Reports { get; }
    public IActorRef Tiles { get; }
    public IStacArchive Archive { get; }
    public GridTileFootprints Footprints { get; }
    public HttpClient Http { get; }
    public NodeLog Log { get; }

    public static string MosaicPathOf(ProjectConfig config) => Path.Combine(config.OutputFolder, "mosaic.vrt");

    /// <summary>Starts a node for <paramref name="config"/>; <paramref name="options"/> null: embedded, SQLite in the output folder.</summary>
    public static ProjectNode Start(ProjectConfig config, NodeOptions? options = null, bool reliableTiles = false)
    {
        Directory.CreateDirectory(config.OutputFolder);
        var log = new NodeLog(Path.Combine(config.OutputFolder, "nrtc.log"));
        options ??= new NodeOptions(NodeProfile.Embedded, config.OutputFolder) { Hostname = "127.0.0.1", Port = 0 };
        var system = AkkaProfiles.Start(options with { ExtraHocon = options.ExtraHocon ?? "akka.loglevel = ERROR" });
        var http = new HttpClient();
        var reports = ReportAggregatorSingleton.Start(system, new ReportAggregatorSettings(MosaicPathOf(config), new GdalVrtMosaicBuilder()));
        var engine = (KernelMonitorEngine)config.CreateEngine();
        var writer = new GeoTiffTileReportWriter(config.Grid, config.OutputFolder, config.ReportLayers, engine);
        var source = StacObservationSource.ForProject(config, http);
        var settings = TileActorSettings.FromConfig(system.Settings.Config, engine, source, writer, reports);
        int block = system.Settings.Config.GetInt("nrtcluster.tiles.shard-block-size", 4);
        var tiles = reliableTiles ? ReliableTileSharding.Start(system, settings, block) : TileSharding.Start(system, settings, block);
        log.Write("node", $"started project={config.Name} output={config.OutputFolder} engine=\"{engine.Description}\"");
        return new ProjectNode(config, system, reports, tiles, ProjectArchive.Create(config, http), ProjectArchive.Footprints(config), http, log);
    }

    /// <summary>The project's tiles: those of the area of interest that an archive item touches (tiles without data are not fitted).</summary>
    public async Task<ImmutableArray<TileKey>> TilesWithDataAsync(CancellationToken ct)
    {
        var items = await Archive.SearchAsync(HistoryStartUtc, null, ct).ConfigureAwait(false);
        var touched = items.SelectMany(i => Footprints.TilesTouching(i.Footprint)).ToHashSet();
        return [.. Footprints.ProjectTiles.Where(touched.Contains)];
    }

    public DateTime HistoryStartUtc => Config.HistoryStart.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    /// <summary>The end of the history: the last instant of its last day (later acquisitions are monitored).</summary>
    public DateTime HistoryEndUtc => Config.HistoryEnd.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc);

    /// <summary>Runs a job to its end, reporting every progress change; returns the last progress.</summary>
    public async Task<JobProgress> RunJobAsync(JobRequest request, Action<JobProgress> onProgress, CancellationToken ct)
    {
        var done = new TaskCompletionSource<JobProgress>(TaskCreationOptions.RunContinuationsAsynchronously);
        var last = new Dictionary<TileKey, TileProgress>();
        void OnProgress(JobProgress p)
        {
            foreach (var t in p.Tiles)
            {
                if (last.TryGetValue(t.Tile, out var before) && before == t) continue;
                last[t.Tile] = t;
                Log.Write(request.JobId, $"tile={t.Tile} day={t.CurrentDay:yyyy-MM-dd} status={t.Status} days={t.DaysDone}/{t.DaysTotal} detail=\"{t.Detail}\"");
            }
            onProgress(p);
            if (p.Finished) done.TrySetResult(p);
        }
        var relay = System.ActorOf(Props.Create(typeof(ProgressRelay), (Action<JobProgress>)OnProgress));
        var job = System.ActorOf(JobActor.Props(request, Tiles, JobSettings.Default with { Parallelism = Math.Max(2, Environment.ProcessorCount) }, relay));
        using var registration = ct.Register(() => done.TrySetCanceled(ct));
        try
        {
            var result = await done.Task.ConfigureAwait(false);
            if (result.Error is not null) Log.Write(request.JobId, $"error=\"{result.Error}\"");
            return result;
        }
        finally
        {
            System.Stop(job);
            System.Stop(relay);
        }
    }

    /// <summary>The tile's status (last applied day and every applied day), asked through the shard region.</summary>
    public Task<TileStatus> StatusAsync(TileKey tile, CancellationToken ct) => Tiles.Ask<TileStatus>(new GetTileStatus(tile), TimeSpan.FromMinutes(2), ct);

    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance).ConfigureAwait(false);
        Http.Dispose();
        Log.Dispose();
    }

    private sealed class ProgressRelay : ReceiveActor
    {
        public ProgressRelay(Action<JobProgress> callback) => Receive<JobProgress>(callback);
    }
}

/// <summary>Structured log lines (UTC time, source, key=value pairs) appended to a file in the output folder.</summary>
public sealed class NodeLog : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly Lock _gate = new();

    public NodeLog(string path)
    {
        Path = path;
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    public string Path { get; }

    public void Write(string source, string message)
    {
        lock (_gate) _writer.WriteLine($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {source} {message}");
    }

    public void Dispose()
    {
        lock (_gate) _writer.Dispose();
    }
}
