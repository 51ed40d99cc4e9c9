using NrtCluster.Actors.Serialization;
using NrtCluster.Actors.State;
using NrtCluster.Actors.Tests.Support;
using NrtCluster.Actors.Tiles;
using NrtCluster.Kernels;
using NrtCluster.Kernels.Monitors;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tests;

/// <summary>The pure tile state (no actors) with the real kernels on conformance data.</summary>
public sealed class TileStateTests
{
    private static readonly TileId Tile = new(-2, 7);
    private static readonly ConformanceCase Data = ConformanceCase.Load("cusum_ols");
    private static readonly KernelMonitorEngine Engine = Data.Engine();

    private static FitTile FitRequest(bool replace = false) => new(Tile, Data.HistoryStart, Data.HistoryEnd, replace);

    private static TileState Fitted() =>
        TileState.Empty(Tile).Decided(new TileCommand.Fit(FitRequest(), Data.TileHistory(), Engine)).Next;

    private static TileState ApplyDays(TileState state, params int[] indexes)
    {
        foreach (int i in indexes)
            state = state.Decided(new TileCommand.Observe(Data.Observation(Tile, i), Data.Frame(i), Engine)).Next;
        return state;
    }

    /// <summary>The kernels' monitor driven directly: fit, then the given days.</summary>
    private static BaseMonitor Direct(int days)
    {
        var monitor = MonitorFactory.Create(Data.Monitor, Data.Init, Data.Mask);
        monitor.Fit(new HistoryCube(Data.History, [.. Data.HistoryDates], Data.Height, Data.Width), MonitorFactory.FitOptionsFor(monitor, Data.Fit));
        for (int i = 0; i < days; i++) monitor.Monitor(Data.Frame(i), Data.MonitoringDates[i]);
        return monitor;
    }

    [Fact]
    public void Fit_decides_a_ModelFitted_event_the_state_after_it_and_the_model_to_store_before_both()
    {
        var decision = TileState.Empty(Tile).Decided(new TileCommand.Fit(FitRequest(), Data.TileHistory(), Engine));
        var fitted = Assert.IsType<TileEvent.Fitted>(decision.Event).Fit;
        Assert.Equal(1, fitted.FitNumber);
        Assert.Equal(new TileModel(Tile, 1, decision.ModelToStore!.Layers), decision.ModelToStore);
        Assert.Equal(AckOutcome.Fitted, Assert.IsType<FitAck>(decision.Reply).Outcome);
        Assert.Equal(Data.HistoryDates.Length, fitted.Summary.HistoryDates);
        Assert.Equal((Data.Height, Data.Width), (fitted.Summary.Height, fitted.Summary.Width));

        var direct = Direct(0);
        Assert.Equal(direct.Model.Beta, decision.ModelToStore.Layers["beta"].ValuesAs<float>());
        var next = decision.Next;
        Assert.Equal(direct.State.Mask, next.Monitoring!["mask"].ValuesAs<byte>());
        Assert.True(next.HasModel);
        Assert.Equal((1, fitted.Summary), (next.FitNumber, next.Fit));

        // What recovery sees: the stored snapshot, then the model attached once loaded.
        var state = TileState.FromSnapshot(next.ToSnapshot());
        Assert.True(state.IsFitted);
        Assert.False(state.HasModel);
        Assert.Empty(state.Days);
        Assert.Equal(TileState.CountMask(direct.State.Mask), state.Totals);
        Assert.True(state.WithModel(decision.ModelToStore).HasModel);
    }

    /// <summary>A hazy day (every pixel 0.2 lower) on an EWMA tile with the haze gate: set aside, recorded with the day and kept in snapshots.</summary>
    [Fact]
    public void A_day_the_haze_gate_sets_aside_is_recorded_with_its_counts()
    {
        var data = ConformanceCase.Load("ewma_ols_shewhart");
        var gated = new KernelMonitorEngine(data.Monitor, data.Init, data.Fit, new HazeGate(0.5, 100));
        var plain = data.Engine();
        TileState Run(IMonitorEngine engine)
        {
            var state = TileState.Empty(Tile).Decided(new TileCommand.Fit(new FitTile(Tile, data.HistoryStart, data.HistoryEnd), data.TileHistory(), engine)).Next;
            for (int i = 0; i < 3; i++)
            {
                var frame = data.Frame(i);
                if (i == 2) for (int p = 0; p < frame.Length; p++) frame[p] -= 0.2f;
                state = state.Decided(new TileCommand.Observe(data.Observation(Tile, i), frame, engine)).Next;
            }
            return state;
        }

        var off = Run(plain);
        var on = Run(gated);
        Assert.True(off.Days[2].NewBreaks > data.Pixels / 3, $"without the gate {off.Days[2].NewBreaks} of {data.Pixels} pixels broke on the hazy day");
        Assert.Null(off.Days[2].HazeGateSummary);
        Assert.Equal([0L, 0L], on.Days.Take(2).Select(d => d.HazeSetAside));
        var day = on.Days[2];
        Assert.Equal(0, day.NewBreaks);
        Assert.True(day.HazeSetAside > day.HazeObserved / 2 && day.HazeObserved > 100, $"{day.HazeSetAside} of {day.HazeObserved}");
        Assert.StartsWith($"set aside {day.HazeSetAside:N0} of {day.HazeObserved:N0} observed monitored pixels (", day.HazeGateSummary);

        var snapshot = (TileSnapshot)NrtBinaryFormat.Read(NrtBinaryFormat.Write(on.ToSnapshot()), "TileSnapshot");
        Assert.Equal((day.HazeObserved, day.HazeSetAside), (snapshot.Days[2].HazeObserved, snapshot.Days[2].HazeSetAside));
    }

    [Fact]
    public void Applied_days_give_the_kernels_result_byte_for_byte_and_are_recorded()
    {
        int days = 60;
        var state = ApplyDays(Fitted(), [.. Enumerable.Range(0, days)]);
        var direct = Direct(days);
        Assert.Equal(direct.State.Mask, state.Monitoring!["mask"].ValuesAs<byte>());
        Assert.Equal(direct.State.DetectionDate, state.Monitoring["detection_date"].ValuesAs<ushort>());
        Assert.Equal(direct.State.Process, state.Monitoring["process"].ValuesAs<double>());
        Assert.Equal(direct.State.Boundary, state.Monitoring["boundary"].ValuesAs<double>());
        Assert.Equal(direct.State.N, state.Monitoring["n"].ValuesAs<ushort>());
        Assert.Equal(days, state.Days.Length);
        Assert.Equal(Enumerable.Range(0, days).Select(i => Data.Observation(Tile, i).Day), state.Days.Select(d => d.Day));
        Assert.Equal(Data.Observation(Tile, 5).Items.Single().Id, state.Days[5].ItemIds.Single());
        Assert.Equal(TileState.CountMask(direct.State.Mask), state.Totals);
        Assert.Equal(state.Totals.Breaks - TileState.CountMask(Direct(0).State.Mask).Breaks, state.Days.Sum(d => d.NewBreaks));
        Assert.True(state.Totals.Breaks > 0, "the case has simulated forest loss: some pixels must break within 60 dates");
    }

    [Fact]
    public void A_repeated_or_older_day_is_acknowledged_and_decides_no_event()
    {
        var state = ApplyDays(Fitted(), 0, 1, 3);
        foreach (var (index, outcome) in new[] { (3, AckOutcome.Repeated), (1, AckOutcome.Repeated), (0, AckOutcome.Repeated), (2, AckOutcome.Older) })
        {
            Assert.Equal(outcome, state.CheckDay(Data.Observation(Tile, index).Day));
            var decision = state.Decided(new TileCommand.Observe(Data.Observation(Tile, index), Data.Frame(index), Engine));
            Assert.Null(decision.Event);
            Assert.Same(state, decision.Next);
            var ack = Assert.IsType<DayAck>(decision.Reply);
            Assert.Equal(outcome, ack.Outcome);
            Assert.Contains("ignored", ack.Detail);
        }
        Assert.Null(state.CheckDay(Data.Observation(Tile, 4).Day));
    }

    [Fact]
    public void Days_before_a_fit_are_refused_and_a_second_fit_needs_replace()
    {
        var empty = TileState.Empty(Tile);
        var refused = empty.Decided(new TileCommand.Observe(Data.Observation(Tile, 0), Data.Frame(0), Engine));
        Assert.Null(refused.Event);
        Assert.Equal(AckOutcome.NotFitted, Assert.IsType<DayAck>(refused.Reply).Outcome);

        var state = ApplyDays(Fitted(), 0, 1);
        var again = state.Decided(new TileCommand.Fit(FitRequest(), Data.TileHistory(), Engine));
        Assert.Null(again.Event);
        Assert.Null(again.ModelToStore);
        Assert.Equal(AckOutcome.AlreadyFitted, Assert.IsType<FitAck>(again.Reply).Outcome);

        var refit = state.Decided(new TileCommand.Fit(FitRequest(replace: true), Data.TileHistory(), Engine));
        Assert.Equal(2, Assert.IsType<TileEvent.Fitted>(refit.Event).Fit.FitNumber);
        var refitted = TileState.FromSnapshot(refit.Next.ToSnapshot());
        Assert.Equal(2, refitted.FitNumber);
        Assert.Empty(refitted.Days);
        Assert.False(refitted.HasModel);
        Assert.Throws<ArgumentException>(() => refitted.WithModel(state.Model!));
        Assert.Throws<InvalidOperationException>(() =>
            refitted.Decided(new TileCommand.Observe(Data.Observation(Tile, 0) with { FitNumber = 2 }, Data.Frame(0), Engine)));
        Assert.True(refitted.WithModel(refit.ModelToStore!).HasModel);
    }

    [Fact]
    public void Bad_inputs_are_refused_with_messages_naming_them()
    {
        var bad = TileState.Empty(Tile).Decided(new TileCommand.Fit(new FitTile(Tile, Data.HistoryEnd, Data.HistoryStart), Data.TileHistory(), Engine));
        Assert.Null(bad.Event);
        Assert.Contains("ends before it starts", Assert.IsType<FitAck>(bad.Reply).Detail);

        var state = Fitted();
        var ex = Assert.Throws<ArgumentException>(() => state.Decided(new TileCommand.Observe(Data.Observation(Tile, 0), new float[10], Engine)));
        Assert.Contains("10 pixels", ex.Message);
    }

    [Fact]
    public void Report_and_status_decide_replies_only()
    {
        var state = ApplyDays(Fitted(), 0, 1, 2);
        var report = state.Decided(new TileCommand.Report("/out/tiles/x-2_y7/report.tif"));
        Assert.Null(report.Event);
        var r = Assert.IsType<TileReport>(report.Reply);
        Assert.Equal((1, Data.Observation(Tile, 2).Day, state.Totals, "/out/tiles/x-2_y7/report.tif"), (r.FitNumber, r.LastDay, r.Totals, r.ReportPath));

        var status = state.Decided(new TileCommand.Status());
        Assert.Null(status.Event);
        var s = Assert.IsType<TileStatus>(status.Reply);
        Assert.Equal(3, s.Days.Length);
        Assert.Equal(state.Fit, s.Fit);
        Assert.Equal(state.LastDay, s.LastDay);
    }

    [Fact]
    public void A_state_rebuilt_from_its_serialized_snapshot_and_model_continues_exactly()
    {
        var state = ApplyDays(Fitted(), [.. Enumerable.Range(0, 20)]);
        var snapshot = (TileSnapshot)NrtBinaryFormat.Read(NrtBinaryFormat.Write(state.ToSnapshot()), "TileSnapshot");
        var model = (TileModel)NrtBinaryFormat.Read(NrtBinaryFormat.Write(state.Model!), "TileModel");
        var rebuilt = TileState.FromSnapshot(snapshot).WithModel(model);

        var continued = ApplyDays(rebuilt, [.. Enumerable.Range(20, 30)]);
        var uninterrupted = ApplyDays(state, [.. Enumerable.Range(20, 30)]);
        Assert.Equal(uninterrupted.Monitoring, continued.Monitoring);
        Assert.Equal(uninterrupted.Totals, continued.Totals);
        Assert.Equal(uninterrupted.Days.Select(d => (d.Day, d.NewBreaks)), continued.Days.Select(d => (d.Day, d.NewBreaks)));
    }

    private static QuarantineDay QuarantineOf(int index, string reason)
    {
        var o = Data.Observation(Tile, index);
        return new QuarantineDay(Tile, o.Day, o.AcquiredUtc, o.Items, reason);
    }

    private static readonly DateTime Now = new(2026, 11, 25, 6, 0, 0, DateTimeKind.Utc);

    private static string[] Describe(IEnumerable<QuarantinedDay> days) =>
        [.. days.Select(q => $"{q.Day:yyyy-MM-dd} [{string.Join(",", q.ItemIds)}] {q.Reason} {q.AtUtc:O}")];

    [Fact]
    public void A_quarantined_day_is_recorded_without_touching_the_monitoring_and_later_days_go_on()
    {
        var state = ApplyDays(Fitted(), 0, 1);
        var decision = state.Decided(new TileCommand.Quarantine(QuarantineOf(2, "cannot read /data/b04.tif"), Now, 7));
        var ack = Assert.IsType<DayAck>(decision.Reply);
        Assert.Equal(AckOutcome.Quarantined, ack.Outcome);
        var e = Assert.IsType<TileEvent.Quarantined>(decision.Event).Quarantine;
        Assert.Equal((Data.Observation(Tile, 2).Day, "cannot read /data/b04.tif", Now), (e.Day.Day, e.Day.Reason, e.Day.AtUtc));
        Assert.Equal(Data.Observation(Tile, 2).Items.Single().Id, e.Day.ItemIds.Single());
        var quarantined = decision.Next;
        Assert.Same(state.Monitoring, quarantined.Monitoring);
        Assert.Equal((state.LastDay, state.Days, state.Totals), (quarantined.LastDay, quarantined.Days, quarantined.Totals));
        Assert.Equal(Describe([e.Day]), Describe(quarantined.Quarantined));

        // A repeat is acknowledged unchanged; the snapshot and the status carry the list.
        var repeat = quarantined.Decided(new TileCommand.Quarantine(QuarantineOf(2, "again"), Now.AddHours(1), 7));
        Assert.Null(repeat.Event);
        Assert.Equal(AckOutcome.Quarantined, Assert.IsType<DayAck>(repeat.Reply).Outcome);
        Assert.Equal(Describe([e.Day]), Describe(TileState.FromSnapshot(quarantined.ToSnapshot()).Quarantined));
        Assert.Equal(Describe([e.Day]), Describe(Assert.IsType<TileStatus>(quarantined.Decided(new TileCommand.Status()).Reply).Quarantined));

        // The next day is applied over it; the quarantined day stays listed and is then answered as quarantined, not older.
        var later = ApplyDays(quarantined, 3);
        Assert.Equal([0, 1, 3], later.Days.Select(d => Data.MonitoringDates.IndexOf(d.AcquiredUtc)));
        Assert.Equal(Describe([e.Day]), Describe(later.Quarantined));
        var resent = later.Decided(new TileCommand.Observe(Data.Observation(Tile, 2), Data.Frame(2), Engine));
        Assert.Null(resent.Event);
        var resentAck = Assert.IsType<DayAck>(resent.Reply);
        Assert.Equal(AckOutcome.Quarantined, resentAck.Outcome);
        Assert.Contains("cannot read /data/b04.tif", resentAck.Detail);
        Assert.Contains("'nrtc requeue' applies it and the days after it again", resentAck.Detail);

        // A refit restarts monitoring and the list.
        var refit = later.Decided(new TileCommand.Fit(FitRequest(replace: true), Data.TileHistory(), Engine)).Next;
        Assert.Empty(refit.Quarantined);
    }

    /// <summary>
    /// A requeue goes back to the state stored with the day's quarantine; applying the day and the later ones again ends
    /// exactly as if the day had never been quarantined, and a later quarantined day is sent again like any other.
    /// </summary>
    [Fact]
    public void A_requeued_day_rewinds_to_the_state_kept_with_its_quarantine_and_the_days_applied_again_end_as_if_never_quarantined()
    {
        var before = ApplyDays(Fitted(), 0, 1);
        var quarantined = before.Decided(new TileCommand.Quarantine(QuarantineOf(2, "HTTP 503"), Now, 7)).Next;
        // What the actor stores with the quarantine's sequence number: the state kept for a requeue.
        var kept = quarantined.ToSnapshot();
        Assert.Equal(7, kept.Quarantined.Single().SnapshotSequenceNr);
        var later = ApplyDays(quarantined, 3)
            .Decided(new TileCommand.Quarantine(QuarantineOf(4, "HTTP 503"), Now, 9)).Next;
        later = ApplyDays(later, 5);
        Assert.Equal([Data.Observation(Tile, 2).Day, Data.Observation(Tile, 4).Day], later.Quarantined.Select(q => q.Day));

        // The earliest quarantined day when none is named.
        var (target, refused) = later.RequeueTarget(new RequeueDay(Tile, null));
        Assert.Null(refused);
        Assert.Equal(Data.Observation(Tile, 2).Day, target!.Day);

        var rewind = later.Decided(new TileCommand.Rewind(target, kept));
        var ack = Assert.IsType<DayAck>(rewind.Reply);
        Assert.Equal(AckOutcome.Rewound, ack.Outcome);
        Assert.Equal($"back to its state before {Data.Observation(Tile, 2).Day:yyyy-MM-dd} (last applied {Data.Observation(Tile, 1).Day:yyyy-MM-dd}); " +
            $"{Data.Observation(Tile, 2).Day:yyyy-MM-dd} and the 2 day(s) applied after it are to be applied again", ack.Detail);
        Assert.Equal(new TileRewound(Tile, Data.Observation(Tile, 2).Day, 7), rewind.Event!.Record);
        var rewound = rewind.Next;
        Assert.Equal(before.Monitoring, rewound.Monitoring);
        Assert.Equal((before.LastDay, before.Totals), (rewound.LastDay, rewound.Totals));
        Assert.Empty(rewound.Quarantined);
        Assert.True(rewound.HasModel);

        var again = ApplyDays(rewound, 2, 3, 4, 5);
        var undisturbed = ApplyDays(Fitted(), 0, 1, 2, 3, 4, 5);
        Assert.Equal(undisturbed.Monitoring, again.Monitoring);
        Assert.Equal(undisturbed.Totals, again.Totals);
        Assert.Equal(undisturbed.Days.Select(d => (d.Day, d.NewBreaks)), again.Days.Select(d => (d.Day, d.NewBreaks)));
    }

    [Fact]
    public void A_requeue_of_a_day_that_is_not_quarantined_or_whose_state_was_not_kept_changes_nothing_and_says_why()
    {
        var applied = ApplyDays(Fitted(), 0, 1);
        var none = applied.RequeueTarget(new RequeueDay(Tile, null));
        Assert.Equal((AckOutcome.NotQuarantined, $"tile {Tile} has no quarantined day; nothing to requeue"), (none.Refused!.Outcome, none.Refused.Detail));
        var quarantined = applied.Decided(new TileCommand.Quarantine(QuarantineOf(2, "HTTP 503"), Now, 7)).Next;
        var other = quarantined.RequeueTarget(new RequeueDay(Tile, Data.Observation(Tile, 1).Day));
        Assert.Equal(AckOutcome.NotQuarantined, other.Refused!.Outcome);
        Assert.Equal($"day {Data.Observation(Tile, 1).Day:yyyy-MM-dd} is not quarantined on tile {Tile} (quarantined: {Data.Observation(Tile, 2).Day:yyyy-MM-dd})",
            other.Refused.Detail);
        Assert.Equal(AckOutcome.NotQuarantined, TileState.Empty(Tile).RequeueTarget(new RequeueDay(Tile, null)).Refused!.Outcome);

        var day = quarantined.Quarantined.Single();
        var lost = quarantined.Decided(new TileCommand.Rewind(day, null));
        Assert.Null(lost.Event);
        Assert.Equal(AckOutcome.Failed, Assert.IsType<DayAck>(lost.Reply).Outcome);
        Assert.Contains("was not kept", ((DayAck)lost.Reply).Detail);
        var otherFit = quarantined.Decided(new TileCommand.Rewind(day, quarantined.ToSnapshot() with { FitNumber = 2 }));
        Assert.Null(otherFit.Event);
        Assert.Contains("belongs to fit 2, the tile is on fit 1", ((DayAck)otherFit.Reply).Detail);
    }

    [Fact]
    public void A_quarantined_day_sent_again_while_still_newest_is_applied_and_leaves_the_list()
    {
        var state = ApplyDays(Fitted(), 0, 1)
            .Decided(new TileCommand.Quarantine(QuarantineOf(2, "HTTP 404 for item m2"), Now, 7)).Next;
        var fixedDay = state.Decided(new TileCommand.Observe(Data.Observation(Tile, 2), Data.Frame(2), Engine));
        Assert.Equal(AckOutcome.Applied, Assert.IsType<DayAck>(fixedDay.Reply).Outcome);
        Assert.IsType<TileEvent.Applied>(fixedDay.Event);
        Assert.Empty(fixedDay.Next.Quarantined);
        // The same result as if the day had never been quarantined.
        Assert.Equal(ApplyDays(Fitted(), 0, 1, 2).Monitoring, fixedDay.Next.Monitoring);
    }

    [Fact]
    public void Quarantining_an_applied_or_older_day_or_before_a_fit_is_acknowledged_and_ignored()
    {
        var state = ApplyDays(Fitted(), 0, 1, 3);
        foreach (var (index, outcome) in new[] { (3, AckOutcome.Repeated), (1, AckOutcome.Repeated), (2, AckOutcome.Older) })
        {
            var decision = state.Decided(new TileCommand.Quarantine(QuarantineOf(index, "bad"), Now, 7));
            Assert.Null(decision.Event);
            Assert.Same(state, decision.Next);
            var ack = Assert.IsType<DayAck>(decision.Reply);
            Assert.Equal(outcome, ack.Outcome);
            Assert.StartsWith("not quarantined", ack.Detail);
        }
        var empty = TileState.Empty(Tile).Decided(new TileCommand.Quarantine(QuarantineOf(0, "bad"), Now, 7));
        Assert.Null(empty.Event);
        Assert.Equal(AckOutcome.NotFitted, Assert.IsType<DayAck>(empty.Reply).Outcome);
    }

    [Fact]
    public void Shards_group_neighbouring_tiles_and_tile_ids_round_trip()
    {
        Assert.Equal("s0_0", new TileId(3, 3).ShardId(4));
        Assert.Equal("s1_0", new TileId(4, 0).ShardId(4));
        Assert.Equal("s-1_1", new TileId(-1, 7).ShardId(4));
        Assert.Equal(new TileId(-2, 7), TileId.Parse(new TileId(-2, 7).ToString()));
        Assert.Throws<FormatException>(() => TileId.Parse("tile-12"));
        var extractor = new TileMessageExtractor(4);
        Assert.Equal("x5_y6", extractor.EntityId(new GetTileStatus(new TileId(5, 6))));
        Assert.Equal("s1_1", extractor.ShardId(new GetTileStatus(new TileId(5, 6))));
        Assert.Equal("s1_1", extractor.ShardId("x5_y6"));
        Assert.Null(extractor.EntityId("not a tile message"));
    }

    [Fact]
    public void A_day_queued_for_an_older_fit_is_dropped_after_a_refit_and_one_queued_for_the_new_fit_is_applied()
    {
        var refitted = ApplyDays(Fitted(), 0).Decided(new TileCommand.Fit(FitRequest(replace: true), Data.TileHistory(), Engine)).Next;
        Assert.Equal(2, refitted.FitNumber);
        var stale = Data.Observation(Tile, 1);
        Assert.Equal(AckOutcome.Superseded, refitted.CheckDay(stale.Day, stale.FitNumber));
        var dropped = refitted.Decided(new TileCommand.Observe(stale, Data.Frame(1), Engine));
        Assert.Null(dropped.Event);
        var ack = Assert.IsType<DayAck>(dropped.Reply);
        Assert.Equal(AckOutcome.Superseded, ack.Outcome);
        Assert.Equal($"day {stale.Day:yyyy-MM-dd} was queued for fit 1, the tile is on fit 2; dropped (the fast-forward after the refit sends it again)", ack.Detail);

        // Sent again for fit 2 (after the poller's delivery reset), from the history end: applied as on the first fit.
        var applied = refitted.Decided(new TileCommand.Observe(Data.Observation(Tile, 0) with { FitNumber = 2 }, Data.Frame(0), Engine));
        Assert.Equal(AckOutcome.Applied, Assert.IsType<DayAck>(applied.Reply).Outcome);
        Assert.Equal(ApplyDays(Fitted(), 0).Monitoring, applied.Next.Monitoring);
        // A day queued for a later fit than the tile knows is applied (fit numbers only grow; the tile is never behind its sender).
        Assert.Null(Fitted().CheckDay(stale.Day, 2));
    }

    private static byte[] Bytes(INrtSerializable value) => NrtBinaryFormat.Write(value);

    /// <summary>
    /// Decide says what a command means and leaves the state as it was (the monitor engine writes no input); Apply alone
    /// changes it. Replaying the events of a mixed run (a fit, days, quarantines, a refused repeat, a requeue, a refit)
    /// through Apply from an empty tile rebuilds the state the run reached, and it goes on the same.
    /// </summary>
    [Fact]
    public void Replaying_the_decided_events_through_Apply_rebuilds_the_state_deciding_them_reached()
    {
        var state = TileState.Empty(Tile);
        var events = new List<TileEvent>();
        void Run(TileCommand command)
        {
            var before = Bytes(state.ToSnapshot());
            var decided = state.Decide(command);
            Assert.Equal(before, Bytes(state.ToSnapshot()));
            events.AddRange(decided);
            foreach (var e in decided) state = state.Apply(e);
        }
        TileCommand.Observe Day(int index) => new(Data.Observation(Tile, index) with { FitNumber = state.FitNumber }, Data.Frame(index), Engine);

        Run(new TileCommand.Fit(FitRequest(), Data.TileHistory(), Engine));
        Run(Day(0));
        Run(Day(1));
        Run(new TileCommand.Quarantine(QuarantineOf(2, "HTTP 503"), Now, 4));
        var kept = state.ToSnapshot();
        Run(Day(3));
        Run(Day(3));
        Run(new TileCommand.Quarantine(QuarantineOf(4, "HTTP 503"), Now, 6));
        Run(Day(5));
        Run(new TileCommand.Rewind(state.Quarantined[0], kept));
        foreach (int i in new[] { 2, 3, 4, 5 }) Run(Day(i));
        Run(new TileCommand.Fit(FitRequest(replace: true), Data.TileHistory(), Engine));
        Run(Day(0));

        Assert.Equal(
            ["Fitted", "Applied", "Applied", "Quarantined", "Applied", "Quarantined", "Applied", "Rewound", "Applied", "Applied", "Applied", "Applied", "Fitted", "Applied"],
            events.Select(e => e.GetType().Name));
        var replayed = events.Aggregate(TileState.Empty(Tile), (s, e) => s.Apply(e));
        Assert.Equal(Bytes(state.ToSnapshot()), Bytes(replayed.ToSnapshot()));
        Assert.Equal(state.Model, replayed.Model);
        Assert.Equal(2, replayed.FitNumber);

        var next = Day(1);
        Assert.Equal(Bytes(state.Decided(next).Next.ToSnapshot()), Bytes(replayed.Decided(next).Next.ToSnapshot()));
    }

    [Fact]
    public void The_reply_is_derived_from_the_events_decided_and_the_state_they_were_decided_on()
    {
        var state = ApplyDays(Fitted(), 0);
        var command = new TileCommand.Observe(Data.Observation(Tile, 1), Data.Frame(1), Engine, [new LeftOutItem("m1b", "HTTP 404")]);
        var events = state.Decide(command);
        var applied = Assert.IsType<TileEvent.Applied>(Assert.Single(events));
        Assert.Equal(new LeftOutItem("m1b", "HTTP 404"), Assert.Single(applied.Step.Day.LeftOut));
        var ack = Assert.IsType<DayAck>(state.Reply(command, events));
        Assert.Equal((AckOutcome.Applied, $"{applied.Step.Day.NewBreaks} new breaks; without m1b, which cannot be read"), (ack.Outcome, ack.Detail));
        // A change's reply cannot be given without the events that make it.
        Assert.Throws<ArgumentException>(() => state.Reply(command, []));
        // A refusal decides nothing and is answered from the state alone.
        var repeated = Assert.IsType<DayAck>(state.Reply(Day0(), state.Decide(Day0())));
        Assert.Equal(AckOutcome.Repeated, repeated.Outcome);

        TileCommand.Observe Day0() => new(Data.Observation(Tile, 0), Data.Frame(0), Engine);
    }
}

/// <summary>What the tile actor does with a command, for tests that look at the reply, the event and the state after it at once.</summary>
internal static class TileStateTestExtensions
{
    public static TileDecision Decided(this TileState state, TileCommand command) => TileDecision.Of(state, command);
}
