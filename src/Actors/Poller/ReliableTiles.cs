using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Sharding.Delivery;
using Akka.Delivery;
using Akka.Event;
using NrtCluster.Actors.Tiles;

namespace NrtCluster.Actors.Poller;

/// <summary>
/// The tile shard region with Akka reliable delivery on the consumer side: each entity is a
/// <see cref="ReliableTileEntity"/> hosting the <see cref="TileActor"/>, a <see cref="ShardingConsumerController"/> for
/// the poller's deliveries, and forwarding every other message (fits, status queries, jobs' asks) to the tile unchanged.
/// Start this instead of <see cref="TileSharding.Start"/> on nodes hosting tiles when a poller runs.
/// </summary>
public static class ReliableTileSharding
{
    public static IActorRef Start(ActorSystem system, TileActorSettings settings, int shardBlockSize, ReliableTileSettings? delivery = null)
    {
        settings.Validate();
        var d = delivery ?? ReliableTileSettings.FromConfig(system.Settings.Config);
        // The extension first: it adds the sharding defaults the settings are read from.
        var sharding = ClusterSharding.Get(system);
        var shardingSettings = ClusterShardingSettings.Create(system);
        return sharding.Start(
            TileSharding.TypeName,
            entityId => ReliableTileEntity.Props(TileKey.Parse(entityId), settings, d),
            shardingSettings,
            // Sharding unwraps the delivery's ShardingEnvelope (entity id = tile id) before the extractor sees it.
            new TileMessageExtractor(shardBlockSize),
            // The same placement as TileSharding.Start: least-shard, overridden by the operator's moves and drains.
            Cluster.PlacementAllocationStrategy.Create(system, TileSharding.TypeName, shardingSettings),
            PoisonPill.Instance);
    }
}

/// <param name="AckTimeout">How long the tile may take to acknowledge a delivered day before it is sent again (it answers a repeat with Repeated).</param>
/// <param name="Retry">
/// How a day the tile failed to apply for a reason that may pass is retried and when it is quarantined; also the backoff of
/// a day that waits for an earlier one.
/// </param>
public sealed record ReliableTileSettings(TimeSpan AckTimeout, RetryWindow Retry)
{
    public static ReliableTileSettings Default { get; } = new(TimeSpan.FromMinutes(10), RetryWindow.Default);

    /// <summary>The defaults above with the retry window of <c>nrtcluster.tiles</c> (hocon/base.conf).</summary>
    public static ReliableTileSettings FromConfig(Akka.Configuration.Config config) => Default with { Retry = RetryWindow.FromConfig(config) };
}

/// <summary>
/// One tile entity: the <see cref="TileActor"/> (persistent, unchanged) plus the consumer side of reliable delivery.
/// Sequenced deliveries go to the sharding consumer controller; everything else goes straight to the tile.
/// </summary>
public sealed class ReliableTileEntity : ReceiveActor
{
    public static Props Props(TileKey tile, TileActorSettings settings, ReliableTileSettings delivery) =>
        Akka.Actor.Props.Create(() => new ReliableTileEntity(tile, settings, delivery));

    public ReliableTileEntity(TileKey tile, TileActorSettings settings, ReliableTileSettings delivery)
    {
        var tileActor = Context.ActorOf(TileActor.Props(tile, settings), "tile");
        Context.Watch(tileActor);
        var consumer = Context.ActorOf(
            ShardingConsumerController.Create<ITileMessage>(
                controller => TileDeliveryConsumer.Props(controller, tileActor, delivery),
                ShardingConsumerController.Settings.Create(Context.System)),
            "delivery");

        Receive<ConsumerController.SequencedMessage<ITileMessage>>(m => consumer.Forward(m));
        // The tile's state lives in its journal; if it stops for good, the entity stops and the next message restarts both.
        Receive<Terminated>(t => t.ActorRef.Equals(tileActor), _ => Context.Stop(Self));
        ReceiveAny(m => tileActor.Forward(m));
    }
}

/// <summary>
/// Hands each delivered message to the tile and confirms it once the tile acknowledged it, i.e. after the tile
/// persisted the day (or answered that it already had it, or that it is older than its last day, or that it quarantined it
/// because its items cannot be read for good). A day the tile failed to apply is retried by the <see cref="RetryWindow"/> rule;
/// once its window has passed since the day's first failure the tile is told to quarantine it and the delivery is confirmed once it has. A tile that does not
/// answer is asked again after the ack timeout. A day that follows one the tile has not applied yet (answered
/// <see cref="AckOutcome.Gap"/>) is sent again with the same backoff until it is applied: never quarantined nor confirmed.
/// </summary>
internal sealed class TileDeliveryConsumer : ReceiveActor, IWithTimers
{
    private sealed record Resend(long SeqNr);

    private readonly IActorRef _tile;
    private readonly ReliableTileSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ConsumerController.Delivery<ITileMessage>? _current;
    private int _failures;
    /// <summary>When the current day first failed (the start of its retry window).</summary>
    private DateTime _firstFailureUtc;
    /// <summary>Gap answers to the current day so far: it waits, with backoff, for the day it follows (never quarantined).</summary>
    private int _gaps;
    /// <summary>The last failure of the current day once it is being quarantined (then the quarantine is what is sent).</summary>
    private string? _quarantineReason;

    public static Props Props(IActorRef controller, IActorRef tile, ReliableTileSettings settings) =>
        Akka.Actor.Props.Create(() => new TileDeliveryConsumer(controller, tile, settings));

    public ITimerScheduler Timers { get; set; } = null!;

    public TileDeliveryConsumer(IActorRef controller, IActorRef tile, ReliableTileSettings settings)
    {
        _tile = tile;
        _settings = settings;
        controller.Tell(new ConsumerController.Start<ITileMessage>(Self));

        Receive<ConsumerController.Delivery<ITileMessage>>(d =>
        {
            _current = d;
            _failures = 0;
            _gaps = 0;
            _quarantineReason = null;
            Send();
        });
        Receive<DayAck>(ack => Acknowledged(ack.Tile, ack.Day, ack.Outcome, ack.Detail));
        Receive<FitAck>(ack => Acknowledged(ack.Tile, null, ack.Outcome, ack.Detail));
        Receive<Resend>(r =>
        {
            if (_current?.SeqNr == r.SeqNr) Send();
        });
    }

    private void Send()
    {
        ITileMessage message = _current!.Message is ObserveDay o && _quarantineReason is { } reason
            ? new QuarantineDay(o.Tile, o.Day, o.AcquiredUtc, o.Items, reason)
            : _current.Message;
        _tile.Tell(message, Self);
        Timers.StartSingleTimer("resend", new Resend(_current.SeqNr), _settings.AckTimeout);
    }

    private void Acknowledged(TileKey tile, DateOnly? day, AckOutcome outcome, string detail)
    {
        if (_current is null) return;
        // An answer to an earlier (re)send of another message is stale.
        if (_current.Message is ObserveDay o && (o.Tile != tile || o.Day != day)) return;
        if (_current.Message is FitTile f && (f.Tile != tile || day is not null)) return;

        if (outcome == AckOutcome.Gap)
        {
            // The day before it (from a fast-forward, or dropped before the fit) is not applied yet: nothing is wrong with
            // this day, so it waits and is neither quarantined nor confirmed.
            _gaps++;
            var wait = _settings.Retry.Backoff(_gaps);
            _log.Warning("Tile {0}: day {1:yyyy-MM-dd} waits for an earlier day ({2}); attempt {3}, again in {4}", tile, day, detail, _gaps, wait);
            Timers.StartSingleTimer("resend", new Resend(_current.SeqNr), wait);
            return;
        }
        if (outcome == AckOutcome.Failed && _quarantineReason is null)
        {
            var now = DateTime.UtcNow;
            if (++_failures == 1) _firstFailureUtc = now;
            var retry = _settings.Retry;
            if (_current.Message is ObserveDay observed && retry.NextWait(_firstFailureUtc, now, _failures) is { } next)
            {
                _log.Warning("Tile {0}: day {1:yyyy-MM-dd} retrying, {2}", tile, observed.Day, retry.Retrying(_firstFailureUtc, now + next, _failures, detail));
                Timers.StartSingleTimer("resend", new Resend(_current.SeqNr), next);
                return;
            }
            if (_current.Message is ObserveDay)
            {
                _quarantineReason = retry.GaveUp(_firstFailureUtc, _failures, detail);
                Send();
                return;
            }
            var wait = retry.Backoff(_failures);
            _log.Warning("Tile {0}: delivery {1} failed ({2}); retry {3} in {4}", tile, _current.SeqNr, detail, _failures, wait);
            Timers.StartSingleTimer("resend", new Resend(_current.SeqNr), wait);
            return;
        }
        if (outcome == AckOutcome.Failed)
        {
            // Storing the quarantine failed (the snapshot store): sent again like a failed day, never confirmed unrecorded.
            var wait = _settings.Retry.MaxBackoff;
            _log.Warning("Tile {0}: quarantining day {1:yyyy-MM-dd} failed ({2}); retry in {3}", tile, day, detail, wait);
            Timers.StartSingleTimer("resend", new Resend(_current.SeqNr), wait);
            return;
        }
        if (outcome == AckOutcome.Quarantined)
            _log.Warning("Tile {0}: day {1:yyyy-MM-dd} is quarantined ({2}); the tile goes on with its next days", tile, day, detail);
        if (outcome == AckOutcome.NotFitted)
            _log.Warning("Tile {0}: day {1:yyyy-MM-dd} dropped, the tile is not fitted ({2}); the fast-forward job applies it after the fit", tile, day, detail);
        Timers.Cancel("resend");
        _current.ConfirmTo.Tell(ConsumerController.Confirmed.Instance);
        _current = null;
    }
}
