using System.Collections.Immutable;
using System.Text.Json;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Sentinel2;
using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Actors.Config;

public enum ForestMaskSource
{
    /// <summary>Every pixel is monitored.</summary>
    None,
    /// <summary>A raster the user supplies, warped and thresholded.</summary>
    Raster,
    /// <summary>A rule on the fitted history (NDVI intercept and SWIR intercept thresholds).</summary>
    Rule,
}

/// <summary>The area of interest in lon/lat: a bounding box or a GeoJSON file (exactly one).</summary>
public sealed record AreaOfInterest(ImmutableArray<double>? Bbox, string? GeoJsonPath);

/// <summary>Where items come from: a STAC API or a static catalog (exactly one).</summary>
public sealed record StacSettings(string? ApiUrl, string? Catalog, string Collection, string Provider, double? MaxCloudCover);

/// <summary>The monitor and its fit, with options by the reference (nrt) names, as the kernels take them.</summary>
public sealed record MonitorSettings(
    string Name,
    IReadOnlyDictionary<string, JsonElement> Options,
    IReadOnlyDictionary<string, JsonElement> Fit)
{
    /// <summary>Key <c>monitor.haze-gate</c>: on by default (<see cref="HazeGate.Default"/>); off for reference-identical monitoring.</summary>
    public HazeGate HazeGate { get; init; } = HazeGate.Default;
}

/// <param name="RasterThreshold">Forest where the raster's value is above it; null: a 0/1 mask is forest where 1, any other raster
/// is percent tree cover, forest above 30 (see <see cref="Geo.Tiles.TileRasters.ReadForestMask"/>).</param>
public sealed record ForestMaskSettings(ForestMaskSource Source, string? RasterPath, double? RasterThreshold, double NdviMin, double SwirMax);

/// <summary>A validated project file (see hocon/project.example.conf for every key). Paths are absolute.</summary>
public sealed record ProjectConfig(
    string Name,
    ProcessingGrid Grid,
    AreaOfInterest Area,
    StacSettings Stac,
    SpectralIndex Index,
    ImmutableArray<byte> SclKeep,
    MonitorSettings Monitor,
    DateOnly HistoryStart,
    DateOnly HistoryEnd,
    ForestMaskSettings ForestMask,
    string OutputFolder,
    ImmutableArray<string> ReportLayers,
    TimeSpan PollInterval,
    TimeSpan SettleDelay)
{
    /// <summary>Pixels masked around every screened SCL pixel (key <c>buffer</c>); null: the resampling kernel's reach.</summary>
    public int? ScreeningBuffer { get; init; }

    /// <summary>Touching break pixels whose detection dates differ by at most this many days form one alert patch (key <c>output.patch-window-days</c>).</summary>
    public int PatchWindowDays { get; init; } = Geo.Patches.PatchGrouping.DefaultWindowDays;

    public IMonitorEngine CreateEngine() => new KernelMonitorEngine(Monitor.Name, Monitor.Options, Monitor.Fit, Monitor.HazeGate);
}

/// <summary>One problem of a project file: the key and what is expected there.</summary>
public sealed record ConfigError(string Key, string Message)
{
    public override string ToString() => $"{Key}: {Message}";
}

/// <summary>A project file with errors; <see cref="Exception.Message"/> lists every one of them.</summary>
public sealed class ProjectConfigException(string source, IReadOnlyList<ConfigError> errors)
    : Exception($"{source} has {errors.Count} error(s):\n" + string.Join("\n", errors.Select(e => "  " + e)))
{
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}
