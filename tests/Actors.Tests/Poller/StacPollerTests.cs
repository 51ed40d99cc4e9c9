using System.Collections.Immutable;
using Akka.Actor;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Sources;
using NrtCluster.Actors.Tests.Support;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Stac;
using Xunit.Abstractions;

namespace NrtCluster.Actors.Tests.Poller;

/// <summary>
/// The poller on a real single-node cluster: real SQLite persistence, a real STAC API on 127.0.0.1, the real grid
/// (GDAL) mapping footprints to tiles, and real tile actors (conformance kernels) behind reliable delivery.
/// </summary>
public sealed class StacPollerTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    // Web Mercator, 1 km tiles: the footprint below (about 1.1 x 1.1 km near 0,0) straddles a corner of four tiles.
    private static readonly ProcessingGrid Grid = new("EPSG:3857", 100, 0, 10_000, 10);

    /// <summary>The project's area: exactly the granules' footprint, so the far item below touches none of its tiles.</summary>
    private static readonly NetTopologySuite.Geometries.Geometry Area = Granule("area", DateTime.UnixEpoch).Footprint;

    private static StacItem Granule(string id, DateTime acquired) => LoopbackStac.Item(id, acquired, 0.002, 0.02, 0.012, 0.03);

    /// <summary>Blocks observation loads until opened, standing for tiles that cannot confirm yet.</summary>
    private sealed class GatedSource(IObservationSource inner, bool open) : IObservationSource
    {
        public Task<TileHistory> LoadHistoryAsync(TileId tile, DateOnly start, DateOnly end, CancellationToken ct) => inner.LoadHistoryAsync(tile, start, end, ct);

        public Task<ObservationLoad> LoadObservationAsync(TileId tile, DateOnly day, DateTime acquiredUtc, IReadOnlyList<ItemRef> items, CancellationToken ct) =>
            open ? inner.LoadObservationAsync(tile, day, acquiredUtc, items, ct) : new TaskCompletionSource<ObservationLoad>().Task;
    }

    /// <summary>Fails the first loads (an archive outage), then serves the case.</summary>
    private sealed class FlakySource(IObservationSource inner, int failures) : IObservationSource
    {
        private int _left = failures;

        public int FailuresLeft => Math.Max(0, Volatile.Read(ref _left));

        public Task<TileHistory> LoadHistoryAsync(TileId tile, DateOnly start, DateOnly end, CancellationToken ct) => inner.LoadHistoryAsync(tile, start, end, ct);

        public Task<ObservationLoad> LoadObservationAsync(TileId tile, DateOnly day, DateTime acquiredUtc, IReadOnlyList<ItemRef> items, CancellationToken ct) =>
            Interlocked.Decrement(ref _left) >= 0
                ? Task.FromException<ObservationLoad>(new IOException($"archive unavailable for {tile} {day:yyyy-MM-dd}"))
                : inner.LoadObservationAsync(tile, day, acquiredUtc, items, ct);
    }

    private sealed record Node(ActorSystem System, IActorRef Tiles, Func<IActorRef> StartPoller) : IAsyncDisposable
    {
        private IActorRef? _poller;

        public IActorRef Poller => _poller ??= StartPoller();

        public async ValueTask DisposeAsync() => await System.Terminate();
    }

    /// <param name="postgres">A PostgreSQL connection string: the cluster profile on it, alone; null: embedded SQLite.</param>
    private static Node StartNode(string folder, ConformanceCase data, IObservationSource source, LoopbackStac stac, HttpClient http,
        ReliableTileSettings? delivery = null, string? postgres = null, ITileReportWriter? reports = null)
    {
        var options = postgres is null
            ? new NodeOptions(NodeProfile.Embedded, folder)
            : new NodeOptions(NodeProfile.Cluster, folder) { Port = 0, PostgresConnectionString = postgres };
        var system = AkkaProfiles.Start(options with
        {
            HoconFolder = RepoPaths.HoconFolder,
            ExtraHocon = "akka.loglevel = WARNING",
        });
        var tileSettings = new TileActorSettings(data.Engine(), source, reports ?? new RawReportWriter(folder), null, 2, TimeSpan.FromSeconds(60));
        var tiles = ReliableTileSharding.Start(system, tileSettings, shardBlockSize: 4, delivery);
        var archive = new StacApiArchive(new StacApiClient(http, stac.SearchUrl), new StacSearchRequest { Collections = ["sentinel-2-l2a"], Limit = 2 });
        var rules = new PollerRules(data.MonitoringDates[0].AddDays(-1), TimeSpan.FromDays(10), TimeSpan.Zero);
        // A long interval: the test polls on demand, so each search is one the test asked for.
        // Started on first use, so a test can fit its tiles before the poller's own first search.
        return new Node(system, tiles, () => StacPollerSingleton.Start(system,
            new StacPollerSettings(archive, new GridTileFootprints(Grid, Area), rules, TimeSpan.FromHours(1), tiles, SnapshotEvery: 5)));
    }

    private static async Task<TileState> State(Node node, TileId tile) =>
        await node.Tiles.Ask<TileState>(new TileActor.GetTileState(tile), TimeSpan.FromSeconds(30));

    private static Task Eventually(Func<Task<bool>> condition, string what) => TestSupport.Eventually.Until(condition, Patience, what);

    [Fact]
    public async Task New_days_reach_their_tiles_once_and_unconfirmed_ones_are_redelivered_after_a_restart()
    {
        var data = ConformanceCase.Load("cusum_roc");
        using var temp = new TempFolder();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        await using var stac = new LoopbackStac();
        var tiles = new GridTileFootprints(Grid, Area).TilesTouching(Granule("probe", data.MonitoringDates[0]).Footprint);
        Assert.Equal(4, tiles.Count); // the footprint straddles a tile corner
        var counted = new CaseObservationSource(data);

        // Three days, the first split in two granules; plus an item far away that touches no tile of these.
        stac.Publish(
            Granule("d0-a", data.MonitoringDates[0]), Granule("d0-b", data.MonitoringDates[0].AddSeconds(20)),
            Granule("d1", data.MonitoringDates[1]), Granule("d2", data.MonitoringDates[2]),
            LoopbackStac.Item("elsewhere", data.MonitoringDates[1], 0.5, 0.5, 0.51, 0.51));

        // Run 1: the tiles are fitted but cannot load observations, so nothing is confirmed when the node stops.
        await using (var node = StartNode(temp.Path, data, new GatedSource(counted, open: false), stac, http))
        {
            foreach (var t in tiles)
                Assert.Equal(AckOutcome.Fitted, (await node.Tiles.Ask<FitAck>(new FitTile(t, data.HistoryStart, data.HistoryEnd), TimeSpan.FromSeconds(60))).Outcome);
            var poll = await node.Poller.Ask<PollCompleted>(PollNow.Instance, TimeSpan.FromSeconds(60));
            // The poller also searches by itself when it starts, so this search may find them already seen.
            Assert.Null(poll.Error);
            await Eventually(async () => await node.Poller.Ask<PollerStatus>(GetPollerStatus.Instance, TimeSpan.FromSeconds(10)) is { Outbox: 0, PendingDays.Length: 0 } s && s.CursorUtc == data.MonitoringDates[2],
                "every tile message handed to the durable delivery queue");
        }
        Assert.Equal(0, counted.ObservationLoads);

        // Run 2: same database. The durable queue redelivers the three days; each tile applies each once, in order, and
        // writes its report once, after the last day of the poll cycle that found them.
        var reports = new CountingReportWriter(temp.Path);
        await using (var node = StartNode(temp.Path, data, counted, stac, http, reports: reports))
        {
            _ = node.Poller;
            await Eventually(async () => (await Task.WhenAll(tiles.Select(t => State(node, t)))).All(s => s.Days.Length == 3),
                "three days applied by every tile");
            foreach (var t in tiles)
            {
                var days = (await State(node, t)).Days;
                Assert.Equal(data.MonitoringDates.Take(3).Select(DateOnly.FromDateTime), days.Select(d => d.Day));
                Assert.Equal(["d0-a", "d0-b"], days[0].ItemIds.ToArray());
            }
            Assert.Equal(3 * tiles.Count, counted.ObservationLoads);
            var day = data.MonitoringDates.Select(DateOnly.FromDateTime).ToArray();
            Assert.All(tiles, t => Assert.Equal([day[2]], reports.DaysWritten(t)));

            // The restarted poller searches again: everything is seen, nothing is sent twice.
            var again = await node.Poller.Ask<PollCompleted>(PollNow.Instance, TimeSpan.FromSeconds(60));
            Assert.Equal(0, again.NewItems);

            // A new day published later reaches every tile once.
            stac.Publish(Granule("d3", data.MonitoringDates[3]));
            var found = await node.Poller.Ask<PollCompleted>(PollNow.Instance, TimeSpan.FromSeconds(60));
            Assert.Equal(1, found.NewItems);
            // The tile-days it covers, for the operator to tell new days from days the tiles already have.
            Assert.Equal(tiles.Count, found.NewTileDays.Length);
            Assert.True(found.NewTileDays.ToHashSet().SetEquals(tiles.Select(t => (t, DateOnly.FromDateTime(data.MonitoringDates[3])))));
            await Eventually(async () => (await Task.WhenAll(tiles.Select(t => State(node, t)))).All(s => s.Days.Length == 4),
                "the fourth day applied by every tile");
            Assert.All(tiles, t => Assert.Equal([day[2], day[3]], reports.DaysWritten(t)));
            Assert.Equal(0, (await node.Poller.Ask<PollCompleted>(PollNow.Instance, TimeSpan.FromSeconds(60))).NewItems);
            var status = await node.Poller.Ask<PollerStatus>(GetPollerStatus.Instance, TimeSpan.FromSeconds(10));
            Assert.Equal(0, status.Outbox);
            Assert.Equal(data.MonitoringDates[3], status.CursorUtc);
            Assert.Equal(4 * tiles.Count, counted.ObservationLoads);
            output.WriteLine($"searches served: {stac.Searches}, observation loads: {counted.ObservationLoads}");
        }
    }

    [Fact]
    public async Task A_day_the_tile_fails_to_apply_is_retried_with_backoff_until_it_is_applied()
    {
        var data = ConformanceCase.Load("cusum_roc");
        using var temp = new TempFolder();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        await using var stac = new LoopbackStac();
        var tiles = new GridTileFootprints(Grid, Area).TilesTouching(Area);
        var counted = new CaseObservationSource(data);
        stac.Publish(Granule("d0", data.MonitoringDates[0]), Granule("d1", data.MonitoringDates[1]));
        var delivery = new ReliableTileSettings(TimeSpan.FromSeconds(60), RetryWindow.Default with { MinBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(400) });

        // The first loads fail (an outage): those deliveries are answered Failed and retried with backoff until loads succeed.
        var flaky = new FlakySource(counted, 3 * tiles.Count);
        await using var node = StartNode(temp.Path, data, flaky, stac, http, delivery);
        foreach (var t in tiles)
            Assert.Equal(AckOutcome.Fitted, (await node.Tiles.Ask<FitAck>(new FitTile(t, data.HistoryStart, data.HistoryEnd), TimeSpan.FromSeconds(60))).Outcome);
        Assert.Null((await node.Poller.Ask<PollCompleted>(PollNow.Instance, TimeSpan.FromSeconds(60))).Error);

        await Eventually(async () => (await Task.WhenAll(tiles.Select(t => State(node, t)))).All(s => s.Days.Length == 2),
            "both days applied by every tile after the failures");
        foreach (var t in tiles)
            Assert.Equal(data.MonitoringDates.Take(2).Select(DateOnly.FromDateTime), (await State(node, t)).Days.Select(d => d.Day));
        Assert.Equal(0, flaky.FailuresLeft);
        Assert.Equal(2 * tiles.Count, counted.ObservationLoads);
    }
    /// <summary>What a run leaves: each tile's state and report bytes, the poller's status, the observation loads.</summary>
    private sealed record RunResult(IReadOnlyList<(TileState State, byte[] Report)> Tiles, PollerStatus Poller, PollCompleted LastPoll, int ObservationLoads);

    /// <summary>
    /// Fits the four tiles, polls three days of granules and waits until each tile applied them; with <paramref name="hostile"/>
    /// the first page of every search also carries one broken item of each kind and an id repeated with another datetime,
    /// and later the provider republishes an item with a new datetime.
    /// </summary>
    private async Task<RunResult> RunAsync(ConformanceCase data, bool hostile, bool onPostgres)
    {
        using var temp = new TempFolder();
        using var postgres = onPostgres ? new TempPostgres() : null;
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        await using var stac = new LoopbackStac();
        var tiles = new GridTileFootprints(Grid, Area).TilesTouching(Area);
        var counted = new CaseObservationSource(data);
        stac.Publish(
            Granule("d0-a", data.MonitoringDates[0]), Granule("d0-b", data.MonitoringDates[0].AddSeconds(20)),
            Granule("d1", data.MonitoringDates[1]), Granule("d2", data.MonitoringDates[2]));
        if (hostile)
        {
            // Each over the project's area on a day the tiles apply: taken, it would change that day or open a new one.
            DateTime day1 = data.MonitoringDates[1];
            string Raw(string id, string? bbox = null, string? geometry = null) => LoopbackStac.RawItem(id, day1, 0.002, 0.02, 0.012, 0.03, bbox, geometry);
            stac.InjectIntoFirstPage(
                Raw("circle", geometry: """{"type":"Circle","coordinates":[0.007,0.025],"radius":0.005}"""),
                Raw("text-bbox", bbox: """["0.002","0.02","0.012","0.03"]"""),
                Raw("nan", geometry: """{"type":"Polygon","coordinates":[[[NaN,0.02],[0.012,0.02],[0.012,0.03],[0.002,0.03],[NaN,0.02]]]}"""),
                Raw("huge", geometry: LoopbackStac.Polygon(-1e300, -1e300, 1e300, 1e300)),
                """{"type":"Feature","properties":{"datetime":"2020-01-01T00:00:00Z"}}""",
                // The first granule again, on the page after its first version, with the datetime of a later frame.
                LoopbackStac.RawItem("d0-a", data.MonitoringDates[3], 0.002, 0.02, 0.012, 0.03));
        }
        await using var node = StartNode(temp.Path, data, counted, stac, http, postgres: postgres?.ConnectionString);
        foreach (var t in tiles)
            Assert.Equal(AckOutcome.Fitted, (await node.Tiles.Ask<FitAck>(new FitTile(t, data.HistoryStart, data.HistoryEnd), TimeSpan.FromSeconds(60))).Outcome);
        var poll = await node.Poller.Ask<PollCompleted>(PollNow.Instance, TimeSpan.FromSeconds(60));
        Assert.Null(poll.Error);
        await Eventually(async () => (await Task.WhenAll(tiles.Select(t => State(node, t)))).All(s => s.Days.Length == 3),
            "three days applied by every tile");
        if (hostile)
        {
            // Republished with a new datetime inside the overlap window: reported, not a new item.
            stac.Publish(Granule("d2", data.MonitoringDates[3]));
            poll = await node.Poller.Ask<PollCompleted>(PollNow.Instance, TimeSpan.FromSeconds(60));
            Assert.Null(poll.Error);
            Assert.Equal(0, poll.NewItems);
        }
        await Eventually(async () => await node.Poller.Ask<PollerStatus>(GetPollerStatus.Instance, TimeSpan.FromSeconds(10)) is { Outbox: 0, PendingDays.Length: 0 },
            "nothing left to dispatch");
        var states = await Task.WhenAll(tiles.Select(t => State(node, t)));
        var status = await node.Poller.Ask<PollerStatus>(GetPollerStatus.Instance, TimeSpan.FromSeconds(10));
        var reports = tiles.Select(t => File.ReadAllBytes(new RawReportWriter(temp.Path).PathFor(t))).ToArray();
        return new RunResult([.. states.Zip(reports)], status, poll, counted.ObservationLoads);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Broken_items_are_rejected_alone_with_their_reasons_and_the_tiles_end_as_in_an_undisturbed_run(bool onPostgres)
    {
        var data = ConformanceCase.Load("cusum_roc");
        var undisturbed = await RunAsync(data, hostile: false, onPostgres);
        var hostile = await RunAsync(data, hostile: true, onPostgres);

        Assert.Equal(undisturbed.Tiles.Count, hostile.Tiles.Count);
        foreach (var ((expected, expectedReport), (actual, actualReport)) in undisturbed.Tiles.Zip(hostile.Tiles))
        {
            Assert.Equal(expected.Days.Select(d => (d.Day, d.AcquiredUtc, d.NewBreaks, string.Join(",", d.ItemIds))),
                actual.Days.Select(d => (d.Day, d.AcquiredUtc, d.NewBreaks, string.Join(",", d.ItemIds))));
            Assert.Equal(["d0-a", "d0-b"], actual.Days[0].ItemIds.ToArray());
            Assert.Equal(expected.Model!.Layers, actual.Model!.Layers);
            Assert.Equal(expected.Monitoring, actual.Monitoring);
            Assert.Equal(expected.Totals, actual.Totals);
            Assert.Equal(expectedReport, actualReport);
        }
        // Nothing applied twice, no phantom day.
        Assert.Equal(undisturbed.ObservationLoads, hostile.ObservationLoads);
        Assert.Equal(3 * undisturbed.Tiles.Count, hostile.ObservationLoads);

        Assert.Empty(undisturbed.Poller.Rejected);
        var rejected = hostile.Poller.Rejected;
        Assert.Equal(7, hostile.Poller.RejectedCount);
        Assert.Equal(["circle", "text-bbox", "nan", "huge", null, "d0-a", "d2"], rejected.Select(r => r.Id));
        string[] reasons =
        [
            "geometry type 'Circle' is not a GeoJSON type", "\"bbox\" must be an array of 4 or 6 finite numbers", "is not a finite number",
            "is off the globe", "has no string \"id\"", "the first version is kept", "already found with datetime",
        ];
        foreach (var (r, reason) in rejected.Zip(reasons)) Assert.Contains(reason, r.Reason);
        Assert.Contains("d2", hostile.LastPoll.Rejected.Select(r => r.Id));
        output.WriteLine(string.Join(Environment.NewLine, rejected));
    }
}
