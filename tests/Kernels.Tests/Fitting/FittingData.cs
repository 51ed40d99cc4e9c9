using System.Globalization;
using System.Text.Json;
using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Kernels.Tests.Fitting;

/// <summary>Reads the conformance data under tests/data/conformance (golden CSVs, case folders with .npy arrays).</summary>
internal static class FittingData
{
    public static string Golden(string name) => RepoRoot.Combine("tests", "data", "conformance", "golden", name);

    public static string Case(string name) => Path.Combine(RepoRoot.ConformanceCases, name);

    /// <summary>Rows of a headerless numeric CSV; "NA" and "nan" are NaN.</summary>
    public static double[][] Csv(string path) => File.ReadAllLines(path)
        .Where(l => l.Trim().Length > 0)
        .Select(l => l.Split(',').Select(v => v.Trim()).Select(v => v is "NA" or "nan" ? double.NaN : double.Parse(v, CultureInfo.InvariantCulture)).ToArray())
        .ToArray();

    /// <summary>A case array in double, whatever its dtype: the tests compare in double.</summary>
    public static (int[] Shape, double[] Data) ReadNpy(string path)
    {
        var layer = Npy.Parse(File.ReadAllBytes(path), path);
        var data = new double[layer.Data.Length];
        for (int i = 0; i < data.Length; i++) data[i] = Convert.ToDouble(layer.Data.GetValue(i), CultureInfo.InvariantCulture);
        return (layer.Shape, data);
    }

    /// <summary>A conformance case's history, mask and fit settings.</summary>
    public sealed record FitCase(string Name, string Monitor, HistoryCube History, byte[] Mask, bool Trend, int Order, FitOptions Options,
        HistoryCube? Green, HistoryCube? Swir);

    public static FitCase LoadCase(string name)
    {
        string dir = Case(name);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "case.json")));
        var root = doc.RootElement;
        string monitor = root.GetProperty("monitor").GetString()!;
        var init = root.GetProperty("init");
        bool trend = !init.TryGetProperty("trend", out var tr) || tr.GetBoolean();
        int order = init.TryGetProperty("harmonic_order", out var ho) ? ho.GetInt32() : monitor == "IQR" ? 3 : 2;
        var fit = root.GetProperty("fit").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        // The monitor's own fit defaults (e.g. EWMA's Shewhart screening) where case.json does not name them.
        var initOptions = init.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        var options = MonitorFactory.FitOptionsFor(MonitorFactory.Create(monitor, initOptions), fit);
        var dates = root.GetProperty("history_dates").EnumerateArray()
            .Select(d => DateTime.Parse(d.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal))
            .ToArray();
        HistoryCube Cube(string file)
        {
            var npy = ReadNpy(Path.Combine(dir, file));
            return new HistoryCube(npy.Data.Select(v => (float)v).ToArray(), dates, npy.Shape[1], npy.Shape[2]);
        }
        var history = Cube("history.npy");
        byte[] mask = root.GetProperty("has_mask").GetBoolean()
            ? ReadNpy(Path.Combine(dir, "mask.npy")).Data.Select(v => (byte)v).ToArray()
            : Enumerable.Repeat(MaskCodes.Monitored, history.Pixels).ToArray();
        bool greenSwir = root.GetProperty("green_swir").GetBoolean();
        return new FitCase(name, monitor, history, mask, trend, order, options,
            greenSwir ? Cube("green.npy") : null, greenSwir ? Cube("swir.npy") : null);
    }

    /// <summary>Keeps every pixel's residual row.</summary>
    public sealed class ArraySink(int pixels, int times) : IResidualSink
    {
        public float[] Residuals { get; } = new float[pixels * times];
        public int[] Calls { get; } = new int[pixels];

        public void Accept(int pixel, ReadOnlySpan<float> residuals)
        {
            residuals.CopyTo(Residuals.AsSpan(pixel * times, times));
            Interlocked.Increment(ref Calls[pixel]);
        }

        public ReadOnlySpan<float> Row(int pixel) => Residuals.AsSpan(pixel * times, times);
    }
}
