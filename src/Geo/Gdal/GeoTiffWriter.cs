
namespace NrtCluster.Geo.Gdal;

/// <summary>
/// Writes multi-band GeoTIFFs or Cloud-Optimised GeoTIFFs (deflate-compressed, tiled) with CRS, geotransform,
/// band descriptions and nodata. The file appears atomically: it is written under a temporary name in the
/// target folder and renamed into place, so readers never see a half-written raster.
/// </summary>
public static class GeoTiffWriter
{
    /// <summary>
    /// Writes <paramref name="bands"/> (each row-major, box.Width x box.Height, of byte/ushort/short/int/float/double;
    /// GDAL converts to <paramref name="type"/>) to <paramref name="path"/>.
    /// </summary>
    /// <param name="classes">
    /// The bands hold classes or dates (a tile report's mask and detection_date): a COG's overviews take the nearest pixel
    /// rather than the driver's default cubic blend, which would make up codes and dates that are in no pixel (and costs more).
    /// </param>
    public static void Write(string path, GeoBox box, IReadOnlyList<(string Description, Array Pixels)> bands,
        RasterDataType type, double? nodata, bool cog, bool classes = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (bands.Count == 0) throw new ArgumentException($"No bands given for '{path}'.", nameof(bands));
        for (var i = 0; i < bands.Count; i++)
            if (bands[i].Pixels.Length != box.PixelCount)
                throw new ArgumentException($"Band {i + 1} ('{bands[i].Description}') of '{path}' has {bands[i].Pixels.Length} pixels, the geobox {box.Width} x {box.Height} needs {box.PixelCount}.");

        using var mem = MemoryRaster.Create(box, bands.Count, type, nodata);
        for (var i = 0; i < bands.Count; i++)
        {
            mem.Write(i + 1, bands[i].Pixels);
            GdalNative.GDALSetDescription(mem.Band(i + 1), bands[i].Description);
        }
        // Horizontal differencing (2) suits integers, floating-point prediction (3) floats; the COG driver picks itself.
        var predictor = type is RasterDataType.Float32 or RasterDataType.Float64 ? "PREDICTOR=3" : "PREDICTOR=2";
        string[] options = cog
            ? ["COMPRESS=DEFLATE", "PREDICTOR=YES", "BLOCKSIZE=512", "OVERVIEWS=AUTO", .. (classes ? ["RESAMPLING=NEAREST"] : Array.Empty<string>())]
            : ["COMPRESS=DEFLATE", predictor, "TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256"];
        CopyAtomically(mem, path, cog ? "COG" : "GTiff", options);
    }

    /// <summary>Copies an open dataset to <paramref name="path"/> with a GDAL driver, via a temporary name and a rename.</summary>
    internal static void CopyAtomically(RasterDataset source, string path, string driverName, IEnumerable<string> creationOptions)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = TemporaryFiles.For(full);
        try
        {
            var driver = GdalNative.GDALGetDriverByName(driverName);
            if (driver == IntPtr.Zero) throw new GdalException($"The GDAL driver {driverName} is not available in this GDAL build.", path);
            using (var options = new StringListHandle(creationOptions))
            {
                GdalNative.CPLErrorReset();
                var h = GdalNative.GDALCreateCopy(driver, temp, source.Handle, 0, options.DangerousGetHandle(), IntPtr.Zero, IntPtr.Zero);
                if (h == IntPtr.Zero) throw GdalException.FromLastError($"write {driverName}", path);
                GdalNative.CPLErrorReset();
                if (GdalNative.GDALClose(h) != GdalNative.CeNone) throw GdalException.FromLastError($"finish writing {driverName}", path);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}

/// <summary>In-memory GDAL rasters (MEM driver) on a geobox.</summary>
internal static class MemoryRaster
{
    /// <param name="wkt">The CRS as WKT when the caller has it already (saves resolving <c>box.Crs</c>).</param>
    public static unsafe RasterDataset Create(GeoBox box, int bandCount, RasterDataType type, double? nodata, string? wkt = null)
    {
        GdalNative.EnsureInitialised();
        var driver = GdalNative.GDALGetDriverByName("MEM");
        GdalNative.CPLErrorReset();
        var handle = GdalWork.Track(() => GdalNative.GDALCreate(driver, "", box.Width, box.Height, bandCount, (int)type, IntPtr.Zero));
        if (handle.IsInvalid) throw GdalException.FromLastError($"create a {box.Width} x {box.Height} in-memory raster", null);
        var ds = new RasterDataset(handle, "MEM");
        var h = ds.Handle;
        var t = box.Transform.ToGdal();
        fixed (double* pt = t) GdalNative.GDALSetGeoTransform(h, pt);
        if (GdalNative.GDALSetProjection(h, wkt ?? CrsCache.Wkt(box.Crs)) != GdalNative.CeNone)
        {
            ds.Dispose();
            throw GdalException.FromLastError("set the CRS of an in-memory raster", box.Crs);
        }
        if (nodata is { } nd)
            for (var b = 1; b <= bandCount; b++) GdalNative.GDALSetRasterNoDataValue(ds.Band(b), nd);
        return ds;
    }
}

/// <summary>WKT of CRS definitions, resolved once through OSR (definitions repeat for every tile and item).</summary>
internal static class CrsCache
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> WktByDefinition = new();

    public static string Wkt(string definition) => WktByDefinition.GetOrAdd(definition, d =>
    {
        using var srs = SpatialReference.FromUserInput(d);
        return srs.ToWkt();
    });
}
