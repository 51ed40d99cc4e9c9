using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Geo.Tiles;

/// <summary>Per-tile rasters the cluster reads and writes: forest masks in, reports out.</summary>
public static class TileRasters
{
    /// <summary>
    /// Reads band 1 of any raster (any CRS and resolution) onto <paramref name="tile"/> as a forest mask: 1 where the
    /// value is above <paramref name="threshold"/> (or non-zero when no threshold is given), 0 elsewhere and on nodata.
    /// Class rasters want <see cref="Resampling.Nearest"/>; cover percentages can be averaged first
    /// (<see cref="Resampling.Average"/>) and then thresholded, e.g. tree-cover density > 30.
    /// </summary>
    public static byte[] ReadForestMask(string path, GeoBox tile, double? threshold = null, Resampling resampling = Resampling.Nearest)
    {
        using var source = RasterDataset.Open(path);
        var nodata = source.NoData(1);
        using var warped = Warp.ToMemory([source], tile, new WarpOptions(resampling, RasterDataType.Float32, nodata, double.NaN));
        var values = warped.ReadBand<float>(1);
        var mask = new byte[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            mask[i] = (byte)(!float.IsNaN(v) && (threshold is { } t ? v > t : v != 0) ? 1 : 0);
        }
        return mask;
    }

    /// <summary>Writes a tile report: uint16 layers with descriptions and a nodata value, as a COG, atomically.</summary>
    public static void WriteReport(string path, GeoBox tile, IReadOnlyList<(string Description, ushort[] Pixels)> layers, ushort nodata, bool cog = true) =>
        GeoTiffWriter.Write(path, tile, layers.Select(l => (l.Description, (Array)l.Pixels)).ToArray(), RasterDataType.UInt16, nodata, cog);
}
