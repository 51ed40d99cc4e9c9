namespace NrtCluster.Geo.Gdal;

/// <summary>
/// An OSR spatial reference with traditional GIS axis order (x = easting/longitude, y = northing/latitude),
/// whatever the authority's official order is.
/// </summary>
public sealed class SpatialReference : IDisposable
{
    private readonly SpatialReferenceHandle _handle;

    private SpatialReference(SpatialReferenceHandle handle, string definition)
    {
        _handle = handle;
        Definition = definition;
    }

    /// <summary>What the reference was created from (e.g. "EPSG:3035" or a WKT).</summary>
    public string Definition { get; }

    internal IntPtr Handle => _handle.DangerousGetHandle();

    /// <summary>Accepts anything OSRSetFromUserInput does: "EPSG:3035", WKT, PROJ strings.</summary>
    public static SpatialReference FromUserInput(string definition)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(definition);
        GdalNative.EnsureInitialised();
        var handle = new SpatialReferenceHandle(GdalNative.OSRNewSpatialReference(null));
        GdalNative.CPLErrorReset();
        if (GdalNative.OSRSetFromUserInput(handle.DangerousGetHandle(), definition) != 0)
        {
            var error = GdalNative.LastError();
            handle.Dispose();
            throw new GdalException($"Not a valid CRS definition '{Shorten(definition)}' (give e.g. EPSG:3035 or a WKT): {error}", null);
        }
        GdalNative.OSRSetAxisMappingStrategy(handle.DangerousGetHandle(), GdalNative.OamsTraditionalGisOrder);
        return new SpatialReference(handle, definition);
    }

    public static SpatialReference FromEpsg(int code) => FromUserInput($"EPSG:{code}");

    public static SpatialReference Wgs84() => FromEpsg(4326);

    public unsafe string ToWkt()
    {
        IntPtr wkt;
        if (GdalNative.OSRExportToWkt(Handle, &wkt) != 0)
            throw GdalException.FromLastError("export the CRS as WKT", Shorten(Definition));
        try { return GdalNative.PtrToString(wkt) ?? ""; }
        finally { GdalNative.VSIFree(wkt); }
    }

    /// <summary>The EPSG code when the reference carries one, else null.</summary>
    public int? EpsgCode
    {
        get
        {
            var name = GdalNative.PtrToString(GdalNative.OSRGetAuthorityName(Handle, IntPtr.Zero));
            var code = GdalNative.PtrToString(GdalNative.OSRGetAuthorityCode(Handle, IntPtr.Zero));
            return name == "EPSG" && int.TryParse(code, out var c) ? c : null;
        }
    }

    public bool IsSame(SpatialReference other) => GdalNative.OSRIsSame(Handle, other.Handle) != 0;

    public void Dispose() => _handle.Dispose();

    internal static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";
}

/// <summary>Transforms coordinates between two CRSs (traditional GIS axis order on both sides).</summary>
public sealed class CoordinateTransformation : IDisposable
{
    private readonly CoordinateTransformationHandle _handle;
    private readonly string _description;

    internal IntPtr Handle => _handle.DangerousGetHandle();

    /// <summary>"SOURCE -> TARGET", for messages.</summary>
    internal string Description => _description;

    public CoordinateTransformation(SpatialReference source, SpatialReference target)
    {
        GdalNative.CPLErrorReset();
        _description = $"{SpatialReference.Shorten(source.Definition)} -> {SpatialReference.Shorten(target.Definition)}";
        _handle = new CoordinateTransformationHandle(GdalNative.OCTNewCoordinateTransformation(source.Handle, target.Handle));
        if (_handle.IsInvalid) throw GdalException.FromLastError("create the coordinate transformation", _description);
    }

    /// <summary>Transforms the points in place; throws naming the first point that could not be transformed.</summary>
    public unsafe void Transform(Span<double> x, Span<double> y)
    {
        if (x.Length != y.Length) throw new ArgumentException("x and y must have the same length");
        if (x.Length == 0) return;
        var z = new double[x.Length];
        var ok = new int[x.Length];
        GdalNative.CPLErrorReset();
        fixed (double* px = x, py = y, pz = z)
        fixed (int* pok = ok)
        {
            GdalNative.OCTTransformEx(_handle.DangerousGetHandle(), x.Length, px, py, pz, pok);
        }
        var failed = Array.IndexOf(ok, 0);
        if (failed >= 0)
            throw new GdalException($"Point {failed} could not be transformed ({_description}): {GdalNative.LastError()}", null);
    }

    public (double X, double Y) Transform(double x, double y)
    {
        Span<double> xs = [x];
        Span<double> ys = [y];
        Transform(xs, ys);
        return (xs[0], ys[0]);
    }

    public void Dispose() => _handle.Dispose();
}
