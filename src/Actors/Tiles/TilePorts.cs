using System.Collections.Immutable;
using NrtCluster.Actors.State;
using NrtCluster.Kernels;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tiles;

/// <summary>
/// What a tile's fit reads: the vegetation-index history (the kernels' T x H x W cube, NaN = no observation), the forest
/// mask (1 = monitor; none: every pixel) and, for CCDC_RIRLS screening, the green and SWIR reflectance cubes on the same dates.
/// </summary>
public sealed record TileHistory(HistoryCube Index, byte[]? ForestMask = null, HistoryCube? Green = null, HistoryCube? Swir = null)
{
    public int Height => Index.Height;
    public int Width => Index.Width;
    public int Pixels => Index.Pixels;
    public DateTime[] Dates => Index.Dates;

    /// <summary>Checks the shapes agree, naming the part that does not.</summary>
    public void Validate()
    {
        if (Height <= 0 || Width <= 0) throw new ArgumentException($"History: tile shape {Height} x {Width} must be positive.");
        long expected = (long)Dates.Length * Pixels;
        if (Index.Values.Length != expected)
            throw new ArgumentException($"History: {Dates.Length} dates x {Height} x {Width} needs {expected} values, got {Index.Values.Length}.");
        if (ForestMask is not null && ForestMask.Length != Pixels)
            throw new ArgumentException($"History: forest mask has {ForestMask.Length} pixels, the tile {Pixels}.");
        foreach (var (band, cube) in new[] { ("green", Green), ("swir", Swir) })
        {
            if (cube is not null && (cube.Values.Length != expected || cube.Height != Height || cube.Width != Width || !cube.Dates.SequenceEqual(Dates)))
                throw new ArgumentException($"History: {band} has {cube.Dates.Length} dates x {cube.Height} x {cube.Width} values, the index {Dates.Length} x {Height} x {Width} on its dates.");
        }
        for (int i = 1; i < Dates.Length; i++)
            if (Dates[i] < Dates[i - 1])
                throw new ArgumentException($"History: dates must be in time order; {Dates[i]:O} follows {Dates[i - 1]:O}.");
    }

    /// <summary>
    /// A history from flat T x H x W arrays on <paramref name="dates"/> (row-major frames, one after the other); the arrays
    /// are shared, not copied.
    /// </summary>
    public static TileHistory Of(int height, int width, DateTime[] dates, float[] index, byte[]? forestMask = null, float[]? green = null, float[]? swir = null)
    {
        HistoryCube? Cube(float[]? values) => values is null ? null : new HistoryCube(values, dates, height, width);
        return new TileHistory(Cube(index)!, forestMask, Cube(green), Cube(swir));
    }
}

/// <summary>Fitted model and the monitoring state it starts from.</summary>
public sealed record FitOutput(LayerSet Model, LayerSet Monitoring)
{
    /// <summary>What the fit warns of (e.g. CCDC_RIRLS screening removed most observations): for the tile's log and its fit's reply.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// A monitor with its options (IQR, EWMA, CuSum, MoSum, CCDC over a fit method), seen as pure functions over
/// named layers. The monitoring state must hold <c>mask</c> (uint8, H x W) and <c>detection_date</c> (uint16, H x W).
/// Implementations never modify their inputs and are deterministic: the same inputs give byte-identical outputs,
/// which is what lets a recovered tile continue exactly as an uninterrupted one.
/// </summary>
public interface IMonitorEngine
{
    /// <summary>Monitor and options in words, recorded with every fit.</summary>
    string Description { get; }

    FitOutput Fit(TileHistory history);

    /// <summary>One monitoring step: <paramref name="observation"/> is H x W, NaN = no observation.</summary>
    StepOutput Step(LayerSet model, LayerSet monitoring, ReadOnlySpan<float> observation, DateTime acquiredUtc);

    /// <summary>
    /// The tile report of this state (spec 5): the named <paramref name="layers"/> (mask, detection_date, process), stacked
    /// into one uint16 layer of layers x H x W, values truncated and saturated, NaN as 0.
    /// </summary>
    Layer Report(LayerSet model, LayerSet monitoring, IReadOnlyList<string> layers);

    /// <summary>Writes the fitted monitor to <paramref name="path"/> as nrt's <c>to_netcdf</c> does (<see cref="NrtStateFile"/>).</summary>
    void WriteNrtState(string path, LayerSet model, LayerSet monitoring, TileCoordinates where);

    /// <summary>
    /// The model and monitoring state held by a file written by nrt's <c>to_netcdf</c>, checked to be this engine's monitor
    /// and options on the tile <paramref name="where"/> (<see cref="InvalidDataException"/> naming what differs).
    /// </summary>
    FitOutput ReadNrtState(string path, TileCoordinates where);
}

/// <summary>A monitoring step's new state, and what the haze gate set aside on it.</summary>
public sealed record StepOutput(LayerSet Monitoring, Kernels.Monitors.HazeGateStep Gate);

/// <summary>Where a tile reads its own pixels; the GDAL/STAC implementation lives outside the actors.</summary>
public interface IObservationSource
{
    Task<TileHistory> LoadHistoryAsync(TileId tile, DateOnly start, DateOnly end, CancellationToken cancellationToken);

    /// <summary>
    /// The solar day's index values, H x W, mosaicked from the items (first valid pixel wins), and the items left out
    /// because they cannot be read. Throws when the day cannot be loaded; <see cref="Geo.Sentinel2.InputFailure"/> tells
    /// whether trying again could help.
    /// </summary>
    Task<ObservationLoad> LoadObservationAsync(TileId tile, DateOnly day, DateTime acquiredUtc, IReadOnlyList<ItemRef> items, CancellationToken cancellationToken);

    /// <summary>
    /// A forest mask raster on the tile, H x W, 1 = forest, read as the fit reads the project's (<see cref="UpdateMask"/>);
    /// <paramref name="rasterPath"/> null: every pixel is forest. Sources that cannot place a raster on the tile refuse.
    /// </summary>
    Task<byte[]> LoadForestMaskAsync(TileId tile, string? rasterPath, double? threshold, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"Tile {tile}: this node's observation source ({GetType().Name}) cannot read forest masks.");
}

/// <summary>A solar day's index values (H x W, NaN = no observation) and the items it was loaded without.</summary>
public sealed record ObservationLoad(float[] Values, ImmutableArray<LeftOutItem> LeftOut)
{
    public ObservationLoad(float[] values) : this(values, []) { }
}

/// <summary>Writes a tile's report (GeoTIFF) to a temporary file and renames it into place; returns the final path.</summary>
public interface ITileReportWriter
{
    /// <summary>Where the tile's report is (or will be) written.</summary>
    string PathFor(TileId tile);


    Task<string> WriteAsync(TileId tile, DateOnly day, LayerSet model, LayerSet monitoring, CancellationToken cancellationToken);
}
