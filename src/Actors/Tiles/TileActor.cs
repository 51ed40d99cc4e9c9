using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace NrtCluster.Actors.Tiles;

/// <summary>What a tile actor needs besides its id.</summary>
/// <param name="SnapshotsToKeep">Older snapshots kept as backups besides the latest; journal events covered by the latest snapshot are deleted.</param>
/// <param name="AlertSink">Receives a <see cref="TileAlert"/> after every applied day (the report aggregator); null for none.</param>
/// <param name="StoreTimeout">Longest wait for the model store (save or load of a fitted model).</param>
public sealed record TileActorSettings(
    IMonitorEngine Engine,
    IObservationSource Source,
    ITileReportWriter? ReportWriter,
    IActorRef? AlertSink,
    int SnapshotsToKeep,
    TimeSpan StoreTimeout)
{
    /// <summary>Settings with the storage values of <c>nrtcluster.tiles</c> (hocon/base.conf).</summary>
    public static TileActorSettings FromConfig(
        Akka.Configuration.Config config, IMonitorEngine engine, IObservationSource source, ITileReportWriter? reportWriter, IActorRef? alertSink) =>
        new(engine, source, reportWriter, alertSink,
            config.GetInt("nrtcluster.tiles.snapshots-to-keep", 3),
            config.GetTimeSpan("nrtcluster.tiles.store-timeout", TimeSpan.FromSeconds(120), allowInfinite: false));

    public void Validate()
    {
        if (SnapshotsToKeep < 0) throw new ArgumentOutOfRangeException(nameof(SnapshotsToKeep), SnapshotsToKeep, "The number of backup snapshots cannot be negative.");
        if (StoreTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(StoreTimeout), StoreTimeout, "The model store timeout must be positive.");
    }
}

/// <summary>
/// One tile as a persistent actor (a cluster-sharding entity). The pure <see cref="TileState"/> decides; this actor loads
/// pixels, persists, replies after the events are stored, writes the report and emits the alert. One command runs at a time
/// (others are stashed), so days are decided against the state they follow.
/// Storage: journal events (<see cref="ModelFitted"/>, <see cref="DayApplied"/>, each carrying the complete monitoring state
/// after it, so the journal alone is consistent per day); a <see cref="TileSnapshot"/> after every event for fast recovery,
/// with a configured number of older snapshots kept as backups and the events the latest snapshot covers deleted; the fitted model once per fit as a snapshot of its own
/// persistence id (<c>tile-model-{tile}</c>), stored before the event that refers to it.
/// </summary>
public sealed class TileActor : UntypedPersistentActor
{
    private readonly TileKey _tile;
    private readonly TileActorSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private TileState _state;

    public TileActor(TileKey tile, TileActorSettings settings)
    {
        settings.Validate();
        _tile = tile;
        _settings = settings;
        _state = TileState.Empty(tile);
    }

    public static Props Props(TileKey tile, TileActorSettings settings) => Akka.Actor.Props.Create(() => new TileActor(tile, settings));

    public static string PersistenceIdOf(TileKey tile) => $"tile-{tile}";

    public static string ModelPersistenceIdOf(TileKey tile) => $"tile-model-{tile}";

    public override string PersistenceId => PersistenceIdOf(_tile);

    /// <summary>
    /// Asks for the <see cref="TileState"/> as the actor holds it, for tests and in-process diagnostics: the reply is not
    /// serializable, so ask a tile hosted on this node (<see cref="GetTileStatus"/> is the cluster-wide query).
    /// </summary>
    public sealed record GetTileState(TileKey Tile) : ITileMessage;

    // ---- internal messages (never leave the process)
    private sealed record Decided(TileDecision Decision, IActorRef ReplyTo, string What);
    private sealed record CommandFailed(Exception Error, IActorRef ReplyTo, INrtSerializable Reply, string What);
    private sealed record ModelStored(TileDecision Decision, IActorRef ReplyTo);
    private sealed record ModelLoaded(TileModel Model);
    private sealed record ModelLoadFailed(Exception Error);
    private sealed record ReportDone(DateOnly Day, long NewBreaks, string? Path);

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: TileSnapshot snapshot }:
                _state = TileState.FromSnapshot(snapshot);
                break;
            case ITileEvent e:
                _state = _state.Apply(e);
                break;
            case RecoveryCompleted:
                _log.Debug("Tile {0} recovered: fit {1}, {2} applied days, last {3}", _tile, _state.FitNumber, _state.Days.Length, _state.LastDay);
                if (_state.IsFitted) LoadModel();
                break;
        }
    }

    private void LoadModel()
    {
        long fit = _state.FitNumber;
        var criteria = new SnapshotSelectionCriteria(fit, DateTime.MaxValue, fit, DateTime.MinValue);
        SnapshotStore.Ask<object>(new LoadSnapshot(ModelPersistenceIdOf(_tile), criteria, fit), _settings.StoreTimeout)
            .PipeTo(Self,
                success: reply => reply switch
                {
                    LoadSnapshotResult { Snapshot.Snapshot: TileModel model } => new ModelLoaded(model),
                    LoadSnapshotResult => new ModelLoadFailed(new InvalidOperationException(
                        $"Tile {_tile}: the model of fit {fit} is missing from the snapshot store ({ModelPersistenceIdOf(_tile)}); refit the tile.")),
                    LoadSnapshotFailed f => new ModelLoadFailed(f.Cause),
                    _ => new ModelLoadFailed(new InvalidOperationException($"Unexpected model store reply {reply.GetType().Name}.")),
                },
                failure: ex => new ModelLoadFailed(ex));
        Become(LoadingModel);
    }

    private void LoadingModel(object message)
    {
        switch (message)
        {
            case ModelLoaded loaded:
                _state = _state.WithModel(loaded.Model);
                BecomeReady();
                break;
            case ModelLoadFailed failed:
                // Without its model the tile cannot apply a day; failing makes sharding restart it (with backoff) and retry the load.
                _log.Error(failed.Error, "Tile {0}: cannot load the model of fit {1}", _tile, _state.FitNumber);
                throw new InvalidOperationException($"Tile {_tile}: cannot load the model of fit {_state.FitNumber}.", failed.Error);
            default:
                if (!HandleHousekeeping(message)) Stash.Stash();
                break;
        }
    }

    protected override void OnCommand(object message) => Ready(message);

    private void BecomeReady()
    {
        Become(Ready);
        Stash.UnstashAll();
    }

    private void Ready(object message)
    {
        switch (message)
        {
            case FitTile fit: StartFit(fit); break;
            case ObserveDay observe: StartObserve(observe); break;
            case GetTileReport:
                string? path = _settings.ReportWriter?.PathFor(_tile);
                Sender.Tell(_state.Decide(new TileCommand.Report(path is not null && File.Exists(path) ? path : null), _settings.Engine).Reply);
                break;
            case GetTileStatus:
                Sender.Tell(_state.Decide(new TileCommand.Status(), _settings.Engine).Reply);
                break;
            case GetTileState:
                Sender.Tell(_state);
                break;
            default:
                if (!HandleHousekeeping(message)) Unhandled(message);
                break;
        }
    }

    private void StartFit(FitTile request)
    {
        var replyTo = Sender;
        if (_state.IsFitted && !request.Replace)
        {
            // Decided without loading a history: the answer does not depend on it.
            replyTo.Tell(new FitAck(_tile, _state.FitNumber, AckOutcome.AlreadyFitted,
                $"tile {_tile} is already fitted (fit {_state.FitNumber}); send FitTile with Replace = true to refit"));
            return;
        }
        var state = _state;
        var engine = _settings.Engine;
        var failReply = new FitAck(_tile, _state.FitNumber, AckOutcome.Failed, "");
        _settings.Source.LoadHistoryAsync(_tile, request.HistoryStart, request.HistoryEnd, CancellationToken.None)
            .ContinueWith(t => state.Decide(new TileCommand.Fit(request, t.Result), engine), TaskScheduler.Default)
            .PipeTo(Self,
                success: d => new Decided(d, replyTo, $"fit {request.HistoryStart:yyyy-MM-dd}..{request.HistoryEnd:yyyy-MM-dd}"),
                failure: ex => new CommandFailed(Unwrap(ex), replyTo, failReply, "fit"));
        Become(Busy);
    }

    private void StartObserve(ObserveDay request)
    {
        var replyTo = Sender;
        if (_state.CheckDay(request.Day) is { } refused)
        {
            // Redeliveries and late days are normal under at-least-once delivery: acknowledged, logged, nothing loaded.
            var ack = (DayAck)_state.Decide(new TileCommand.Observe(request, []), _settings.Engine).Reply;
            _log.Info("Tile {0}: day {1:yyyy-MM-dd} ignored ({2}): {3}", _tile, request.Day, refused, ack.Detail);
            replyTo.Tell(ack);
            return;
        }
        var state = _state;
        var engine = _settings.Engine;
        var failReply = new DayAck(_tile, request.Day, AckOutcome.Failed, "");
        _settings.Source.LoadObservationAsync(_tile, request.Day, request.AcquiredUtc, request.Items, CancellationToken.None)
            .ContinueWith(t => state.Decide(new TileCommand.Observe(request, t.Result), engine), TaskScheduler.Default)
            .PipeTo(Self,
                success: d => new Decided(d, replyTo, $"day {request.Day:yyyy-MM-dd}"),
                failure: ex => new CommandFailed(Unwrap(ex), replyTo, failReply, $"day {request.Day:yyyy-MM-dd}"));
        Become(Busy);
    }

    private void Busy(object message)
    {
        switch (message)
        {
            case Decided { Decision.ModelToStore: { } model } d:
                var metadata = new SnapshotMetadata(ModelPersistenceIdOf(_tile), model.FitNumber, DateTime.UtcNow);
                SnapshotStore.Ask<object>(new SaveSnapshot(metadata, model), _settings.StoreTimeout)
                    .PipeTo(Self,
                        success: reply => reply is SaveSnapshotSuccess
                            ? new ModelStored(d.Decision, d.ReplyTo)
                            : new CommandFailed(reply is SaveSnapshotFailure f ? f.Cause : new InvalidOperationException($"Unexpected model store reply {reply.GetType().Name}."),
                                d.ReplyTo, d.Decision.Reply, d.What),
                        failure: ex => new CommandFailed(ex, d.ReplyTo, d.Decision.Reply, d.What));
                break;
            case ModelStored stored:
                PersistDecision(stored.Decision, stored.ReplyTo);
                break;
            case Decided d:
                PersistDecision(d.Decision, d.ReplyTo);
                break;
            case CommandFailed f:
                _log.Error(f.Error, "Tile {0}: {1} failed", _tile, f.What);
                f.ReplyTo.Tell(f.Reply switch
                {
                    FitAck a => a with { Outcome = AckOutcome.Failed, Detail = $"{f.What} failed: {f.Error.Message}" },
                    DayAck a => a with { Outcome = AckOutcome.Failed, Detail = $"{f.What} failed: {f.Error.Message}" },
                    var other => other,
                });
                BecomeReady();
                break;
            case ReportDone done:
                _settings.AlertSink?.Tell(new TileAlert(_tile, done.Day, done.NewBreaks, _state.Totals, done.Path));
                BecomeReady();
                break;
            default:
                if (!HandleHousekeeping(message)) Stash.Stash();
                break;
        }
    }

    private void PersistDecision(TileDecision decision, IActorRef replyTo)
    {
        if (decision.Events.IsEmpty)
        {
            replyTo.Tell(decision.Reply);
            BecomeReady();
            return;
        }
        var model = decision.ModelToStore;
        int remaining = decision.Events.Length;
        PersistAll(decision.Events, e =>
        {
            _state = _state.Apply(e);
            if (model is not null && e is ModelFitted)
            {
                _state = _state.WithModel(model);
                if (model.FitNumber > 1)
                    SnapshotStore.Tell(new DeleteSnapshots(ModelPersistenceIdOf(_tile), new SnapshotSelectionCriteria(model.FitNumber - 1)));
            }
            if (--remaining > 0) return;

            // Acknowledge only once the events are stored: a sender that saw the ack can forget the message.
            replyTo.Tell(decision.Reply);
            SaveSnapshot(_state.ToSnapshot());
            if (e is DayApplied applied) WriteReport(applied.Day);
            else BecomeReady();
        });
    }

    private void WriteReport(AppliedDay day)
    {
        if (_settings.ReportWriter is not { } writer)
        {
            Self.Tell(new ReportDone(day.Day, day.NewBreaks, null));
            return;
        }
        writer.WriteAsync(_tile, day.Day, _state.Model!.Layers, _state.Monitoring!, CancellationToken.None)
            .PipeTo(Self,
                success: path => new ReportDone(day.Day, day.NewBreaks, path),
                failure: ex =>
                {
                    // The day is applied and stored; a missing report is logged and the alert says so (no path).
                    _log.Error(ex, "Tile {0}: writing the report of {1:yyyy-MM-dd} failed", _tile, day.Day);
                    return new ReportDone(day.Day, day.NewBreaks, null);
                });
    }

    /// <summary>Snapshot and deletion replies, in any behaviour.</summary>
    private bool HandleHousekeeping(object message)
    {
        switch (message)
        {
            case SaveSnapshotSuccess ok when ok.Metadata.PersistenceId == PersistenceId:
                // The stored snapshot covers every event up to it, and each kept snapshot is a complete backup on its own,
                // so only events after the latest snapshot stay in the journal.
                DeleteMessages(ok.Metadata.SequenceNr);
                long oldestKept = ok.Metadata.SequenceNr - _settings.SnapshotsToKeep;
                if (oldestKept > 1) DeleteSnapshots(new SnapshotSelectionCriteria(oldestKept - 1));
                return true;
            case SaveSnapshotFailure failure:
                _log.Warning("Tile {0}: snapshot {1} failed ({2}); the journal still holds the state", _tile, failure.Metadata.SequenceNr, failure.Cause.Message);
                return true;
            case DeleteMessagesSuccess or DeleteSnapshotsSuccess:
                return true;
            case DeleteMessagesFailure f:
                _log.Warning("Tile {0}: deleting events up to {1} failed ({2}); they will be deleted after a later day", _tile, f.ToSequenceNr, f.Cause.Message);
                return true;
            case DeleteSnapshotsFailure f:
                _log.Warning("Tile {0}: deleting old snapshots failed ({1}); they will be deleted after a later day", _tile, f.Cause.Message);
                return true;
            default:
                return false;
        }
    }

    private static Exception Unwrap(Exception ex) => ex is AggregateException { InnerExceptions.Count: 1 } a ? Unwrap(a.InnerExceptions[0]) : ex;
}
