using System.Diagnostics.Metrics;
using Akka.Actor;
using Microsoft.Data.Sqlite;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Jobs;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Sources;
using NrtCluster.Actors.Tests.Poller;
using NrtCluster.Actors.Tests.Support;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Stac;
using Xunit.Abstractions;

namespace NrtCluster.Actors.Tests;

/// <summary>Tile actors on a real single-node cluster with real SQLite persistence and real kernels on conformance data.</summary>
public sealed class TileActorTests(ITestOutputHelper output)
{
    private static readonly TileId Tile = new(3, 5);

    /// <summary>The uninterrupted run: the kernels' monitor applied to every day in one process, no actors.</summary>
    private static TileState Uninterrupted(ConformanceCase data, int days)
    {
        var engine = data.Engine();
        var state = TileDecision.Of(TileState.Empty(Tile), new TileCommand.Fit(new FitTile(Tile, data.HistoryStart, data.HistoryEnd), data.TileHistory(), engine)).Next;
        for (int i = 0; i < days; i++)
            state = TileDecision.Of(state, new TileCommand.Observe(data.Observation(Tile, i), data.Frame(i), engine)).Next;
        return state;
    }

    [Theory]
    [InlineData("cusum_roc")]
    [InlineData("mosum_ols_h05")]
    [InlineData("iqr_nomask_fitstart")]
    public async Task Tile_stopped_mid_series_recovers_and_ends_identical_to_an_uninterrupted_run(string caseName)
    {
        var data = ConformanceCase.Load(caseName);
        int days = 40, stopAfter = 17;
        var expected = Uninterrupted(data, days);
        using var temp = new TempFolder();
        var source = new CaseObservationSource(data);

        await using (var node = TileNode.Start(temp.Path, data.Engine(), source))
        {
            var fit = await node.Ask<FitAck>(new FitTile(Tile, data.HistoryStart, data.HistoryEnd));
            Assert.Equal(AckOutcome.Fitted, fit.Outcome);
            for (int i = 0; i < stopAfter; i++)
                Assert.Equal(AckOutcome.Applied, (await node.Ask<DayAck>(data.Observation(Tile, i))).Outcome);
        }

        await using (var node = TileNode.Start(temp.Path, data.Engine(), source))
        {
            var recovered = await node.State(Tile);
            Assert.True(recovered.HasModel);
            Assert.Equal(stopAfter, recovered.Days.Length);
            Assert.Equal(AckOutcome.AlreadyFitted, (await node.Ask<FitAck>(new FitTile(Tile, data.HistoryStart, data.HistoryEnd))).Outcome);
            for (int i = stopAfter; i < days; i++)
                Assert.Equal(AckOutcome.Applied, (await node.Ask<DayAck>(data.Observation(Tile, i))).Outcome);

            var final = await node.State(Tile);
            Assert.Equal(expected.FitNumber, final.FitNumber);
            Assert.Equal(expected.Model!.Layers, final.Model!.Layers);
            Assert.Equal(expected.Monitoring, final.Monitoring);
            Assert.Equal(expected.Totals, final.Totals);
            Assert.Equal(expected.Days.Select(d => (d.Day, d.AcquiredUtc, d.NewBreaks, string.Join(",", d.ItemIds))),
                final.Days.Select(d => (d.Day, d.AcquiredUtc, d.NewBreaks, string.Join(",", d.ItemIds))));
            Assert.Equal(days, source.ObservationLoads);

            var status = await node.Ask<TileStatus>(new GetTileStatus(Tile));
            Assert.Equal(data.Observation(Tile, days - 1).Day, status.LastDay);
            var report = await node.Ask<TileReport>(new GetTileReport(Tile));
            Assert.True(File.Exists(report.ReportPath));
            Assert.Equal(expected.Totals, report.Totals);
        }
    }

    [Fact]
    public async Task On_the_cluster_profile_with_PostgreSQL_a_restarted_tile_ends_identical_to_an_uninterrupted_run()
    {
        var data = ConformanceCase.Load("ccdc_stable_rirls");
        int days = 30, stopAfter = 12;
        var expected = Uninterrupted(data, days);
        using var temp = new TempFolder();
        using var postgres = new TempPostgres();
        var source = new CaseObservationSource(data);

        await using (var node = TileNode.StartClustered(temp.Path, postgres.ConnectionString, data.Engine(), source))
        {
            Assert.Equal(AckOutcome.Fitted, (await node.Ask<FitAck>(new FitTile(Tile, data.HistoryStart, data.HistoryEnd))).Outcome);
            for (int i = 0; i < stopAfter; i++) await node.Ask<DayAck>(data.Observation(Tile, i));
        }
        await using (var node = TileNode.StartClustered(temp.Path, postgres.ConnectionString, data.Engine(), source))
        {
            Assert.Equal(AckOutcome.Repeated, (await node.Ask<DayAck>(data.Observation(Tile, stopAfter - 1))).Outcome);
            for (int i = stopAfter; i < days; i++)
                Assert.Equal(AckOutcome.Applied, (await node.Ask<DayAck>(data.Observation(Tile, i))).Outcome);
            var final = await node.State(Tile);
            Assert.Equal(expected.Model!.Layers, final.Model!.Layers);
            Assert.Equal(expected.Monitoring, final.Monitoring);
            Assert.Equal(expected.Days.Select(d => d.Day), final.Days.Select(d => d.Day));
        }
        Assert.Equal(days, source.ObservationLoads);
    }

    [Fact]
    public async Task Redelivered_and_out_of_order_days_are_acknowledged_and_change_nothing_across_a_restart()
    {
        var data = ConformanceCase.Load("ewma_ols_shewhart");
        using var temp = new TempFolder();
        var source = new CaseObservationSource(data);
        TileState before;
        await using (var node = TileNode.Start(temp.Path, data.Engine(), source))
        {
            Assert.Equal(AckOutcome.NotFitted, (await node.Ask<DayAck>(data.Observation(Tile, 0))).Outcome);
            Assert.Equal(AckOutcome.Fitted, (await node.Ask<FitAck>(new FitTile(Tile, data.HistoryStart, data.HistoryEnd))).Outcome);
            // Day 2 is skipped: it arrives late, after day 3.
            foreach (int i in new[] { 0, 1, 3 })
                Assert.Equal(AckOutcome.Applied, (await node.Ask<DayAck>(data.Observation(Tile, i))).Outcome);
            before = await node.State(Tile);
            Assert.Equal(AckOutcome.Repeated, (await node.Ask<DayAck>(data.Observation(Tile, 3))).Outcome);
            Assert.Equal(AckOutcome.Repeated, (await node.Ask<DayAck>(data.Observation(Tile, 1))).Outcome);
            Assert.Equal(AckOutcome.Older, (await node.Ask<DayAck>(data.Observation(Tile, 2))).Outcome);
            AssertSame(before, await node.State(Tile));
        }
        await using (var node = TileNode.Start(temp.Path, data.Engine(), source))
        {
            Assert.Equal(AckOutcome.Repeated, (await node.Ask<DayAck>(data.Observation(Tile, 3))).Outcome);
            Assert.Equal(AckOutcome.Older, (await node.Ask<DayAck>(data.Observation(Tile, 2))).Outcome);
            AssertSame(before, await node.State(Tile));
        }
        // Refused days are decided before any pixel is read.
        Assert.Equal(3, source.ObservationLoads);
    }

    [Fact]
    public async Task Every_applied_day_writes_the_report_and_emits_an_alert_and_storage_stays_bounded()
    {
        var data = ConformanceCase.Load("cusum_roc");
        int days = 12, keep = 2;
        using var temp = new TempFolder();
        await using (var node = TileNode.Start(temp.Path, data.Engine(), new CaseObservationSource(data), snapshotsToKeep: keep))
        {
            await node.Ask<FitAck>(new FitTile(Tile, data.HistoryStart, data.HistoryEnd));
            for (int i = 0; i < days; i++) await node.Ask<DayAck>(data.Observation(Tile, i));
            var final = await node.State(Tile);
            await AwaitAsync(() => node.Alerts.Count == days);
            var alerts = node.Alerts.ToArray();
            Assert.Equal(Enumerable.Range(0, days).Select(i => data.Observation(Tile, i).Day), alerts.Select(a => a.Day));
            Assert.Equal(final.Days.Select(d => d.NewBreaks), alerts.Select(a => a.NewBreaks));
            Assert.Equal(final.Totals, alerts[^1].Totals);
            string reportPath = Path.Combine(temp.Path, "tiles", Tile.ToString(), "report.tif");
            Assert.All(alerts, a => Assert.Equal(reportPath, a.ReportPath));
            using (var report = RasterDataset.Open(reportPath))
            {
                Assert.Equal(TileNode.Grid.TileGeoBox(Tile).Transform, report.GeoTransform);
                Assert.Equal((24, 24, 2), (report.Width, report.Height, report.BandCount));
                Assert.Equal(("mask", "detection_date"), (report.Description(1), report.Description(2)));
                Assert.Equal(RasterDataType.UInt16, report.DataType(1));
                Assert.Equal(final.Monitoring!["mask"].ValuesAs<byte>().Select(m => (ushort)m), report.ReadBand<ushort>(1));
                Assert.Equal(final.Monitoring!["detection_date"].ValuesAs<ushort>(), report.ReadBand<ushort>(2));
                Assert.Contains(report.ReadBand<ushort>(2), d => d > 0);
            }

            // Old snapshots are deleted after each day is stored; wait for the last deletion before reading the database.
            string pid = TileActor.PersistenceIdOf(Tile);
            long Snapshots() => Count(temp.Path, $"SELECT COUNT(*) FROM snapshot WHERE persistence_id = '{pid}'");
            await AwaitAsync(() => Snapshots() == keep + 1);
            Assert.Equal(1, Count(temp.Path, $"SELECT COUNT(*) FROM snapshot WHERE persistence_id = '{TileActor.ModelPersistenceIdOf(Tile)}'"));
            // The journal keeps one small record per fit and per day, the tile's log; the state is written once per day, in the snapshot.
            Assert.Equal(days + 1, Count(temp.Path, $"SELECT COUNT(*) FROM event_journal WHERE persistence_id = '{pid}' AND is_deleted = 0"));
            long dayEvent = Count(temp.Path, $"SELECT MAX(LENGTH(payload)) FROM event_journal WHERE persistence_id = '{pid}'");
            Assert.InRange(dayEvent, 1, 200);

            long modelBytes = Count(temp.Path, $"SELECT SUM(LENGTH(payload)) FROM snapshot WHERE persistence_id = '{TileActor.ModelPersistenceIdOf(Tile)}'");
            long daySnapshot = Count(temp.Path, $"SELECT MAX(LENGTH(payload)) FROM snapshot WHERE persistence_id = '{pid}'");
            output.WriteLine($"{data.Height}x{data.Width} pixels: model {modelBytes} B once per fit ({final.Model!.Layers.ByteSize} B raw); " +
                             $"per day: snapshot {daySnapshot} B ({final.Monitoring!.ByteSize} B raw state) + event {dayEvent} B");
        }
    }

    /// <summary>
    /// On SQLite with one backup snapshot: the state stored with a quarantined day outlives the backups while the day is
    /// listed, survives a restart, and a requeue goes back to it; the day and the later ones sent again end identical to a
    /// run that never quarantined it, each applied once more, and the kept snapshot is deleted once the day is applied.
    /// </summary>
    [Fact]
    public async Task A_requeued_day_rewinds_to_the_kept_state_and_the_days_sent_again_end_as_if_never_quarantined()
    {
        var data = ConformanceCase.Load("cusum_ols");
        int days = 12, bad = 5, keep = 1;
        var expected = Uninterrupted(data, days);
        using var temp = new TempFolder();
        var source = new CaseObservationSource(data);
        string pid = TileActor.PersistenceIdOf(Tile);
        long Snapshots() => Count(temp.Path, $"SELECT COUNT(*) FROM snapshot WHERE persistence_id = '{pid}'");
        long kept;
        await using (var node = TileNode.Start(temp.Path, data.Engine(), source, snapshotsToKeep: keep))
        {
            await node.Ask<FitAck>(new FitTile(Tile, data.HistoryStart, data.HistoryEnd));
            for (int i = 0; i < bad; i++) Assert.Equal(AckOutcome.Applied, (await node.Ask<DayAck>(data.Observation(Tile, i))).Outcome);
            var o = data.Observation(Tile, bad);
            Assert.Equal(AckOutcome.Quarantined, (await node.Ask<DayAck>(new QuarantineDay(Tile, o.Day, o.AcquiredUtc, o.Items, "HTTP 503"))).Outcome);
            for (int i = bad + 1; i < days; i++) Assert.Equal(AckOutcome.Applied, (await node.Ask<DayAck>(data.Observation(Tile, i))).Outcome);
            kept = (await node.State(Tile)).Quarantined.Single().SnapshotSequenceNr;
            // The fit is 1, the days before 2..bad+1, the quarantine bad+2.
            Assert.Equal(bad + 2, kept);
            // The latest, one backup, and the one kept with the quarantine.
            await AwaitAsync(() => Snapshots() == keep + 2);
            Assert.Equal(1, Count(temp.Path, $"SELECT COUNT(*) FROM snapshot WHERE persistence_id = '{pid}' AND sequence_nr = {kept}"));
        }

        await using (var node = TileNode.Start(temp.Path, data.Engine(), source, snapshotsToKeep: keep))
        {
            var notQuarantined = await node.Ask<DayAck>(new RequeueDay(Tile, data.Observation(Tile, 2).Day));
            Assert.Equal(AckOutcome.NotQuarantined, notQuarantined.Outcome);
            var rewound = await node.Ask<DayAck>(new RequeueDay(Tile, null));
            Assert.True(rewound.Outcome == AckOutcome.Rewound, rewound.Detail);
            var state = await node.State(Tile);
            Assert.Equal(Uninterrupted(data, bad).Monitoring, state.Monitoring);
            Assert.Equal(bad, state.Days.Length);
            Assert.Empty(state.Quarantined);

            // The first repeat after the rewind writes the report of the state it went back to.
            Assert.Equal(AckOutcome.Repeated, (await node.Ask<DayAck>(data.Observation(Tile, bad - 1))).Outcome);
            string reportPath = Path.Combine(temp.Path, "tiles", Tile.ToString(), "report.tif");
            await AwaitAsync(() => node.Alerts.Any(a => a.Day == data.Observation(Tile, bad - 1).Day));
            using (var report = RasterDataset.Open(reportPath))
                Assert.Equal(state.Monitoring!["detection_date"].ValuesAs<ushort>(), report.ReadBand<ushort>(2));

            for (int i = bad; i < days; i++) Assert.Equal(AckOutcome.Applied, (await node.Ask<DayAck>(data.Observation(Tile, i))).Outcome);
            var final = await node.State(Tile);
            Assert.Equal(expected.Monitoring, final.Monitoring);
            Assert.Equal(expected.Days.Select(d => (d.Day, d.NewBreaks)), final.Days.Select(d => (d.Day, d.NewBreaks)));
            Assert.Equal(expected.Totals, final.Totals);
            Assert.Equal(AckOutcome.NotQuarantined, (await node.Ask<DayAck>(new RequeueDay(Tile, null))).Outcome);
            // No longer listed, the kept state goes with the other old snapshots.
            await AwaitAsync(() => Snapshots() == keep + 1);
            Assert.Equal(0, Count(temp.Path, $"SELECT COUNT(*) FROM snapshot WHERE persistence_id = '{pid}' AND sequence_nr = {kept}"));
        }
    }

    [Fact]
    public async Task A_node_stopped_after_storing_a_days_state_but_before_its_event_applies_that_day_once()
    {
        var data = ConformanceCase.Load("cusum_ols");
        int days = 14, stored = 6;
        var expected = Uninterrupted(data, days);
        using var temp = new TempFolder();
        var source = new CaseObservationSource(data);
        await using (var node = TileNode.Start(temp.Path, data.Engine(), source))
        {
            await node.Ask<FitAck>(new FitTile(Tile, data.HistoryStart, data.HistoryEnd));
            for (int i = 0; i < stored; i++) Assert.Equal(AckOutcome.Applied, (await node.Ask<DayAck>(data.Observation(Tile, i))).Outcome);
            // The crash window: the actor stores the state after day `stored` as the snapshot of the next sequence number
            // (the fit is 1, the days 2..stored+1), then the node stops before the day's event is written or the sender hears back.
            var snapshots = Akka.Persistence.Persistence.Instance.Apply(node.System).SnapshotStoreFor(null);
            var metadata = new Akka.Persistence.SnapshotMetadata(TileActor.PersistenceIdOf(Tile), stored + 2, DateTime.UtcNow);
            var reply = await snapshots.Ask<object>(new Akka.Persistence.SaveSnapshot(metadata, Uninterrupted(data, stored + 1).ToSnapshot()), TileNode.AskTimeout);
            Assert.IsType<Akka.Persistence.SaveSnapshotSuccess>(reply);
        }
        Assert.Equal(stored + 1, Count(temp.Path, $"SELECT COUNT(*) FROM event_journal WHERE persistence_id = '{TileActor.PersistenceIdOf(Tile)}'"));

        await using (var node = TileNode.Start(temp.Path, data.Engine(), source))
        {
            var recovered = await node.State(Tile);
            Assert.Equal(stored + 1, recovered.Days.Length);
            Assert.Equal(Uninterrupted(data, stored + 1).Monitoring, recovered.Monitoring);

            // The sender never got a reply and sends the day again: stored once, so acknowledged as repeated, and its
            // report and alert, which the stopped node may not have produced, are produced now.
            var again = data.Observation(Tile, stored);
            Assert.Equal(AckOutcome.Repeated, (await node.Ask<DayAck>(again)).Outcome);
            await AwaitAsync(() => node.Alerts.Any(a => a.Day == again.Day));
            Assert.Equal(expected.Days[stored].NewBreaks, node.Alerts.Single(a => a.Day == again.Day).NewBreaks);
            Assert.True(File.Exists(Path.Combine(temp.Path, "tiles", Tile.ToString(), "report.tif")));
            // Only once: a second redelivery changes and produces nothing.
            Assert.Equal(AckOutcome.Repeated, (await node.Ask<DayAck>(again)).Outcome);

            for (int i = stored + 1; i < days; i++)
                Assert.Equal(AckOutcome.Applied, (await node.Ask<DayAck>(data.Observation(Tile, i))).Outcome);
            var final = await node.State(Tile);
            Assert.Equal(expected.Monitoring, final.Monitoring);
            Assert.Equal(expected.Totals, final.Totals);
            Assert.Equal(expected.Days.Select(d => (d.Day, d.NewBreaks)), final.Days.Select(d => (d.Day, d.NewBreaks)));
            Assert.Single(node.Alerts, a => a.Day == again.Day);
        }
        // Day `stored` was never loaded again (its state was stored); its event is missing from the log, its state is not.
        Assert.Equal(days - 1, source.ObservationLoads);
        await using (var node = TileNode.Start(temp.Path, data.Engine(), source))
            Assert.Equal(expected.Monitoring, (await node.State(Tile)).Monitoring);
    }

    [Fact]
    public async Task A_refit_restarts_monitoring_and_survives_a_restart_with_the_new_model()
    {
        var data = ConformanceCase.Load("mosum_roc");
        using var temp = new TempFolder();
        var source = new CaseObservationSource(data);
        await using (var node = TileNode.Start(temp.Path, data.Engine(), source))
        {
            await node.Ask<FitAck>(new FitTile(Tile, data.HistoryStart, data.HistoryEnd));
            for (int i = 0; i < 4; i++) await node.Ask<DayAck>(data.Observation(Tile, i));
            var refit = await node.Ask<FitAck>(new FitTile(Tile, data.HistoryStart, data.HistoryEnd, Replace: true));
            Assert.Equal((2, AckOutcome.Fitted), (refit.FitNumber, refit.Outcome));
            Assert.Empty((await node.State(Tile)).Days);
            // A day queued before the refit is dropped; sent again for the new fit, the days are applied from the history end.
            Assert.Equal(AckOutcome.Superseded, (await node.Ask<DayAck>(data.Observation(Tile, 0))).Outcome);
            for (int i = 0; i < 3; i++) Assert.Equal(AckOutcome.Applied, (await node.Ask<DayAck>(data.Observation(Tile, i) with { FitNumber = 2 })).Outcome);
        }
        await using (var node = TileNode.Start(temp.Path, data.Engine(), source))
        {
            var state = await node.State(Tile);
            Assert.Equal(2, state.FitNumber);
            Assert.True(state.HasModel);
            Assert.Equal(3, state.Days.Length);
            var expected = Uninterrupted(data, 3);
            Assert.Equal(expected.Monitoring, state.Monitoring);
            Assert.Equal(expected.Model!.Layers, state.Model!.Layers);
        }
        Assert.Equal(2, source.HistoryLoads);
        // The first fit's model is deleted once the second fit is stored.
        await AwaitAsync(() => Count(temp.Path, $"SELECT COUNT(*) FROM snapshot WHERE persistence_id = '{TileActor.ModelPersistenceIdOf(Tile)}'") == 1);
    }

    [Fact]
    public async Task A_day_whose_pixels_cannot_be_read_is_acknowledged_as_failed_and_can_be_sent_again()
    {
        var data = ConformanceCase.Load("iqr_ols");
        using var temp = new TempFolder();
        var source = new FailingOnceSource(new CaseObservationSource(data), data.MonitoringDates[1]);
        await using var node = TileNode.Start(temp.Path, data.Engine(), source);
        await node.Ask<FitAck>(new FitTile(Tile, data.HistoryStart, data.HistoryEnd));
        await node.Ask<DayAck>(data.Observation(Tile, 0));
        var before = await node.State(Tile);

        var failed = await node.Ask<DayAck>(data.Observation(Tile, 1));
        Assert.Equal(AckOutcome.Failed, failed.Outcome);
        Assert.Contains("asset unreachable", failed.Detail);
        AssertSame(before, await node.State(Tile));

        Assert.Equal(AckOutcome.Applied, (await node.Ask<DayAck>(data.Observation(Tile, 1))).Outcome);
        Assert.Equal(2, (await node.State(Tile)).Days.Length);
    }

    /// <summary>
    /// A day whose file is gone from the archive cannot be read by trying again: the tile quarantines it at the first failure
    /// (no sender's retries) and goes on; a day loaded without one of its items is applied with that item listed, kept across
    /// a restart.
    /// </summary>
    [Fact]
    public async Task A_day_that_cannot_be_read_for_good_is_quarantined_at_once_and_an_item_left_out_is_listed()
    {
        var data = ConformanceCase.Load("iqr_ols");
        using var temp = new TempFolder();
        var gone = new FailingDateSource(new LeavingOutSource(new CaseObservationSource(data), data.MonitoringDates[2]), data.MonitoringDates[1],
            item => new IOException($"cannot read item {item.Id}", new FileNotFoundException("Could not find file.", $"/archive/{item.Id}/B04.tif")));
        var (day1, day2) = (data.Observation(Tile, 1), data.Observation(Tile, 2));
        await using (var node = TileNode.Start(temp.Path, data.Engine(), gone))
        {
            using var counts = new TileDayCounts(Telemetry.Get(node.System));
            await node.Ask<FitAck>(new FitTile(Tile, data.HistoryStart, data.HistoryEnd));
            await node.Ask<DayAck>(data.Observation(Tile, 0));

            var quarantined = await node.Ask<DayAck>(day1);
            Assert.Equal(AckOutcome.Quarantined, quarantined.Outcome);
            Assert.Contains($"cannot read item {day1.Items[0].Id}", quarantined.Detail);
            Assert.Equal(1, gone.Failures);
            var applied = await node.Ask<DayAck>(day2);
            Assert.Equal(AckOutcome.Applied, applied.Outcome);
            Assert.Contains($"without {day2.Items[0].Id}", applied.Detail);
            Assert.Equal(AckOutcome.Repeated, (await node.Ask<DayAck>(day2)).Outcome);

            // The node's instruments count each answer by outcome, and its freshness is the tile's.
            Assert.Equal((2, 1, 1), (counts["applied"], counts["repeated"], counts["quarantined"]));
            Assert.Equal(new TileFreshness(Tile, day2.Day, 1, null), Assert.Single(Telemetry.Get(node.System).Freshness()));
        }

        await using (var node = TileNode.Start(temp.Path, data.Engine(), gone))
        {
            var status = await node.Ask<TileStatus>(new GetTileStatus(Tile));
            Assert.Equal(day1.Day, Assert.Single(status.Quarantined).Day);
            Assert.Equal(day1.Items[0].Id, Assert.Single(status.Quarantined[0].ItemIds));
            Assert.Equal(day2.Day, status.LastDay);
            var left = Assert.Single(status.Days[^1].LeftOut);
            Assert.Equal((day2.Items[0].Id, $"{day2.Items[0].Href} is not a TIFF"), (left.ItemId, left.Reason));
            Assert.Empty(status.Days[0].LeftOut);
        }
    }

    /// <summary>Sums <c>nrtc.tile_days.applied</c> of one node's meter by outcome while it lives.</summary>
    private sealed class TileDayCounts : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, long> _counts = [];

        public TileDayCounts(Telemetry telemetry)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, telemetry) && instrument.Name == "nrtc.tile_days.applied") l.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                    lock (_counts) _counts[(string)tag.Value!] = _counts.GetValueOrDefault((string)tag.Value!) + value;
            });
            _listener.Start();
        }

        public long this[string outcome]
        {
            get { lock (_counts) return _counts.GetValueOrDefault(outcome); }
        }

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task A_quarantined_day_is_stored_across_restarts_and_applied_once_its_item_is_fixed()
    {
        var data = ConformanceCase.Load("iqr_ols");
        using var temp = new TempFolder();
        var source = new FailingOnceSource(new CaseObservationSource(data), data.MonitoringDates[1]);
        var day1 = data.Observation(Tile, 1);
        await using (var node = TileNode.Start(temp.Path, data.Engine(), source))
        {
            await node.Ask<FitAck>(new FitTile(Tile, data.HistoryStart, data.HistoryEnd));
            await node.Ask<DayAck>(data.Observation(Tile, 0));
            var before = await node.State(Tile);
            var failed = await node.Ask<DayAck>(day1);
            Assert.Equal(AckOutcome.Failed, failed.Outcome);

            var ack = await node.Ask<DayAck>(new QuarantineDay(Tile, day1.Day, day1.AcquiredUtc, day1.Items, failed.Detail));
            Assert.Equal(AckOutcome.Quarantined, ack.Outcome);
            AssertSame(before, await node.State(Tile));
        }

        await using (var node = TileNode.Start(temp.Path, data.Engine(), source))
        {
            var status = await node.Ask<TileStatus>(new GetTileStatus(Tile));
            var q = Assert.Single(status.Quarantined);
            Assert.Equal((day1.Day, day1.Items.Single().Id), (q.Day, q.ItemIds.Single()));
            Assert.Contains($"asset unreachable: {day1.Items[0].Href}", q.Reason);
            Assert.Equal(1, Count(temp.Path, "SELECT COUNT(*) FROM event_journal WHERE manifest = 'DayQuarantined'"));

            // The item is readable again and the day is still the newest: applied like any day, and off the list.
            Assert.Equal(AckOutcome.Applied, (await node.Ask<DayAck>(day1)).Outcome);
            Assert.Empty((await node.State(Tile)).Quarantined);
        }

        await using (var node = TileNode.Start(temp.Path, data.Engine(), source))
        {
            var state = await node.State(Tile);
            Assert.Equal(2, state.Days.Length);
            Assert.Empty(state.Quarantined);
        }
    }

    /// <summary>
    /// A failure that may pass is retried until its retry window has passed (at least one retry: the first failure opens
    /// the window) before the day is quarantined; one that cannot (the file is gone) is quarantined at the first delivery.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_day_the_poller_delivers_that_keeps_failing_is_quarantined_and_the_next_day_is_delivered(bool forGood)
    {
        var data = ConformanceCase.Load("cusum_roc");
        using var temp = new TempFolder();
        await using var scene = new PollerScene();
        var (stac, footprints, tiles) = (scene.Stac, scene.Footprints, scene.Tiles);
        var Granule = PollerScene.Granule;
        stac.Publish(Granule("d0", data.MonitoringDates[0]), Granule("d1", data.MonitoringDates[1]), Granule("d2", data.MonitoringDates[2]));
        // Every load of d1 fails: its server keeps failing, or its file is gone.
        var source = new FailingDateSource(new CaseObservationSource(data), data.MonitoringDates[1],
            forGood ? item => new FileNotFoundException($"asset gone: {item.Href}") : null);

        var system = AkkaProfiles.Start(new NodeOptions(NodeProfile.Embedded, temp.Path)
        {
            HoconFolder = RepoPaths.HoconFolder,
            ExtraHocon = "akka.loglevel = ERROR",
        });
        try
        {
            var delivery = new ReliableTileSettings(TimeSpan.FromSeconds(60), new RetryWindow(TimeSpan.FromMilliseconds(60), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(100)));
            var region = ReliableTileSharding.Start(system,
                new TileActorSettings(data.Engine(), source, new RawReportWriter(temp.Path), null, 2, TimeSpan.FromSeconds(60)), shardBlockSize: 4, delivery);
            foreach (var t in tiles)
                Assert.Equal(AckOutcome.Fitted, (await region.Ask<FitAck>(new FitTile(t, data.HistoryStart, data.HistoryEnd), TimeSpan.FromSeconds(60))).Outcome);
            var archive = scene.Archive();
            var poller = StacPollerSingleton.Start(system, new StacPollerSettings(archive, footprints,
                new PollerRules(data.MonitoringDates[0].AddDays(-1), TimeSpan.FromDays(10), TimeSpan.Zero), TimeSpan.FromHours(1), region, SnapshotEvery: 5));
            Assert.Null((await poller.Ask<PollCompleted>(PollNow.Instance, TimeSpan.FromSeconds(60))).Error);

            var expected = new[] { data.MonitoringDates[0], data.MonitoringDates[2] }.Select(DateOnly.FromDateTime).ToArray();
            // Quarantine follows the failed deliveries asynchronously; the bound only stops a hung test.
            await Eventually.Until(async () => (await Task.WhenAll(tiles.Select(t => region.Ask<TileState>(new TileActor.GetTileState(t), TimeSpan.FromSeconds(30))))).All(s => s.Days.Length >= 2),
                TimeSpan.FromSeconds(60), "d2 applied by every tile (d1 quarantined)");
            foreach (var t in tiles)
            {
                var status = await region.Ask<TileStatus>(new GetTileStatus(t), TimeSpan.FromSeconds(30));
                Assert.Equal(expected, status.Days.Select(d => d.Day));
                var q = Assert.Single(status.Quarantined);
                Assert.Equal((DateOnly.FromDateTime(data.MonitoringDates[1]), "d1"), (q.Day, q.ItemIds.Single()));
                Assert.Equal(!forGood, q.Reason.Contains("attempts within the retry window of 60ms, nrtcluster.tiles.retry-window"));
                Assert.Contains("asset gone", q.Reason);
            }
            if (forGood) Assert.Equal(tiles.Count, source.Failures);
            else Assert.True(source.Failures >= 2 * tiles.Count, $"{source.Failures} failed loads on {tiles.Count} tiles");
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task A_poller_and_a_fast_forward_running_at_once_apply_every_day_once_and_in_order()
    {
        var data = ConformanceCase.Load("cusum_roc");
        using var temp = new TempFolder();
        await using var scene = new PollerScene();
        var (stac, footprints, tiles) = (scene.Stac, scene.Footprints, scene.Tiles);
        var Granule = PollerScene.Granule;
        var source = new CaseObservationSource(data);
        const int days = 6;
        var expected = Enumerable.Range(0, days).Select(i => data.Observation(Tile, i).Day).ToArray();

        var system = AkkaProfiles.Start(new NodeOptions(NodeProfile.Embedded, temp.Path)
        {
            HoconFolder = RepoPaths.HoconFolder,
            ExtraHocon = "akka.loglevel = WARNING",
        });
        try
        {
            var warnings = WarningListener.Listen(system);
            var delivery = new ReliableTileSettings(TimeSpan.FromSeconds(60), new RetryWindow(TimeSpan.Zero, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(100)));
            var region = ReliableTileSharding.Start(system,
                new TileActorSettings(data.Engine(), source, new RawReportWriter(temp.Path), null, 2, TimeSpan.FromSeconds(60)), shardBlockSize: 4, delivery);
            var historyEnd = data.MonitoringDates[0].AddDays(-1);
            var poller = StacPollerSingleton.Start(system, new StacPollerSettings(scene.Archive(), footprints,
                new PollerRules(historyEnd, TimeSpan.FromDays(10), TimeSpan.Zero), TimeSpan.FromHours(1), region, SnapshotEvery: 5));

            // Day 0 is polled before the tiles are fitted: its delivery waits for the fit instead of being dropped.
            stac.Publish(Granule("d0", data.MonitoringDates[0]));
            Assert.Null((await poller.Ask<PollCompleted>(PollNow.Instance, TimeSpan.FromSeconds(60))).Error);
            await AwaitAsync(() => tiles.All(t => warnings.Any(w => w.Contains($"Tile {t}: day {expected[0]:yyyy-MM-dd} waits for the tile's fit", StringComparison.Ordinal))));
            foreach (var t in tiles)
                Assert.Equal(AckOutcome.Fitted, (await region.Ask<FitAck>(new FitTile(t, data.HistoryStart, data.HistoryEnd), TimeSpan.FromSeconds(60))).Outcome);

            // Days 1-3 are in the archive when the fast-forward starts; days 4-5 are published and polled while it runs.
            stac.Publish(Granule("d1", data.MonitoringDates[1]), Granule("d2", data.MonitoringDates[2]), Granule("d3", data.MonitoringDates[3]));
            var finished = new TaskCompletionSource<JobProgress>(TaskCreationOptions.RunContinuationsAsynchronously);
            var subscriber = system.ActorOf(Props.Create(() => new ProgressProbe(finished)));
            var request = new JobRequest.FastForward("ff", [.. tiles], historyEnd, data.MonitoringDates[days - 1].AddHours(1));
            system.ActorOf(JobActor.Props(request, region, poller, new JobSettings(2) { StatusInterval = TimeSpan.FromMilliseconds(50) }, subscriber));
            for (int i = 4; i < days; i++)
            {
                stac.Publish(Granule($"d{i}", data.MonitoringDates[i]));
                Assert.Null((await poller.Ask<PollCompleted>(PollNow.Instance, TimeSpan.FromSeconds(60))).Error);
            }

            var result = await finished.Task.WaitAsync(TimeSpan.FromSeconds(120));
            Assert.Null(result.Error);
            Assert.Equal((tiles.Count, 0), (result.TilesDone, result.TilesFailed));
            // The job waits for each tile's days of its range, whoever queued them: at least days 0-3.
            Assert.All(result.Tiles, t => Assert.True(t.DaysDone == t.DaysTotal && t.DaysTotal >= 4, $"{t.Tile}: {t.DaysDone} of {t.DaysTotal}"));
            await AwaitAsync(() => tiles.All(t => region.Ask<TileStatus>(new GetTileStatus(t), TimeSpan.FromSeconds(30)).Result.Days.Length == days));
            foreach (var t in tiles)
            {
                var status = await region.Ask<TileStatus>(new GetTileStatus(t), TimeSpan.FromSeconds(30));
                Assert.Equal(expected, status.Days.Select(d => d.Day));
                Assert.Empty(status.Quarantined);
            }
            // Each day was loaded once per tile: no day was sent twice to be applied, none refused as out of order.
            Assert.Equal(days * tiles.Count, source.ObservationLoads);
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>A job's subscriber: completes with its last progress report.</summary>
    private sealed class ProgressProbe : ReceiveActor
    {
        public ProgressProbe(TaskCompletionSource<JobProgress> finished) =>
            Receive<JobProgress>(p =>
            {
                if (p.Finished) finished.TrySetResult(p);
            });
    }

    /// <summary>A loopback STAC API over one small area of a 10 km grid, the tiles the area touches, and the archive a poller searches.</summary>
    private sealed class PollerScene : IAsyncDisposable
    {
        private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false });

        public PollerScene()
        {
            var area = Granule("area", DateTime.UnixEpoch).Footprint;
            Footprints = new GridTileFootprints(new ProcessingGrid("EPSG:3857", 100, 0, 10_000, 10), area);
            Tiles = Footprints.TilesTouching(area);
        }

        public LoopbackStac Stac { get; } = new();
        public GridTileFootprints Footprints { get; }
        public IReadOnlyList<TileId> Tiles { get; }

        public static StacItem Granule(string id, DateTime acquired) => LoopbackStac.Item(id, acquired, 0.002, 0.02, 0.012, 0.03);

        public StacApiArchive Archive() =>
            new(new StacApiClient(_http, Stac.SearchUrl), new StacSearchRequest { Collections = ["sentinel-2-l2a"], Limit = 2 });

        public async ValueTask DisposeAsync()
        {
            await Stac.DisposeAsync();
            _http.Dispose();
        }
    }

    /// <summary>Fails every load of one date with <paramref name="error"/> (by default one that may pass, as an unreachable server's).</summary>
    private sealed class FailingDateSource(IObservationSource inner, DateTime failing, Func<ItemRef, Exception>? error = null) : IObservationSource
    {
        private int _failures;

        public int Failures => Volatile.Read(ref _failures);

        public Task<TileHistory> LoadHistoryAsync(TileId tile, DateOnly start, DateOnly end, CancellationToken cancellationToken) =>
            inner.LoadHistoryAsync(tile, start, end, cancellationToken);

        public Task<ObservationLoad> LoadObservationAsync(TileId tile, DateOnly day, DateTime acquiredUtc, IReadOnlyList<ItemRef> items, CancellationToken cancellationToken)
        {
            if (acquiredUtc != failing) return inner.LoadObservationAsync(tile, day, acquiredUtc, items, cancellationToken);
            Interlocked.Increment(ref _failures);
            return Task.FromException<ObservationLoad>(error?.Invoke(items[0]) ?? new IOException($"asset gone: {items[0].Href} answers 503"));
        }
    }

    /// <summary>Loads one date without its first item, as if that item's file were corrupt.</summary>
    private sealed class LeavingOutSource(IObservationSource inner, DateTime leaving) : IObservationSource
    {
        public Task<TileHistory> LoadHistoryAsync(TileId tile, DateOnly start, DateOnly end, CancellationToken cancellationToken) =>
            inner.LoadHistoryAsync(tile, start, end, cancellationToken);

        public async Task<ObservationLoad> LoadObservationAsync(TileId tile, DateOnly day, DateTime acquiredUtc, IReadOnlyList<ItemRef> items, CancellationToken cancellationToken)
        {
            var loaded = await inner.LoadObservationAsync(tile, day, acquiredUtc, items, cancellationToken);
            return acquiredUtc == leaving ? loaded with { LeftOut = [new LeftOutItem(items[0].Id, $"{items[0].Href} is not a TIFF")] } : loaded;
        }
    }

    /// <summary>Fails the first load of one date, as an unreachable asset would.</summary>
    private sealed class FailingOnceSource(IObservationSource inner, DateTime failing) : IObservationSource
    {
        private int _failed;

        public Task<TileHistory> LoadHistoryAsync(TileId tile, DateOnly start, DateOnly end, CancellationToken cancellationToken) =>
            inner.LoadHistoryAsync(tile, start, end, cancellationToken);

        public Task<ObservationLoad> LoadObservationAsync(TileId tile, DateOnly day, DateTime acquiredUtc, IReadOnlyList<ItemRef> items, CancellationToken cancellationToken) =>
            acquiredUtc == failing && Interlocked.Exchange(ref _failed, 1) == 0
                ? Task.FromException<ObservationLoad>(new IOException($"asset unreachable: {items[0].Href}"))
                : inner.LoadObservationAsync(tile, day, acquiredUtc, items, cancellationToken);
    }

    private static void AssertSame(TileState expected, TileState actual)
    {
        Assert.Equal(expected.Monitoring, actual.Monitoring);
        Assert.Equal(expected.Days.Select(d => d.Day), actual.Days.Select(d => d.Day));
        Assert.Equal(expected.Totals, actual.Totals);
        Assert.Equal(expected.FitNumber, actual.FitNumber);
    }

    private static long Count(string folder, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "nrtcluster.db")}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Waits for an effect that follows a reply asynchronously (not a timing assertion: the bound only stops a hung test).</summary>
    private static Task AwaitAsync(Func<bool> condition) => Eventually.Until(condition, TimeSpan.FromSeconds(30), "the expected effect");
}
