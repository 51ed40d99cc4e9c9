using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using NrtCluster.Actors.Tiles;
using NrtCluster.Kernels.Monitors;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tests.Support;

/// <summary>A conformance case (tests/data/conformance/cases/NAME) as a tile: its history and its monitoring dates as solar days.</summary>
public sealed class ConformanceCase
{
    private ConformanceCase(string dir)
    {
        Directory = dir;
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "case.json")));
        var root = doc.RootElement;
        Monitor = root.GetProperty("monitor").GetString()!;
        Init = root.GetProperty("init").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        Fit = root.GetProperty("fit").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        HistoryDates = [.. root.GetProperty("history_dates").EnumerateArray().Select(ParseDate)];
        MonitoringDates = [.. root.GetProperty("monitoring_dates").EnumerateArray().Select(ParseDate)];

        var history = Read<float>(Path.Combine(dir, "history.npy"), out var shape);
        Height = shape[1];
        Width = shape[2];
        History = history;
        Monitoring = Read<float>(Path.Combine(dir, "monitoring.npy"), out _);
        string mask = Path.Combine(dir, "mask.npy");
        Mask = File.Exists(mask) ? Read<byte>(mask, out _) : null;
        string green = Path.Combine(dir, "green.npy"), swir = Path.Combine(dir, "swir.npy");
        Green = File.Exists(green) ? Read<float>(green, out _) : null;
        Swir = File.Exists(swir) ? Read<float>(swir, out _) : null;
    }

    public string Directory { get; }
    public string Monitor { get; }
    public Dictionary<string, JsonElement> Init { get; }
    public Dictionary<string, JsonElement> Fit { get; }
    public ImmutableArray<DateTime> HistoryDates { get; }
    public ImmutableArray<DateTime> MonitoringDates { get; }
    public int Height { get; }
    public int Width { get; }
    public float[] History { get; }
    public float[] Monitoring { get; }
    public byte[]? Mask { get; }
    public float[]? Green { get; }
    public float[]? Swir { get; }

    public int Pixels => Height * Width;

    public static ConformanceCase Load(string name) => new(Path.Combine(RepoRoot.ConformanceCases, name));

    public KernelMonitorEngine Engine() => new(Monitor, Init, Fit);

    public TileHistory TileHistory() => Tiles.TileHistory.Of(Height, Width, [.. HistoryDates], History, Mask, Green, Swir);

    public DateOnly HistoryStart => DateOnly.FromDateTime(HistoryDates[0]);
    public DateOnly HistoryEnd => DateOnly.FromDateTime(HistoryDates[^1]);

    public float[] Frame(int index) => Monitoring.AsSpan(index * Pixels, Pixels).ToArray();

    public ObserveDay Observation(TileId tile, int index)
    {
        var date = MonitoringDates[index];
        string id = $"S2_{date:yyyyMMddTHHmmss}";
        return new ObserveDay(tile, DateOnly.FromDateTime(date), date, [new ItemRef(id, $"https://stac.test/items/{id}")]);
    }

    private static DateTime ParseDate(JsonElement e) =>
        DateTime.SpecifyKind(DateTime.Parse(e.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal), DateTimeKind.Utc);

    private static T[] Read<T>(string path, out int[] shape) where T : unmanaged => Npy.Parse<T>(File.ReadAllBytes(path), path, out shape);
}

public static class RepoPaths
{
    public static string HoconFolder => Path.Combine(AppContext.BaseDirectory, "hocon");
}
