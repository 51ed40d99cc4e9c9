using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Geo.Sentinel2;

/// <summary>
/// One granule (STAC item) of an observation with its band sources as the provider profile resolved them
/// (GDAL path, nodata, GDAL options, and the DN-to-reflectance scaling the profile decided).
/// </summary>
public sealed record ObservationItem(string Id, IReadOnlyDictionary<LogicalBand, BandSource> Bands);

/// <summary>
/// The granules of one solar day. <see cref="Time"/> is the acquisition time the monitoring uses for this date.
/// Items are mosaicked in list order: where several cover a pixel, the first with valid data wins.
/// </summary>
public sealed record ObservationInput(DateOnly SolarDay, DateTimeOffset Time, IReadOnlyList<ObservationItem> Items)
{
    /// <summary>Resolves, with <paramref name="profile"/>, the bands <paramref name="options"/> needs for every item of a STAC observation.</summary>
    public static async Task<ObservationInput> ResolveAsync(ProviderProfile profile, Stac.Observation observation,
        ObservationOptions options, CancellationToken ct = default)
    {
        var items = new List<ObservationItem>(observation.Items.Count);
        foreach (var item in observation.Items)
            items.Add(new ObservationItem(item.Id, await profile.ResolveAllAsync(item, options.RequiredBands, ct).ConfigureAwait(false)));
        return new ObservationInput(observation.SolarDay, observation.AcquisitionTime, items);
    }
}

public enum SpectralIndex
{
    /// <summary>(nir - red) / (nir + red)</summary>
    Ndvi,
    /// <summary>(nir - swir2) / (nir + swir2)</summary>
    Nbr,
    /// <summary>(nir - swir1) / (nir + swir1)</summary>
    Ndmi,
}

/// <summary>How observations are read and screened.</summary>
public sealed record ObservationOptions
{
    public SpectralIndex Index { get; init; } = SpectralIndex.Ndvi;

    /// <summary>SCL classes kept; the default keeps vegetation (4), bare soil (5), water (6) and unclassified (7).</summary>
    public IReadOnlySet<byte> ValidSclClasses { get; init; } = new HashSet<byte> { 4, 5, 6, 7 };

    /// <summary>Also return green and SWIR reflectance (the CCDC screening needs them).</summary>
    public bool IncludeScreeningBands { get; init; }

    /// <summary>The SWIR band returned for screening.</summary>
    public LogicalBand ScreeningSwir { get; init; } = LogicalBand.Swir1;

    /// <summary>Kernel for reflectances; SCL is always warped with nearest.</summary>
    public Resampling ReflectanceResampling { get; init; } = Resampling.Cubic;

    /// <summary>
    /// Tile pixels around every screened-out SCL pixel (cloud, shadow, cirrus, snow: any class outside
    /// <see cref="ValidSclClasses"/> except nodata) that are masked too; null: the reach of
    /// <see cref="ReflectanceResampling"/>, so that no kept pixel carries reflectance the kernel drew from a screened one.
    /// A project sets it with <c>project.buffer</c>.
    /// </summary>
    public int? ScreeningBuffer { get; init; }

    /// <summary>Pixel size of the Sentinel-2 bands the index reads at their coarsest (B8A, B11, B12 and SCL are 20 m).</summary>
    private const double SourcePixelSize = 20;

    /// <summary>The buffer in pixels of <paramref name="tile"/>: <see cref="ScreeningBuffer"/>, or the kernel's reach.</summary>
    internal int ScreeningBufferOn(GeoBox tile)
    {
        if (ScreeningBuffer is { } pixels)
            return pixels >= 0 ? pixels : throw new ArgumentOutOfRangeException(nameof(ScreeningBuffer), pixels, "The screening buffer is a number of pixels, 0 or more.");
        // A warped pixel mixes source pixels less than this many source pixels from its centre.
        double reach = ReflectanceResampling switch
        {
            Resampling.Nearest => 0,
            Resampling.Bilinear or Resampling.Average or Resampling.Mode => 1,
            _ => 2,
        };
        return (int)Math.Ceiling(reach * SourcePixelSize / tile.ResolutionX - 1e-9);
    }

    /// <summary>Concurrent GDAL reads (each on its own dataset handles).</summary>
    public int MaxParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>The bands an observation read needs: the index bands, green and SWIR when screening, and SCL.</summary>
    public IReadOnlyList<LogicalBand> RequiredBands => [.. ReflectanceBands, LogicalBand.Scl];

    /// <summary>The reflectance bands read, index bands first (in the order numerator-first, as the index uses them).</summary>
    internal List<LogicalBand> ReflectanceBands
    {
        get
        {
            var bands = IndexBands.ToList();
            if (IncludeScreeningBands)
                foreach (var extra in (LogicalBand[])[LogicalBand.Green, ScreeningSwir])
                    if (!bands.Contains(extra)) bands.Add(extra);
            return bands;
        }
    }

    internal LogicalBand[] IndexBands => Index switch
    {
        SpectralIndex.Ndvi => [LogicalBand.Nir, LogicalBand.Red],
        SpectralIndex.Nbr => [LogicalBand.Nir, LogicalBand.Swir2],
        SpectralIndex.Ndmi => [LogicalBand.Nir, LogicalBand.Swir1],
        _ => throw new ArgumentOutOfRangeException(nameof(Index), Index, "Unknown spectral index."),
    };
}

/// <summary>One observation on a tile: the index (NaN where masked or missing), and green/SWIR reflectance when asked for.</summary>
public sealed record TileObservation(DateOnly SolarDay, DateTimeOffset Time, float[] Index, float[]? Green, float[]? Swir)
{
    public int ValidPixelCount
    {
        get
        {
            var n = 0;
            foreach (var v in Index) if (!float.IsNaN(v)) n++;
            return n;
        }
    }
}

/// <summary>An asset of an observation could not be read; names the item, band and GDAL path.</summary>
public sealed class ObservationReadException(string itemId, LogicalBand band, string gdalPath, DateOnly solarDay, Exception inner)
    : Exception($"Observation {solarDay:yyyy-MM-dd}, item '{itemId}', band {band.ToString().ToLowerInvariant()}: cannot read asset '{gdalPath}': {inner.Message}", inner)
{
    public string ItemId { get; } = itemId;
    public LogicalBand Band { get; } = band;
    public string GdalPath { get; } = gdalPath;
}
