using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Sharding.Delivery;
using Akka.Delivery;
using Akka.Event;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Poller;

/// <summary>
/// The tile shard region with Akka reliable delivery on the consumer side: each entity is a
/// <see cref="ReliableTileEntity"/> hosting the <see cref="TileActor"/>, a <see cref="ShardingConsumerController"/> for
/// the poller's deliveries (every day a tile applies), and forwarding every other message (fits, status queries, requeues)
/// to the tile unchanged. Start this instead of <see cref="TileSharding.Start"/> on nodes hosting tiles.
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
        var region = sharding.Start(
            TileSharding.TypeName,
            entityId => ReliableTileEntity.Props(TileId.Parse(entityId), settings, d),
            shardingSettings,
            // Sharding unwraps the delivery's ShardingEnvelope (entity id = tile id) before the extractor sees it.
            new TileMessageExtractor(shardBlockSize),
            // The same placement as TileSharding.Start: least-shard, overridden by the operator's moves and drains.
            Cluster.PlacementAllocationStrategy.Create(system, TileSharding.TypeName, shardingSettings),
            PoisonPill.Instance);
        // Read when metrics are scraped; a region that does not answer in time is left out of that scrape.
        Telemetry.Get(system).ObserveShards(() =>
            region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(3))
                .ContinueWith(t => t.IsCompletedSuccessfully ? t.Result.Shards.Count : (int?)null, TaskScheduler.Default).Result);
        return region;
    }
}

/// <param name="AckTimeout">How long the tile may take to acknowledge a delivered day before it is sent again (it answers a repeat with Repeated).</param>
/// <param name="Retry">
/// How a day the tile failed to apply for a reason that may pass is retried and when it is quarantined; also the backoff of
/// a day held for the tile's fit or for its report.
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
    public static Props Props(TileId tile, TileActorSettings settings, ReliableTileSettings delivery) =>
        Akka.Actor.Props.Create(() => new ReliableTileEntity(tile, settings, delivery));

    public ReliableTileEntity(TileId tile, TileActorSettings settings, ReliableTileSettings delivery)
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
/// persisted the day (or answered that it already had it, that it is older than its last day, that it was queued for an
/// older fit, or that it quarantined it because its items cannot be read for good). This is the one place days are retried:
/// a day the tile failed to apply is retried by the <see cref="RetryWindow"/> rule; once its window has passed since the
/// day's first failure the tile is told to quarantine it and the delivery is confirmed once it has. A tile that does not
/// answer is asked again after the ack timeout. Two answers hold the day, unconfirmed, and send it again with the same
/// backoff, never quarantining it (nothing is wrong with the day): the tile is not fitted yet (its fit comes), or the day is
/// stored but its report could not be written (a full disk: the day sent again is answered Repeated and rewrites the report;
/// the tile's status names the cause meanwhile). The tile's later days wait behind it, so they stay in order.
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
    /// <summary>Times the current day was held so far (tile not fitted, or report not written): its backoff.</summary>
    private int _holds;
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
            _holds = 0;
            _quarantineReason = null;
            Send();
        });
        Receive<DayAck>(ack => Acknowledged(ack.Tile, ack.Day, ack.Outcome, ack.Detail, ack.ReportError));
        Receive<FitAck>(ack => Acknowledged(ack.Tile, null, ack.Outcome, ack.Detail, null));
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

    private void Acknowledged(TileId tile, DateOnly? day, AckOutcome outcome, string detail, string? reportError)
    {
        if (_current is null) return;
        // An answer to an earlier (re)send of another message is stale.
        if (_current.Message is ObserveDay o && (o.Tile != tile || o.Day != day)) return;
        if (_current.Message is FitTile f && (f.Tile != tile || day is not null)) return;

        if (outcome == AckOutcome.NotFitted || reportError is not null)
        {
            var wait = _settings.Retry.Backoff(++_holds);
            _log.Warning(reportError is null
                ? "Tile {0}: day {1:yyyy-MM-dd} waits for the tile's fit ({2}); sent again in {3}"
                : "Tile {0}: day {1:yyyy-MM-dd} is stored but its report is not written ({2}); sent again in {3} to write it", tile, day, reportError ?? detail, wait);
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
                var retrying = retry.Retrying(_firstFailureUtc, now + next, _failures, detail);
                _log.Warning("Tile {0}: day {1:yyyy-MM-dd} retrying, {2}", tile, observed.Day, retrying);
                // Told to the tile, whose status shows it: a fast-forward reports the retrying day from there.
                _tile.Tell(new TileActor.DeliveryRetrying($"{retrying} (day {observed.Day:yyyy-MM-dd})"));
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
        if (outcome == AckOutcome.Superseded)
            _log.Info("Tile {0}: {1}", tile, detail);
        Timers.Cancel("resend");
        if (_failures > 0) _tile.Tell(new TileActor.DeliveryRetrying(null));
        _current.ConfirmTo.Tell(ConsumerController.Confirmed.Instance);
        _current = null;
    }
}
