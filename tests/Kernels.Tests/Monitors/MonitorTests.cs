using System.Text.Json;
using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Kernels.Tests.Monitors;

public class MonitorTests
{
    [Theory]
    [InlineData(0.3, 0.05, "h")]
    [InlineData(0.25, 0.2, "sensitivity")]
    public void MoSumRejectsUntabulatedParameters(double h, double sensitivity, string named)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new MoSum(new MoSumOptions { H = h, Sensitivity = sensitivity }));
        Assert.Contains(named, e.Message);
        Assert.Contains(named == "h" ? "0.25" : "[0.001, 0.05]", e.Message);
    }

    [Fact]
    public void UnknownMonitorNameListsTheValidOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => MonitorFactory.Create("BFAST"));
        Assert.Contains("'BFAST'", e.Message);
        foreach (var name in MonitorFactory.Names) Assert.Contains(name, e.Message);
    }

    [Fact]
    public void UnknownInitOptionIsNamed()
    {
        var init = new Dictionary<string, JsonElement> { ["lambda"] = JsonDocument.Parse("0.2").RootElement };
        var e = Assert.Throws<OptionException>(() => MonitorFactory.Create("EWMA", init));
        Assert.Equal("lambda", e.Option);
        Assert.Contains("'lambda'", e.Message);
        Assert.Contains("lambda_", e.Message);
    }

    [Fact]
    public void FactoryAppliesReferenceNamesAndMonitorFitDefaults()
    {
        var init = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>("""{"trend": false, "h": 0.5, "sensitivity": 0.01}""")!;
        var monitor = Assert.IsType<MoSum>(MonitorFactory.Create("MoSum", init));
        var options = Assert.IsType<MoSumOptions>(monitor.Options);
        Assert.False(options.Trend);
        Assert.Equal(0.5, options.H);
        Assert.Equal(2.20907282819197, monitor.CriticalValue, 1e-9); // case mosum_ols_h05's scalar
        var fit = MonitorFactory.FitOptionsFor(monitor, JsonSerializer.Deserialize<Dictionary<string, JsonElement>>("""{"alpha": 0.01}""")!);
        Assert.Equal(FitMethod.Roc, fit.Method);
        Assert.Equal(0.01, fit.Alpha);
        var ewmaFit = MonitorFactory.FitOptionsFor(new Ewma(), JsonSerializer.Deserialize<Dictionary<string, JsonElement>>("""{"method": "RIRLS", "screen_outliers": null}""")!);
        Assert.Equal(FitMethod.Rirls, ewmaFit.Method);
        Assert.Equal(OutlierScreening.None, ewmaFit.Screening);
        Assert.Equal(OutlierScreening.Shewhart, MonitorFactory.FitOptionsFor(new Ewma(), null).Screening);
    }

    [Fact]
    public void ReportRejectsUnknownLayerAndStacksInOrder()
    {
        var (history, monitoring, dates) = Synthetic.Tile(16, 16, 60, 20, seed: 3);
        var monitor = new Iqr(new IqrOptions { Trend = false, HarmonicOrder = 1 });
        monitor.Fit(history);
        for (int t = 0; t < dates.Length; t++) monitor.Monitor(monitoring.AsMemory(t * 256, 256), dates[t]);
        var e = Assert.Throws<ArgumentException>(() => monitor.Report(["mask", "breaks"]));
        Assert.Contains("'breaks'", e.Message);
        Assert.Contains("detection_date", e.Message);
        Assert.Throws<ArgumentException>(() => monitor.Report(["mask"], "uint7"));
        var report = monitor.Report(["detection_date", "mask"], "int16");
        Assert.Equal([2, 16, 16], report.Shape);
        var data = Assert.IsType<short[]>(report.Data);
        Assert.Contains(data[..256], v => v > 17500); // breaks in the right half, late 2018
        for (int i = 0; i < 256; i++)
        {
            Assert.Equal((short)monitor.State.DetectionDate[i], data[i]);
            Assert.Equal((short)monitor.State.Mask[i], data[256 + i]);
        }
    }

    [Fact]
    public void TransformIsTheTopLeftCorner()
    {
        var monitor = new Ccdc { X = [4000010, 4000030, 4000050], Y = [2999990, 2999970] };
        Assert.Equal((4000000.0, 3000000.0, 20.0, 20.0), monitor.Transform());
    }

    public static TheoryData<string> Names => new(MonitorFactory.Names);

    /// <summary>A monitor rebuilt from (options, model, copied state) mid-way continues exactly as the original.</summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void RestoredMonitorContinuesExactly(string name)
    {
        const int h = 12, w = 10, p = h * w;
        var (history, monitoring, dates) = Synthetic.Tile(h, w, 120, 40, seed: 7);
        var original = MonitorFactory.Create(name);
        original.Fit(history, original.DefaultFit with { Method = FitMethod.Ols, Screening = OutlierScreening.None });
        for (int t = 0; t < 20; t++) original.Monitor(monitoring.AsMemory(t * p, p), dates[t]);
        var state = original.State.Copy();
        var restored = MonitorFactory.Restore(original.Options, original.Model, state);
        Assert.Equal(original.GetType(), restored.GetType());
        for (int t = 20; t < dates.Length; t++)
        {
            original.Monitor(monitoring.AsMemory(t * p, p), dates[t]);
            restored.Monitor(monitoring.AsMemory(t * p, p), dates[t]);
        }
        var a = original.ExportState();
        var b = restored.ExportState();
        Assert.Equal(a.Select(l => l.Name), b.Select(l => l.Name));
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Shape, b[i].Shape);
            Assert.Equal(a[i].Data, b[i].Data);
        }
        Assert.Equal(original.State.Confidence, restored.State.Confidence);
        Assert.Equal(original.State.Magnitude, restored.State.Magnitude);
        Assert.Contains(original.State.Mask, m => m == MaskCodes.Break);
    }

    [Fact]
    public void RestoreRejectsAModelOfAnotherMonitor()
    {
        var (history, _, _) = Synthetic.Tile(4, 4, 80, 1, seed: 1);
        var iqr = new Iqr(new IqrOptions { HarmonicOrder = 2 });
        iqr.Fit(history);
        var e = Assert.Throws<ArgumentException>(() => new CuSum(new CuSumOptions(), iqr.Model, iqr.State.Copy()));
        Assert.Contains("sigma", e.Message);
    }

    [Fact]
    public void MaskOfAnotherShapeIsRejectedAtFit()
    {
        var (history, _, _) = Synthetic.Tile(4, 4, 80, 1, seed: 1);
        var monitor = new Ewma(mask: new byte[15]);
        var e = Assert.Throws<ArgumentException>(() => monitor.Fit(history));
        Assert.Contains("4 x 4", e.Message);
    }
}

/// <summary>Harmonic NDVI-like series with noise, NaN clouds and a drop in the right half during monitoring.</summary>
internal static class Synthetic
{
    public static (HistoryCube History, float[] Monitoring, DateTime[] MonitoringDates) Tile(int h, int w, int th, int tm, int seed)
    {
        var rng = new Random(seed);
        var p = h * w;
        var start = new DateTime(2018, 1, 3, 10, 30, 0, DateTimeKind.Utc);
        var all = Enumerable.Range(0, th + tm).Select(i => start.AddDays(5 * i).AddMinutes(rng.Next(0, 30))).ToArray();
        var values = new float[(th + tm) * p];
        for (int t = 0; t < th + tm; t++)
        {
            var d = Regressors.DecimalYear(all[t]);
            for (int i = 0; i < p; i++)
            {
                var v = 0.6 + 0.2 * Math.Cos(2 * Math.PI * d + 0.3 * (i % 5)) + 0.1 * (rng.NextDouble() - 0.5);
                if (t >= th + 4 && i % w >= w / 2) v -= 0.2;
                values[t * p + i] = rng.NextDouble() < 0.2 ? float.NaN : (float)v;
            }
        }
        var history = new HistoryCube(values.AsMemory(0, th * p), all[..th], h, w);
        return (history, values[(th * p)..], all[th..]);
    }
}
