using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Kernels.Tests.Monitors;

/// <summary>
/// The scene-level haze gate (<see cref="MonitorOptions.HazeGate"/>) on a constructed tile: 40 x 40 stable pixels of a
/// harmonic NDVI-like series, 30 monitored dates, a day of haze (every pixel 0.3 lower) on date 10, and optionally a
/// clear-cut of 60 pixels (0.4 lower from its day on).
/// </summary>
public class HazeGateTests
{
    private const int H = 40, W = 40, P = H * W, HistoryDates = 150, MonitoringDates = 30, HazeDate = 10;
    private static readonly HazeGate Gate = new(0.5, 200);

    public static TheoryData<string> Names => new(MonitorFactory.Names);

    /// <summary>The monitors with options under which one bad day can confirm a break (the counting ones: one outlier).</summary>
    private static BaseMonitor Create(string name, HazeGate gate) => name switch
    {
        "EWMA" => new Ewma(new EwmaOptions { Trend = false, HazeGate = gate }),
        "CuSum" => new CuSum(new CuSumOptions { Trend = false, HazeGate = gate }),
        "MoSum" => new MoSum(new MoSumOptions { Trend = false, HazeGate = gate }),
        "IQR" => new Iqr(new IqrOptions { Trend = false, HarmonicOrder = 2, Boundary = 1, HazeGate = gate }),
        _ => new Ccdc(new CcdcOptions { Trend = false, Boundary = 1, HazeGate = gate }),
    };

    private static bool IsCut(int pixel) => pixel % W < 6 && pixel / W < 10;

    /// <summary>A change over most of the tile (a large fire): the first 32 of its 40 rows.</summary>
    private static bool IsWide(int pixel) => pixel / W < 32;

    /// <summary>History and monitoring (T x P); haze on <see cref="HazeDate"/>, the cut (if any) from monitoring date <paramref name="cutDate"/> on.</summary>
    private static (HistoryCube History, float[] Monitoring, DateTime[] Dates) Tile(int? cutDate, Func<int, bool>? cut = null)
    {
        cut ??= IsCut;
        var rng = new Random(11);
        var start = new DateTime(2019, 1, 3, 10, 30, 0, DateTimeKind.Utc);
        var all = Enumerable.Range(0, HistoryDates + MonitoringDates).Select(i => start.AddDays(5 * i)).ToArray();
        var values = new float[all.Length * P];
        for (int t = 0; t < all.Length; t++)
        {
            var d = Regressors.DecimalYear(all[t]);
            int m = t - HistoryDates;
            for (int i = 0; i < P; i++)
            {
                var v = 0.7 + 0.15 * Math.Cos(2 * Math.PI * d) + 0.12 * (rng.NextDouble() - 0.5);
                if (m == HazeDate) v -= 0.25;
                if (cutDate is { } c && m >= c && cut(i)) v -= 0.3;
                values[t * P + i] = (float)v;
            }
        }
        return (new HistoryCube(values.AsMemory(0, HistoryDates * P), all[..HistoryDates], H, W), values[(HistoryDates * P)..], all[HistoryDates..]);
    }

    private static BaseMonitor Run(string name, HazeGate gate, int? cutDate, int steps, List<HazeGateStep>? gates = null, Func<int, bool>? cut = null)
    {
        var (history, monitoring, dates) = Tile(cutDate, cut);
        var monitor = Create(name, gate);
        monitor.Fit(history, monitor.DefaultFit with { Method = FitMethod.Ols, Screening = OutlierScreening.None });
        for (int t = 0; t < steps; t++)
        {
            monitor.Monitor(monitoring.AsMemory(t * P, P), dates[t]);
            gates?.Add(monitor.LastGate);
        }
        return monitor;
    }

    private static int Breaks(BaseMonitor m, Func<int, bool>? where = null) =>
        Enumerable.Range(0, P).Count(i => m.State.Mask[i] == MaskCodes.Break && (where?.Invoke(i) ?? true));

    private static int BrokeOn(BaseMonitor m, int step) =>
        m.State.DetectionDate.Count(d => d == Regressors.DayNumber(new DateTime(2019, 1, 3).AddDays(5 * (HistoryDates + step))));

    [Theory]
    [InlineData("EWMA")]
    [InlineData("IQR")]
    [InlineData("CCDC")]
    public void A_hazy_day_breaks_most_pixels_without_the_gate_and_none_with_it(string name)
    {
        var off = Run(name, HazeGate.Off, cutDate: null, steps: HazeDate + 1);
        Assert.True(BrokeOn(off, HazeDate) > P / 2, $"{name} without the gate: {BrokeOn(off, HazeDate)} of {P} pixels broke on the hazy day");

        var gates = new List<HazeGateStep>();
        var on = Run(name, Gate, cutDate: null, steps: HazeDate + 1, gates);
        Assert.Equal(0, BrokeOn(on, HazeDate));
        Assert.Equal(on.State.Mask.Count(m => m == MaskCodes.Monitored), gates[^1].Observed);
        Assert.True(gates[^1].SetAside > P / 2, $"{name}: set aside {gates[^1].SetAside} of {P}");
        Assert.All(gates[..^1], g => Assert.False(g.Gated));
    }

    /// <summary>The gate's test is the step's own: it sets aside exactly the pixels that break on the day without it.</summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void The_gate_sets_aside_exactly_the_pixels_that_would_break(string name)
    {
        var (_, monitoring, dates) = Tile(cutDate: null);
        var off = Run(name, HazeGate.Off, cutDate: null, steps: HazeDate);
        // The same state, monitored on with a gate that holds as soon as one pixel would leave the boundary.
        var on = MonitorFactory.Restore(off.Options with { HazeGate = new HazeGate(1e-9, 1) }, off.Model, off.State.Copy());
        off.Monitor(monitoring.AsMemory(HazeDate * P, P), dates[HazeDate]);
        on.Monitor(monitoring.AsMemory(HazeDate * P, P), dates[HazeDate]);
        var broke = BrokeOn(off, HazeDate);
        Assert.True(broke > 0, $"{name}: no pixel broke on the hazy day");
        Assert.Equal(broke, on.LastGate.SetAside);
        Assert.Equal(0, BrokeOn(on, HazeDate));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_clear_cut_on_a_clear_day_breaks_with_the_gate_on_as_without_it(string name)
    {
        const int cutDay = 4;
        var gates = new List<HazeGateStep>();
        var on = Run(name, Gate, cutDate: cutDay, steps: HazeDate, gates);
        var off = Run(name, HazeGate.Off, cutDate: cutDay, steps: HazeDate);
        Assert.True(Breaks(on, IsCut) > 50, $"{name}: {Breaks(on, IsCut)} of 60 cut pixels broke");
        Assert.All(gates, g => Assert.False(g.Gated));
        // Not gated: every step as the reference's.
        AssertSameState(off, on);
    }

    /// <summary>CuSum and MoSum take one hazy day in their stride here (it moves a sum over the whole history): not gated.</summary>
    [Theory]
    [InlineData("EWMA")]
    [InlineData("IQR")]
    [InlineData("CCDC")]
    public void A_clear_cut_on_the_hazy_day_breaks_after_it(string name)
    {
        var on = Run(name, Gate, cutDate: HazeDate, steps: MonitoringDates);
        Assert.Equal(0, BrokeOn(on, HazeDate));
        Assert.True(Breaks(on, IsCut) > 50, $"{name}: {Breaks(on, IsCut)} of 60 cut pixels broke after the hazy day");
    }

    [Theory]
    [InlineData("EWMA")]
    [InlineData("IQR")]
    [InlineData("CCDC")]
    public void A_lasting_change_over_most_of_the_tile_is_set_aside_once_and_breaks_on_the_next_observation(string name)
    {
        const int cutDay = 15;
        var gates = new List<HazeGateStep>();
        var on = Run(name, Gate, cutDate: cutDay, steps: cutDay + 3, gates, IsWide);
        var wide = Enumerable.Range(0, P).Count(IsWide);
        Assert.True(gates[cutDay].Gated, $"{name}: the change's first day was not gated");
        Assert.Equal(0, gates[cutDay + 1].SetAside);
        Assert.True(BrokeOn(on, cutDay + 1) > 0, $"{name}: no changed pixel broke on the observation after the gated one");
        // Without holding a set-aside pixel to its next observation, the gate would set the change aside every day, for good.
        Assert.True(Breaks(on, IsWide) > wide * 9 / 10, $"{name}: {Breaks(on, IsWide)} of {wide} changed pixels broke");
    }

    [Fact]
    public void The_gate_needs_its_minimum_of_observed_pixels()
    {
        var gates = new List<HazeGateStep>();
        var monitor = Run("EWMA", new HazeGate(0.5, P + 1), cutDate: null, steps: HazeDate + 1, gates);
        Assert.False(gates[^1].Gated);
        Assert.True(Breaks(monitor) > P / 2);
    }

    [Fact]
    public void Gate_settings_out_of_range_name_the_setting()
    {
        Assert.Equal("share", Assert.Throws<OptionException>(() => new HazeGate(1.5, 10).Validate()).Option);
        Assert.Equal("min-pixels", Assert.Throws<OptionException>(() => new HazeGate(0.5, -1).Validate()).Option);
    }

    private static void AssertSameState(BaseMonitor a, BaseMonitor b)
    {
        var x = a.ExportState();
        var y = b.ExportState();
        Assert.Equal(x.Select(l => l.Name), y.Select(l => l.Name));
        for (int i = 0; i < x.Count; i++) Assert.Equal(x[i].Data, y[i].Data);
    }
}
