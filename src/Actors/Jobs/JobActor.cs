using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using NrtCluster.Actors.Sources;
using NrtCluster.Actors.Tiles;

namespace NrtCluster.Actors.Jobs;

/// <summary>What a job does.</summary>
public abstract record JobRequest(string JobId, ImmutableArray<TileKey> Tiles)
{
    /// <summary>Fit every tile on its history; a fitted tile is left as it is unless <paramref name="Replace"/>.</summary>
    public sealed record Fit(string JobId, ImmutableArray<TileKey> Tiles, DateOnly HistoryStart, DateOnly HistoryEnd, bool Replace = false)
        : JobRequest(JobId, Tiles);

    /// <summary>
    /// Apply every solar day the archive holds between <paramref name="FromUtc"/> (the end of the history) and
    /// <paramref name="ToUtc"/> (now) to every tile it touches, in time order.
    /// </summary>
    public sealed record FastForward(string JobId, ImmutableArray<TileKey> Tiles, DateTime FromUtc, DateTime ToUtc, IStacArchive Archive, ITileFootprintIndex Index)
        : JobRequest(JobId, Tiles)
    {
        /// <summary>Describes each item for the tiles (<see cref="ItemRef.Assets"/>); null: tiles read the item documents.</summary>
        public Geo.Stac.ProviderProfile? Profile { get; init; }
    }
}

/// <param name="Parallelism">Tiles worked on at once (each tile's days are always sequential).</param>
/// <param name="AskTimeout">Longest wait for one tile to answer one day; the message is then sent again.</param>
public sealed record JobSettings(int Parallelism, TimeSpan AskTimeout)
{
    public static JobSettings Default { get; } = new(4, TimeSpan.FromMinutes(5));

    /// <summary>Longest wait for one tile to answer its fit (it loads the whole history); the fit is then sent again.</summary>
    public TimeSpan FitTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Sends of one message to one tile that gets no answer before the tile is failed (a message is lost when its node leaves or dies).</summary>
    public int MaxAttempts { get; init; } = 10;

    /// <summary>Wait before the first resend; doubled per further attempt up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How a day the tile answers Failed (for a reason that may pass) is retried before it is quarantined.</summary>
    public RetryWindow Retry { get; init; } = RetryWindow.Default;

    /// <summary>The wait before attempt <paramref name="attempt"/> (2 for the first resend).</summary>
    public TimeSpan BackoffBefore(int attempt) =>
        TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, MinBackoff.Ticks * (1L << Math.Clamp(attempt - 2, 0, 30))));

    /// <summary>
    /// The settings of a node: <c>nrtcluster.jobs.{parallelism, day-timeout, fit-timeout, max-attempts, min-backoff, max-backoff}</c>
    /// and the retry window of <c>nrtcluster.tiles</c> when set, else the defaults above (parallelism: the number of cores, at least 2).
    /// </summary>
    public static JobSettings FromConfig(Akka.Configuration.Config config)
    {
        var d = Default;
        var settings = new JobSettings(config.GetInt("nrtcluster.jobs.parallelism", Math.Max(2, Environment.ProcessorCount)),
            config.GetTimeSpan("nrtcluster.jobs.day-timeout", d.AskTimeout, allowInfinite: false))
        {
            FitTimeout = config.GetTimeSpan("nrtcluster.jobs.fit-timeout", d.FitTimeout, allowInfinite: false),
            MaxAttempts = config.GetInt("nrtcluster.jobs.max-attempts", d.MaxAttempts),
            MinBackoff = config.GetTimeSpan("nrtcluster.jobs.min-backoff", d.MinBackoff, allowInfinite: false),
            MaxBackoff = config.GetTimeSpan("nrtcluster.jobs.max-backoff", d.MaxBackoff, allowInfinite: false),
            Retry = RetryWindow.FromConfig(config),
        };
        settings.Validate();
        return settings;
    }

    public void Validate()
    {
        if (Parallelism < 1) throw new ArgumentOutOfRangeException(nameof(Parallelism), Parallelism, "A job works on at least 1 tile at a time (nrtcluster.jobs.parallelism).");
        if (AskTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(AskTimeout), AskTimeout, "The tile answer timeout must be positive (nrtcluster.jobs.day-timeout).");
        if (FitTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(FitTimeout), FitTimeout, "The fit answer timeout must be positive (nrtcluster.jobs.fit-timeout).");
        if (MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "A message is sent at least once (nrtcluster.jobs.max-attempts).");
        if (MinBackoff < TimeSpan.Zero || MaxBackoff < MinBackoff)
            throw new ArgumentOutOfRangeException(nameof(MaxBackoff), MaxBackoff, "The backoff must be 0 <= min-backoff <= max-backoff (nrtcluster.jobs).");
    }
}

/// <summary>
/// Runs one job over the tile shard region: fits, or a fast-forward planned from one archive search. Sends its
/// <see cref="JobProgress"/> to the subscriber on every change (the last one with Finished set) and answers
/// <see cref="GetJobProgress"/>. Safe to run again: tiles answer a repeated fit or day without changing.
/// A tile that does not answer in time (its node left or died, the message was lost in the hand-off) is sent the same
/// message again after a backoff, up to <see cref="JobSettings.MaxAttempts"/> times; the repeat is idempotent.
/// A day the tile answers Failed (its items could not be loaded, for a reason that may pass) is sent again by the
/// <see cref="RetryWindow"/> rule; meanwhile the tile gives its place to other tiles (a host down for an hour holds back
/// only the tiles it serves), and its progress says why it waits and when it is tried next. Once the window has passed the
/// tile is told to quarantine the day (<see cref="QuarantineDay"/>) and goes on with its next day, so one bad item does not
/// hold back the rest of the series; the tile is still done, with its quarantined days counted in its progress (the job
/// ends only when every day is applied or quarantined). A day whose items cannot be read for good the tile quarantines
/// itself at once (answered Quarantined).
/// </summary>
public sealed class JobActor : ReceiveActor, IWithTimers
{
    private sealed record Planned(ImmutableDictionary<TileKey, ImmutableArray<ObserveDay>> Days);
    private sealed record PlanFailed(Exception Error);
    private sealed record Answer(TileKey Tile, object Reply);
    private sealed record NoAnswer(TileKey Tile, Exception Error);
    private sealed record Resend(TileKey Tile);
    /// <summary>A tile's retry wait for a failed day is over: it takes the next free place.</summary>
    private sealed record Resume(TileKey Tile);

    private readonly JobRequest _request;
    private readonly IActorRef _tiles;
    private readonly JobSettings _settings;
    private readonly IActorRef? _subscriber;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Queue<TileKey> _waiting = new();
    /// <summary>Tiles whose retry wait is over, ahead of the waiting ones (they are part-way through).</summary>
    private readonly Queue<TileKey> _resumed = new();
    /// <summary>Tiles holding one of the <see cref="JobSettings.Parallelism"/> places: sent a message or about to be sent it again.</summary>
    private readonly HashSet<TileKey> _active = new();
    /// <summary>Failed answers to each tile's current day so far, and when the first came (the start of its retry window).</summary>
    private readonly Dictionary<TileKey, (int Failures, DateTime FirstUtc)> _failing = new();
    /// <summary>Sends so far of each running tile's current message.</summary>
    private readonly Dictionary<TileKey, int> _attempts = new();
    /// <summary>Tiles whose current day failed every attempt and is being quarantined, with the failure.</summary>
    private readonly Dictionary<TileKey, string> _quarantining = new();
    private ImmutableDictionary<TileKey, ImmutableArray<ObserveDay>> _days = ImmutableDictionary<TileKey, ImmutableArray<ObserveDay>>.Empty;
    private JobState _state;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(JobRequest request, IActorRef tileRegion, JobSettings settings, IActorRef? subscriber) =>
        Akka.Actor.Props.Create(() => new JobActor(request, tileRegion, settings, subscriber));

    public JobActor(JobRequest request, IActorRef tileRegion, JobSettings settings, IActorRef? subscriber)
    {
        settings.Validate();
        if (request.Tiles.IsDefaultOrEmpty) throw new ArgumentException($"Job {request.JobId} has no tiles; check the area of interest covers the grid.", nameof(request));
        _request = request;
        _tiles = tileRegion;
        _settings = settings;
        _subscriber = subscriber;
        _state = JobState.Start(request.JobId, request is JobRequest.Fit ? JobKind.Fit : JobKind.FastForward,
            request.Tiles.Distinct().Select(t => KeyValuePair.Create(t, 0)));

        Receive<GetJobProgress>(_ => Sender.Tell(_state.Progress()));
        Receive<Planned>(p => Run(p.Days));
        Receive<PlanFailed>(f =>
        {
            _log.Error(f.Error, "Job {0}: the archive search failed", _request.JobId);
            _state = _state.Fail($"the archive search failed: {f.Error.Message}");
            Publish();
        });
        Receive<Answer>(a => Answered(a.Tile, a.Reply));
        Receive<NoAnswer>(n => Unanswered(n.Tile, n.Error));
        Receive<Resend>(r => Send(r.Tile));
        Receive<Resume>(r =>
        {
            _resumed.Enqueue(r.Tile);
            Fill();
        });
    }

    protected override void PreStart()
    {
        switch (_request)
        {
            case JobRequest.Fit:
                Run(ImmutableDictionary<TileKey, ImmutableArray<ObserveDay>>.Empty);
                break;
            case JobRequest.FastForward ff:
                var tiles = _request.Tiles.ToHashSet();
                ff.Archive.SearchAsync(ff.FromUtc, ff.ToUtc, CancellationToken.None)
                    // The history's last day belongs to the fit, not to monitoring: left out before the days are chained.
                    .ContinueWith(t =>
                    {
                        var found = ItemDiscovery.Discover(t.Result, ff.Index, ff.Profile);
                        // A rejected item is left out of the plan; the other items' days go on.
                        foreach (var r in found.Rejected) _log.Warning("Job {0}: {1}", _request.JobId, r);
                        return ItemDiscovery.PlanByTile(found.Items, ff.FromUtc)
                            .Where(kv => tiles.Contains(kv.Key) && !kv.Value.IsEmpty)
                            .ToImmutableDictionary();
                    }, TaskScheduler.Default)
                    .PipeTo(Self, success: d => new Planned(d), failure: ex => new PlanFailed(ex is AggregateException { InnerException: { } i } ? i : ex));
                break;
        }
    }

    private void Run(ImmutableDictionary<TileKey, ImmutableArray<ObserveDay>> days)
    {
        _days = days;
        if (_request is JobRequest.FastForward)
            _state = JobState.Start(_request.JobId, JobKind.FastForward,
                _state.Tiles.Keys.Select(t => KeyValuePair.Create(t, days.TryGetValue(t, out var d) ? d.Length : 0)));
        foreach (var t in _state.Tiles.Keys)
        {
            if (_request is JobRequest.FastForward && !days.ContainsKey(t))
                _state = _state.Apply(new JobEvent.TileStarted(t)).Apply(new JobEvent.TileDone(t, "no new days"));
            else
                _waiting.Enqueue(t);
        }
        Fill();
        Publish();
    }

    /// <summary>Gives free places to tiles whose retry wait is over, then to tiles not started yet.</summary>
    private void Fill()
    {
        while (_active.Count < _settings.Parallelism)
        {
            if (_resumed.TryDequeue(out var tile))
            {
                _active.Add(tile);
                Send(tile);
            }
            else if (_waiting.TryDequeue(out tile))
            {
                _active.Add(tile);
                _state = _state.Apply(new JobEvent.TileStarted(tile));
                Send(tile);
            }
            else return;
        }
    }

    /// <summary>Sends the tile its next message: the fit, or the first day not yet acknowledged.</summary>
    private void Send(TileKey tile)
    {
        ITileMessage message;
        var timeout = _settings.AskTimeout;
        if (_request is JobRequest.Fit fit)
        {
            message = new FitTile(tile, fit.HistoryStart, fit.HistoryEnd, fit.Replace);
            timeout = _settings.FitTimeout;
        }
        else
        {
            var days = _days.GetValueOrDefault(tile, []);
            int next = _state.Tiles[tile].DaysDone;
            if (next >= days.Length)
            {
                int quarantined = _state.Tiles[tile].DaysQuarantined;
                Finish(tile, done: days.IsEmpty ? "no new days"
                    : quarantined == 0 ? $"at {days[^1].Day:yyyy-MM-dd}"
                    : $"at {days[^1].Day:yyyy-MM-dd}, {quarantined} day(s) quarantined (see the tile's status)");
                return;
            }
            message = _quarantining.TryGetValue(tile, out var reason)
                ? new QuarantineDay(tile, days[next].Day, days[next].AcquiredUtc, days[next].Items, reason)
                : days[next];
        }
        _attempts[tile] = _attempts.GetValueOrDefault(tile) + 1;
        _tiles.Ask<object>(message, timeout)
            .PipeTo(Self, success: reply => new Answer(tile, reply), failure: ex => new NoAnswer(tile, ex));
    }

    /// <summary>
    /// No answer: the message or its answer was lost (e.g. the tile's node left mid-way and the tile moved) or the tile is
    /// slow. Sending the same message again is safe: a tile answers a day it already applied Repeated, a fit AlreadyFitted.
    /// </summary>
    private void Unanswered(TileKey tile, Exception error)
    {
        int sent = _attempts.GetValueOrDefault(tile);
        string reason = error is AskTimeoutException ? "no answer in time" : error.Message;
        if (sent >= _settings.MaxAttempts)
        {
            Finish(tile, fail: $"{reason}, after {sent} attempts");
            return;
        }
        var wait = _settings.BackoffBefore(sent + 1);
        _log.Warning("Job {0}: tile {1}: {2} (attempt {3} of {4}); sending again in {5}", _request.JobId, tile, reason, sent, _settings.MaxAttempts, wait);
        _state = _state.Apply(new JobEvent.Retrying(tile, $"attempt {sent + 1} of {_settings.MaxAttempts} after: {reason}"));
        Publish();
        Timers.StartSingleTimer(tile, new Resend(tile), wait);
    }

    private void Answered(TileKey tile, object reply)
    {
        switch (reply)
        {
            case DayAck { Outcome: AckOutcome.Failed } ack when !_quarantining.ContainsKey(tile):
                DayFailed(tile, ack);
                return;
            case DayAck { Outcome: AckOutcome.Quarantined } ack:
                _attempts.Remove(tile);
                _failing.Remove(tile);
                _state = _state.Apply(new JobEvent.DayQuarantined(tile, ack.Day, _quarantining.GetValueOrDefault(tile, ack.Detail)));
                _quarantining.Remove(tile);
                Publish();
                Send(tile);
                return;
        }
        _attempts.Remove(tile);
        _failing.Remove(tile);
        // A quarantine answered Repeated means the day got applied meanwhile: it is done like any applied day.
        _quarantining.Remove(tile);
        switch (reply)
        {
            case FitAck { Outcome: AckOutcome.Fitted or AckOutcome.AlreadyFitted } ack:
                Finish(tile, done: $"{ack.Outcome} (fit {ack.FitNumber})");
                break;
            case DayAck { Outcome: AckOutcome.Applied or AckOutcome.Repeated } ack:
                _state = _state.Apply(new JobEvent.DayDone(tile, ack.Day, ack.Outcome));
                if (ack.ReportError is { } reportError)
                {
                    // The day is stored but its report is missing, and the next days' would fail alike: the tile stops here, and
                    // the same job run again sends this day again (Repeated), which rewrites the report, then goes on.
                    Finish(tile, fail: $"{reportError}; the days applied are stored: make room (or make the folder writable) and run the same command again to write the missing reports");
                    break;
                }
                Publish();
                Send(tile);
                break;
            case FitAck ack:
                Finish(tile, fail: $"{ack.Outcome}: {ack.Detail}");
                break;
            case DayAck { Outcome: AckOutcome.Older } ack:
                // Older means never applied: a later day (e.g. from the poller) reached the tile first. Counting it as done would
                // hide a hole in the tile's series.
                Finish(tile, fail: $"{ack.Day:yyyy-MM-dd} was skipped ({ack.Detail}); refit the tile (fit --replace) and fast-forward again to include it");
                break;
            case DayAck { Outcome: AckOutcome.Gap } ack:
                // The job sends a tile's days in order from its first, so the tile lost the earlier day the job sent (a refit
                // meanwhile) or is waiting for days no job planned: this job cannot fill the hole, waiting would never end.
                Finish(tile, fail: $"{ack.Day:yyyy-MM-dd} was not applied: {ack.Detail}. Fast-forward the tile again from its history end " +
                    "and further (a later --to, up to now) so the missing day and the ones after it are sent in order");
                break;
            case DayAck ack:
                Finish(tile, fail: $"{ack.Day:yyyy-MM-dd} {ack.Outcome}: {ack.Detail}");
                break;
            default:
                Finish(tile, fail: $"unexpected answer {reply.GetType().Name}");
                break;
        }
    }

    /// <summary>
    /// The tile could not apply the day for a reason that may pass (a permanent one it quarantines itself). Sent again by
    /// the <see cref="RetryWindow"/> rule, the tile leaving its place to others while it waits; once the window has passed
    /// the day is quarantined.
    /// </summary>
    private void DayFailed(TileKey tile, DayAck ack)
    {
        var now = DateTime.UtcNow;
        _attempts.Remove(tile);
        var (failures, first) = _failing.TryGetValue(tile, out var f) ? (f.Failures + 1, f.FirstUtc) : (1, now);
        _failing[tile] = (failures, first);
        var retry = _settings.Retry;
        if (retry.NextWait(first, now, failures) is not { } wait)
        {
            _log.Warning("Job {0}: tile {1}: day {2:yyyy-MM-dd} still fails after its retry window ({3}); quarantining it", _request.JobId, tile, ack.Day, ack.Detail);
            _quarantining[tile] = retry.GaveUp(first, failures, ack.Detail);
            Send(tile);
            return;
        }
        var detail = retry.Retrying(first, now + wait, failures, ack.Detail);
        _log.Warning("Job {0}: tile {1}: {2}", _request.JobId, tile, detail);
        _state = _state.Apply(new JobEvent.Retrying(tile, detail));
        Publish();
        _active.Remove(tile);
        Timers.StartSingleTimer(tile, new Resume(tile), wait);
        Fill();
    }

    private void Finish(TileKey tile, string? done = null, string? fail = null)
    {
        if (fail is not null) _log.Warning("Job {0}: tile {1} failed: {2}", _request.JobId, tile, fail);
        _attempts.Remove(tile);
        _failing.Remove(tile);
        _quarantining.Remove(tile);
        _active.Remove(tile);
        _state = _state.Apply(fail is null ? new JobEvent.TileDone(tile, done ?? "") : new JobEvent.TileFailed(tile, fail));
        Fill();
        Publish();
    }

    private void Publish()
    {
        var progress = _state.Progress();
        _subscriber?.Tell(progress);
        if (progress.Finished)
            _log.Info("Job {0} ({1}) finished: {2} done, {3} failed of {4}; {5} day(s) quarantined", progress.JobId, progress.Kind,
                progress.TilesDone, progress.TilesFailed, progress.TilesTotal, progress.Tiles.Sum(t => t.DaysQuarantined));
    }
}
