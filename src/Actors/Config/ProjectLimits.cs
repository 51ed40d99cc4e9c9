using System.Globalization;
using NrtCluster.Geo.Gdal;

namespace NrtCluster.Actors.Config;

/// <summary>
/// What a project may ask of one machine, checked when its file is loaded (so by validate and before any job starts): the
/// number of tiles the area spans, counted from its bounds on the grid (never listed first: a world area in 20 m tiles of
/// one pixel would take hours to list), and the memory one tile's fit needs against half the memory this process may use (a
/// job fits two tiles or more at once: <c>nrtcluster.jobs.parallelism</c>, by default the cores and at least 2).
/// </summary>
public static class ProjectLimits
{
    /// <summary>Tiles per project: every tile is an entity the status, the shards and the jobs go through one by one.</summary>
    public const long MaxTiles = 100_000;

    /// <summary>Days between acquisitions in the estimate: Sentinel-2A and B revisit every 5 days (more often where orbits overlap).</summary>
    private const int RevisitDays = 5;

    /// <summary>The model and monitoring layers a pixel keeps (coefficients, residual statistics, dates, mask), rounded up.</summary>
    private const int ModelBytesPerPixel = 64;

    /// <summary>What this process may use (the container's limit, when there is one).</summary>
    public static long AvailableMemory => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>The limits <paramref name="config"/> exceeds on a machine offering <paramref name="availableBytes"/>, each naming its key and what would fit.</summary>
    public static IReadOnlyList<ConfigError> Check(ProjectConfig config, long availableBytes)
    {
        var errors = new List<ConfigError>();
        var grid = config.Grid;
        var bytesPerPixel = BytesPerPixel(config, out var dates, out var layers);
        var perTile = availableBytes / 2.0;
        var largestTile = (int)Math.Min(100_000, Math.Floor(Math.Sqrt(perTile / bytesPerPixel)));
        if (Bytes(grid.TileSize, bytesPerPixel) > perTile)
            errors.Add(new ConfigError("project.grid.tile-size",
                $"a tile of {grid.TileSize} x {grid.TileSize} px needs about {Size(Bytes(grid.TileSize, bytesPerPixel))} to fit, more than half the " +
                $"{Size(availableBytes)} this machine offers, as a job fits two tiles at once (an estimate: {dates} history dates, one every {RevisitDays} days from " +
                $"{config.HistoryStart:yyyy-MM-dd} to {config.HistoryEnd:yyyy-MM-dd}, x {layers} band(s) x 4 bytes a pixel, held twice while the " +
                $"history is stacked, plus {ModelBytesPerPixel} bytes a pixel of model and monitoring layers); " +
                $"use tile-size = {largestTile} or less (about {Size(Bytes(largestTile, bytesPerPixel))} a tile), or a shorter project.history"));

        NetTopologySuite.Geometries.Envelope bounds;
        try
        {
            bounds = grid.GridBounds(config.AreaLonLat());
        }
        catch (Exception e) when (e is GdalException or ArgumentException)
        {
            errors.Add(new ConfigError("project.area-of-interest", $"cannot be placed on project.grid.crs {grid.Crs}: {e.Message}"));
            return errors;
        }
        var (columns, rows) = grid.TileSpan(bounds);
        if (columns * rows > MaxTiles)
        {
            // The smallest tile size that brings the count under the limit: the count falls as the square of the size.
            var size = (int)Math.Min(int.MaxValue, Math.Ceiling(grid.TileSize * Math.Sqrt(columns * (double)rows / MaxTiles)));
            while (Count(grid with { TileSize = size }, bounds) > MaxTiles) size++;
            var fix = size <= largestTile
                ? $"raise project.grid.tile-size to at least {size}, or make the area smaller"
                : $"make the area smaller or split it into several projects (tiles of {size} px would be needed, more than the {largestTile} px this machine can fit)";
            errors.Add(new ConfigError("project.area-of-interest", string.Create(CultureInfo.InvariantCulture,
                $"spans {columns} x {rows} = {columns * rows} tiles of {grid.TileSize} px on the grid, " +
                $"more than the {MaxTiles} a project can have; {fix}")));
        }
        return errors;
    }

    private static long Count(Geo.Grid.ProcessingGrid grid, NetTopologySuite.Geometries.Envelope bounds)
    {
        var (columns, rows) = grid.TileSpan(bounds);
        return columns * rows;
    }

    /// <summary>The estimated bytes a tile's fit needs per pixel: the stacked history (twice, while stacked) and the model.</summary>
    private static long BytesPerPixel(ProjectConfig config, out int dates, out int layers)
    {
        dates = Math.Max(1, (config.HistoryEnd.DayNumber - config.HistoryStart.DayNumber) / RevisitDays + 1);
        layers = config.NeedsScreeningBands() ? 3 : 1;
        return (long)dates * layers * 4 * 2 + ModelBytesPerPixel;
    }

    private static double Bytes(int tileSize, long bytesPerPixel) => (double)tileSize * tileSize * bytesPerPixel;

    private static string Size(double bytes)
    {
        var (value, unit) = bytes >= 1L << 40 ? (bytes / (1L << 40), "TiB") : bytes >= 1L << 30 ? (bytes / (1L << 30), "GiB") : (bytes / (1L << 20), "MiB");
        return $"{value.ToString(unit == "MiB" ? "0" : "0.#", CultureInfo.InvariantCulture)} {unit}";
    }
}
