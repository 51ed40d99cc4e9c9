using System.Text.Json;
using NrtCluster.Actors.State;
using NrtCluster.Actors.Tests.Support;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Actors.Tests;

/// <summary>The monitor engine over the real kernels, on conformance data: what it restores, reports and warns of.</summary>
public sealed class KernelMonitorEngineTests
{
    private static readonly TileId Tile = new(4, 2);

    /// <summary>The CCDC_RIRLS case with a scaling factor a thousand times too small: the screening takes most observations.</summary>
    private static KernelMonitorEngine MisscaledCcdc(ConformanceCase data)
    {
        var fit = new Dictionary<string, JsonElement>(data.Fit) { ["scaling_factor"] = JsonDocument.Parse("0.001").RootElement.Clone() };
        return new KernelMonitorEngine(data.Monitor, data.Init, fit);
    }

    [Theory]
    [InlineData("iqr_ols")]
    [InlineData("mosum_roc")]
    [InlineData("ccdc_stable_rirls")]
    public void Steps_and_reports_continue_the_monitor_MonitorFactory_Restore_rebuilds(string caseName)
    {
        var data = ConformanceCase.Load(caseName);
        var engine = data.Engine();
        var fitted = engine.Fit(data.TileHistory());
        var model = ModelLayers.FromLayers(fitted.Model);
        var restored = MonitorFactory.Restore(MonitorFactory.Create(data.Monitor, data.Init).Options, model,
            StateLayers.FromLayers(fitted.Monitoring).Copy());

        var monitoring = fitted.Monitoring;
        for (int i = 0; i < 12; i++)
        {
            monitoring = engine.Step(fitted.Model, monitoring, data.Frame(i), data.MonitoringDates[i]).Monitoring;
            restored.Monitor(data.Frame(i), data.MonitoringDates[i]);
        }

        Assert.Equal(StateLayers.ToLayers(restored.State, model), monitoring);
        string[] layers = ["mask", "detection_date", "process"];
        var report = engine.Report(fitted.Model, monitoring, layers);
        var expected = restored.Report(layers, "uint16");
        Assert.Equal(expected.Shape, report.Shape);
        Assert.Equal((ushort[])expected.Data, report.ValuesAs<ushort>());
    }

    /// <summary>A conformance case fitted and stepped through its first <paramref name="days"/> monitoring dates (at most all).</summary>
    private static (ConformanceCase Data, KernelMonitorEngine Engine, FitOutput Fitted, LayerSet Monitoring) Stepped(string caseName, int days)
    {
        var data = ConformanceCase.Load(caseName);
        var engine = data.Engine();
        var fitted = engine.Fit(data.TileHistory());
        var monitoring = fitted.Monitoring;
        for (int i = 0; i < Math.Min(days, data.MonitoringDates.Length); i++)
            monitoring = engine.Step(fitted.Model, monitoring, data.Frame(i), data.MonitoringDates[i]).Monitoring;
        return (data, engine, fitted, monitoring);
    }

    [Fact]
    public void Confidence_and_magnitude_are_state_layers_and_a_state_stored_without_them_starts_at_zero()
    {
        var (data, engine, fitted, monitoring) = Stepped("iqr_ols", 12);

        var state = StateLayers.FromLayers(monitoring);
        Assert.Contains(state.Confidence, c => c != 0);
        Assert.Contains(state.Magnitude, m => m > 1);
        Assert.Equal(monitoring, StateLayers.ToLayers(state, ModelLayers.FromLayers(fitted.Model)));

        // A tile stored before the layers existed: restored with zeros, stepped on, reported.
        var old = new LayerSet(monitoring.Where(l => l.Name is not ("confidence" or "magnitude")));
        Assert.All(StateLayers.FromLayers(old).Confidence, c => Assert.Equal(0, c));
        Assert.All(engine.Report(fitted.Model, old, ["confidence", "magnitude"]).ValuesAs<ushort>(), v => Assert.Equal(0, v));
        var next = engine.Step(fitted.Model, old, data.Frame(12), data.MonitoringDates[12]).Monitoring;
        Assert.NotNull(next.Find("confidence"));
        Assert.Equal(monitoring["mask"].Length, next["magnitude"].Length);
    }

    [Fact]
    public async Task A_tile_report_carries_confidence_and_magnitude_bands_GDAL_reads_back()
    {
        var (data, engine, fitted, monitoring) = Stepped("iqr_ols", int.MaxValue);
        using var temp = new TempFolder();
        string[] layers = ["mask", "detection_date", "confidence", "magnitude"];
        var path = await new GeoTiffTileReportWriter(TileNode.Grid, temp.Path, layers, engine)
            .WriteAsync(Tile, DateOnly.FromDateTime(data.MonitoringDates[^1]), fitted.Model, monitoring, CancellationToken.None);

        using var report = RasterDataset.Open(path);
        Assert.Equal(layers, Enumerable.Range(1, report.BandCount).Select(report.Description));
        var state = StateLayers.FromLayers(monitoring);
        var confidence = report.ReadBand<ushort>(3);
        var magnitude = report.ReadBand<ushort>(4);
        Assert.Equal(state.Confidence.Select(c => (ushort)c), confidence);
        Assert.Equal(state.Magnitude.Select(m => (ushort)Math.Min(Math.Truncate(m * 100.0), ushort.MaxValue)), magnitude);
        // Every break of a counting monitor is confirmed; pixels low and not broken are outlier runs in progress.
        var mask = report.ReadBand<ushort>(1);
        Assert.All(Enumerable.Range(0, mask.Length).Where(i => mask[i] == 3), i => Assert.Equal(2, confidence[i]));
        Assert.Contains(confidence, c => c == 2);
        Assert.All(Enumerable.Range(0, mask.Length).Where(i => confidence[i] != 0), i => Assert.True(magnitude[i] >= 100, $"pixel {i}: magnitude {magnitude[i]}"));
    }

    [Fact]
    public void A_fit_whose_CCDC_RIRLS_screening_removes_most_observations_warns_and_a_well_scaled_one_does_not()
    {
        var data = ConformanceCase.Load("ccdc_stable_rirls");

        Assert.Empty(data.Engine().Fit(data.TileHistory()).Warnings);
        var warning = Assert.Single(MisscaledCcdc(data).Fit(data.TileHistory()).Warnings);
        Assert.Contains("CCDC_RIRLS screening removed", warning);
        Assert.Contains("scaling_factor = 0.001", warning);
    }

    [Fact]
    public async Task A_tile_logs_its_fits_screening_warnings_and_replies_with_them()
    {
        var data = ConformanceCase.Load("ccdc_stable_rirls");
        using var temp = new TempFolder();
        await using var node = TileNode.Start(temp.Path, MisscaledCcdc(data), new CaseObservationSource(data));
        var warnings = WarningListener.Listen(node.System);

        var ack = await node.Ask<FitAck>(new FitTile(Tile, data.HistoryStart, data.HistoryEnd));

        Assert.Equal(AckOutcome.Fitted, ack.Outcome);
        Assert.Contains("; warning: CCDC_RIRLS screening removed", ack.Detail);
        // The warning is logged before the reply is sent; the listener takes it from the event stream a moment later.
        Assert.True(SpinWait.SpinUntil(
            () => warnings.Any(w => w.StartsWith($"Tile {Tile}: fit 1: CCDC_RIRLS screening removed", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10)), $"no screening warning in the log; warnings: {string.Join(" | ", warnings)}");
    }
}
