using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using NrtCluster.Actors.Poller;
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
        : JobRequest(JobId, Tiles);
}

/// <param name="Parallelism">Tiles worked on at once (each tile's days are always sequential).</param>
/// <param name="AskTimeout">Longest wait for one tile to answer one fit or day.</param>
public sealed record JobSettings(int Parallelism, TimeSpan AskTimeout)
{
    public static JobSettings Default { get; } = new(4, TimeSpan.FromMinutes(30));

    public void Validate()
    {
        if (Parallelism < 1) throw new ArgumentOutOfRangeException(nameof(Parallelism), Parallelism, "A job works on at least 1 tile at a time.");
        if (AskTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(AskTimeout), AskTimeout, "The tile answer timeout must be positive.");
    }
}

/// <summary>
/// Runs one job over the tile shard region: fits, or a fast-forward planned from one archive search. Sends its
/// <see cref="JobProgress"/> to the subscriber on every change (the last one with Finished set) and answers
/// <see cref="GetJobProgress"/>. Safe to run again: tiles answer a repeated fit or day without changing.
/// </summary>
public sealed class JobActor : ReceiveActor
{
    private sealed record Planned(ImmutableDictionary<TileKey, ImmutableArray<ObserveDay>> Days);
    private sealed record PlanFailed(Exception Error);
    private sealed record Answer(TileKey Tile, object Reply);
    private sealed record NoAnswer(TileKey Tile, Exception Error);

    private readonly JobRequest _request;
    private readonly IActorRef _tiles;
    private readonly JobSettings _settings;
    private readonly IActorRef? _subscriber;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Queue<TileKey> _waiting = new();
    private ImmutableDictionary<TileKey, ImmutableArray<ObserveDay>> _days = ImmutableDictionary<TileKey, ImmutableArray<ObserveDay>>.Empty;
    private JobState _state;

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
        Receive<NoAnswer>(n => Finish(n.Tile, fail: $"no answer within {_settings.AskTimeout}: {n.Error.Message}"));
    }

    protected override void PreStart()
    {
        PipelineSerialization.Register(Context.System);
        switch (_request)
        {
            case JobRequest.Fit:
                Run(ImmutableDictionary<TileKey, ImmutableArray<ObserveDay>>.Empty);
                break;
            case JobRequest.FastForward ff:
                var tiles = _request.Tiles.ToHashSet();
                ff.Archive.SearchAsync(ff.FromUtc, ff.ToUtc, CancellationToken.None)
                    .ContinueWith(t => ItemDiscovery.PlanByTile(ItemDiscovery.Discover(t.Result, ff.Index))
                        .Where(kv => tiles.Contains(kv.Key))
                        // The history's last day belongs to the fit, not to monitoring.
                        .ToImmutableDictionary(kv => kv.Key, kv => kv.Value.Where(d => d.AcquiredUtc > ff.FromUtc).ToImmutableArray()),
                        TaskScheduler.Default)
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
        for (int i = 0; i < _settings.Parallelism; i++) StartNextTile();
        Publish();
    }

    private void StartNextTile()
    {
        if (!_waiting.TryDequeue(out var tile)) return;
        _state = _state.Apply(new JobEvent.TileStarted(tile));
        Send(tile);
    }

    /// <summary>Sends the tile its next message: the fit, or the first day not yet acknowledged.</summary>
    private void Send(TileKey tile)
    {
        ITileMessage message;
        if (_request is JobRequest.Fit fit)
        {
            message = new FitTile(tile, fit.HistoryStart, fit.HistoryEnd, fit.Replace);
        }
        else
        {
            var days = _days.GetValueOrDefault(tile, []);
            int next = _state.Tiles[tile].DaysDone;
            if (next >= days.Length)
            {
                Finish(tile, done: days.IsEmpty ? "no new days" : $"at {days[^1].Day:yyyy-MM-dd}");
                return;
            }
            message = days[next];
        }
        _tiles.Ask<object>(message, _settings.AskTimeout)
            .PipeTo(Self, success: reply => new Answer(tile, reply), failure: ex => new NoAnswer(tile, ex));
    }

    private void Answered(TileKey tile, object reply)
    {
        switch (reply)
        {
            case FitAck { Outcome: AckOutcome.Fitted or AckOutcome.AlreadyFitted } ack:
                Finish(tile, done: $"{ack.Outcome} (fit {ack.FitNumber})");
                break;
            case DayAck { Outcome: AckOutcome.Applied or AckOutcome.Repeated or AckOutcome.Older } ack:
                _state = _state.Apply(new JobEvent.DayDone(tile, ack.Day, ack.Outcome));
                Publish();
                Send(tile);
                break;
            case FitAck ack:
                Finish(tile, fail: $"{ack.Outcome}: {ack.Detail}");
                break;
            case DayAck ack:
                Finish(tile, fail: $"{ack.Day:yyyy-MM-dd} {ack.Outcome}: {ack.Detail}");
                break;
            default:
                Finish(tile, fail: $"unexpected answer {reply.GetType().Name}");
                break;
        }
    }

    private void Finish(TileKey tile, string? done = null, string? fail = null)
    {
        if (fail is not null) _log.Warning("Job {0}: tile {1} failed: {2}", _request.JobId, tile, fail);
        _state = _state.Apply(fail is null ? new JobEvent.TileDone(tile, done ?? "") : new JobEvent.TileFailed(tile, fail));
        StartNextTile();
        Publish();
    }

    private void Publish()
    {
        var progress = _state.Progress();
        _subscriber?.Tell(progress);
        if (progress.Finished)
            _log.Info("Job {0} ({1}) finished: {2} done, {3} failed of {4}", progress.JobId, progress.Kind, progress.TilesDone, progress.TilesFailed, progress.TilesTotal);
    }
}
