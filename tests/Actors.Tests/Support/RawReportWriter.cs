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
