using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using NrtCluster.Actors.Sources;
using NrtCluster.Actors.Tiles;
using NrtCluster.Actors.Poller;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Jobs;

/// <summary>What a job does.</summary>
public abstract record JobRequest(string JobId, ImmutableArray<TileId> Tiles)
{
    /// <summary>Fit every tile on its history; a fitted tile is left as it is unless <paramref name="Replace"/>.</summary>
    public sealed record Fit(string JobId, ImmutableArray<TileId> Tiles, DateOnly HistoryStart, DateOnly HistoryEnd, bool Replace = false)
        : JobRequest(JobId, Tiles);

    /// <summary>
    /// Have the poller send every solar day the archive holds between <paramref name="FromUtc"/> (the end of the history) and
    /// <paramref name="ToUtc"/> to every tile it touches (a <see cref="Backfill"/>), and follow the tiles until each has those
    /// days behind it. <paramref name="Restart"/>: the tiles went back before days they had (a requeue), so their days are sent
    /// again from the start.
    /// </summary>
    public sealed record FastForward(string JobId, ImmutableArray<TileId> Tiles, DateTime FromUtc, DateTime ToUtc, bool Restart = false)
        : JobRequest(JobId, Tiles);
}

/// <param name="Parallelism">Tiles fitted at once.</param>
public sealed record JobSettings(int Parallelism)
{
    public static JobSettings Default { get; } = new(4);

    /// <summary>Longest wait for one tile to answer its fit (it loads the whole history); the fit is then sent again.</summary>
    public TimeSpan FitTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Sends of one fit (or status read) that gets no answer before the tile is failed (a message is lost when its node leaves or dies).</summary>
    public int MaxAttempts { get; init; } = 10;

    /// <summary>Wait before the first resend; doubled per further attempt up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a fast-forward reads its tiles' status to report their progress (at least <see cref="StatusIntervalFor"/>).</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The wait between two status rounds over <paramref name="tiles"/> running tiles: <see cref="StatusInterval"/>, but at least
    /// 5 ms a tile, so a job over many tiles reads at most 200 statuses a second (each a message to the tile and a reply with
    /// its days); every round over 600 tiles each second cost the nodes as much processor time as the days themselves.
    /// </summary>
    public TimeSpan StatusIntervalFor(int tiles) => TimeSpan.FromTicks(Math.Max(StatusInterval.Ticks, tiles * TimeSpan.TicksPerMillisecond * 5));

    /// <summary>Longest wait for the poller to search the archive and queue a fast-forward's days.</summary>
    public TimeSpan BackfillTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest wait for one tile's status.</summary>
    public static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The wait before attempt <paramref name="attempt"/> (2 for the first resend).</summary>
    public TimeSpan BackoffBefore(int attempt) =>
        TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, MinBackoff.Ticks * (1L << Math.Clamp(attempt - 2, 0, 30))));

    /// <summary>
    /// The settings of a node: <c>nrtcluster.jobs.{parallelism, fit-timeout, max-attempts, min-backoff, max-backoff,
    /// status-interval, backfill-timeout}</c>, else the defaults above (parallelism: the number of cores, at least 2). Days
    /// are retried by the tiles' deliveries (<c>nrtcluster.tiles</c>), not by jobs.
    /// </summary>
    public static JobSettings FromConfig(Akka.Configuration.Config config)
    {
        var d = Default;
        var settings = new JobSettings(config.GetInt("nrtcluster.jobs.parallelism", Math.Max(2, Environment.ProcessorCount)))
        {
            FitTimeout = config.GetTimeSpan("nrtcluster.jobs.fit-timeout", d.FitTimeout, allowInfinite: false),
            MaxAttempts = config.GetInt("nrtcluster.jobs.max-attempts", d.MaxAttempts),
            MinBackoff = config.GetTimeSpan("nrtcluster.jobs.min-backoff", d.MinBackoff, allowInfinite: false),
            MaxBackoff = config.GetTimeSpan("nrtcluster.jobs.max-backoff", d.MaxBackoff, allowInfinite: false),
            StatusInterval = config.GetTimeSpan("nrtcluster.jobs.status-interval", d.StatusInterval, allowInfinite: false),
            BackfillTimeout = config.GetTimeSpan("nrtcluster.jobs.backfill-timeout", d.BackfillTimeout, allowInfinite: false),
        };
        settings.Validate();
        return settings;
    }

    public void Validate()
    {
        if (Parallelism < 1) throw new ArgumentOutOfRangeException(nameof(Parallelism), Parallelism, "A job works on at least 1 tile at a time (nrtcluster.jobs.parallelism).");
        if (FitTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(FitTimeout), FitTimeout, "The fit answer timeout must be positive (nrtcluster.jobs.fit-timeout).");
        if (MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "A message is sent at least once (nrtcluster.jobs.max-attempts).");
        if (MinBackoff < TimeSpan.Zero || MaxBackoff < MinBackoff)
            throw new ArgumentOutOfRangeException(nameof(MaxBackoff), MaxBackoff, "The backoff must be 0 <= min-backoff <= max-backoff (nrtcluster.jobs).");
        if (StatusInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(StatusInterval), StatusInterval, "The status interval must be positive (nrtcluster.jobs.status-interval).");
        if (BackfillTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(BackfillTimeout), BackfillTimeout, "The backfill timeout must be positive (nrtcluster.jobs.backfill-timeout).");
    }
}

/// <summary>
/// Runs one job and sends its <see cref="JobProgress"/> to the subscriber on every change (the last one with Finished set);
/// answers <see cref="GetJobProgress"/>. The pure <see cref="JobState"/> decides; this actor sends and reads.
/// A fit sends <see cref="FitTile"/> to the tiles, <see cref="JobSettings.Parallelism"/> at a time; a tile that does not answer
/// in time (its node left or died) is sent the fit again after a backoff, up to <see cref="JobSettings.MaxAttempts"/> times.
/// A fast-forward sends no day itself: it reads each tile's fit, asks the poller to <see cref="Backfill"/> the range (the
/// poller's outbox is the one path days take, with its retries and quarantine), then reads the tiles' status every
/// <see cref="JobSettings.StatusInterval"/> until each planned day is behind its tile. Safe to run again: the poller sends a
/// tile each day once, and tiles answer a repeated fit without changing.
/// </summary>
public sealed class JobActor : ReceiveActor, IWithTimers
{
    private sealed record FitAnswer(TileId Tile, object Reply);
    private sealed record NoAnswer(TileId Tile, Exception Error);
    private sealed record Resend(TileId Tile);
    private sealed record StatusAnswer(TileStatus Status);
    private sealed record Planned(BackfillQueued Queued);
    private sealed record ReadStatus
    {
        public static ReadStatus Instance { get; } = new();
    }

    private readonly JobRequest _request;
    private readonly IActorRef _tiles;
    private readonly IActorRef? _poller;
    private readonly JobSettings _settings;
    private readonly IActorRef? _subscriber;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Queue<TileId> _waiting = new();
    /// <summary>Fits sent so far to each tile being fitted.</summary>
    private readonly Dictionary<TileId, int> _attempts = new();
    /// <summary>Status reads of a fast-forward not answered yet.</summary>
    private readonly HashSet<TileId> _reading = new();
    private bool _backfillAsked;
    private JobState _state;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="poller">The STAC poller (its singleton proxy): a fast-forward asks it to backfill; unused by a fit.</param>
    public static Props Props(JobRequest request, IActorRef tileRegion, IActorRef? poller, JobSettings settings, IActorRef? subscriber) =>
        Akka.Actor.Props.Create(() => new JobActor(request, tileRegion, poller, settings, subscriber));

    public JobActor(JobRequest request, IActorRef tileRegion, IActorRef? poller, JobSettings settings, IActorRef? subscriber)
    {
        settings.Validate();
        if (request.Tiles.IsDefaultOrEmpty) throw new ArgumentException($"Job {request.JobId} has no tiles; check the area of interest covers the grid.", nameof(request));
        if (request is JobRequest.FastForward && poller is null)
            throw new ArgumentException($"Job {request.JobId}: a fast-forward needs the STAC poller, which sends the days.", nameof(poller));
        _request = request;
        _tiles = tileRegion;
        _poller = poller;
        _settings = settings;
        _subscriber = subscriber;
        _state = JobState.Start(request.JobId, request is JobRequest.Fit ? JobKind.Fit : JobKind.FastForward,
            request.Tiles.Distinct().Select(t => KeyValuePair.Create(t, 0)));

        Receive<GetJobProgress>(_ => Sender.Tell(_state.Progress()));
        Receive<FitAnswer>(a =>
        {
            _attempts.Remove(a.Tile);
            Decide(new JobCommand.FitAnswered(a.Tile, a.Reply));
            Fill();
        });
        Receive<NoAnswer>(n => Unanswered(n.Tile, n.Error));
        Receive<Resend>(r => SendFit(r.Tile));
        Receive<StatusAnswer>(s =>
        {
            _reading.Remove(s.Status.Tile);
            _attempts.Remove(s.Status.Tile);
            Decide(new JobCommand.StatusRead(s.Status));
            Next();
        });
        Receive<Planned>(p =>
        {
            foreach (var r in p.Queued.Rejected) _log.Warning("Job {0}: {1}", _request.JobId, r);
            Decide(new JobCommand.Planned(p.Queued));
            Next();
        });
        Receive<ReadStatus>(_ => ReadAll());
    }

    protected override void PreStart()
    {
        foreach (var t in _state.Tiles.Keys) _waiting.Enqueue(t);
        if (_request is JobRequest.Fit)
        {
            Fill();
            return;
        }
        // A fast-forward works on every tile at once: it only reads them.
        while (_waiting.TryDequeue(out var tile)) Decide(new JobCommand.Start(tile));
        ReadAll();
    }

    /// <summary>
    /// Decides a command and folds its events in, publishing the progress after each: one status read can show several days
    /// behind a tile, and each (a quarantined one with its reason) is reported as it would have been one by one.
    /// </summary>
    private void Decide(JobCommand command)
    {
        foreach (var e in _state.Decide(command))
        {
            if (e is JobEvent.TileFailed f) _log.Warning("Job {0}: tile {1} failed: {2}", _request.JobId, f.Tile, f.Detail);
            if (e is JobEvent.JobFailed j) _log.Error("Job {0}: {1}", _request.JobId, j.Error);
            // A day found applied before is not sent again (the poller sends a tile each day once), so no tile counts it; after a
            // requeue (Restart) the days are sent again and the tiles count their repeats themselves.
            if (e is JobEvent.DayDone { Outcome: AckOutcome.Repeated } && _request is JobRequest.FastForward { Restart: false })
                Telemetry.Get(Context.System).TileDay(TileDayOutcome.Repeated);
            _state = _state.Apply(e);
            if (e is not JobEvent.PositionRead) Publish();
        }
    }

    /// <summary>Gives free places to tiles not fitted yet.</summary>
    private void Fill()
    {
        while (_attempts.Count < _settings.Parallelism && _waiting.TryDequeue(out var tile))
        {
            Decide(new JobCommand.Start(tile));
            SendFit(tile);
        }
    }

    private void SendFit(TileId tile)
    {
        var fit = (JobRequest.Fit)_request;
        _attempts[tile] = _attempts.GetValueOrDefault(tile) + 1;
        _tiles.Ask<object>(new FitTile(tile, fit.HistoryStart, fit.HistoryEnd, fit.Replace), _settings.FitTimeout)
            .PipeTo(Self, success: reply => new FitAnswer(tile, reply), failure: ex => new NoAnswer(tile, ex));
    }

    /// <summary>
    /// No answer: the message or its answer was lost (e.g. the tile's node left mid-way and the tile moved) or the tile is
    /// slow. A fit is sent again (a tile answers a repeated fit AlreadyFitted); a status is read again on the next round.
    /// </summary>
    private void Unanswered(TileId tile, Exception error)
    {
        int sent = _attempts.GetValueOrDefault(tile);
        string reason = error is AskTimeoutException ? "no answer in time" : error.Message;
        _reading.Remove(tile);
        Decide(new JobCommand.Unanswered(tile, reason, sent, _settings.MaxAttempts));
        if (_state.Tiles[tile].Status != TileJobStatus.Running)
        {
            _attempts.Remove(tile);
            if (_request is JobRequest.Fit) Fill();
            else Next();
            return;
        }
        _log.Warning("Job {0}: tile {1}: {2} (attempt {3} of {4})", _request.JobId, tile, reason, sent, _settings.MaxAttempts);
        if (_request is JobRequest.Fit) Timers.StartSingleTimer(tile, new Resend(tile), _settings.BackoffBefore(sent + 1));
        else Next();
    }

    /// <summary>Reads the status of every running tile whose last read was answered.</summary>
    private void ReadAll()
    {
        foreach (var tile in _state.Tiles.Values.Where(t => t.Status == TileJobStatus.Running).Select(t => t.Tile))
        {
            if (!_reading.Add(tile)) continue;
            _attempts[tile] = _attempts.GetValueOrDefault(tile) + 1;
            _tiles.Ask<TileStatus>(new GetTileStatus(tile), JobSettings.StatusTimeout)
                .PipeTo(Self, success: s => new StatusAnswer(s), failure: ex => new NoAnswer(tile, ex));
        }
    }

    /// <summary>A fast-forward's next step once the reads of a round are in: the backfill, or the next round.</summary>
    private void Next()
    {
        if (_state.Finished || _reading.Count > 0) return;
        if (!_backfillAsked && _state.PositionsRead)
        {
            _backfillAsked = true;
            var ff = (JobRequest.FastForward)_request;
            var tiles = _state.Plans.Where(p => _state.Tiles[p.Key].Status == TileJobStatus.Running)
                .Select(p => new BackfillTile(p.Key, p.Value.FitNumber, ff.Restart)).ToImmutableArray();
            _poller!.Ask<BackfillQueued>(new Backfill(_request.JobId, tiles, ff.FromUtc, ff.ToUtc), _settings.BackfillTimeout)
                .PipeTo(Self, success: q => new Planned(q), failure: ex => new Planned(new BackfillQueued(_request.JobId, [],
                    ex is AskTimeoutException
                        ? $"the poller did not queue the days within {_settings.BackfillTimeout} (nrtcluster.jobs.backfill-timeout); check it runs ('nrtc status') and run the same command again"
                        : $"the poller could not queue the days: {ex.Message}")));
            return;
        }
        if (_state.IsPlanned)
            Timers.StartSingleTimer("read", ReadStatus.Instance, _settings.StatusIntervalFor(_state.Tiles.Values.Count(t => t.Status == TileJobStatus.Running)));
        else if (!_backfillAsked) ReadAll();
    }

    private void Publish()
    {
        var progress = _state.Progress();
        _subscriber?.Tell(progress);
        if (progress.Finished)
        {
            Timers.CancelAll();
            _log.Info("Job {0} ({1}) finished: {2} done, {3} failed of {4}; {5} day(s) quarantined", progress.JobId, progress.Kind,
                progress.TilesDone, progress.TilesFailed, progress.TilesTotal, progress.Tiles.Sum(t => t.DaysQuarantined));
        }
    }
}
