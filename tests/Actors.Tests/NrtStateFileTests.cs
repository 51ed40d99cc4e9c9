using System.Globalization;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Gdal;
using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Actors.Tests;

/// <summary>
/// The nrt netCDF state layout (<see cref="NrtStateFile"/>) on real files through GDAL: files written by the JRC nrt package's
/// to_netcdf (tests/data/nrt-state, made by the script in its README), and the conformance data written in the same layout.
/// </summary>
public sealed class NrtStateFileTests
{
    private static readonly string Data = RepoRoot.Combine("tests", "data", "nrt-state");

    /// <summary>The tile the files were fitted on: 6 x 8 pixels of 20 m, first pixel centre (500010, 5000010).</summary>
    private static readonly TileCoordinates Where = new(500000, 5000020, 20, 8, 6);

    /// <summary>The options the script fitted each file's monitor with.</summary>
    private static (string Monitor, MonitorOptions Options) Fitted(string name) => name.Split('_')[0] switch
    {
        "ewma" => ("EWMA", new EwmaOptions { Trend = false, HarmonicOrder = 2, Lambda = 0.3, Sensitivity = 2 }),
        "iqr" => ("IQR", new IqrOptions { Trend = false, HarmonicOrder = 2, Sensitivity = 2.5 }),
        _ => ("CuSum", new CuSumOptions { Trend = true, HarmonicOrder = 1, Sensitivity = 0.05, SaveFitStart = true }),
    };

    [Theory]
    [InlineData("ewma_fitted")]
    [InlineData("ewma_monitored")]
    [InlineData("iqr_fitted")]
    [InlineData("iqr_monitored")]
    [InlineData("cusum_fitted")]
    [InlineData("cusum_monitored")]
    public void A_state_nrt_wrote_is_imported_and_exported_unchanged(string name)
    {
        using var temp = new TempFolder();
        var input = Path.Combine(Data, name + ".nc");
        var (monitor, options) = Fitted(name);
        var imported = NrtStateFile.Import(input, monitor, options, Where);
        var output = Path.Combine(temp.Path, "out.nc");
        NrtStateFile.Write(output, imported, Where);

        var expected = NetcdfFile.Read(input);
        var actual = NetcdfFile.Read(output).ToDictionary(v => v.Name);
        Assert.Equal(expected.Select(v => v.Name).Order(), actual.Keys.Order());
        foreach (var want in expected)
        {
            var got = actual[want.Name];
            Assert.Equal(want.Dimensions.ToArray(), got.Dimensions.ToArray());
            Assert.Equal(want.Shape, got.Shape);
            if (want.Dimensions.IsEmpty)
            {
                // Scalars keep their value in the attribute 'value' (the variable itself is left unwritten by nrt).
                Assert.Equal(want.Attributes.Keys.Order(), got.Attributes.Keys.Order());
                foreach (var (key, value) in want.Attributes)
                {
                    // critval is nrt's own root finding's value; ours agrees to 1e-6.
                    Assert.True(value is string s ? s.Equals(got.Attributes[key]) : Close(Number(value), Number(got.Attributes[key])),
                        $"{name}: '{want.Name}' attribute {key} is {value} in nrt's file, {got.Attributes[key]} in ours");
                }
                Assert.Equal(want.ElementType, got.ElementType);
                continue;
            }
            Assert.True(want.ElementType == got.ElementType, $"{name}: '{want.Name}' is {want.ElementType.Name} in nrt's file, {got.ElementType.Name} in ours");
            Assert.Equal(Values(want.Data), Values(got.Data));
        }
    }

    [Theory]
    [InlineData("ewma")]
    [InlineData("iqr")]
    [InlineData("cusum")]
    public void A_state_imported_from_nrt_monitors_the_next_day_as_nrt_did(string name)
    {
        var (monitor, options) = Fitted(name);
        var fitted = NrtStateFile.Import(Path.Combine(Data, name + "_fitted.nc"), monitor, options, Where);
        var day = Npy.Parse<float>(File.ReadAllBytes(Path.Combine(Data, "day.npy")), "day.npy", out _);
        fitted.Monitor(day, new DateTime(2020, 1, 10, 10, 30, 0, DateTimeKind.Utc));

        var nrt = NrtStateFile.Read(Path.Combine(Data, name + "_monitored.nc")).Arrays.ToDictionary(a => a.Name);
        var ours = fitted.ExportState();
        Assert.Equal(nrt.Keys.Order(), ours.Select(l => l.Name).Order());
        foreach (var layer in ours)
        {
            var want = Values(nrt[layer.Name].Data);
            var got = Values(layer.Data);
            for (int i = 0; i < want.Length; i++)
                Assert.True(Close(want[i], got[i]), $"{name} '{layer.Name}'[{i}]: nrt {want[i]}, ours {got[i]}");
        }
        // The day moves the processes: the comparison is not of states left as they were.
        Assert.Contains(Values(nrt["process"].Data), v => v != 0);
    }

    [Theory]
    [InlineData("ewma_roc_fitstart_masked")]
    [InlineData("iqr_ols")]
    [InlineData("cusum_roc")]
    [InlineData("ccdc_stable_plain")]
    public void The_conformance_states_round_trip_through_the_nrt_layout(string caseName)
    {
        var folder = Path.Combine(RepoRoot.ConformanceCases, caseName);
        var data = Support.ConformanceCase.Load(caseName);
        var options = MonitorFactory.Create(data.Monitor, data.Init).Options;
        var arrays = Directory.GetFiles(Path.Combine(folder, "expected", "final"), "*.npy")
            .Select(f => Npy.Parse(File.ReadAllBytes(f), f) with { Name = Path.GetFileNameWithoutExtension(f) }).ToList();
        var monitor = ReferenceState.Restore(options, arrays);
        var where = new TileCoordinates(4000000, 3000000, 20, data.Width, data.Height);
        using var temp = new TempFolder();
        var path = Path.Combine(temp.Path, caseName + ".nc");
        NrtStateFile.Write(path, monitor, where);

        var read = NrtStateFile.Read(path);
        Assert.Equal(ReferenceState.StrategyOf(data.Monitor), read.Strategy);
        Assert.Equal(where.X, read.X);
        var written = read.Arrays.ToDictionary(a => a.Name);
        Assert.Equal(arrays.Select(a => a.Name).Order(), written.Keys.Order());
        foreach (var want in arrays)
        {
            var got = written[want.Name];
            Assert.Equal(want.Shape, got.Shape);
            Assert.True(want.ElementType == got.ElementType, $"'{want.Name}': {want.ElementType.Name} in the case, {got.ElementType.Name} written");
            Assert.Equal(Values(want.Data), Values(got.Data));
        }
    }

    [Fact]
    public void A_fitted_MoSum_is_written_with_its_window_on_a_third_dimension_and_refused_on_import()
    {
        var data = Support.ConformanceCase.Load("mosum_roc");
        var monitor = MonitorFactory.Create(data.Monitor, data.Init, data.Mask);
        monitor.Fit(data.TileHistory().Index, MonitorFactory.FitOptionsFor(monitor, data.Fit));
        var where = new TileCoordinates(4000000, 3000000, 20, data.Width, data.Height);
        using var temp = new TempFolder();
        var path = Path.Combine(temp.Path, "mosum.nc");
        NrtStateFile.Write(path, monitor, where);

        var variables = NetcdfFile.Read(path).ToDictionary(v => v.Name);
        Assert.Equal(["a", "y", "x"], variables["beta"].Dimensions.ToArray());
        Assert.Equal(["b", "y", "x"], variables["window"].Dimensions.ToArray());
        var exported = monitor.ExportState().Single(l => l.Name == "window");
        Assert.Equal(Values(exported.Data), Values(variables["window"].Data));
        var e = Assert.Throws<InvalidDataException>(() => NrtStateFile.Import(path, data.Monitor, monitor.Options, where));
        Assert.Equal("a MoSum state cannot be imported; EWMA, CuSum, IQR and CCDC states can.", e.Message);
    }

    [Fact]
    public void An_import_names_what_differs_from_the_project()
    {
        var ewma = Path.Combine(Data, "ewma_fitted.nc");
        var iqr = Path.Combine(Data, "iqr_fitted.nc");
        var (_, iqrOptions) = Fitted("iqr");

        var e = Assert.Throws<InvalidDataException>(() => NrtStateFile.Import(ewma, "IQR", iqrOptions, Where));
        Assert.Equal("it holds an nrt EWMA monitor but the project monitors with IQR; import a state of an nrt IQR monitor, or change project.monitor.", e.Message);

        e = Assert.Throws<InvalidDataException>(() => NrtStateFile.Import(iqr, "IQR", (IqrOptions)iqrOptions with { Sensitivity = 1.5, HarmonicOrder = 3 }, Where));
        Assert.Equal("it was fitted with other IQR options than the project's: harmonic_order is 2 in the file, 3 in the project; " +
                     "sensitivity is 2.5 in the file, 1.5 in the project. Change project.monitor.options to match, or fit the tile.", e.Message);

        e = Assert.Throws<InvalidDataException>(() => NrtStateFile.Import(iqr, "IQR", iqrOptions, Where with { Width = 10, Height = 10 }));
        Assert.StartsWith("it is 6 x 8 pixels (y x x) but the tile is 10 x 10;", e.Message);

        e = Assert.Throws<InvalidDataException>(() => NrtStateFile.Import(iqr, "IQR", iqrOptions, Where with { Left = 600000 }));
        Assert.StartsWith("its first pixel centre is x 500010, y 5000010 but the tile's x 600010, y 5000010;", e.Message);

        using var temp = new TempFolder();
        var text = Path.Combine(temp.Path, "state.nc");
        File.WriteAllText(text, "not netCDF");
        var g = Assert.Throws<GdalException>(() => NrtStateFile.Import(text, "IQR", iqrOptions, Where));
        Assert.Contains(text, g.Message);
        Assert.Contains("not recognized as a supported file format", g.Message);
    }

    private static double[] Values(Array data) => [.. data.Cast<object>().Select(v => Convert.ToDouble(v, CultureInfo.InvariantCulture))];

    private static bool Close(double want, double got) =>
        (double.IsNaN(want) && double.IsNaN(got)) || Math.Abs(want - got) <= 1e-9 + 1e-6 * Math.Abs(want);

    private static double Number(object value) => Convert.ToDouble(value, CultureInfo.InvariantCulture);
}
