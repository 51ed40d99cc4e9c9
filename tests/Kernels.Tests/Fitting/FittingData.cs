using System.Globalization;
using System.Text;
using System.Text.Json;

namespace NrtCluster.Kernels.Tests.Fitting;

/// <summary>Reads the conformance data under tests/data/conformance (golden CSVs, case folders with .npy arrays).</summary>
internal static class FittingData
{
    public static string Root { get; } = FindRoot();

    public static string Golden(string name) => Path.Combine(Root, "tests", "data", "conformance", "golden", name);

    public static string Case(string name) => Path.Combine(Root, "tests", "data", "conformance", "cases", name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NrtCluster.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No NrtCluster.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>Rows of a headerless numeric CSV; "NA" and "nan" are NaN.</summary>
    public static double[][] Csv(string path) => File.ReadAllLines(path)
        .Where(l => l.Trim().Length > 0)
        .Select(l => l.Split(',').Select(v => v.Trim()).Select(v => v is "NA" or "nan" ? double.NaN : double.Parse(v, CultureInfo.InvariantCulture)).ToArray())
        .ToArray();

    public sealed record Npy(int[] Shape, double[] Data);

    /// <summary>Test-only reader for the little-endian C-order .npy v1 files of the cases (f4, f8, u1, u2, i2, i4).</summary>
    public static Npy ReadNpy(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            throw new InvalidDataException($"{path} is not a .npy file.");
        int headerLength = BitConverter.ToUInt16(bytes, 8);
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        string descr = header.Split("'descr':")[1].Split('\'')[1];
        if (header.Contains("'fortran_order': True"))
            throw new InvalidDataException($"{path} is Fortran ordered.");
        string shapeText = header.Split("'shape':")[1].Split('(')[1].Split(')')[0];
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        int count = shape.Aggregate(1, (a, b) => a * b);
        int offset = 10 + headerLength;
        var data = new double[count];
        for (int i = 0; i < count; i++)
        {
            data[i] = descr switch
            {
                "<f4" => BitConverter.ToSingle(bytes, offset + 4 * i),
                "<f8" => BitConverter.ToDouble(bytes, offset + 8 * i),
                "|u1" => bytes[offset + i],
                "<u2" => BitConverter.ToUInt16(bytes, offset + 2 * i),
                "<i2" => BitConverter.ToInt16(bytes, offset + 2 * i),
                "<i4" => BitConverter.ToInt32(bytes, offset + 4 * i),
                _ => throw new InvalidDataException($"{path}: dtype {descr} not handled by the test reader."),
            };
        }
        return new Npy(shape, data);
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
        var options = FitOptions.FromReference(fit);
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
