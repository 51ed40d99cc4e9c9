
namespace NrtCluster.Geo.Gdal;

/// <summary>GDAL pixel types NrtCluster reads and writes (values are GDALDataType).</summary>
public enum RasterDataType
{
    Byte = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Float64 = 7,
}

/// <summary>A pixel window: offset and size in pixels.</summary>
public readonly record struct PixelWindow(int XOff, int YOff, int Width, int Height);

/// <summary>
/// An open GDAL raster (one handle; GDAL datasets are not thread-safe, so open one per thread).
/// Paths are anything GDAL opens: local files, /vsicurl/https://..., /vsis3/bucket/key.
/// </summary>
public sealed class RasterDataset : IDisposable
{
    private readonly DatasetHandle _handle;

    internal RasterDataset(DatasetHandle handle, string path)
    {
        _handle = handle;
        Path = path;
    }

    public string Path { get; }

    internal IntPtr Handle => _handle.IsClosed ? throw new ObjectDisposedException(nameof(RasterDataset), $"Dataset '{Path}' is closed.") : _handle.DangerousGetHandle();

    public static RasterDataset Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        GdalNative.EnsureInitialised();
        GdalNative.CPLErrorReset();
        var h = GdalWork.Track(() => GdalNative.GDALOpenEx(path, GdalNative.GdalOfRaster | GdalNative.GdalOfVerboseError, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero));
        if (h.IsInvalid) throw GdalException.FromLastError("open raster", path);
        return new RasterDataset(h, path);
    }

    /// <summary>
    /// Makes GDAL forget what it cached about a remote file (that it was missing, its size), so that the next open after a
    /// failure that may pass asks the server again.
    /// </summary>
    public static void ForgetRemote(string path)
    {
        if (GdalException.IsRemote(path)) GdalNative.VSICurlPartialClearCache(path);
    }

    public int Width => GdalNative.GDALGetRasterXSize(Handle);
    public int Height => GdalNative.GDALGetRasterYSize(Handle);
    public int BandCount => GdalNative.GDALGetRasterCount(Handle);

    public unsafe GeoTransform GeoTransform
    {
        get
        {
            var t = stackalloc double[6];
            GdalNative.CPLErrorReset();
            if (GdalNative.GDALGetGeoTransform(Handle, t) != GdalNative.CeNone)
                throw new GdalException($"Raster '{Path}' has no geotransform, so it cannot be placed on a grid.", Path);
            return GeoTransform.FromGdal(new ReadOnlySpan<double>(t, 6));
        }
    }

    /// <summary>The CRS as WKT ("" when the raster has none).</summary>
    public string ProjectionWkt => GdalNative.PtrToString(GdalNative.GDALGetProjectionRef(Handle)) ?? "";

    public GeoBox GeoBox => new(Width, Height, GeoTransform, ProjectionWkt);

    public RasterDataType DataType(int band) => (RasterDataType)GdalNative.GDALGetRasterDataType(Band(band));

    public unsafe double? NoData(int band)
    {
        int ok;
        var v = GdalNative.GDALGetRasterNoDataValue(Band(band), &ok);
        return ok != 0 ? v : null;
    }

    /// <summary>
    /// Minimum and maximum of a band's valid pixels (nodata aside); approximate: from an overview or a sample of blocks,
    /// so it reads a fraction of a large raster. NaN when no valid pixel was found.
    /// </summary>
    public unsafe (double Min, double Max) ApproximateMinMax(int band)
    {
        var minMax = stackalloc double[2] { double.NaN, double.NaN };
        GdalNative.GDALComputeRasterMinMax(Band(band), 1, minMax);
        return (minMax[0], minMax[1]);
    }

    public string Description(int band) => GdalNative.PtrToString(GdalNative.GDALGetDescription(Band(band))) ?? "";

    /// <summary>Reads a window of a band (1-based) into a new array, converting to <typeparamref name="T"/>.</summary>
    public T[] Read<T>(int band, PixelWindow window) where T : unmanaged
    {
        var data = new T[checked(window.Width * window.Height)];
        Read(band, window, data);
        return data;
    }

    public T[] ReadBand<T>(int band) where T : unmanaged => Read<T>(band, new PixelWindow(0, 0, Width, Height));

    /// <summary>Reads a window of a band (1-based) into <paramref name="destination"/> (row-major, window.Width x window.Height).</summary>
    public unsafe void Read<T>(int band, PixelWindow window, Span<T> destination) where T : unmanaged
    {
        if (destination.Length < window.Width * window.Height)
            throw new ArgumentException($"Buffer of {destination.Length} pixels is too small for a {window.Width} x {window.Height} window.");
        var h = Band(band);
        GdalNative.CPLErrorReset();
        fixed (T* p = destination)
        {
            if (GdalNative.GDALRasterIO(h, GdalNative.GfRead, window.XOff, window.YOff, window.Width, window.Height,
                    p, window.Width, window.Height, (int)TypeOf<T>(), 0, 0) != GdalNative.CeNone)
                throw GdalException.FromLastError($"read band {band} window {window}", Path);
        }
    }

    internal unsafe void Write(int band, Array pixels)
    {
        var h = Band(band);
        var type = TypeOf(pixels.GetType().GetElementType()!);
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(pixels, System.Runtime.InteropServices.GCHandleType.Pinned);
        try
        {
            GdalNative.CPLErrorReset();
            if (GdalNative.GDALRasterIO(h, GdalNative.GfWrite, 0, 0, Width, Height, (void*)handle.AddrOfPinnedObject(),
                    Width, Height, (int)type, 0, 0) != GdalNative.CeNone)
                throw GdalException.FromLastError($"write band {band}", Path);
        }
        finally { handle.Free(); }
    }

    internal IntPtr Band(int band)
    {
        if (band < 1 || band > BandCount)
            throw new ArgumentOutOfRangeException(nameof(band), $"Raster '{Path}' has bands 1..{BandCount}, not {band}.");
        return GdalNative.GDALGetRasterBand(Handle, band);
    }

    internal static RasterDataType TypeOf<T>() where T : unmanaged => TypeOf(typeof(T));

    internal static RasterDataType TypeOf(Type t) =>
        t == typeof(byte) ? RasterDataType.Byte
        : t == typeof(ushort) ? RasterDataType.UInt16
        : t == typeof(short) ? RasterDataType.Int16
        : t == typeof(uint) ? RasterDataType.UInt32
        : t == typeof(int) ? RasterDataType.Int32
        : t == typeof(float) ? RasterDataType.Float32
        : t == typeof(double) ? RasterDataType.Float64
        : throw new ArgumentException($"Pixels of type {t.Name} are not supported; use byte, ushort, short, uint, int, float or double.");

    /// <summary>Closes the dataset now.</summary>
    public void Dispose() => _handle.Dispose();
}
