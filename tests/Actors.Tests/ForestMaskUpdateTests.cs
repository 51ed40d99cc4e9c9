using NrtCluster.Actors.Serialization;
using NrtCluster.Actors.Tests.Support;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;
using NrtCluster.Kernels;

namespace NrtCluster.Actors.Tests;

/// <summary>
/// A fitted tile's forest mask updated without a refit (nrt's update_mask): the pure tile state with the real kernels on a
/// conformance case fitted with a forest mask, and the new event through the binary format.
/// </summary>
public sealed class ForestMaskUpdateTests
{
    private static readonly TileId Tile = new(3, 4);
    private static readonly ConformanceCase Data = ConformanceCase.Load("cusum_ols");
    private static readonly KernelMonitorEngine Engine = Data.Engine();
    private static readonly DateTime Now = new(2026, 12, 7, 9, 0, 0, DateTimeKind.Utc);
    private const int DaysBefore = 60;

    private static TileState Fitted() =>
        TileState.Empty(Tile).Decided(new TileCommand.Fit(new FitTile(Tile, Data.HistoryStart, Data.HistoryEnd), Data.TileHistory(), Engine)).Next;

    private static TileState ApplyDays(TileState state, IEnumerable<int> indexes)
    {
        foreach (int i in indexes)
            state = state.Decided(new TileCommand.Observe(Data.Observation(Tile, i), Data.Frame(i), Engine)).Next;
        return state;
    }

    private static TileCommand.UpdateMask Update(byte[] forest, string path = "/masks/forest-2026.tif") =>
        new(new UpdateMask(Tile, path, null), forest, Now);

    /// <summary>The forest the case was fitted with (a fresh copy).</summary>
    private static byte[] FitForest() => [.. Data.Mask!.Select(m => m == 1 ? (byte)1 : (byte)0)];

    private static byte[] Mask(TileState state) => state.Monitoring![TileState.MaskLayer].ValuesAs<byte>();

    private static byte[] Bytes(TileSnapshot s) => NrtBinaryFormat.Write(s);

    /// <summary>The pixels of each code in a mask.</summary>
    private static int[] Where(byte[] mask, byte code) => [.. Enumerable.Range(0, mask.Length).Where(i => mask[i] == code)];

    [Fact]
    public void Pixels_leaving_the_forest_stop_fitted_ones_come_back_never_fitted_ones_stay_out_and_breaks_stay()
    {
        var state = ApplyDays(Fitted(), Enumerable.Range(0, DaysBefore));
        var before = Mask(state);
        var (monitored, breaks, outside) = (Where(before, MaskCodes.Monitored), Where(before, MaskCodes.Break), Where(before, MaskCodes.NotMonitored));
        Assert.True(monitored.Length > 10 && breaks.Length > 2 && outside.Length > 10, $"{monitored.Length} monitored, {breaks.Length} breaks, {outside.Length} outside");

        // The forest shrinks by 10 monitored pixels and 2 breaks, and grows by 10 pixels the fit never saw (outside its mask).
        var forest = FitForest();
        var leaving = monitored[..10];
        var brokenOutside = breaks[..2];
        var entering = outside[..10];
        foreach (var i in leaving.Concat(brokenOutside)) forest[i] = 0;
        foreach (var i in entering) forest[i] = 1;

        var decision = state.Decided(Update(forest));
        var changed = Assert.IsType<TileEvent.MaskChanged>(decision.Event);
        Assert.Equal(new MaskChange(Left: 10, Entered: 0, NotFitted: 10, BreaksKept: 2), changed.Update.Change);
        Assert.Equal(("/masks/forest-2026.tif", Now), (changed.Update.Source, changed.Update.AtUtc));
        var ack = Assert.IsType<MaskAck>(decision.Reply);
        Assert.Equal((AckOutcome.MaskUpdated, 1, changed.Update.Change), (ack.Outcome, ack.FitNumber, ack.Change));
        Assert.Contains("10 pixels left the forest, 0 came back, 10 forest pixels without a fit stay out (refit to monitor them), 2 breaks outside the forest kept", ack.Detail);

        var after = decision.Next;
        var mask = Mask(after);
        Assert.All(leaving, i => Assert.Equal(MaskCodes.NotMonitored, mask[i]));
        Assert.All(brokenOutside, i => Assert.Equal(MaskCodes.Break, mask[i]));
        Assert.All(entering, i => Assert.Equal(MaskCodes.NotMonitored, mask[i]));
        Assert.Equal(monitored.Length - 10, Where(mask, MaskCodes.Monitored).Length);
        // No refit: the same fit, model and days; the break dates and the monitors' own layers are untouched.
        Assert.Equal((state.FitNumber, state.Fit, state.Model, state.Days), (after.FitNumber, after.Fit, after.Model, after.Days));
        foreach (var layer in state.Monitoring!.Where(l => l.Name != TileState.MaskLayer))
            Assert.Equal(layer, after.Monitoring![layer.Name]);
        Assert.Equal(TileState.CountMask(mask), after.Totals);
        // The fit's codes are kept from now on: breaks were monitored pixels.
        var fitMask = after.Monitoring![TileState.FitMaskLayer].ValuesAs<byte>();
        Assert.All(breaks, i => Assert.Equal(MaskCodes.Monitored, fitMask[i]));
        Assert.All(outside, i => Assert.Equal(MaskCodes.NotMonitored, fitMask[i]));

        // Days go on with the new mask and keep the fit's codes; the original forest brings the pixels that left back.
        var later = ApplyDays(after, [DaysBefore]);
        Assert.Equal(fitMask, later.Monitoring![TileState.FitMaskLayer].ValuesAs<byte>());
        var back = later.Decided(Update(FitForest()));
        Assert.Equal(new MaskChange(Left: 0, Entered: 10, NotFitted: 0, BreaksKept: 0), Assert.IsType<MaskAck>(back.Reply).Change);
        Assert.All(leaving, i => Assert.Equal(MaskCodes.Monitored, Mask(back.Next)[i]));
    }

    /// <summary>
    /// The next days alert only where the tile monitors now: with every pixel out of the forest no day breaks anything (the
    /// same days break pixels on the tile left as it was), and the fitted pixels brought back alert as if they never left.
    /// </summary>
    [Fact]
    public void The_next_days_alert_only_on_the_pixels_the_new_mask_monitors()
    {
        var state = ApplyDays(Fitted(), Enumerable.Range(0, DaysBefore));
        int days = Data.MonitoringDates.Length;
        var uninterrupted = ApplyDays(state, Enumerable.Range(DaysBefore, days - DaysBefore));
        Assert.True(uninterrupted.Totals.Breaks > state.Totals.Breaks, "the later days must break pixels for this test to mean anything");

        var noForest = state.Decided(Update(new byte[Data.Pixels])).Next;
        Assert.Equal(0, noForest.Totals.Monitored);
        var without = ApplyDays(noForest, Enumerable.Range(DaysBefore, days - DaysBefore));
        Assert.Equal(state.Totals.Breaks, without.Totals.Breaks);
        Assert.All(without.Days.Skip(DaysBefore), d => Assert.Equal(0, d.NewBreaks));

        // Out for 10 days and back: monitoring resumes; the tile never out of the forest sees the same days.
        var forest = FitForest();
        var paused = ApplyDays(noForest, Enumerable.Range(DaysBefore, 10));
        var resumed = ApplyDays(paused.Decided(Update(forest)).Next, Enumerable.Range(DaysBefore + 10, days - DaysBefore - 10));
        Assert.True(resumed.Totals.Breaks > state.Totals.Breaks, $"{resumed.Totals.Breaks} breaks after resuming, {state.Totals.Breaks} before");
    }

    [Fact]
    public void An_unfitted_tile_a_mask_of_another_size_and_a_mask_changing_nothing_decide_no_event_and_say_why()
    {
        var notFitted = TileState.Empty(Tile).Decided(Update(new byte[Data.Pixels]));
        Assert.Null(notFitted.Event);
        var ack = Assert.IsType<MaskAck>(notFitted.Reply);
        Assert.Equal((AckOutcome.NotFitted, $"tile {Tile} is not fitted; its fit reads the project's forest mask"), (ack.Outcome, ack.Detail));

        var fitted = Fitted();
        var wrongSize = fitted.Decided(Update(new byte[Data.Pixels - 1]));
        Assert.Null(wrongSize.Event);
        Assert.Equal(AckOutcome.Failed, ((MaskAck)wrongSize.Reply).Outcome);
        Assert.Contains($"has {Data.Pixels - 1} pixels, the tile {Data.Pixels}; nothing changed", ((MaskAck)wrongSize.Reply).Detail);

        var same = fitted.Decided(Update(FitForest()));
        Assert.Null(same.Event);
        Assert.Same(fitted, same.Next);
        Assert.Equal(AckOutcome.MaskUpdated, ((MaskAck)same.Reply).Outcome);
        Assert.StartsWith($"the forest mask changes no monitored pixel of tile {Tile}", ((MaskAck)same.Reply).Detail);
    }

    /// <summary>
    /// The new messages and event round-trip through the binary format, and a tile recovered from the snapshot stored with the
    /// update (its model loaded again) continues byte for byte as the tile that made it; replaying the event through Apply
    /// reaches the same state.
    /// </summary>
    [Fact]
    public void The_update_round_trips_through_the_format_and_a_recovered_tile_continues_exactly()
    {
        foreach (var (message, manifest) in new (object, string)[]
        {
            (new UpdateMask(Tile, "/m/forest.tif", 42.5), "UpdateMask"),
            (new UpdateMask(Tile, null, null), "UpdateMask"),
            (new MaskAck(Tile, 3, AckOutcome.MaskUpdated, "updated", new MaskChange(1, 2, 3, 4)) { ReportError = "disk full" }, "MaskAck"),
            (new MaskAck(Tile, 0, AckOutcome.NotFitted, "not fitted", null), "MaskAck"),
            (new MaskUpdated(Tile, "/m/forest.tif", new MaskChange(5, 6, 7, 8), Now), "MaskUpdated"),
        })
        {
            Assert.Equal(manifest, NrtBinaryFormat.ManifestOf(message));
            Assert.Equal(message, NrtBinaryFormat.Read(NrtBinaryFormat.Write(message), manifest));
        }

        var state = ApplyDays(Fitted(), Enumerable.Range(0, 20));
        var forest = FitForest();
        Array.Clear(forest, 0, Data.Pixels / 2);
        var decision = state.Decided(Update(forest));
        var updated = decision.Next;
        Assert.Equal(Bytes(updated.ToSnapshot()), Bytes(state.Apply(decision.Event!).ToSnapshot()));

        var snapshot = (TileSnapshot)NrtBinaryFormat.Read(Bytes(updated.ToSnapshot()), "TileSnapshot");
        var model = (TileModel)NrtBinaryFormat.Read(NrtBinaryFormat.Write(updated.Model!), "TileModel");
        var recovered = TileState.FromSnapshot(snapshot).WithModel(model);
        var continued = ApplyDays(recovered, Enumerable.Range(20, 40));
        var uninterrupted = ApplyDays(updated, Enumerable.Range(20, 40));
        Assert.Equal(Bytes(uninterrupted.ToSnapshot()), Bytes(continued.ToSnapshot()));
        Assert.All(Enumerable.Range(0, Data.Pixels / 2), i => Assert.NotEqual(MaskCodes.Monitored, Mask(continued)[i]));
    }
}
