using NrtCluster.Geo.Gdal;

namespace NrtCluster.Geo.Grid;

public static class GeoBoxProjection
{
    /// <summary>
    /// A north-up box in EPSG:<paramref name="epsg"/>, snapped to <paramref name="resolution"/>, that covers the columns
    /// [<paramref name="fromFraction"/>, <paramref name="toFraction"/>) of <paramref name="box"/>'s width with
    /// <paramref name="margin"/> (in the target CRS's units) to spare: e.g. the UTM granule window that feeds a tile.
    /// </summary>
    public static GeoBox CoveringIn(this GeoBox box, int epsg, double resolution = 20, double fromFraction = 0, double toFraction = 1, double margin = 200)
    {
        using var source = SpatialReference.FromUserInput(box.Crs);
        using var target = SpatialReference.FromEpsg(epsg);
        using var ct = new CoordinateTransformation(source, target);
        var b = box.Bounds;
        var x0 = b.MinX + fromFraction * b.Width;
        var x1 = b.MinX + toFraction * b.Width;
        double[] xs = [x0, x1, x0, x1];
        double[] ys = [b.MinY, b.MinY, b.MaxY, b.MaxY];
        ct.Transform(xs, ys);
        var left = Math.Floor((xs.Min() - margin) / resolution) * resolution;
        var right = Math.Ceiling((xs.Max() + margin) / resolution) * resolution;
        var bottom = Math.Floor((ys.Min() - margin) / resolution) * resolution;
        var top = Math.Ceiling((ys.Max() + margin) / resolution) * resolution;
        return GeoBox.NorthUp($"EPSG:{epsg}", left, top, resolution, (int)((right - left) / resolution), (int)((top - bottom) / resolution));
    }
}
