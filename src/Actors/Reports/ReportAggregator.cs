using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Gdal;

namespace NrtCluster.Actors.Reports;

/// <summary>Builds the mosaic over the tile reports at a path, replacing any previous one atomically.</summary>
public interface IMosaicBuilder
{
    void Build(string path, IReadOnlyList<string> sources);
}

/// <summary>A GDAL VRT (GDALBuildVRT), written under a temporary name and renamed into place.</summary>
public sealed class GdalVrtMosaicBuilder : IMosaicBuilder
{
    public void Build(string path, IReadOnlyList<string> sources) => VrtMosaic.Build(path, sources);
}

/// <param name="MosaicPath">Where the VRT over all tile reports is written, e.g. OUT/reports/mosaic.vrt.</param>
public sealed record ReportAggregatorSettings(string MosaicPath, IMosaicBuilder Mosaic, int SnapshotEvery = 500, string PersistenceId = "report-aggregator")
{
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(MosaicPath)) throw new ArgumentException("The report aggregator needs the path of the mosaic VRT, e.g. OUT/reports/mosaic.vrt.", nameof(MosaicPath));
        if (SnapshotEvery < 1) throw new ArgumentOutOfRangeException(nameof(SnapshotEvery), SnapshotEvery, "Snapshot at least every 1 event.");
    }
}

/// <summary>
/// The report aggregator (a cluster singleton): records every <see cref="TileAlert"/> (persisted), answers the alert
/// feed and the per-day and per-tile statistics, and rebuilds the mosaic whenever the set of tile reports changes,
/// one build at a time, off the actor's thread. The pure <see cref="ReportState"/> decides.
/// </summary>
public sealed class ReportAggregator : ReceivePersistentActor
{
    private sealed record MosaicDone(ImmutableArray<string> Sources);
    private sealed record MosaicFailed(Exception Error);

    private readonly ReportAggregatorSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ReportState _state = ReportState.Empty;
    private bool _building;
    /// <summary>The cause of the last failed mosaic build, said once: every alert retries the build, and a full disk fails each.</summary>
    private string? _mosaicFailure;
    private int _eventsSinceSnapshot;

    public ReportAggregator(ReportAggregatorSettings settings)
    {
        settings.Validate();
        _settings = settings;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is ReportSnapshot s) _state = ReportState.FromSnapshot(s);
        });
        Recover<IReportEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            ClusterSingletons.Recovered(Context);
            BuildMosaicIfNeeded();
        });

        // Acknowledged once stored: the singleton's host keeps each alert until then (see SingletonHost).
        Command<TileAlert>(alert => Record(new ReportCommand.RecordAlert(alert), () =>
        {
            Sender.Tell(new SingletonAcknowledged(alert));
            BuildMosaicIfNeeded();
        }));
        Command<GetAlertFeed>(q => Sender.Tell(_state.Feed(q.Since)));
        Command<GetAlertStatistics>(_ => Sender.Tell(_state.Statistics()));
        Command<MosaicDone>(done =>
        {
            _building = false;
            if (_mosaicFailure is not null)
                _log.Warning("Mosaic {0} rebuilt again, after failing: {1}", _settings.MosaicPath, _mosaicFailure);
            _mosaicFailure = null;
            _log.Info("Mosaic {0} rebuilt over {1} tile reports", _settings.MosaicPath, done.Sources.Length);
            Record(new ReportCommand.NoteMosaic(_settings.MosaicPath, done.Sources), BuildMosaicIfNeeded);
        });
        Command<MosaicFailed>(f =>
        {
            // The previous mosaic stays in place (the build writes a temporary file); the next alert triggers a retry.
            _building = false;
            var cause = WriteFailure.Cause(f.Error);
            if (cause == _mosaicFailure) return;
            _mosaicFailure = cause;
            _log.Warning("Rebuilding the mosaic {0} failed: {1}; the previous mosaic stays and the next alert tries again (this is said again only for another cause)",
                _settings.MosaicPath, WriteFailure.Describe("the mosaic", Path.GetDirectoryName(_settings.MosaicPath)!, f.Error));
        });
        Command<SaveSnapshotSuccess>(s =>
        {
            DeleteMessages(s.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(f => _log.Warning("Report aggregator snapshot failed (the journal still holds everything): {0}", f.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(_ => { });
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    public static Props Props(ReportAggregatorSettings settings) => Akka.Actor.Props.Create(() => new ReportAggregator(settings));

    public override string PersistenceId => _settings.PersistenceId;

    /// <summary>
    /// Has the host (<see cref="SingletonHost"/>) watch this incarnation from its start: a stop while recovering then counts
    /// as a failed start and the health says restarting, not running (the outage test in ReportAggregatorTests fails without it).
    /// </summary>
    protected override void PreStart()
    {
        base.PreStart();
        ClusterSingletons.Starting(Context);
    }

    /// <summary>Stores the events the command decides, applying each once stored, then runs <paramref name="after"/>.</summary>
    private void Record(ReportCommand command, Action after)
    {
        var events = _state.Decide(command);
        int left = events.Count;
        if (left == 0)
        {
            after();
            return;
        }
        PersistAll(events, persisted =>
        {
            _state = _state.Apply(persisted);
            if (++_eventsSinceSnapshot >= _settings.SnapshotEvery)
            {
                _eventsSinceSnapshot = 0;
                SaveSnapshot(_state.ToSnapshot());
            }
            if (--left == 0) after();
        });
    }

    private void BuildMosaicIfNeeded()
    {
        if (_building || _state.MosaicToBuild is not { } sources) return;
        _building = true;
        var builder = _settings.Mosaic;
        var path = _settings.MosaicPath;
        Task.Run(() => builder.Build(path, sources))
            .PipeTo(Self, success: () => new MosaicDone(sources), failure: ex => new MosaicFailed(ex));
    }
}

public static class ReportAggregatorSingleton
{
    public const string Name = "report-aggregator";

    /// <summary>
    /// Starts the aggregator as a cluster singleton and returns a proxy (the tiles' alert sink and the HTTP feed's source).
    /// Tile alerts are kept by the singleton's host until stored, so none is lost while the aggregator restarts.
    /// </summary>
    public static IActorRef Start(ActorSystem system, ReportAggregatorSettings settings, string? role = null)
    {
        settings.Validate();
        return ClusterSingletons.Start(system, Name, ReportAggregator.Props(settings), role, keepUntilAcknowledged: m => m is TileAlert);
    }
}
