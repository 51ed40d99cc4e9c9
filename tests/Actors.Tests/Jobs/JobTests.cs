using System.Collections.Immutable;
using Akka.Actor;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Jobs;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Serialization;
using NrtCluster.Actors.Sources;
using NrtCluster.Actors.Tests.Poller;
using NrtCluster.Actors.Tests.Support;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Actors.Tests.Jobs;

public sealed class JobStateTests
{
    [Fact]
    public void StatusRoundsOverManyTilesAreSpacedFiveMillisecondsATile()
    {
        var settings = new JobSettings(2) { StatusInterval = TimeSpan.FromSeconds(1) };
        Assert.Equal(TimeSpan.FromSeconds(1), settings.StatusIntervalFor(10));
        Assert.Equal(TimeSpan.FromSeconds(1), settings.StatusIntervalFor(200));
        Assert.Equal(TimeSpan.FromSeconds(3), settings.StatusIntervalFor(600));
    }

    private static readonly TileId A = new(0, 0), B = new(1, 0), C = new(2, 0);

    [Fact]
    public void Progress_counts_tiles_done_and_failed_and_reports_the_day_the_slowest_running_tile_is_at()
    {
        var d1 = new DateOnly(2024, 6, 10);
        var state = JobState.Start("ff-1", JobKind.FastForward, [new(A, 2), new(B, 2), new(C, 0)]);
        Assert.Equal((0, 0, 3, false), (state.Done, state.Failed, state.Tiles.Count, state.Finished));

        state = state.Apply(new JobEvent.TileStarted(A)).Apply(new JobEvent.TileStarted(B))
            .Apply(new JobEvent.DayDone(A, d1, AckOutcome.Applied)).Apply(new JobEvent.DayDone(A, d1.AddDays(3), AckOutcome.Applied))
            .Apply(new JobEvent.DayDone(B, d1, AckOutcome.Repeated));
        var progress = state.Progress();
        Assert.Equal(d1, progress.CurrentDay);
        Assert.Equal((2, 2), (progress.Tiles[0].DaysDone, progress.Tiles[0].DaysTotal));

        state = state.Apply(new JobEvent.TileDone(A, "at day 2")).Apply(new JobEvent.TileFailed(B, "NotFitted"))
            .Apply(new JobEvent.TileStarted(C)).Apply(new JobEvent.TileDone(C, "no new days"));
        progress = state.Progress();
        Assert.Equal((2, 1, 3, true), (progress.TilesDone, progress.TilesFailed, progress.TilesTotal, progress.Finished));
        Assert.Null(progress.CurrentDay);

        var copy = (JobProgress)PipelineFormat.Read(PipelineFormat.Write(progress), "JobProgress");
        Assert.Equal(progress.Tiles.ToArray(), copy.Tiles.ToArray());
        Assert.Equal((progress.JobId, progress.Kind, progress.Finished), (copy.JobId, copy.Kind, copy.Finished));
    }

    [Fact]
    public void A_quarantined_day_counts_as_done_and_as_quarantined()
    {
        var d1 = new DateOnly(2024, 6, 10);
        var state = JobState.Start("ff-1", JobKind.FastForward, [new(A, 2)]).Apply(new JobEvent.TileStarted(A))
            .Apply(new JobEvent.DayQuarantined(A, d1, "cannot read m1.json")).Apply(new JobEvent.DayDone(A, d1.AddDays(3), AckOutcome.Applied));
        var tile = state.Progress().Tiles.Single();
        Assert.Equal((2, 2, 1, d1.AddDays(3)), (tile.DaysDone, tile.DaysTotal, tile.DaysQuarantined, tile.CurrentDay));
        state = state.Apply(new JobEvent.TileDone(A, "at 2024-06-13, 1 day(s) quarantined"));
        Assert.Equal((1, 0, true), (state.Done, state.Failed, state.Finished));
    }

    [Fact]
    public void Applied_repeated_and_quarantined_days_and_retries_are_counted_apart()
    {
        var d1 = new DateOnly(2024, 6, 10);
        var state = JobState.Start("ff-1", JobKind.FastForward, [new(A, 4)]).Apply(new JobEvent.TileStarted(A))
            .Apply(new JobEvent.DayDone(A, d1, AckOutcome.Repeated))
            .Apply(new JobEvent.Retrying(A, "attempt 2 of 3 after: no answer in time"))
            .Apply(new JobEvent.DayDone(A, d1.AddDays(3), AckOutcome.Applied))
            .Apply(new JobEvent.Retrying(A, "attempt 2 of 3 after: day 2024-06-16 failed: cannot read m2.json"))
            .Apply(new JobEvent.Retrying(A, "attempt 3 of 3 after: day 2024-06-16 failed: cannot read m2.json"))
            .Apply(new JobEvent.DayQuarantined(A, d1.AddDays(6), "cannot read m2.json"))
            .Apply(new JobEvent.DayDone(A, d1.AddDays(9), AckOutcome.Repeated));
        var tile = state.Progress().Tiles.Single();
        Assert.Equal((4, 1, 2, 1, 3), (tile.DaysDone, tile.DaysApplied, tile.DaysRepeated, tile.DaysQuarantined, tile.Retries));

        var copy = ((JobProgress)PipelineFormat.Read(PipelineFormat.Write(state.Progress()), "JobProgress")).Tiles.Single();
        Assert.Equal(tile, copy);
    }

    [Fact]
    public void A_fast_forward_reads_from_each_tiles_status_which_of_its_planned_days_are_behind_it()
    {
        var d = Enumerable.Range(0, 4).Select(i => new DateOnly(2024, 6, 10).AddDays(3 * i)).ToArray();
        var state = JobState.Start("ff-1", JobKind.FastForward, [new(A, 0), new(B, 0), new(C, 0)]);
        state = Run(state, new JobCommand.Start(A), new JobCommand.Start(B), new JobCommand.Start(C));
        TileStatus Status(TileId tile, int fit, DateOnly[] applied, params QuarantinedDay[] quarantined) =>
            new(tile, fit, null, applied.Length == 0 ? null : applied[^1], [.. applied.Select(x => new AppliedDay(x, x.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), [], 0))], MaskTotals.Zero)
            {
                Quarantined = [.. quarantined],
            };

        // The tiles' positions first: A had applied day 0, B nothing, C is not fitted and fails at once.
        state = Run(state, new JobCommand.StatusRead(Status(A, 1, [d[0]])), new JobCommand.StatusRead(Status(B, 2, [])), new JobCommand.StatusRead(Status(C, 0, [])));
        Assert.True(state.PositionsRead);
        Assert.Equal((1, 2), (state.Plans[A].FitNumber, state.Plans[B].FitNumber));
        Assert.Contains("is not fitted yet", state.Tiles[C].Detail);
        state = Run(state, new JobCommand.Planned(new BackfillQueued("ff-1", [(A, [.. d]), (B, [])], null)));
        Assert.Equal((4, TileJobStatus.Done, "no new days"), (state.Tiles[A].DaysTotal, state.Tiles[B].Status, state.Tiles[B].Detail));

        // Day 0 was applied before the job (a repeat), day 1 quarantined, day 2 passed; day 3 not yet: A runs on.
        var q = new QuarantinedDay(d[1], ["m1"], "cannot read m1.json", DateTime.UnixEpoch);
        state = Run(state, new JobCommand.StatusRead(Status(A, 1, [d[0], d[2].AddDays(1)], q)));
        Assert.Equal((TileJobStatus.Running, 3, 1, 1), (state.Tiles[A].Status, state.Tiles[A].DaysDone, state.Tiles[A].DaysRepeated, state.Tiles[A].DaysQuarantined));
        // Reading the same status again changes nothing; once day 3 is applied, A is done and says what it quarantined.
        Assert.Empty(state.Decide(new JobCommand.StatusRead(Status(A, 1, [d[0], d[2].AddDays(1)], q))));
        state = Run(state, new JobCommand.StatusRead(Status(A, 1, [d[0], d[2].AddDays(1), d[3]], q)));
        Assert.Equal((TileJobStatus.Done, 4, 1, 1), (state.Tiles[A].Status, state.Tiles[A].DaysDone, state.Tiles[A].DaysRepeated, state.Tiles[A].DaysQuarantined));
        Assert.Equal($"at {d[3]:yyyy-MM-dd}, 1 day(s) quarantined (see the tile's status)", state.Tiles[A].Detail);
        Assert.True(state.Finished);

        // A report that cannot be written fails the tile at once, naming the cause; a failed search fails the job.
        var full = JobState.Start("ff-2", JobKind.FastForward, [new(A, 0)]);
        full = Run(full, new JobCommand.Start(A), new JobCommand.StatusRead(Status(A, 1, [])), new JobCommand.Planned(new BackfillQueued("ff-2", [(A, [d[0]])], null)),
            new JobCommand.StatusRead(Status(A, 1, [d[0]]) with { ReportError = "cannot write reports to /out/tiles: no space left on device" }));
        Assert.Equal(TileJobStatus.Failed, full.Tiles[A].Status);
        Assert.StartsWith("cannot write reports to /out/tiles: no space left on device; the days applied are stored", full.Tiles[A].Detail);
        var noSearch = Run(JobState.Start("ff-3", JobKind.FastForward, [new(A, 0)]), new JobCommand.Planned(new BackfillQueued("ff-3", [], "the archive search failed: 503")));
        Assert.Equal((true, "the archive search failed: 503"), (noSearch.Finished, noSearch.Error));
    }

    private static JobState Run(JobState state, params JobCommand[] commands)
    {
        foreach (var command in commands)
            foreach (var e in state.Decide(command)) state = state.Apply(e);
        return state;
    }

    [Fact]
    public void A_tile_outside_the_job_is_named_in_the_error()
    {
        var state = JobState.Start("fit-1", JobKind.Fit, [new(A, 0)]);
        var error = Assert.Throws<ArgumentException>(() => state.Apply(new JobEvent.TileStarted(B)));
        Assert.Contains(B.ToString(), error.Message);
    }
}

/// <summary>Fit and fast-forward jobs over real tile actors (SQLite, conformance kernels) and a STAC API on 127.0.0.1.</summary>
public sealed class JobActorTests
{
    private static readonly ProcessingGrid Grid = new("EPSG:3857", 100, 0, 10_000, 10);
    private static readonly NetTopologySuite.Geometries.Geometry Area = LoopbackStac.Item("area", DateTime.UnixEpoch, 0.002, 0.02, 0.012, 0.03).Footprint;

    private static StacItem Granule(string id, DateTime acquired) => LoopbackStac.Item(id, acquired, 0.002, 0.02, 0.012, 0.03);

    private static async Task<JobProgress> Run(ActorSystem system, JobRequest request, IActorRef tiles, IActorRef? poller = null, JobSettings? settings = null)
    {
        var job = system.ActorOf(JobActor.Props(request, tiles, poller, settings ?? new JobSettings(2) { StatusInterval = TimeSpan.FromMilliseconds(50) }, null));
        var progress = await Eventually.Until(() => job.Ask<JobProgress>(GetJobProgress.Instance, TimeSpan.FromSeconds(30)), p => p.Finished,
            TimeSpan.FromSeconds(120), p => $"Job {request.JobId} did not finish: {p.TilesDone} of {p.TilesTotal} done.");
        system.Stop(job);
        return progress;
    }

    /// <summary>
    /// An embedded node (SQLite) with the tiles of the test area on the conformance case cusum_roc, the poller a fast-forward
    /// asks to backfill (it searches only when asked), and a STAC API on 127.0.0.1 publishing granules of the first three
    /// monitoring days (m0, m1, m2) and any others published.
    /// </summary>
    private sealed class AreaNode : IAsyncDisposable
    {
        private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false });
        private readonly LoopbackStac _stac = new();

        public AreaNode()
        {
            Data = ConformanceCase.Load("cusum_roc");
            Publish(Granule("m0", Data.MonitoringDates[0]), Granule("m1", Data.MonitoringDates[1]), Granule("m2", Data.MonitoringDates[2]));
        }

        public ConformanceCase Data { get; }
        public TempFolder Temp { get; } = new();
        public GridTileFootprints Index { get; } = new(Grid, Area);
        public ImmutableArray<TileId> Tiles => [.. Index.ProjectTiles];
        /// <summary>The end of the history the fast-forwards start from, and the end of the three days.</summary>
        public DateTime From => Data.MonitoringDates[0].AddDays(-1);
        public DateTime To => Data.MonitoringDates[2].AddHours(1);
        public ActorSystem System { get; private set; } = null!;
        public IActorRef Region { get; private set; } = null!;
        public IActorRef Poller { get; private set; } = null!;

        public void Publish(params StacItem[] granules) => _stac.Publish(granules);

        /// <param name="reports">The report writer (default: raw, not counted) and <see cref="TileActorSettings.ReportEveryDays"/>.</param>
        /// <param name="alerts">Receives the tiles' alerts; null: none.</param>
        /// <param name="folder">The node's output folder (its database too); default: the test's temporary folder.</param>
        public void Start(IObservationSource source, string logLevel, ReliableTileSettings? delivery = null,
            (ITileReportWriter Writer, int EveryDays)? reports = null, List<TileAlert>? alerts = null, string? folder = null)
        {
            string output = folder ?? Temp.Path;
            System = AkkaProfiles.Start(new NodeOptions(NodeProfile.Embedded, output) { HoconFolder = RepoPaths.HoconFolder, ExtraHocon = $"akka.loglevel = {logLevel}" });
            var sink = alerts is null ? null : System.ActorOf(Props.Create(() => new AlertCollector(alerts)));
            Region = ReliableTileSharding.Start(System,
                new TileActorSettings(Data.Engine(), source, reports?.Writer ?? new RawReportWriter(output), sink, 2, TimeSpan.FromSeconds(60))
                {
                    ReportEveryDays = reports?.EveryDays ?? 0,
                }, shardBlockSize: 4, delivery);
            var archive = new StacApiArchive(new StacApiClient(_http, _stac.SearchUrl), new StacSearchRequest { Intersects = Area });
            Poller = StacPollerSingleton.Start(System, new StacPollerSettings(archive, Index, new PollerRules(From, TimeSpan.FromDays(10), TimeSpan.Zero),
                TimeSpan.FromHours(1), Region) { Scheduled = false });
        }

        public Task<JobProgress> FitAsync() => Run(System, new JobRequest.Fit("fit-1", Tiles, Data.HistoryStart, Data.HistoryEnd), Region);

        public Task<JobProgress> FastForwardAsync(string jobId, JobSettings? settings = null, DateTime? to = null) =>
            Run(System, new JobRequest.FastForward(jobId, Tiles, From, to ?? To), Region, Poller, settings);

        public async Task StopAsync()
        {
            await System.Terminate();
            System = null!;
        }

        public async ValueTask DisposeAsync()
        {
            if (System is not null) await System.Terminate();
            await _stac.DisposeAsync();
            _http.Dispose();
            Temp.Dispose();
        }
    }

    [Fact]
    public async Task Fit_then_fast_forward_all_tiles_of_the_area_and_a_second_fast_forward_changes_nothing()
    {
        await using var node = new AreaNode();
        var data = node.Data;
        node.Publish(Granule("before", node.From.AddDays(-3)), Granule("after", data.MonitoringDates[10]));
        var source = new CaseObservationSource(data);
        node.Start(source, "WARNING");

        var fit = await node.FitAsync();
        Assert.Equal((4, 0, 4), (fit.TilesDone, fit.TilesFailed, fit.TilesTotal));
        Assert.All(fit.Tiles, t => Assert.StartsWith("Fitted", t.Detail));

        var ff = await node.FastForwardAsync("ff-1");
        Assert.Equal((4, 0, 4), (ff.TilesDone, ff.TilesFailed, ff.TilesTotal));
        Assert.All(ff.Tiles, t => Assert.Equal((3, 3, 0, 3, DateOnly.FromDateTime(data.MonitoringDates[2])),
            (t.DaysDone, t.DaysApplied, t.DaysRepeated, t.DaysTotal, t.CurrentDay)));
        foreach (var t in node.Tiles)
        {
            var state = await node.Region.Ask<TileState>(new TileActor.GetTileState(t), TimeSpan.FromSeconds(30));
            Assert.Equal(data.MonitoringDates.Take(3).Select(DateOnly.FromDateTime), state.Days.Select(d => d.Day));
        }
        Assert.Equal(12, source.ObservationLoads);

        var again = await node.FastForwardAsync("ff-2");
        Assert.Equal(4, again.TilesDone);
        // Every day was applied before: the poller sent nothing again, nothing was loaded, and the progress says so.
        Assert.All(again.Tiles, t => Assert.Equal((3, 0, 3), (t.DaysDone, t.DaysApplied, t.DaysRepeated)));
        Assert.Equal(12, source.ObservationLoads);
    }

    /// <summary>
    /// A fast-forward of ten days writes each tile's report once, after its last day (or every N days with
    /// report-every-days), and the reports and every day's alert equal those of a report written after every day.
    /// </summary>
    [Fact]
    public async Task A_fast_forward_writes_each_tiles_report_after_its_last_day_and_ends_as_writing_it_every_day()
    {
        await using var node = new AreaNode();
        var data = node.Data;
        node.Publish([.. Enumerable.Range(3, 7).Select(i => Granule($"m{i}", data.MonitoringDates[i]))]);
        var days = data.MonitoringDates.Take(10).Select(DateOnly.FromDateTime).ToArray();

        async Task<(CountingReportWriter Writer, Dictionary<TileId, byte[]> Reports, List<TileAlert> Alerts)> FastForward(int everyDays)
        {
            string folder = Path.Combine(node.Temp.Path, $"every-{everyDays}");
            var writer = new CountingReportWriter(folder);
            var alerts = new List<TileAlert>();
            node.Start(new CaseObservationSource(data), "WARNING", reports: (writer, everyDays), alerts: alerts, folder: folder);
            Assert.Equal(4, (await node.FitAsync()).TilesDone);
            var ff = await node.FastForwardAsync($"ff-{everyDays}", to: data.MonitoringDates[9].AddHours(1));
            Assert.All(ff.Tiles, t => Assert.Equal((10, 10), (t.DaysDone, t.DaysApplied)));
            await Eventually.Until(() =>
            {
                lock (alerts) return alerts.Count == 10 * node.Tiles.Length;
            }, TimeSpan.FromSeconds(30), "an alert per tile-day");
            await node.StopAsync();
            return (writer, node.Tiles.ToDictionary(t => t, t => File.ReadAllBytes(writer.PathFor(t))), alerts);
        }

        var everyDay = await FastForward(1);
        var batched = await FastForward(0);
        var everyFour = await FastForward(4);
        foreach (var tile in node.Tiles)
        {
            Assert.Equal(days, everyDay.Writer.DaysWritten(tile));
            Assert.Equal([days[9]], batched.Writer.DaysWritten(tile));
            Assert.Equal([days[3], days[7], days[9]], everyFour.Writer.DaysWritten(tile));
            Assert.Equal(everyDay.Reports[tile], batched.Reports[tile]);
            Assert.Equal(everyDay.Reports[tile], everyFour.Reports[tile]);
        }
        // Every day's alert, with its new breaks and totals, as before; the report's path comes with the day that wrote it.
        static IEnumerable<(TileId, DateOnly, long, MaskTotals)> Content(List<TileAlert> alerts) =>
            alerts.Select(a => (a.Tile, a.Day, a.NewBreaks, a.Totals)).OrderBy(a => a.Day).ThenBy(a => a.Tile.Row).ThenBy(a => a.Tile.Column);
        Assert.Equal(Content(everyDay.Alerts), Content(batched.Alerts));
        Assert.Equal(Content(everyDay.Alerts), Content(everyFour.Alerts));
        Assert.True(everyDay.Alerts.Sum(a => a.NewBreaks) > 0, "the ten days should find breaks");
        Assert.All(batched.Alerts, a => Assert.Equal(a.Day == days[9], a.ReportPath is not null));
    }

    /// <summary>Keeps the tiles' alerts, as the report aggregator receives them.</summary>
    private sealed class AlertCollector : ReceiveActor
    {
        public AlertCollector(List<TileAlert> alerts) => Receive<TileAlert>(a =>
        {
            lock (alerts) alerts.Add(a);
        });
    }

    /// <summary>
    /// A tile whose day keeps failing for a reason that may pass is retried by its delivery within the retry window, while
    /// the other tiles go on; once the others are through and the host answers, its day is applied, not quarantined.
    /// </summary>
    [Fact]
    public async Task A_tile_retrying_a_day_within_its_window_does_not_hold_back_the_other_tiles()
    {
        await using var node = new AreaNode();
        var data = node.Data;
        // The first tile by row, then column is the one whose host is down.
        var first = node.Tiles.OrderBy(t => t.Row).ThenBy(t => t.Column).First();
        var source = new HostDownForOneTileSource(new CaseObservationSource(data), first, data.MonitoringDates[1], othersLoads: 3 * (node.Tiles.Length - 1));
        node.Start(source, "ERROR",
            new ReliableTileSettings(TimeSpan.FromSeconds(60), new RetryWindow(TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(100))));
        Assert.Equal(4, (await node.FitAsync()).TilesDone);

        var ff = await node.FastForwardAsync("ff-1");
        Assert.Equal((4, 0), (ff.TilesDone, ff.TilesFailed));
        Assert.All(ff.Tiles, t => Assert.Equal((3, 3, 0), (t.DaysDone, t.DaysApplied, t.DaysQuarantined)));
        Assert.True(source.Failures >= 1);
        foreach (var t in node.Tiles)
            Assert.Equal(data.MonitoringDates.Take(3).Select(DateOnly.FromDateTime),
                (await node.Region.Ask<TileState>(new TileActor.GetTileState(t), TimeSpan.FromSeconds(30))).Days.Select(d => d.Day));
    }

    [Fact]
    public async Task A_day_whose_item_file_is_corrupt_is_quarantined_and_the_later_days_are_applied()
    {
        await using var node = new AreaNode();
        var data = node.Data;
        var items = Directory.CreateDirectory(Path.Combine(node.Temp.Path, "items")).FullName;
        File.WriteAllText(Path.Combine(items, "m0.json"), """{"type":"Feature","id":"m0"}""");
        File.WriteAllText(Path.Combine(items, "m1.json"), "\0\u0001 truncated download");
        File.WriteAllText(Path.Combine(items, "m2.json"), """{"type":"Feature","id":"m2"}""");
        var source = new ItemFileSource(data, items);
        node.Start(source, "ERROR");
        Assert.Equal(4, (await node.FitAsync()).TilesDone);

        var settings = new JobSettings(2) { MinBackoff = TimeSpan.FromMilliseconds(20), MaxAttempts = 2, StatusInterval = TimeSpan.FromMilliseconds(50) };
        var ff = await node.FastForwardAsync("ff-1", settings);
        Assert.Equal((4, 0), (ff.TilesDone, ff.TilesFailed));
        Assert.All(ff.Tiles, t => Assert.Equal((3, 3, 1), (t.DaysDone, t.DaysTotal, t.DaysQuarantined)));
        Assert.All(ff.Tiles, t => Assert.Contains("1 day(s) quarantined", t.Detail));
        // A document that is not JSON cannot pass by retrying: one load of the bad day per tile, quarantined at once,
        // and one load of each good day.
        Assert.Equal(4 * (1 + 2), source.Loads);

        var m1 = DateOnly.FromDateTime(data.MonitoringDates[1]);
        foreach (var t in node.Tiles)
        {
            var status = await node.Region.Ask<TileStatus>(new GetTileStatus(t), TimeSpan.FromSeconds(30));
            Assert.Equal(new[] { data.MonitoringDates[0], data.MonitoringDates[2] }.Select(DateOnly.FromDateTime), status.Days.Select(d => d.Day));
            var q = Assert.Single(status.Quarantined);
            Assert.Equal((m1, "m1"), (q.Day, q.ItemIds.Single()));
            Assert.Contains(Path.Combine(items, "m1.json"), q.Reason);
            Assert.Contains("not valid JSON", q.Reason);
        }

        // Run again: the quarantined day is answered as such (not as a hole), nothing is loaded, every tile is done.
        var again = await node.FastForwardAsync("ff-2", settings);
        Assert.Equal((4, 0), (again.TilesDone, again.TilesFailed));
        Assert.All(again.Tiles, t => Assert.Equal((3, 1), (t.DaysDone, t.DaysQuarantined)));
        Assert.Equal(12, source.Loads);
    }

    /// <summary>
    /// Reads every item of a day from <c>{folder}/{id}.json</c> with the real STAC reader (as the real observation source
    /// reads its items) before serving the conformance case's pixels: a missing or corrupt item file fails the day.
    /// </summary>
    private sealed class ItemFileSource(ConformanceCase data, string folder) : IObservationSource
    {
        private readonly CaseObservationSource _pixels = new(data);
        private readonly StaticCatalogReader _reader = new();

        public int Loads => _pixels.ObservationLoads;

        public Task<TileHistory> LoadHistoryAsync(TileId tile, DateOnly start, DateOnly end, CancellationToken cancellationToken) =>
            _pixels.LoadHistoryAsync(tile, start, end, cancellationToken);

        public async Task<ObservationLoad> LoadObservationAsync(TileId tile, DateOnly day, DateTime acquiredUtc, IReadOnlyList<ItemRef> items, CancellationToken cancellationToken)
        {
            var frame = await _pixels.LoadObservationAsync(tile, day, acquiredUtc, items, cancellationToken);
            foreach (var item in items)
                await _reader.LoadAsync(Path.Combine(folder, item.Id + ".json"), cancellationToken);
            return frame;
        }
    }

    /// <summary>
    /// Fails the loads of one tile's day for a reason that may pass (an asset host answering 503) until every other tile has
    /// loaded all its days: with one job place, it can only end well if the waiting tile lets the others go first.
    /// </summary>
    private sealed class HostDownForOneTileSource(CaseObservationSource inner, TileId tile, DateTime failing, int othersLoads) : IObservationSource
    {
        private int _failures;
        private int _others;

        public int Failures => Volatile.Read(ref _failures);

        public Task<TileHistory> LoadHistoryAsync(TileId t, DateOnly start, DateOnly end, CancellationToken cancellationToken) =>
            inner.LoadHistoryAsync(t, start, end, cancellationToken);

        public Task<ObservationLoad> LoadObservationAsync(TileId t, DateOnly day, DateTime acquiredUtc, IReadOnlyList<ItemRef> items, CancellationToken cancellationToken)
        {
            if (t != tile) Interlocked.Increment(ref _others);
            else if (acquiredUtc == failing && Volatile.Read(ref _others) < othersLoads)
            {
                Interlocked.Increment(ref _failures);
                return Task.FromException<ObservationLoad>(new IOException($"{items[0].Href} answers HTTP 503"));
            }
            return inner.LoadObservationAsync(t, day, acquiredUtc, items, cancellationToken);
        }
    }
}
