using System.Globalization;
using System.Text.Json;
using NrtCluster.Kernels;
using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Host.Conformance;

/// <summary>
/// One conformance case folder (conformance/README.md): case.json and the input arrays. Never reads expected/.
/// </summary>
public sealed class ConformanceCase
{
    public required string Directory { get; init; }
    public required string Name { get; init; }
    public required string Monitor { get; init; }
    public required IReadOnlyDictionary<string, JsonElement> Init { get; init; }
    public required IReadOnlyDictionary<string, JsonElement> Fit { get; init; }
    public required HistoryCube History { get; init; }
    /// <summary>T_m x H x W, fed one date at a time.</summary>
    public required float[] Monitoring { get; init; }
    public required DateTime[] MonitoringDates { get; init; }
    public byte[]? Mask { get; init; }
    public HistoryCube? Green { get; init; }
    public HistoryCube? Swir { get; init; }
    public required double[] X { get; init; }
    public required double[] Y { get; init; }
    public required IReadOnlyDictionary<string, JsonElement> Scalars { get; init; }

    public int Height => History.Height;
    public int Width => History.Width;
    public int Pixels => History.Pixels;

    public static ConformanceCase Load(string directory)
    {
        var jsonPath = Path.Combine(directory, "case.json");
        if (!File.Exists(jsonPath))
        {
            throw new FileNotFoundException($"{directory} is not a conformance case: it has no case.json (see conformance/README.md).", jsonPath);
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(jsonPath));
        var root = doc.RootElement.Clone();
        var historyDates = Dates(root, "history_dates", jsonPath);
        var monitoringDates = Dates(root, "monitoring_dates", jsonPath);
        var history = Cube(directory, "history.npy", historyDates);
        var monitoring = NpyFile.Read<float>(Path.Combine(directory, "monitoring.npy"), out var mshape);
        if (mshape.Length != 3 || mshape[0] != monitoringDates.Length || mshape[1] != history.Height || mshape[2] != history.Width)
        {
            throw new InvalidDataException(
                $"{directory}/monitoring.npy has shape ({string.Join(", ", mshape)}); expected ({monitoringDates.Length}, {history.Height}, {history.Width}) from case.json and history.npy.");
        }
        byte[]? mask = null;
        if (Flag(root, "has_mask"))
        {
            mask = NpyFile.Read<byte>(Path.Combine(directory, "mask.npy"), out var kshape);
            if (kshape.Length != 2 || kshape[0] != history.Height || kshape[1] != history.Width)
            {
                throw new InvalidDataException($"{directory}/mask.npy has shape ({string.Join(", ", kshape)}); expected ({history.Height}, {history.Width}).");
            }
        }
        HistoryCube? green = null, swir = null;
        if (Flag(root, "green_swir"))
        {
            green = Cube(directory, "green.npy", historyDates);
            swir = Cube(directory, "swir.npy", historyDates);
        }
        return new ConformanceCase
        {
            Directory = directory,
            Name = root.TryGetProperty("name", out var n) ? n.GetString() ?? Path.GetFileName(directory) : Path.GetFileName(directory),
            Monitor = Required(root, "monitor", jsonPath).GetString()
                ?? throw new InvalidDataException($"{jsonPath}: 'monitor' must be a string."),
            Init = Object(root, "init"),
            Fit = Object(root, "fit"),
            History = history,
            Monitoring = monitoring,
            MonitoringDates = monitoringDates,
            Mask = mask,
            Green = green,
            Swir = swir,
            X = Numbers(root, "x", jsonPath),
            Y = Numbers(root, "y", jsonPath),
            Scalars = Object(root, "scalars"),
        };
    }

    /// <summary>The top-left <paramref name="rows"/> x <paramref name="cols"/> pixels of this case (for warm-up).</summary>
    public ConformanceCase Slice(int rows, int cols)
    {
        rows = Math.Min(rows, Height);
        cols = Math.Min(cols, Width);
        return new ConformanceCase
        {
            Directory = Directory,
            Name = Name + $"[{rows}x{cols}]",
            Monitor = Monitor,
            Init = Init,
            Fit = Fit,
            History = SliceCube(History, rows, cols),
            Monitoring = SliceValues(Monitoring, MonitoringDates.Length, Height, Width, rows, cols),
            MonitoringDates = MonitoringDates,
            Mask = Mask is null ? null : SliceValues(Mask, 1, Height, Width, rows, cols),
            Green = Green is null ? null : SliceCube(Green, rows, cols),
            Swir = Swir is null ? null : SliceCube(Swir, rows, cols),
            X = X[..cols],
            Y = Y[..rows],
            Scalars = Scalars,
        };
    }

    private static HistoryCube SliceCube(HistoryCube cube, int rows, int cols) =>
        new(SliceValues(cube.Values.ToArray(), cube.Times, cube.Height, cube.Width, rows, cols), cube.Dates, rows, cols);

    private static T[] SliceValues<T>(T[] values, int times, int height, int width, int rows, int cols)
    {
        var result = new T[times * rows * cols];
        for (int t = 0; t < times; t++)
        {
            for (int r = 0; r < rows; r++)
            {
                Array.Copy(values, (t * height + r) * width, result, (t * rows + r) * cols, cols);
            }
        }
        return result;
    }

    private static HistoryCube Cube(string directory, string file, DateTime[] dates)
    {
        var path = Path.Combine(directory, file);
        var values = NpyFile.Read<float>(path, out var shape);
        if (shape.Length != 3 || shape[0] != dates.Length)
        {
            throw new InvalidDataException($"{path} has shape ({string.Join(", ", shape)}); expected ({dates.Length}, H, W) from case.json's history_dates.");
        }
        return new HistoryCube(values, dates, shape[1], shape[2]);
    }

    private static JsonElement Required(JsonElement root, string key, string path) =>
        root.TryGetProperty(key, out var v) ? v : throw new InvalidDataException($"{path} has no '{key}' (see conformance/README.md).");

    private static bool Flag(JsonElement root, string key) =>
        root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.True;

    private static Dictionary<string, JsonElement> Object(JsonElement root, string key)
    {
        var result = new Dictionary<string, JsonElement>();
        if (root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in v.EnumerateObject()) result[p.Name] = p.Value;
        }
        return result;
    }

    private static double[] Numbers(JsonElement root, string key, string path) =>
        Required(root, key, path).EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static DateTime[] Dates(JsonElement root, string key, string path) =>
        Required(root, key, path).EnumerateArray().Select(e =>
        {
            var text = e.GetString() ?? throw new InvalidDataException($"{path}: '{key}' must hold ISO 8601 strings.");
            if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d))
            {
                throw new InvalidDataException($"{path}: '{text}' in '{key}' is not an ISO 8601 date.");
            }
            return DateTime.SpecifyKind(d, DateTimeKind.Utc);
        }).ToArray();
}
