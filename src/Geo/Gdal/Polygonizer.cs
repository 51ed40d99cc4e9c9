namespace NrtCluster.Geo.Gdal;

/// <summary>Outlines of labelled pixel regions, traced by GDAL (GDALPolygonize).</summary>
public static class Polygonizer
{
    /// <summary>
    /// The outline of every label of <paramref name="labels"/> (row-major on <paramref name="box"/>, 0 = no region), in the
    /// box's CRS. Pixels touching at a corner belong to one region (8-connected), as the labels are meant; a label whose
    /// pixels GDAL still traces as several polygons gets one multipolygon.
    /// </summary>
    public static Dictionary<int, VectorGeometry> Polygonize(GeoBox box, int[] labels)
    {
        if (labels.Length != box.PixelCount)
            throw new ArgumentException($"The label raster has {labels.Length} pixels, the geobox {box.Width} x {box.Height} needs {box.PixelCount}.", nameof(labels));
        using var raster = MemoryRaster.Create(box, 1, RasterDataType.Int32, nodata: null);
        raster.Write(1, labels);
        using var memory = VectorDataset.Create("", "Memory");
        var layer = memory.CreateLayer("labels", null, VectorGeometryType.Polygon, [new VectorField("label", VectorFieldType.Integer)]);
        var band = raster.Band(1);
        using var options = new StringListHandle(["8CONNECTED=8"]);
        GdalNative.CPLErrorReset();
        // The band is its own mask: label 0 is no region.
        if (GdalNative.GDALPolygonize(band, band, layer.Handle, 0, options.DangerousGetHandle(), IntPtr.Zero, IntPtr.Zero) != GdalNative.CeNone)
            throw GdalException.FromLastError("trace the outlines of a label raster", null);
        return layer.TakeGeometriesBy(0).ToDictionary(g => g.Key, g => VectorGeometry.Collect(g.Value));
    }
}
