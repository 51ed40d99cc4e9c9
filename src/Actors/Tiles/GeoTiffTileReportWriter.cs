using NrtCluster.Actors.State;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Patches;

namespace NrtCluster.Actors.Tiles;

/// <summary>
/// Writes a tile's report as a uint16 Cloud-Optimised GeoTIFF on the tile's geobox, one band per requested layer
/// (mask, detection_date, process, confidence, magnitude; band descriptions set), at <c>OUTPUT/tiles/TILE/report.tif</c>.
/// The kernels build the layers (spec 5) from the persisted state; GDAL writes through a temporary file and a rename.
/// Right after, when the report has detection_date, the tile's alert patches go to <c>patches.geojson</c> beside it
/// (<see cref="PatchFile"/>), so they follow every new day.
/// </summary>
public sealed class GeoTiffTileReportWriter : ITileReportWriter
{
    private readonly ProcessingGrid _grid;
    private readonly string _outputFolder;
    private readonly IReadOnlyList<string> _layers;
    private readonly IMonitorEngine _engine;
    private readonly int _patchWindowDays;

    /// <param name="patchWindowDays">Touching break pixels whose dates differ by at most this many days are one patch.</param>
    public GeoTiffTileReportWriter(ProcessingGrid grid, string outputFolder, IReadOnlyList<string> layers, IMonitorEngine engine,
        int patchWindowDays = PatchGrouping.DefaultWindowDays)
    {
        if (layers.Count == 0) throw new ArgumentException("A report needs at least one layer (mask, detection_date, process, confidence, magnitude).", nameof(layers));
        _grid = grid;
        _outputFolder = outputFolder;
        _layers = layers;
        _engine = engine;
        _patchWindowDays = patchWindowDays;
    }

    /// <summary>The folder holding every tile's report folder: <c>OUTPUT/tiles</c>.</summary>
    public string Folder => Path.Combine(_outputFolder, "tiles");

    public string PathFor(TileId tile) => Path.Combine(Folder, tile.ToString(), "report.tif");

    public Task<string> WriteAsync(TileId tile, DateOnly day, LayerSet model, LayerSet monitoring, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            var box = _grid.TileGeoBox(tile);
            var report = _engine.Report(model, monitoring, _layers);
            var values = report.ValuesAs<ushort>();
            int pixels = report.Shape[1] * report.Shape[2];
            if (pixels != box.PixelCount)
                throw new InvalidOperationException(
                    $"Tile {tile}: the state is {report.Shape[1]} x {report.Shape[2]} pixels but the grid's tiles are {box.Width} x {box.Height}; grid.tile-size must match the fitted tiles.");
            var bands = _layers.Select((name, i) => (name, (Array)values.AsSpan(i * pixels, pixels).ToArray())).ToList();
            string path = PathFor(tile);
            GeoTiffWriter.Write(path, box, bands, RasterDataType.UInt16, nodata: null, cog: true, classes: true);
            ushort[]? Band(string name) => bands.FirstOrDefault(b => b.name == name).Item2 as ushort[];
            if (Band(BreakPixels.DateBand) is { } dates)
                PatchFile.Write(Path.Combine(Path.GetDirectoryName(path)!, PatchFile.FileName),
                    new BreakPixels(tile.ToString(), box, dates, Band(BreakPixels.ConfidenceBand), Band(BreakPixels.MagnitudeBand)), _patchWindowDays);
            return path;
        }, cancellationToken);
}
