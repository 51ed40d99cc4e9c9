using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Geo.Tiles;

/// <summary>Per-tile rasters the cluster reads and writes: forest masks in, reports out.</summary>
public static class TileRasters
{
    /// <summary>Forest above this percent tree cover when a raster that is not a 0/1 mask comes without a threshold.</summary>
    public const double TreeCoverThreshold = 30;

    /// <summary>
    /// Reads band 1 of any raster (any CRS and resolution) onto <paramref name="tile"/> as a forest mask: 1 where the
    /// value is above <paramref name="threshold"/>, 0 elsewhere and on nodata. Without a threshold, the raster decides
    /// (<see cref="DefaultForestThreshold(string)"/>): a 0/1 mask is forest where 1, anything else is read as percent tree
    /// cover, forest above <see cref="TreeCoverThreshold"/>.
    /// Class rasters want <see cref="Resampling.Nearest"/>; cover percentages can be averaged first
    /// (<see cref="Resampling.Average"/>) and then thresholded.
    /// </summary>
    public static byte[] ReadForestMask(string path, GeoBox tile, double? threshold = null, Resampling resampling = Resampling.Nearest)
    {
        using var source = RasterDataset.Open(path);
        var above = threshold ?? DefaultForestThreshold(source);
        var nodata = source.NoData(1);
        using var warped = Warp.ToMemory([source], tile, new WarpOptions(resampling, RasterDataType.Float32, nodata, double.NaN));
        var values = warped.ReadBand<float>(1);
        var mask = new byte[values.Length];
        for (var i = 0; i < values.Length; i++)
            mask[i] = (byte)(!float.IsNaN(values[i]) && values[i] > above ? 1 : 0);
        return mask;
    }

    /// <summary>
    /// The threshold a forest raster is read with when the project sets none: 0 for a 0/1 mask (an integer band whose
    /// valid values all lie in 0..1, nodata aside), else <see cref="TreeCoverThreshold"/> (percent tree cover).
    /// </summary>
    public static double DefaultForestThreshold(string path)
    {
        using var source = RasterDataset.Open(path);
        return DefaultForestThreshold(source);
    }

    private static double DefaultForestThreshold(RasterDataset source)
    {
        var integer = source.DataType(1) is not (RasterDataType.Float32 or RasterDataType.Float64);
        var (min, max) = source.ApproximateMinMax(1);
        return integer && min >= 0 && max <= 1 ? 0 : TreeCoverThreshold;
    }

    /// <summary>Writes a tile report: uint16 layers with descriptions and a nodata value, as a COG, atomically.</summary>
    public static void WriteReport(string path, GeoBox tile, IReadOnlyList<(string Description, ushort[] Pixels)> layers, ushort nodata, bool cog = true) =>
        GeoTiffWriter.Write(path, tile, layers.Select(l => (l.Description, (Array)l.Pixels)).ToArray(), RasterDataType.UInt16, nodata, cog);
}
