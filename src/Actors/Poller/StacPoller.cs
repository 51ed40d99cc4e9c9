using System.Collections.Immutable;
using System.Diagnostics;
using Akka;
using Akka.Actor;
using Akka.Cluster.Sharding.Delivery;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Delivery;
using Akka.Util;
using NrtCluster.Actors.Sources;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Stac;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Poller;

/// <param name="TileRegion">The tile shard region (or its proxy) started with <see cref="ReliableTileSharding"/>.</param>
/// <param name="ProducerId">The poller's persistence id and reliable-delivery producer id (its queue is journalled as <c>{ProducerId}-delivery</c>); unique in the cluster and never changed.</param>
/// <param name="HandOverTimeout">Longest wait for the reliable-delivery queue to store one message.</param>
/// <param name="SnapshotEvery">Events between snapshots of the poller's state (older events are then deleted).</param>
public sealed record StacPollerSettings(
    IStacArchive Archive,
    ITileFootprintIndex Tiles,
    PollerRules Rules,
    TimeSpan PollInterval,
    IActorRef TileRegion,
    string ProducerId = "stac-poller",
    TimeSpan? HandOverTimeout = null,
    int SnapshotEvery = 200)
{
    public TimeSpan StoreTimeout => HandOverTimeout ?? TimeSpan.FromSeconds(60);

    /// <summary>
    /// False: searches only on <see cref="PollNow"/> (<c>poll --once</c>); a tick at start would record the items before the
    /// command's own search, which would then report them as not new.
    /// </summary>
    public bool Scheduled { get; init; } = true;

    /// <summary>Describes each item found for the tiles (<see cref="ItemRef.Assets"/>); null: tiles read the item documents.</summary>
    public ProviderProfile? Profile { get; init; }

    public void Validate()
    {
        Rules.Validate();
        if (PollInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(PollInterval), PollInterval, "The poll interval must be positive, e.g. 1 hour.");
        if (string.IsNullOrWhiteSpace(ProducerId)) throw new ArgumentException("The poller needs a producer id (e.g. \"stac-poller\").", nameof(ProducerId));
        if (SnapshotEvery < 1) throw new ArgumentOutOfRangeException(nameof(SnapshotEvery), SnapshotEvery, "Snapshot at least every 1 event.");
    }
}

/// <summary>
/// The STAC poller (a cluster singleton): on its interval and on <see cref="PollNow"/> it searches the archive from the
/// cursor minus the overlap window, records the new items (persisted), dispatches each solar day once its settle delay
/// is over to the tiles its items touch, and hands every tile message to Akka reliable delivery: a
/// <see cref="ShardingProducerController"/> with an <see cref="EventSourcedProducerQueue"/>, which keeps per-tile order,
/// resends until the tile confirms (after persisting the day) and survives restarts. A <see cref="Backfill"/> (a fast-forward
/// or requeue) queues a past range the same way, at once: the outbox is the one path days take to tiles. The pure
/// <see cref="PollerState"/> decides.
/// </summary>
public sealed class StacPoller : ReceivePersistentActor, IWithTimers
{
    private sealed record PollTick
    {
        public static PollTick Instance { get; } = new();
    }

    private sealed record SettleTick
    {
        public static SettleTick Instance { get; } = new();
    }

    private sealed record SearchSucceeded(Discovery Found);
    private sealed record SearchFailed(Exception Error);
    private sealed record BackfillFound(Backfill Request, Discovery Found, IActorRef ReplyTo);
    private sealed record BackfillFailed(Backfill Request, Exception Error, IActorRef ReplyTo);
    private sealed record HandOverFailed(Exception Error);

    private readonly StacPollerSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<IActorRef> _waiting = [];
    private PollerState _state = PollerState.Empty;
    private IActorRef _producer = ActorRefs.Nobody;
    private ShardingProducerController.RequestNext<ITileMessage>? _requestNext;
    private bool _searching;
    private (TileId Tile, DateOnly Day)? _inFlight;
    private int _eventsSinceSnapshot;
    private DateTime? _lastPollUtc;
    /// <summary>When the running poll cycle started (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    private long _pollStarted;
    private readonly Telemetry _telemetry = Telemetry.Get(Context.System);
    private string? _lastError;
    /// <summary>The latest distinct rejections (id, source and reason), each logged once when first met.</summary>
    private readonly LinkedList<RejectedItem> _rejected = [];
    private int _rejectedCount;

    /// <summary>How many rejected items <see cref="PollerStatus.Rejected"/> lists.</summary>
    public const int RejectedKept = 100;

    public StacPoller(StacPollerSettings settings)
    {
        settings.Validate();
        _settings = settings;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is PollerSnapshot s) _state = PollerState.FromSnapshot(s);
        });
        Recover<IPollerEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            ClusterSingletons.Recovered(Context);
            _log.Info("STAC poller recovered: cursor {0:O}, {1} pending days, {2} messages to hand over",
                _state.CursorUtc, _state.Pending.Count, _state.Outbox.Count);
            if (_settings.Scheduled) Timers.StartPeriodicTimer("poll", PollTick.Instance, TimeSpan.Zero, _settings.PollInterval);
            ScheduleSettle();
        });

        Command<PollTick>(_ => StartSearch());
        Command<PollNow>(_ =>
        {
            _waiting.Add(Sender);
            StartSearch();
        });
        Command<SearchSucceeded>(s => Found(s.Found));
        Command<SearchFailed>(f =>
        {
            _searching = false;
            _telemetry.Poll(_pollStarted);
            _lastError = f.Error.Message;
            _log.Warning("STAC search from {0:O} failed, retried on the next interval: {1}", _state.SearchFromUtc(_settings.Rules), f.Error.Message);
            Reply(new PollCompleted(0, _state.Pending.Count, _state.CursorUtc, f.Error.Message));
        });
        Command<ItemsPushed>(Pushed);
        Command<Backfill>(StartBackfill);
        Command<BackfillFound>(QueueBackfill);
        Command<BackfillFailed>(f =>
        {
            _log.Warning("Backfill {0}: the archive search failed: {1}", f.Request.JobId, f.Error.Message);
            f.ReplyTo.Tell(new BackfillQueued(f.Request.JobId, [], $"the archive search failed: {f.Error.Message}"));
        });
        Command<SettleTick>(_ => Settle());
        Command<ShardingProducerController.RequestNext<ITileMessage>>(next =>
        {
            _requestNext = next;
            HandOver();
        });
        Command<Done>(_ => Stored());
        Command<long>(_ => Stored());
        // The queue could not store the outbox head in time: restarting recovers the poller and a fresh controller from the
        // journal (the head is still in the outbox, and messages already stored are resent by the recovered queue).
        Command<HandOverFailed>(f => throw new InvalidOperationException("Storing a tile message in the reliable-delivery queue failed.", f.Error));
        Command<GetPollerStatus>(_ => Sender.Tell(new PollerStatus(
            _state.CursorUtc, _state.Seen.Count, [.. _state.Pending.Keys], _state.Outbox.Count, _lastPollUtc, _lastError)
        {
            Rejected = [.. _rejected],
            RejectedCount = _rejectedCount,
        }));
        Command<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_producer))
                throw new InvalidOperationException("The poller's reliable-delivery controller stopped; restarting the poller recovers it from the journal.");
        });
        Command<SaveSnapshotSuccess>(s =>
        {
            DeleteMessages(s.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(f => _log.Warning("Poller snapshot failed (the journal still holds everything): {0}", f.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => _log.Warning("Deleting old poller events failed: {0}", f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning("Deleting old poller snapshots failed: {0}", f.Cause.Message));
    }

    public static Props Props(StacPollerSettings settings) => Akka.Actor.Props.Create(() => new StacPoller(settings));

    public override string PersistenceId => _settings.ProducerId;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>A failed delivery controller is stopped, not restarted (a restarted one would wait for a Start): see the Terminated handler.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void PreStart()
    {
        base.PreStart();
        ClusterSingletons.Starting(Context);
        var queue = EventSourcedProducerQueue.Create<ITileMessage>(_settings.ProducerId + "-delivery", Context.System);
        _producer = Context.ActorOf(ShardingProducerController.Create<ITileMessage>(
            _settings.ProducerId, _settings.TileRegion, Option<Props>.Create(queue), ShardingProducerController.Settings.Create(Context.System)));
        Context.Watch(_producer);
        _producer.Tell(new ShardingProducerController.Start<ITileMessage>(Self));
    }

    private void StartSearch()
    {
        if (_searching) return;
        _searching = true;
        _pollStarted = Stopwatch.GetTimestamp();
        Discover(_state.SearchFromUtc(_settings.Rules), null)
            .PipeTo(Self, success: found => new SearchSucceeded(found), failure: ex => new SearchFailed(Unwrapped(ex)));
    }

    /// <summary>The archive's items acquired in [from, to] placed on the project's tiles and described for them: polls and backfills alike.</summary>
    private Task<Discovery> Discover(DateTime fromUtc, DateTime? toUtc)
    {
        var (tiles, profile, telemetry) = (_settings.Tiles, _settings.Profile, _telemetry);
        long started = Stopwatch.GetTimestamp();
        return _settings.Archive.SearchAsync(fromUtc, toUtc, CancellationToken.None)
            .ContinueWith(t =>
            {
                var found = ItemDiscovery.Discover(t.Result, tiles, profile);
                telemetry.Stage(Telemetry.Search, started);
                // The archive's newest day per tile, for the tiles' lag (polls and backfills alike).
                foreach (var item in found.Items)
                    foreach (var tile in item.Tiles) telemetry.ArchiveDay(tile, item.SolarDay);
                return found;
            }, TaskScheduler.Default);
    }

    private static Exception Unwrapped(Exception e) => e is AggregateException { InnerException: { } inner } ? inner : e;

    private void Found(Discovery found)
    {
        _searching = false;
        _lastPollUtc = DateTime.UtcNow;
        _lastError = null;
        var items = found.Items;
        var rejected = found.Rejected.AddRange(_state.Repeated(items));
        foreach (var r in rejected) Remember(r);
        var events = _state.Decide(new PollerCommand.Found(items, DateTime.UtcNow, _settings.Rules));
        var discovered = events.OfType<ItemsDiscovered>().SelectMany(e => e.Items).ToList();
        if (discovered.Count > 0) _log.Info("STAC poll: {0} new of {1} items found", discovered.Count, items.Length);
        PersistAndApply(events, () =>
        {
            _telemetry.Poll(_pollStarted);
            Reply(new PollCompleted(discovered.Count, _state.Pending.Count, _state.CursorUtc, null)
            {
                NewTileDays = [.. discovered.SelectMany(i => i.Tiles.Select(t => (t, i.SolarDay))).Distinct()],
                Rejected = rejected,
            });
            // As a new command, not from this handler: persisting from inside a persist handler stalls the actor.
            Self.Tell(SettleTick.Instance);
        });
    }

    /// <summary>
    /// Records pushed items as a poll records what it found (settle delay, seen ids, the cursor left as it is) and answers once
    /// they are persisted.
    /// </summary>
    private void Pushed(ItemsPushed pushed)
    {
        var replyTo = Sender;
        var repeated = _state.Repeated(pushed.Items);
        var rejected = pushed.Rejected.AddRange(repeated);
        foreach (var r in rejected) Remember(r);
        foreach (var item in pushed.Items)
            foreach (var tile in item.Tiles) _telemetry.ArchiveDay(tile, item.SolarDay);
        var events = _state.Decide(new PollerCommand.Pushed(pushed.Items, DateTime.UtcNow, _settings.Rules));
        ImmutableArray<string> accepted = [.. events.OfType<ItemsDiscovered>().SelectMany(e => e.Items).Select(i => i.Id)];
        if (accepted.Length > 0) _log.Info("Pushed items: {0} new of {1}", accepted.Length, pushed.Items.Length);
        PersistAndApply(events, () =>
        {
            replyTo.Tell(new ItemsPushedRecorded(accepted, rejected));
            Self.Tell(SettleTick.Instance);
        });
    }

    /// <summary>Searches the backfill's range with the same discovery as a poll; several backfills may search at once.</summary>
    private void StartBackfill(Backfill request)
    {
        var replyTo = Sender;
        Discover(request.FromUtc, request.ToUtc)
            .PipeTo(Self, success: found => new BackfillFound(request, found, replyTo), failure: ex => new BackfillFailed(request, Unwrapped(ex), replyTo));
    }

    /// <summary>Queues the found days at once (no settle delay: the range is in the past) and answers once they are persisted.</summary>
    private void QueueBackfill(BackfillFound b)
    {
        foreach (var r in b.Found.Rejected) Remember(r);
        var events = _state.Decide(new PollerCommand.Backfill(b.Request, b.Found.Items));
        foreach (var r in events.OfType<DeliveryReset>())
            _log.Info("Backfill {0}: tile {1} is on fit {2}: its days are sent again from the start", b.Request.JobId, r.Tile, r.FitNumber);
        int queued = events.OfType<DayBackfilled>().Sum(d => d.Tiles.Length);
        _log.Info("Backfill {0}: {1} tile-day(s) queued for {2} tile(s)", b.Request.JobId, queued, b.Request.Tiles.Length);
        var plan = PollerState.BackfillDays(b.Request, b.Found.Items)
            .GroupBy(d => d.Tile)
            .Select(g => (g.Key, g.Select(d => d.Day).ToImmutableArray()))
            .ToImmutableArray();
        PersistAndApply(events, () =>
        {
            b.ReplyTo.Tell(new BackfillQueued(b.Request.JobId, plan, null) { Rejected = b.Found.Rejected });
            HandOver();
        });
    }

    /// <summary>Logs and counts a rejection the first time it is met (every search of the overlap window finds it again).</summary>
    private void Remember(RejectedItem rejected)
    {
        if (_rejected.Any(r => r.SameAs(rejected))) return;
        _rejectedCount++;
        _log.Warning("{0}; the rest of the search goes on", rejected);
        _rejected.AddLast(rejected);
        if (_rejected.Count > RejectedKept) _rejected.RemoveFirst();
    }

    private void Settle()
    {
        var events = _state.Decide(new PollerCommand.Tick(DateTime.UtcNow));
        foreach (var d in events.OfType<DayDispatched>())
            _log.Info("Solar day {0:yyyy-MM-dd} ({1} items) dispatched to {2} tiles", d.Day, d.Items.Length, d.Tiles.Length);
        PersistAndApply(events, () =>
        {
            ScheduleSettle();
            HandOver();
        });
    }

    private void ScheduleSettle()
    {
        if (_state.NextSettleUtc is { } due)
        {
            var wait = due - DateTime.UtcNow;
            Timers.StartSingleTimer("settle", SettleTick.Instance, wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
        }
        else
        {
            Timers.Cancel("settle");
        }
    }

    /// <summary>Hands the outbox head to the reliable-delivery queue when it has demand; one at a time, so per-tile order holds.</summary>
    private void HandOver()
    {
        if (_inFlight is not null || _requestNext is null || _state.NextToHandOver is not { } next) return;
        var request = _requestNext;
        _requestNext = null;
        _inFlight = (next.Tile, next.Day);
        // The controller replies to ReplyTo once the message is in the durable queue (Akka 1.5.73 replies Done, not the
        // sequence number, so the typed AskNextTo overload fails; one message is in flight at a time, so no id is needed).
        request.AskNextTo(new ShardingProducerController.MessageWithConfirmation<ITileMessage>(next.Tile.ToString(), next, Self));
        Timers.StartSingleTimer("hand-over", new HandOverFailed(new TimeoutException(
            $"the reliable-delivery queue did not store {next.Tile} {next.Day:yyyy-MM-dd} within {_settings.StoreTimeout}")), _settings.StoreTimeout);
    }

    private void Stored()
    {
        if (_inFlight is not { } stored) return;
        Timers.Cancel("hand-over");
        _inFlight = null;
        PersistAndApply(_state.Decide(new PollerCommand.HandedOver(stored.Tile, stored.Day)), HandOver);
    }

    private void PersistAndApply(IReadOnlyList<IPollerEvent> events, Action after)
    {
        if (events.Count == 0)
        {
            after();
            return;
        }
        PersistAll(events, e =>
        {
            _state = _state.Apply(e);
            _eventsSinceSnapshot++;
        });
        DeferAsync(events.Count, _ =>
        {
            if (_eventsSinceSnapshot >= _settings.SnapshotEvery)
            {
                _eventsSinceSnapshot = 0;
                SaveSnapshot(_state.ToSnapshot());
            }
            after();
        });
    }

    private void Reply(PollCompleted reply)
    {
        foreach (var w in _waiting) w.Tell(reply);
        _waiting.Clear();
    }
}

public static class StacPollerSingleton
{
    public const string Name = "stac-poller";

    /// <summary>
    /// Starts the poller as a cluster singleton (on the oldest node of <paramref name="role"/>, or of the cluster) and
    /// returns a proxy to it; call on every node that should reach the poller.
    /// </summary>
    public static IActorRef Start(ActorSystem system, StacPollerSettings settings, string? role = null)
    {
        settings.Validate();
        return ClusterSingletons.Start(system, Name, StacPoller.Props(settings), role);
    }
}
