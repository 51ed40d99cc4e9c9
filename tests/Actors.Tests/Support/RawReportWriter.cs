using NrtCluster.Actors.State;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tests.Support;

/// <summary>
/// Writes the mask and detection_date layers as raw bytes to OUT/tiles/TILE/report.bin through a temporary file and a
/// rename: a report writer without GDAL, for tests where the report's content is not the point.
/// </summary>
public sealed class RawReportWriter(string outputFolder) : ITileReportWriter
{
    public string PathFor(TileId tile) => Path.Combine(outputFolder, "tiles", tile.ToString(), "report.bin");

    public async Task<string> WriteAsync(TileId tile, DateOnly day, LayerSet model, LayerSet monitoring, CancellationToken cancellationToken)
    {
        string path = PathFor(tile);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = path + ".tmp";
        await using (var file = File.Create(temp))
        {
            file.Write(monitoring[TileState.MaskLayer].AsBytes());
            file.Write(monitoring[TileState.DetectionDateLayer].AsBytes());
        }
        File.Move(temp, path, overwrite: true);
        return path;
    }
}

/// <summary>A <see cref="RawReportWriter"/> that counts the reports written per tile and records the day each was written for.</summary>
public sealed class CountingReportWriter(string outputFolder) : ITileReportWriter
{
    private readonly RawReportWriter _inner = new(outputFolder);
    private readonly List<(TileId Tile, DateOnly Day)> _writes = [];

    public IReadOnlyList<DateOnly> DaysWritten(TileId tile)
    {
        lock (_writes) return [.. _writes.Where(w => w.Tile == tile).Select(w => w.Day)];
    }

    public string PathFor(TileId tile) => _inner.PathFor(tile);

    public async Task<string> WriteAsync(TileId tile, DateOnly day, LayerSet model, LayerSet monitoring, CancellationToken cancellationToken)
    {
        var path = await _inner.WriteAsync(tile, day, model, monitoring, cancellationToken);
        lock (_writes) _writes.Add((tile, day));
        return path;
    }
}
