namespace NrtCluster.Geo.Gdal;

/// <summary>
/// Encodes 8-bit images into a file format in memory with a GDAL driver (a MEM raster copied to <c>/vsimem/</c>),
/// for pictures served over HTTP rather than written to disk: map images, legends.
/// </summary>
public static class ImageEncoder
{
    /// <summary>Encodes the colour of RGBA samples (row-major, 4 bytes per pixel, width x height) as a baseline JPEG; alpha is dropped.</summary>
    /// <param name="quality">1..100; GDAL's default is 75.</param>
    public static byte[] JpegFromRgba(ReadOnlySpan<byte> rgba, int width, int height, int quality = 85) =>
        Encode(rgba, width, height, 3, 4, "JPEG", "jpg", [$"QUALITY={quality}"]);

    /// <summary>Encodes RGBA samples (row-major, 4 bytes per pixel, width x height) as a PNG with an alpha channel.</summary>
    public static byte[] PngFromRgba(ReadOnlySpan<byte> rgba, int width, int height) =>
        Encode(rgba, width, height, 4, 4, "PNG", "png", []);

    /// <summary>
    /// Encodes the first <paramref name="bands"/> samples of each pixel of a pixel-interleaved 8-bit image (row-major,
    /// <paramref name="pixelStride"/> bytes per pixel) with the driver <paramref name="driverName"/> (one that supports
    /// CreateCopy).
    /// </summary>
    private static unsafe byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int bands, int pixelStride, string driverName, string extension,
        IEnumerable<string> creationOptions)
    {
        if (width <= 0 || height <= 0 || bands <= 0 || pixelStride < bands)
            throw new ArgumentOutOfRangeException(nameof(width), $"An image needs a positive size and band count, got {width} x {height} x {bands} (of {pixelStride} bytes per pixel).");
        if (pixels.Length != (long)width * height * pixelStride)
            throw new ArgumentException($"{pixels.Length} bytes do not fill a {width} x {height} image of {pixelStride} bytes per pixel.", nameof(pixels));
        GdalNative.EnsureInitialised();
        var driver = GdalNative.GDALGetDriverByName(driverName);
        if (driver == IntPtr.Zero) throw new GdalException($"The GDAL driver {driverName} is not available in this GDAL build.", null);

        // The bands are views of the caller's pixels, pinned until encoded, not a copy (a 4096 x 4096 map would take 64 MB more).
        fixed (byte* p = pixels)
        {
            GdalNative.CPLErrorReset();
            var h = GdalWork.Track(() => GdalNative.GDALCreate(GdalNative.GDALGetDriverByName("MEM"), "", width, height, 0, (int)RasterDataType.Byte, IntPtr.Zero));
            if (h.IsInvalid) throw GdalException.FromLastError($"create a {width} x {height} in-memory image", null);
            using var source = new RasterDataset(h, "MEM");
            for (var b = 0; b < bands; b++)
            {
                using var view = new StringListHandle([$"DATAPOINTER=0x{(nint)(p + b):X}", $"PIXELOFFSET={pixelStride}", $"LINEOFFSET={(long)width * pixelStride}"]);
                if (GdalNative.GDALAddBand(source.Handle, (int)RasterDataType.Byte, view.DangerousGetHandle()) != GdalNative.CeNone)
                    throw GdalException.FromLastError($"add band {b + 1} to an in-memory image", null);
            }

            var path = $"/vsimem/nrtc-image-{Guid.NewGuid():N}.{extension}";
            try
            {
                using (var options = new StringListHandle(creationOptions))
                {
                    GdalNative.CPLErrorReset();
                    var copy = GdalNative.GDALCreateCopy(driver, path, source.Handle, 0, options.DangerousGetHandle(), IntPtr.Zero, IntPtr.Zero);
                    if (copy == IntPtr.Zero) throw GdalException.FromLastError($"encode {driverName}", null);
                    if (GdalNative.GDALClose(copy) != GdalNative.CeNone) throw GdalException.FromLastError($"finish encoding {driverName}", null);
                }
                ulong length;
                var buffer = GdalNative.VSIGetMemFileBuffer(path, &length, 0);
                if (buffer == IntPtr.Zero) throw GdalException.FromLastError($"read back the encoded {driverName} image", null);
                return new ReadOnlySpan<byte>((void*)buffer, checked((int)length)).ToArray();
            }
            finally
            {
                GdalNative.VSIUnlink(path);
            }
        }
    }
}
