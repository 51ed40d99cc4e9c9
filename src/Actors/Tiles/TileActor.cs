using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using NrtCluster.Actors.Reports;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Sentinel2;
using NrtCluster.Geo.Stac;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tiles;

/// <summary>What a tile actor needs besides its id.</summary>
/// <param name="SnapshotsToKeep">Older state snapshots kept as backups besides the latest (each is complete on its own).</param>
/// <param name="AlertSink">Receives a <see cref="TileAlert"/> after every applied day (the report aggregator); null for none.</param>
/// <param name="StoreTimeout">Longest wait for the snapshot store (saving a state or a model, loading a model).</param>
public sealed record TileActorSettings(
    IMonitorEngine Engine,
    IObservationSource Source,
    ITileReportWriter? ReportWriter,
    IActorRef? AlertSink,
    int SnapshotsToKeep,
    TimeSpan StoreTimeout)
{
    /// <summary>
    /// Within a batch of days (<see cref="ObserveDay.EndsBatch"/>), also write the report after this many days without one;
    /// 0: only after the batch's last day.
    /// </summary>
    public int ReportEveryDays { get; init; }

    /// <summary>Settings with the storage and report values of <c>nrtcluster.tiles</c> (hocon/base.conf).</summary>
    public static TileActorSettings FromConfig(
        Akka.Configuration.Config config, IMonitorEngine engine, IObservationSource source, ITileReportWriter? reportWriter, IActorRef? alertSink) =>
        new(engine, source, reportWriter, alertSink,
            config.GetInt("nrtcluster.tiles.snapshots-to-keep", 3),
            config.GetTimeSpan("nrtcluster.tiles.store-timeout", TimeSpan.FromSeconds(120), allowInfinite: false))
        {
            ReportEveryDays = config.GetInt("nrtcluster.tiles.report-every-days", 0),
        };

    public void Validate()
    {
        if (SnapshotsToKeep < 0) throw new ArgumentOutOfRangeException(nameof(SnapshotsToKeep), SnapshotsToKeep, "The number of backup snapshots cannot be negative.");
        if (ReportEveryDays < 0)
            throw new ArgumentOutOfRangeException(nameof(ReportEveryDays), ReportEveryDays,
                "nrtcluster.tiles.report-every-days cannot be negative: use 0 to write a tile's report once per batch of days, or N to write it also every N days.");
        if (StoreTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(StoreTimeout), StoreTimeout, "The model store timeout must be positive.");
    }
}

/// <summary>
/// One tile as a persistent actor (a cluster-sharding entity). The pure <see cref="TileState"/> decides a command into
/// events and applies them (<see cref="TileDecision"/>); this actor loads what a command needs (the history, a day's
/// pixels, the state kept for a requeue) into it, stores, replies once the change is stored, writes the report and emits
/// the alert. One command runs at a time (others are stashed), so days are decided against the state they follow.
/// Storage, per change (a fit or an applied day), in this order:
/// <list type="number">
/// <item>for a fit, the fitted model, once, as a snapshot of its own persistence id (<c>tile-model-{tile}</c>) with the fit number;</item>
/// <item>the state after the change as a <see cref="TileSnapshot"/> with the sequence number the change's event will get:
/// the state of record, written once per change;</item>
/// <item>the event (<see cref="ModelFitted"/>, <see cref="DayApplied"/>): a small record, kept as the tile's log; then the reply.</item>
/// </list>
/// A crash between any two writes leaves a consistent tile: before the state is stored nothing changed (the sender, without
/// a reply, sends again); once it is stored, recovery starts from it (Akka recovers from the latest snapshot even when
/// its event is missing and continues numbering after it), so the day is applied exactly once and a redelivery is
/// acknowledged as <see cref="AckOutcome.Repeated"/>; the report and alert of that day are then produced for the
/// redelivery. Backups: <see cref="TileActorSettings.SnapshotsToKeep"/> older snapshots; older ones are deleted, except the
/// one stored with each listed quarantined day (the state before that day), which a <see cref="RequeueDay"/> goes back to.
/// </summary>
public sealed class TileActor : UntypedPersistentActor
{
    private readonly TileId _tile;
    private readonly TileActorSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Telemetry _telemetry = Telemetry.Get(Context.System);
    private TileState _state;
    /// <summary>
    /// True while the last applied day's report and alert may be missing: the day was recovered rather than applied here, or
    /// its report could not be written.
    /// </summary>
    private bool _lastDayOutputsUnsure;
    /// <summary>Days applied since the report was last written (their batch had not ended): the report on disk is older than the state.</summary>
    private int _daysWithoutReport;
    /// <summary>Whether the day being applied ends its batch (<see cref="ObserveDay.EndsBatch"/>); one command runs at a time.</summary>
    private bool _dayEndsBatch;
    /// <summary>Why the last report write failed (null: it did not), so each cause is logged once rather than per day.</summary>
    private string? _reportFailure;
    /// <summary>What the tile's delivery retries now (<see cref="DeliveryRetrying"/>).</summary>
    private string? _retrying;
    /// <summary>When the change being stored and the report being written started (<see cref="Stopwatch.GetTimestamp"/>), for their stage times.</summary>
    private long _storeStarted, _reportStarted;

    public TileActor(TileId tile, TileActorSettings settings)
    {
        settings.Validate();
        _tile = tile;
        _settings = settings;
        _state = TileState.Empty(tile);
    }

    public static Props Props(TileId tile, TileActorSettings settings) => Akka.Actor.Props.Create(() => new TileActor(tile, settings));

    public static string PersistenceIdOf(TileId tile) => $"tile-{tile}";

    public static string ModelPersistenceIdOf(TileId tile) => $"tile-model-{tile}";

    public override string PersistenceId => PersistenceIdOf(_tile);

    /// <summary>
    /// Asks for the <see cref="TileState"/> as the actor holds it, for tests and in-process diagnostics: the reply is not
    /// serializable, so ask a tile hosted on this node (<see cref="GetTileStatus"/> is the cluster-wide query).
    /// </summary>
    public sealed record GetTileState(TileId Tile) : ITileMessage;

    /// <summary>
    /// From the tile's delivery, in the same entity (never serialized): the day it retries now and why, or null once the
    /// day is through; shown in <see cref="TileStatus.Retrying"/>.
    /// </summary>
    public sealed record DeliveryRetrying(string? Detail);

    // ---- internal messages (never leave the process)
    private sealed record Decided(TileDecision Decision, IActorRef ReplyTo, string What);
    private sealed record CommandFailed(Exception Error, IActorRef ReplyTo, INrtSerializable Reply, string What);
    /// <summary>The day's items cannot be read for good (<see cref="InputFailure.IsPermanent"/>): quarantined at once.</summary>
    private sealed record DayUnreadable(ObserveDay Request, Exception Error, IActorRef ReplyTo);
    private sealed record ModelStored(TileDecision Decision, IActorRef ReplyTo, string What);
    private sealed record StateStored(TileDecision Decision, IActorRef ReplyTo, long SequenceNr);
    private sealed record ModelLoaded(TileModel Model);
    private sealed record ModelLoadFailed(Exception Error);
    /// <summary>The state kept with a quarantine was asked from the store for a requeue.</summary>
    private sealed record KeptStateLoaded(QuarantinedDay Day, object Reply, IActorRef ReplyTo);
    /// <param name="Failure">Why the report could not be written (<see cref="WriteFailure"/>); null when it was, or there is no writer.</param>
    /// <param name="RewriteFor">Set for a <see cref="RewriteTileReport"/>: who gets the reply; no alert, the day was counted already.</param>
    /// <param name="Ack">The day's acknowledgement, sent once the report is written (with <see cref="DayAck.ReportError"/> when not).</param>
    /// <param name="Deferred">Not written: the day's batch goes on and its last day writes the report (the alert has no path).</param>
    /// <param name="MaskReply">With <paramref name="RewriteFor"/>: the report follows a forest mask update, which this answers.</param>
    private sealed record ReportDone(DateOnly Day, long NewBreaks, string? Path, string? Failure, IActorRef? RewriteFor = null, (DayAck Ack, IActorRef To)? Ack = null, bool Deferred = false,
        MaskAck? MaskReply = null);

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: TileSnapshot snapshot }:
                _state = TileState.FromSnapshot(snapshot);
                break;
            case ITileEvent e:
                // Every change's state is stored before its event, so the latest snapshot covers every event.
                throw new InvalidOperationException(
                    $"Tile {_tile}: journal event {e.GetType().Name} {LastSequenceNr} follows the latest snapshot, so the state it recorded is missing " +
                    "from the snapshot store; restore the snapshot table from a backup, or delete the tile's rows and refit it.");
            case RecoveryCompleted:
                _lastDayOutputsUnsure = !_state.Days.IsEmpty;
                _telemetry.TileHere(_tile, _state.LastDay, _state.Quarantined.Length);
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

    protected override void PostStop()
    {
        _telemetry.TileGone(_tile);
        base.PostStop();
    }

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
            case ImportTileState import: StartImport(import); break;
            case ExportTileState export: Export(export, Sender); break;
            case ObserveDay observe: StartObserve(observe); break;
            case QuarantineDay quarantine: Quarantine(quarantine, Sender); break;
            case RequeueDay requeue: Requeue(requeue, Sender); break;
            case UpdateMask update: StartMaskUpdate(update); break;
            case GetTileReport:
                string? path = _settings.ReportWriter?.PathFor(_tile);
                Sender.Tell(TileDecision.Of(_state, new TileCommand.Report(path is not null && File.Exists(path) ? path : null)).Reply);
                break;
            case RewriteTileReport:
                RewriteReport(Sender);
                break;
            case GetTileStatus:
                Sender.Tell((TileStatus)TileDecision.Of(_state, new TileCommand.Status()).Reply with { ReportError = _reportFailure, Retrying = _retrying });
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
        if (_state.RefuseFit(request) is { } refused)
        {
            // Decided without loading a history: the answer does not depend on it.
            replyTo.Tell(refused);
            return;
        }
        var state = _state;
        var engine = _settings.Engine;
        var failReply = new FitAck(_tile, _state.FitNumber, AckOutcome.Failed, "");
        _settings.Source.LoadHistoryAsync(_tile, request.HistoryStart, request.HistoryEnd, CancellationToken.None)
            .ContinueWith(t => TileDecision.Of(state, new TileCommand.Fit(request, t.Result, engine)), TaskScheduler.Default)
            .PipeTo(Self,
                success: d => new Decided(d, replyTo, $"fit {request.HistoryStart:yyyy-MM-dd}..{request.HistoryEnd:yyyy-MM-dd}"),
                failure: ex => new CommandFailed(Unwrap(ex), replyTo, failReply, "fit"));
        Become(Busy);
    }

    /// <summary>Reads the nrt file off the actor's thread, then stores it as a fit does (model, state, event).</summary>
    private void StartImport(ImportTileState request)
    {
        var replyTo = Sender;
        var state = _state;
        var engine = _settings.Engine;
        var failReply = new FitAck(_tile, _state.FitNumber, AckOutcome.Failed, "");
        Task.Run(() => TileDecision.Of(state, new TileCommand.Import(request, engine.ReadNrtState(request.Path, request.Where), engine)))
            .PipeTo(Self,
                success: d => new Decided(d, replyTo, $"import of {request.Path}"),
                failure: ex => new CommandFailed(Unwrap(ex), replyTo, failReply, $"import of {request.Path}"));
        Become(Busy);
    }

    /// <summary>Writes the state off the actor's thread; the layers are immutable, so the tile goes on meanwhile.</summary>
    private void Export(ExportTileState request, IActorRef replyTo)
    {
        if (!_state.HasModel || _state.Monitoring is not { } monitoring)
        {
            replyTo.Tell(new TileStateWritten(_tile, _state.FitNumber, null, $"tile {_tile} is not fitted; fit it (or import a state) first"));
            return;
        }
        var (model, engine, tile, fit) = (_state.Model!.Layers, _settings.Engine, _tile, _state.FitNumber);
        Task.Run(() =>
        {
            engine.WriteNrtState(request.Path, model, monitoring, request.Where);
            return new TileStateWritten(tile, fit, request.Path, $"fit {fit} written to {request.Path}");
        }).PipeTo(replyTo, failure: ex => new TileStateWritten(tile, fit, null, $"cannot write {request.Path}: {Unwrap(ex).Message}"));
    }

    private void StartObserve(ObserveDay request)
    {
        var replyTo = Sender;
        if (_state.RefuseDay(request) is { } ack)
        {
            // Redeliveries and days queued before a refit are normal under at-least-once delivery: acknowledged, logged, nothing loaded.
            _log.Info("Tile {0}: day {1:yyyy-MM-dd} ignored ({2}): {3}", _tile, request.Day, ack.Outcome, ack.Detail);
            if (ack.Outcome == AckOutcome.Repeated) _telemetry.TileDay(TileDayOutcome.Repeated);
            // The node may have stopped after storing this day and before its report and alert, or the report could not be
            // written: produce them again (the report is rewritten whole, the aggregator counts a day once), then answer,
            // so a sender learns whether the report is in place now. Likewise when a batch ends on a day that changes
            // nothing while earlier days of it wait for their report.
            bool unsure = ack.Outcome == AckOutcome.Repeated && request.Day == _state.LastDay && _lastDayOutputsUnsure;
            bool batchEnds = request.EndsBatch && _daysWithoutReport > 0 && ack.Outcome is AckOutcome.Repeated or AckOutcome.Older or AckOutcome.Superseded;
            if ((unsure || batchEnds) && !_state.Days.IsEmpty)
            {
                WriteReport(_state.Days[^1].Day, _state.Days[^1].NewBreaks, ack: (ack, replyTo));
                Become(Busy);
                return;
            }
            replyTo.Tell(ack);
            return;
        }
        var state = _state;
        var engine = _settings.Engine;
        var failReply = new DayAck(_tile, request.Day, AckOutcome.Failed, "");
        var telemetry = _telemetry;
        _dayEndsBatch = request.EndsBatch;
        long started = Stopwatch.GetTimestamp();
        _settings.Source.LoadObservationAsync(_tile, request.Day, request.AcquiredUtc, request.Items, CancellationToken.None)
            .ContinueWith(t =>
            {
                var load = t.Result;
                telemetry.Stage(Telemetry.Load, started);
                long stepping = Stopwatch.GetTimestamp();
                var decision = TileDecision.Of(state, new TileCommand.Observe(request, load.Values, engine, load.LeftOut));
                telemetry.Stage(Telemetry.Monitor, stepping);
                return decision;
            }, TaskScheduler.Default)
            .PipeTo(Self,
                success: d => new Decided(d, replyTo, $"day {request.Day:yyyy-MM-dd}"),
                failure: ex => Unwrap(ex) is var error && InputFailure.IsPermanent(error)
                    ? new DayUnreadable(request, error, replyTo)
                    : new CommandFailed(error, replyTo, failReply, $"day {request.Day:yyyy-MM-dd}"));
        Become(Busy);
    }

    /// <summary>
    /// Reads the forest mask raster on the tile, decides the new monitored pixels on it and stores them like an applied day;
    /// the report is then rewritten from the new state. No refit: the model and fit number stay.
    /// </summary>
    private void StartMaskUpdate(UpdateMask request)
    {
        var replyTo = Sender;
        if (_state.RefuseMask(request) is { } refused)
        {
            replyTo.Tell(refused);
            return;
        }
        var state = _state;
        string what = $"forest mask update from {request.RasterPath ?? "every pixel"}";
        _settings.Source.LoadForestMaskAsync(_tile, request.RasterPath, request.Threshold, CancellationToken.None)
            .ContinueWith(t => TileDecision.Of(state, new TileCommand.UpdateMask(request, t.Result, DateTime.UtcNow)), TaskScheduler.Default)
            .PipeTo(Self,
                success: d => new Decided(d, replyTo, what),
                failure: ex => new CommandFailed(Unwrap(ex), replyTo, new MaskAck(_tile, state.FitNumber, AckOutcome.Failed, "", null), what));
        Become(Busy);
    }

    /// <summary>Nothing to load: decided at once, then stored like an applied day (state snapshot, then the small event).</summary>
    private void Quarantine(QuarantineDay request, IActorRef replyTo)
    {
        var decision = TileDecision.Of(_state, new TileCommand.Quarantine(request, DateTime.UtcNow, LastSequenceNr + 1));
        if (decision.Event is not null)
            _log.Warning("Tile {0}: day {1:yyyy-MM-dd} quarantined (items {2}): {3}", _tile, request.Day, string.Join(", ", request.Items.Select(i => i.Id)), request.Reason);
        Become(Busy);
        StoreState(decision, replyTo, $"quarantine of {request.Day:yyyy-MM-dd}");
    }

    /// <summary>Loads the state stored with the day's quarantine, then decides the rewind on it in <see cref="Busy"/>.</summary>
    private void Requeue(RequeueDay request, IActorRef replyTo)
    {
        var (day, refused) = _state.RequeueTarget(request);
        if (day is null)
        {
            replyTo.Tell(refused!);
            return;
        }
        long kept = day.SnapshotSequenceNr;
        var criteria = new SnapshotSelectionCriteria(kept, DateTime.MaxValue, kept, DateTime.MinValue);
        SnapshotStore.Ask<object>(new LoadSnapshot(PersistenceId, criteria, kept), _settings.StoreTimeout)
            .PipeTo(Self, success: reply => new KeptStateLoaded(day, reply, replyTo), failure: ex => new KeptStateLoaded(day, ex, replyTo));
        Become(Busy);
    }

    private void Busy(object message)
    {
        switch (message)
        {
            case KeptStateLoaded { Reply: LoadSnapshotFailed or Exception } failed:
                var cause = failed.Reply is LoadSnapshotFailed lf ? lf.Cause : (Exception)failed.Reply;
                Self.Tell(new CommandFailed(cause, failed.ReplyTo, new DayAck(_tile, failed.Day.Day, AckOutcome.Failed, ""), $"requeue of {failed.Day.Day:yyyy-MM-dd}"));
                break;
            case KeptStateLoaded loaded:
                // The store answers with the latest snapshot up to the number asked: only that very one is the state before the day.
                var before = loaded.Reply is LoadSnapshotResult { Snapshot: { Snapshot: TileSnapshot s, Metadata.SequenceNr: var n } } && n == loaded.Day.SnapshotSequenceNr
                    ? s : null;
                var rewind = TileDecision.Of(_state, new TileCommand.Rewind(loaded.Day, before));
                if (rewind.Event is not null)
                    _log.Warning("Tile {0}: requeue of {1:yyyy-MM-dd}: {2}", _tile, loaded.Day.Day, ((DayAck)rewind.Reply).Detail);
                StoreState(rewind, loaded.ReplyTo, $"requeue of {loaded.Day.Day:yyyy-MM-dd}");
                break;
            case Decided { Decision.ModelToStore: { } model } d:
                var metadata = new SnapshotMetadata(ModelPersistenceIdOf(_tile), model.FitNumber, DateTime.UtcNow);
                SnapshotStore.Ask<object>(new SaveSnapshot(metadata, model), _settings.StoreTimeout)
                    .PipeTo(Self,
                        success: reply => reply is SaveSnapshotSuccess
                            ? new ModelStored(d.Decision, d.ReplyTo, d.What)
                            : StoreFailed(reply, d.ReplyTo, d.Decision.Reply, d.What),
                        failure: ex => new CommandFailed(ex, d.ReplyTo, d.Decision.Reply, d.What));
                break;
            case ModelStored stored:
                StoreState(stored.Decision, stored.ReplyTo, stored.What);
                break;
            case Decided d:
                StoreState(d.Decision, d.ReplyTo, d.What);
                break;
            case StateStored stored:
                PersistEvent(stored);
                break;
            case DayUnreadable u:
                // Retrying cannot help (a missing or corrupt file, a 404): set aside now rather than after the senders' retries.
                var r = u.Request;
                Quarantine(new QuarantineDay(_tile, r.Day, r.AcquiredUtc, r.Items, u.Error.Message), u.ReplyTo);
                break;
            case CommandFailed f:
                // Input that may be readable later (a timeout, a 5xx, a refused connection) is expected and retried, then
                // quarantined: one line naming it is enough. Anything else is a fault worth its stack trace.
                if (f.Error is ObservationReadException or StacException or IOException or HttpRequestException or InvalidDataException or GdalException)
                    _log.Warning("Tile {0}: {1} failed: {2}", _tile, f.What, f.Error.Message);
                else
                    _log.Error(f.Error, "Tile {0}: {1} failed", _tile, f.What);
                f.ReplyTo.Tell(f.Reply switch
                {
                    FitAck a => a with { Outcome = AckOutcome.Failed, Detail = $"{f.What} failed: {f.Error.Message}" },
                    DayAck a => a with { Outcome = AckOutcome.Failed, Detail = $"{f.What} failed: {f.Error.Message}" },
                    MaskAck a => a with { Outcome = AckOutcome.Failed, Detail = $"{f.What} failed: {f.Error.Message}" },
                    var other => other,
                });
                BecomeReady();
                break;
            case ReportDone { RewriteFor: { } requester, MaskReply: { } maskReply } done:
                NoteReport(done);
                _log.Info("Tile {0}: {1}; report {2}", _tile, maskReply.Detail, done.Path ?? "not written");
                requester.Tell(maskReply with { ReportError = done.Failure });
                BecomeReady();
                break;
            case ReportDone { RewriteFor: { } requester } done:
                NoteReport(done);
                _log.Info("Tile {0}: report rewritten from the state of {1:yyyy-MM-dd}: {2}", _tile, done.Day, done.Path ?? "not written");
                requester.Tell((TileReport)TileDecision.Of(_state, new TileCommand.Report(done.Path)).Reply with { ReportError = done.Failure });
                BecomeReady();
                break;
            case ReportDone done:
                NoteReport(done);
                if (done.Ack is var (ack, to)) to.Tell(ack with { ReportError = done.Failure });
                _log.Info("Tile {0}: day {1:yyyy-MM-dd} applied, {2} new breaks, {3} in all; report {4}",
                    _tile, done.Day, done.NewBreaks, _state.Totals.Breaks, done.Deferred ? "after the batch's last day" : done.Path ?? "not written");
                _settings.AlertSink?.Tell(new TileAlert(_tile, done.Day, done.NewBreaks, _state.Totals, done.Path));
                BecomeReady();
                break;
            default:
                if (!HandleHousekeeping(message)) Stash.Stash();
                break;
        }
    }

    /// <summary>Stores the state after the change as the snapshot of the sequence number its event will get.</summary>
    private void StoreState(TileDecision decision, IActorRef replyTo, string what)
    {
        if (decision is not { Event: not null, Next: var next })
        {
            replyTo.Tell(decision.Reply);
            BecomeReady();
            return;
        }
        long sequenceNr = LastSequenceNr + 1;
        _storeStarted = Stopwatch.GetTimestamp();
        SnapshotStore.Ask<object>(new SaveSnapshot(new SnapshotMetadata(PersistenceId, sequenceNr, DateTime.UtcNow), next.ToSnapshot()), _settings.StoreTimeout)
            .PipeTo(Self,
                success: reply => reply is SaveSnapshotSuccess
                    ? new StateStored(decision, replyTo, sequenceNr)
                    : StoreFailed(reply, replyTo, decision.Reply, what),
                failure: ex => new CommandFailed(ex, replyTo, decision.Reply, what));
    }

    /// <summary>Records the stored change in the journal, then replies: the reply means the change is durable.</summary>
    private void PersistEvent(StateStored stored)
    {
        var decision = stored.Decision;
        if (stored.SequenceNr != LastSequenceNr + 1)
            throw new InvalidOperationException($"Tile {_tile}: state stored as {stored.SequenceNr} but the next event is {LastSequenceNr + 1}.");
        Persist(decision.Event!.Record, e =>
        {
            _state = decision.Next;
            _telemetry.TileHere(_tile, _state.LastDay, _state.Quarantined.Length);
            if (e is DayQuarantined) _telemetry.TileDay(TileDayOutcome.Quarantined);
            if (decision.ModelToStore is { FitNumber: > 1 } model)
                SnapshotStore.Tell(new DeleteSnapshots(ModelPersistenceIdOf(_tile), new SnapshotSelectionCriteria(model.FitNumber - 1)));
            DeleteOldSnapshots(stored.SequenceNr);
            // One line per change of a tile, for unattended runs (the structured log adds the tile and day fields).
            if (e is ModelFitted fitted)
            {
                _log.Info("Tile {0}: fit {1} stored: {2}", _tile, fitted.FitNumber, (decision.Reply as FitAck)?.Detail);
                foreach (var warning in ((TileEvent.Fitted)decision.Event!).Warnings) _log.Warning("Tile {0}: fit {1}: {2}", _tile, fitted.FitNumber, warning);
            }
            // Rewound: the report and the last alert are of days now undone, until the requeue's fast-forward applies them
            // again; the repeat of the new last day (the first day it sends that changes nothing) writes them anew.
            if (e is TileRewound) _lastDayOutputsUnsure = true;
            // The report shows which pixels are monitored: rewritten from the new state, then the update is answered.
            if (e is MaskUpdated && decision.Reply is MaskAck maskAck && _state.Fit is { } fit)
            {
                WriteReport(_state.LastDay ?? fit.HistoryEnd, 0, stored.ReplyTo, maskReply: maskAck);
                return;
            }
            if (e is DayApplied applied && decision.Reply is DayAck ack)
            {
                _telemetry.Stage(Telemetry.Persist, _storeStarted);
                _telemetry.TileDay(TileDayOutcome.Applied);
                if (applied.Day.HazeGateSummary is { } haze) _log.Warning("Tile {0}: haze gate: {1:yyyy-MM-dd} {2}", _tile, applied.Day.Day, haze);
                // The day is durable now; the sender hears of it with the report's outcome, so a report that cannot be written
                // (a full disk, a read-only folder) reaches the job instead of only the log. Inside a batch the report waits for
                // its last day (the report is built from the state alone, so it comes out the same) unless every-N-days asks.
                int every = _settings.ReportEveryDays;
                if (!_dayEndsBatch && (every == 0 || _daysWithoutReport + 1 < every))
                {
                    _daysWithoutReport++;
                    Self.Tell(new ReportDone(applied.Day.Day, applied.Day.NewBreaks, null, null, Ack: (ack, stored.ReplyTo), Deferred: true));
                    return;
                }
                WriteReport(applied.Day.Day, applied.Day.NewBreaks, ack: (ack, stored.ReplyTo));
                return;
            }
            if (e is DayQuarantined && _daysWithoutReport > 0 && decision.Reply is DayAck quarantined && !_state.Days.IsEmpty)
            {
                // A batch may end on a day that cannot be read: its earlier days' report is written now.
                WriteReport(_state.Days[^1].Day, _state.Days[^1].NewBreaks, ack: (quarantined, stored.ReplyTo));
                return;
            }
            stored.ReplyTo.Tell(decision.Reply);
            BecomeReady();
        });
    }

    /// <summary>
    /// Deletes the snapshot that left the backups with the change stored as <paramref name="newest"/>, keeping those of the
    /// listed quarantined days: everything below the oldest of those at once (which also catches a delete that failed
    /// before), the others one by one.
    /// </summary>
    private void DeleteOldSnapshots(long newest)
    {
        long leaving = newest - _settings.SnapshotsToKeep - 1;
        if (leaving < 1) return;
        var kept = _state.Quarantined.Select(q => q.SnapshotSequenceNr).Where(n => n > 0).ToHashSet();
        long lowestKept = kept.Count == 0 ? long.MaxValue : kept.Min();
        long below = Math.Min(leaving, lowestKept - 1);
        if (below >= 1) DeleteSnapshots(new SnapshotSelectionCriteria(below));
        if (leaving > lowestKept && !kept.Contains(leaving)) DeleteSnapshot(leaving);
    }

    private static CommandFailed StoreFailed(object reply, IActorRef replyTo, INrtSerializable failReply, string what) =>
        new(reply is SaveSnapshotFailure f ? f.Cause : new InvalidOperationException($"Unexpected snapshot store reply {reply.GetType().Name}."),
            replyTo, failReply, what);

    /// <summary>
    /// Writes the report of the current state (<paramref name="day"/> names it in logs and the alert; the report is built
    /// from the state alone), then <see cref="ReportDone"/> arrives in <see cref="Busy"/>.
    /// </summary>
    private void WriteReport(DateOnly day, long newBreaks, IActorRef? rewriteFor = null, (DayAck, IActorRef)? ack = null, MaskAck? maskReply = null)
    {
        if (rewriteFor is null) _lastDayOutputsUnsure = false;
        _daysWithoutReport = 0;
        _reportStarted = Stopwatch.GetTimestamp();
        if (_settings.ReportWriter is not { } writer)
        {
            Self.Tell(new ReportDone(day, newBreaks, null, null, rewriteFor, ack, MaskReply: maskReply));
            return;
        }
        // The reports folder (OUTPUT/tiles) rather than the tile's own, so one cause reads the same for every tile.
        string folder = Path.GetDirectoryName(Path.GetDirectoryName(writer.PathFor(_tile)))!;
        writer.WriteAsync(_tile, day, _state.Model!.Layers, _state.Monitoring!, CancellationToken.None)
            .PipeTo(Self,
                success: path => new ReportDone(day, newBreaks, path, null, rewriteFor, ack, MaskReply: maskReply),
                // The state is stored; the alert (or the rewrite's reply) has no path and the day's answer says why.
                failure: ex => new ReportDone(day, newBreaks, null, WriteFailure.Describe("reports", folder, Unwrap(ex)), rewriteFor, ack, MaskReply: maskReply));
    }

    /// <summary>
    /// Logs a report write's failure once per cause (a full disk fails every day of every tile alike) and its recovery; a
    /// failed report leaves the day's outputs unsure, so the day sent again rewrites it.
    /// </summary>
    private void NoteReport(ReportDone done)
    {
        if (done.Path is not null) _telemetry.Stage(Telemetry.Report, _reportStarted);
        if (done.Failure is { } failure)
        {
            if (failure != _reportFailure)
                _log.Warning("Tile {0}: the report of {1:yyyy-MM-dd} was not written: {2}; the day is stored, and its report is written when the day is sent again " +
                    "(run the same command again) or by nrtc report", _tile, done.Day, failure);
            _lastDayOutputsUnsure = true;
        }
        else if (_reportFailure is not null && done.Path is not null)
            _log.Warning("Tile {0}: the report is written again ({1})", _tile, done.Path);
        if (done.Failure is not null || done.Path is not null) _reportFailure = done.Failure;
    }

    /// <summary>An operator's rewrite: the report of the last applied day (of the fit's history end before any day), no alert.</summary>
    private void RewriteReport(IActorRef replyTo)
    {
        if (!_state.HasModel || _state.Monitoring is null || _state.Fit is not { } fit)
        {
            replyTo.Tell(TileDecision.Of(_state, new TileCommand.Report(null)).Reply);
            return;
        }
        WriteReport(_state.LastDay ?? fit.HistoryEnd, 0, replyTo);
        Become(Busy);
    }

    /// <summary>Replies to deleting old snapshots and the delivery's notes, in any behaviour.</summary>
    private bool HandleHousekeeping(object message)
    {
        switch (message)
        {
            case DeliveryRetrying r:
                _retrying = r.Detail;
                return true;
            case DeleteSnapshotsSuccess or DeleteSnapshotSuccess:
                return true;
            case DeleteSnapshotFailure f:
                _log.Warning("Tile {0}: deleting old snapshot {1} failed ({2}); it is deleted once no older quarantined day is listed", _tile, f.Metadata.SequenceNr, f.Cause.Message);
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
