using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using Akka.Actor;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Jobs;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Reports;
using NrtCluster.Actors.Sources;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Stac;
using NrtCluster.Host.Logging;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Node;

/// <summary>
/// A node running one project: the actor system of its profile, the report aggregator singleton, the tile shard region
/// with the STAC observation source and GeoTIFF reports behind reliable delivery, the STAC poller singleton (the one sender of
/// days: polls and fast-forwards alike), and the jobs (fit, fast-forward) driven from the command line.
/// </summary>
public sealed class ProjectNode : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, JobProgress> _jobs = new(StringComparer.Ordinal);
    private readonly Lock _pollerLock = new();
    private IActorRef? _poller;
    private int _jobCounter;

    private ProjectNode(ProjectConfig config, ActorSystem system, IActorRef reports, IActorRef tiles, IStacArchive archive,
        GridTileFootprints footprints, ProviderProfile profile, HttpClient http, NodeLog log, int shardBlockSize, ProjectLock? ownership)
    {
        Profile = profile;
        Config = config;
        Ownership = ownership;
        System = system;
        Reports = reports;
        Tiles = tiles;
        Archive = archive;
        Footprints = footprints;
        Http = http;
        Log = log;
        ShardBlockSize = shardBlockSize;
        JobSettings = JobSettings.FromConfig(system.Settings.Config);
    }

    public ProjectConfig Config { get; }
    public ActorSystem System { get; }
    public IActorRef Reports { get; }
    public IActorRef Tiles { get; }
    public IStacArchive Archive { get; }
    public GridTileFootprints Footprints { get; }
    /// <summary>The project's provider profile: the poller and the fast-forward describe the items they send tiles with it.</summary>
    public ProviderProfile Profile { get; }
    public HttpClient Http { get; }
    public NodeLog Log { get; }
    /// <summary>Tiles per shard along each axis (<c>nrtcluster.tiles.shard-block-size</c>).</summary>
    public int ShardBlockSize { get; }
    /// <summary>How this node's jobs ask tiles (<c>nrtcluster.jobs</c>).</summary>
    public JobSettings JobSettings { get; }
    /// <summary>
    /// The STAC poller singleton's proxy: the one started with <see cref="StartPoller"/>, else one that searches only when
    /// asked (a fast-forward's backfill, <c>nrtc poll</c>) is started on first use.
    /// </summary>
    public IActorRef Poller
    {
        get
        {
            lock (_pollerLock) return _poller ??= Pipeline.StartPoller(this, scheduled: false);
        }
    }

    /// <summary>Starts the poller singleton on this node (once, before <see cref="Poller"/> is used); returns its proxy.</summary>
    /// <param name="scheduled">False: the poller searches only when asked, not on its interval.</param>
    public IActorRef StartPoller(TimeSpan? settleDelay = null, bool scheduled = true)
    {
        lock (_pollerLock)
        {
            if (_poller is not null) throw new InvalidOperationException("The poller of this node is started already.");
            return _poller = Pipeline.StartPoller(this, settleDelay, scheduled);
        }
    }

    /// <summary>An embedded node's hold on its output folder (null for a cluster node: those share it by design).</summary>
    public ProjectLock? Ownership { get; }

    public static string MosaicPathOf(ProjectConfig config) => Path.Combine(config.OutputFolder, "mosaic.vrt");

    /// <summary>
    /// Starts a node for <paramref name="config"/>; <paramref name="options"/> null: embedded, SQLite in the output folder.
    /// Its log is <c>nrtc.log</c> in the output folder, or <c>nrtc-HOST-PORT.log</c> for a cluster node, so the nodes of one
    /// machine can share an output folder.
    /// Refuses, before anything is written, state made with another configuration than <paramref name="fingerprint"/>
    /// (default: the project's; see <see cref="StateFingerprint"/>). An embedded node first takes the output folder's
    /// <see cref="ProjectLock"/>: a second process writing the same SQLite state would break both.
    /// </summary>
    /// <param name="ownership">The output folder's lock when the caller took it already (the node releases it); else taken here.</param>
    public static ProjectNode Start(ProjectConfig config, NodeOptions? options = null, StateFingerprint? fingerprint = null, ProjectLock? ownership = null)
    {
        options ??= new NodeOptions(NodeProfile.Embedded, config.OutputFolder) { Hostname = "127.0.0.1", Port = 0 };
        ownership ??= options.Profile == NodeProfile.Embedded ? ProjectLock.Acquire(config.OutputFolder) : null;
        try
        {
            return StartOwning(config, options, fingerprint ?? StateFingerprint.Of(config), ownership);
        }
        catch
        {
            ownership?.Dispose();
            throw;
        }
    }

    private static ProjectNode StartOwning(ProjectConfig config, NodeOptions options, StateFingerprint fingerprint, ProjectLock? ownership)
    {
        // Every Akka log event (INFO and up) as a JSON line with tile and day in <output>/logs/<node>.jsonl (rotated by
        // nrtcluster.logging.rotate), errors also on stdout; the options' own HOCON goes last, so it can change either level.
        string logging = StructuredLogger.Hocon(StructuredLogger.NodeLogPath(options), level: "INFO", stdoutLevel: "ERROR");
        options = options with { ExtraHocon = logging + "\n" + options.ExtraHocon };
        // Checked before anything starts, so that a bad rotation setting stops the command naming it rather than the logger
        // failing inside the starting actor system.
        LogRotation.From(AkkaProfiles.Load(options));
        fingerprint.Claim(config.OutputFolder, options.Profile);
        var system = AkkaProfiles.Start(options);
        // The logger stops with the actor system and Akka prints what is logged after it on stdout, at the node's level: the last
        // phase keeps only warnings, so remoting's "shut down" notices do not end every command's output.
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "quiet-stdout", () =>
        {
            system.EventStream.SetLogLevel(Akka.Event.LogLevel.WarningLevel);
            return Task.FromResult(Akka.Done.Instance);
        });
        // Before the persistent actors start, so the storage errors of a database that is down already are recognised.
        DatabaseHealth.Get(system).Start();
        var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
        var log = new NodeLog(Path.Combine(config.OutputFolder, options.Profile == NodeProfile.Cluster
            ? string.Create(CultureInfo.InvariantCulture, $"nrtc-{self.Host}-{self.Port}.log")
            : "nrtc.log"));
        var http = new HttpClient();
        var reports = ReportAggregatorSingleton.Start(system, new ReportAggregatorSettings(MosaicPathOf(config), new GdalVrtMosaicBuilder()));
        var engine = config.CreateEngine();
        var writer = new GeoTiffTileReportWriter(config.Grid, config.OutputFolder, config.ReportLayers, engine, config.PatchWindowDays);
        RemoveOrphanedTemporaryFiles(config, writer, log, ownership is not null);
        var source = StacObservationSource.ForProject(config, http);
        var settings = TileActorSettings.FromConfig(system.Settings.Config, engine, source, writer, reports);
        int block = system.Settings.Config.GetInt("nrtcluster.tiles.shard-block-size", 4);
        var tiles = ReliableTileSharding.Start(system, settings, block);
        log.Write("node", $"started address={self} project={config.Name} output={config.OutputFolder} engine=\"{engine.Description}\"");
        return new ProjectNode(config, system, reports, tiles, ProjectArchive.Create(config, http), ProjectArchive.Footprints(config), source.Profile, http, log, block, ownership);
    }

    /// <summary>
    /// Deletes the temporary files of report and mosaic writes killed mid-way (<see cref="TemporaryFiles"/>). An embedded node
    /// owns the output folder; cluster nodes share it, so a node leaves those another may be writing now (a write takes seconds).
    /// </summary>
    private static void RemoveOrphanedTemporaryFiles(ProjectConfig config, GeoTiffTileReportWriter writer, NodeLog log, bool owner)
    {
        var age = owner ? TimeSpan.Zero : TimeSpan.FromHours(1);
        var removed = TemporaryFiles.RemoveOrphans(writer.Folder, recursive: true, age)
            .Concat(TemporaryFiles.RemoveOrphans(config.OutputFolder, recursive: false, age)).ToList();
        if (removed.Count > 0)
            log.Write("node", $"removed {removed.Count} temporary file(s) left by interrupted report or mosaic writes: {string.Join(", ", removed)}");
    }

    /// <summary>
    /// The archive's items since the history start with the tiles they touch, and the items rejected: the search
    /// <c>fit</c>, <c>fast-forward</c> and <c>status</c> start from.
    /// </summary>
    public async Task<Discovery> SearchArchiveAsync(CancellationToken ct) =>
        ItemDiscovery.Discover(await Archive.SearchAsync(HistoryStartUtc, null, ct).ConfigureAwait(false), Footprints);

    /// <summary>
    /// The project's tiles: those of the area of interest that an archive item touches (tiles without data are not fitted).
    /// Each archive item left out is written to the node's log and told to <paramref name="rejected"/>, with why.
    /// </summary>
    public async Task<ImmutableArray<TileId>> TilesWithDataAsync(CancellationToken ct, Action<RejectedItem>? rejected = null)
    {
        var found = await SearchArchiveAsync(ct).ConfigureAwait(false);
        foreach (var r in found.Rejected)
        {
            Log.Write("archive", r.ToString());
            rejected?.Invoke(r);
        }
        var touched = found.Items.SelectMany(i => i.Tiles).ToHashSet();
        return [.. Footprints.ProjectTiles.Where(touched.Contains)];
    }

    public DateTime HistoryStartUtc => Config.HistoryStart.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    /// <summary>The end of the history: the last instant of its last day (later acquisitions are monitored).</summary>
    public DateTime HistoryEndUtc => Config.HistoryEnd.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc);

    /// <summary>
    /// Runs a job to its end, reporting every progress change; returns the last progress. A cancelled <paramref name="ct"/>
    /// stops the job between days (<see cref="JobStoppedException"/> carries its last progress); an actor system that
    /// terminates under the job ends the wait too.
    /// </summary>
    public async Task<JobProgress> RunJobAsync(JobRequest request, Action<JobProgress> onProgress, CancellationToken ct)
    {
        var done = new TaskCompletionSource<JobProgress>(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = StartJob(request, p =>
        {
            onProgress(p);
            if (p.Finished) done.TrySetResult(p);
        });
        try
        {
            try
            {
                await Task.WhenAny(done.Task, System.WhenTerminated).WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested && !done.Task.IsCompleted)
            {
                throw new JobStoppedException(JobProgressOf(request.JobId)!, ct);
            }
            return done.Task.IsCompleted
                ? done.Task.Result
                : throw new InvalidOperationException("the node stopped before the job finished (see its log); run the same command again to resume");
        }
        finally
        {
            System.Stop(job);
        }
    }

    /// <summary>
    /// Starts a job on this node and returns at once; its progress is kept for <see cref="JobProgressOf"/> (under the
    /// request's job id) and logged per tile. The job actor stops itself once finished.
    /// </summary>
    public IActorRef StartJob(JobRequest request, Action<JobProgress>? onProgress = null)
    {
        var last = new Dictionary<TileId, TileProgress>();
        void OnProgress(JobProgress p)
        {
            foreach (var t in p.Tiles)
            {
                if (last.TryGetValue(t.Tile, out var before) && before == t) continue;
                last[t.Tile] = t;
                Log.Write(request.JobId, $"tile={t.Tile} day={t.CurrentDay:yyyy-MM-dd} status={t.Status} days={t.DaysDone}/{t.DaysTotal} detail=\"{t.Detail}\"");
            }
            if (p.Finished && p.Error is not null) Log.Write(request.JobId, $"error=\"{p.Error}\"");
            _jobs[p.JobId] = p;
            onProgress?.Invoke(p);
        }
        var initial = JobState.Start(request.JobId, request is JobRequest.Fit ? JobKind.Fit : JobKind.FastForward,
            request.Tiles.Distinct().Select(t => KeyValuePair.Create(t, 0))).Progress();
        if (!_jobs.TryAdd(request.JobId, initial))
            throw new InvalidOperationException($"A job with id '{request.JobId}' already ran on this node.");
        var poller = request is JobRequest.FastForward ? Poller : null;
        Action<JobProgress> callback = OnProgress;
        return System.ActorOf(Props.Create(() => new JobRelay(request, Tiles, poller, JobSettings, callback, initial)));
    }

    /// <summary>The last progress of a job started on this node, null if there is none by that id.</summary>
    public JobProgress? JobProgressOf(string jobId) => _jobs.GetValueOrDefault(jobId);

    /// <summary>A new job id: the kind and a UTC timestamp, unique on this node.</summary>
    public string NewJobId(JobKind kind) =>
        string.Create(CultureInfo.InvariantCulture, $"{(kind == JobKind.Fit ? "fit" : "ff")}-{DateTime.UtcNow:yyyyMMddTHHmmssfff}-{Interlocked.Increment(ref _jobCounter)}");

    /// <summary>The tile's status (last applied day and every applied day), asked through the shard region.</summary>
    public async Task<TileStatus> StatusAsync(TileId tile, CancellationToken ct)
    {
        // Sharding delivers at most once: a query caught in a shard hand-off (a move, a drain, a stopped node) is lost, so
        // it is asked again rather than waited on for long.
        const int attempts = 6;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await Tiles.Ask<TileStatus>(new GetTileStatus(tile), TimeSpan.FromSeconds(20), ct).ConfigureAwait(false);
            }
            catch (AskTimeoutException) when (attempt < attempts)
            {
                Log.Write("status", $"tile={tile} attempt={attempt} no answer within 20 s; asking again");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance).ConfigureAwait(false);
        Http.Dispose();
        Log.Dispose();
        Ownership?.Dispose();
    }

    /// <summary>
    /// Runs a job as its child and passes its progress to a callback; stops once the job finished. A job that stops
    /// without finishing (it could not start) is reported finished with an error. Stopping the relay stops the job.
    /// </summary>
    private sealed class JobRelay : ReceiveActor
    {
        private JobProgress _last;

        public JobRelay(JobRequest request, IActorRef tiles, IActorRef? poller, JobSettings settings, Action<JobProgress> callback, JobProgress initial)
        {
            _last = initial;
            Context.Watch(Context.ActorOf(JobActor.Props(request, tiles, poller, settings, Self), "job"));
            Receive<JobProgress>(p =>
            {
                _last = p;
                callback(p);
                if (p.Finished) Context.Stop(Self);
            });
            Receive<Terminated>(_ =>
            {
                callback(_last with { Finished = true, Error = _last.Error ?? "the job stopped before it finished (see the node's log)" });
                Context.Stop(Self);
            });
        }

        // A failing job is not restarted: it would start over; the operator runs it again (it is idempotent).
        protected override SupervisorStrategy SupervisorStrategy() => Akka.Actor.SupervisorStrategy.StoppingStrategy;
    }
}

/// <summary>
/// Structured log lines (UTC time, source, key=value pairs) appended to a file in the output folder; others may read
/// it while it is written. A line that cannot be written (a full disk) is dropped and counted, never thrown (<see cref="LogFile"/>).
/// </summary>
public sealed class NodeLog(string path) : IDisposable
{
    private readonly LogFile _file = new(path, notice => Line("log", notice));

    public string Path => _file.Path;

    public void Write(string source, string message) => _file.WriteLine(Line(source, message));

    public void Dispose() => _file.Dispose();

    private static string Line(string source, string message) => $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {source} {message}";
}
