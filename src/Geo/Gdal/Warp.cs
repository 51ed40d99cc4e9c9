using System.Globalization;

namespace NrtCluster.Geo.Gdal;

/// <summary>GDAL resampling kernels: cubic or bilinear for reflectances, nearest (or mode) for class layers.</summary>
public enum Resampling { Nearest, Bilinear, Cubic, CubicSpline, Average, Mode }

/// <summary>
/// How to warp: kernel, output pixel type, and the nodata values on both sides (source null: the file's own nodata,
/// if any; destination null: none). Targets are north-up geoboxes.
/// </summary>
public sealed record WarpOptions(Resampling Resampling, RasterDataType OutputType, double? SourceNoData, double? DestinationNoData)
{
    /// <summary>Further gdalwarp arguments, e.g. ["-wo", "SOURCE_EXTRA=2"] or ["-et", "0"].</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];
}

/// <summary>Warps rasters onto a target geobox with GDAL's own warper (the gdalwarp utility API into a MEM dataset).</summary>
public static class Warp
{
    /// <summary>
    /// Warps <paramref name="sources"/> (opened here; later sources overwrite earlier ones where valid) onto
    /// <paramref name="target"/>; only the source windows that cover the target are read. The caller disposes the result.
    /// </summary>
    public static RasterDataset ToMemory(IReadOnlyList<string> sources, GeoBox target, WarpOptions options)
    {
        if (sources.Count == 0) throw new ArgumentException("No source raster given to warp.", nameof(sources));
        var opened = new List<RasterDataset>(sources.Count);
        try
        {
            foreach (var s in sources) opened.Add(RasterDataset.Open(s));
            return ToMemory(opened, target, options);
        }
        finally
        {
            foreach (var d in opened) d.Dispose();
        }
    }

    /// <summary>Warps already open datasets (which must belong to the calling thread) onto <paramref name="target"/>.</summary>
    public static unsafe RasterDataset ToMemory(IReadOnlyList<RasterDataset> sources, GeoBox target, WarpOptions options)
    {
        var b = target.Bounds;
        var args = new List<string>
        {
            "-of", "MEM",
            "-t_srs", CrsCache.Wkt(target.Crs),
            "-te", F(b.MinX), F(b.MinY), F(b.MaxX), F(b.MaxY),
            "-ts", F(target.Width), F(target.Height),
            "-r", ResamplingName(options.Resampling),
            "-ot", options.OutputType.ToString(),
        };
        if (options.SourceNoData is { } sn) args.AddRange(["-srcnodata", F(sn)]);
        if (options.DestinationNoData is { } dn) args.AddRange(["-dstnodata", F(dn), "-wo", "INIT_DEST=NO_DATA"]);
        args.AddRange(options.ExtraArguments);

        var what = string.Join(", ", sources.Select(s => s.Path));
        using var argv = new StringListHandle(args);
        GdalNative.CPLErrorReset();
        var warpOptions = GdalNative.GDALWarpAppOptionsNew(argv.DangerousGetHandle(), IntPtr.Zero);
        if (warpOptions == IntPtr.Zero) throw GdalException.FromLastError("parse warp options for", what);
        try
        {
            var handles = new IntPtr[sources.Count];
            for (var i = 0; i < handles.Length; i++) handles[i] = sources[i].Handle;
            GdalNative.CPLErrorReset();
            var result = GdalWork.Track(() =>
            {
                int usageError;
                fixed (IntPtr* ph = handles)
                    return GdalNative.GDALWarp("", IntPtr.Zero, handles.Length, ph, warpOptions, &usageError);
            });
            if (result.IsInvalid) throw GdalException.FromLastError("warp", what);
            return new RasterDataset(result, $"warp of {what}");
        }
        finally
        {
            GdalNative.GDALWarpAppOptionsFree(warpOptions);
        }
    }

    /// <summary>Warps band 1 of one raster onto <paramref name="target"/> and returns its pixels (row-major).</summary>
    public static T[] Band<T>(string source, GeoBox target, WarpOptions options) where T : unmanaged
    {
        using var warped = ToMemory([source], target, options with { OutputType = RasterDataset.TypeOf<T>() });
        return warped.ReadBand<T>(1);
    }

    /// <summary>
    /// Warps band 1 of one raster onto <paramref name="target"/>, computing only the part of the target that the
    /// source's footprint covers; the rest is <paramref name="fill"/>. Returns null when the source does not touch the
    /// target at all (nothing was read).
    /// </summary>
    public static T[]? BandWhereCovered<T>(string source, GeoBox target, WarpOptions options, T fill) where T : unmanaged
    {
        using var ds = RasterDataset.Open(source);
        return WarpCovered([ds], target, options, fill)[0];
    }

    /// <summary>
    /// Warps band 1 of several rasters onto <paramref name="target"/> like <see cref="BandWhereCovered{T}"/>, one
    /// array per source. Sources on the same pixel grid (e.g. the 20 m bands of one granule) are warped together in
    /// one pass, sharing the coordinate transformation; others one by one.
    /// </summary>
    public static T[]?[] BandsWhereCovered<T>(IReadOnlyList<string> sources, GeoBox target, WarpOptions options, T fill) where T : unmanaged
    {
        var opened = new List<RasterDataset>(sources.Count);
        try
        {
            foreach (var s in sources) opened.Add(RasterDataset.Open(s));
            var grid = opened[0].GeoBox;
            var nodata = opened[0].NoData(1);
            if (opened.Skip(1).All(d => d.GeoBox == grid && Nullable.Equals(d.NoData(1), nodata)))
                return WarpCovered(opened, target, options, fill);
            return opened.Select(d => WarpCovered([d], target, options, fill)[0]).ToArray();
        }
        finally
        {
            foreach (var d in opened) d.Dispose();
        }
    }

    /// <remarks>
    /// The source window is read once (in the output type) into an in-memory raster and checked for nodata: GDAL's
    /// warper has fast kernels only for sources without nodata masks, and where the window holds no nodata those give
    /// exactly the masked result. Windows that do hold nodata are warped with masks, as usual.
    /// </remarks>
    private static T[]?[] WarpCovered<T>(IReadOnlyList<RasterDataset> sameGrid, GeoBox target, WarpOptions options, T fill) where T : unmanaged
    {
        var result = new T[]?[sameGrid.Count];
        var sourceBox = sameGrid[0].GeoBox;
        if (FootprintWindow(sourceBox, target, margin: 2) is not { } w) return result;
        var (x0, y0) = target.Transform.Apply(w.XOff, w.YOff);
        var sub = new GeoBox(w.Width, w.Height, target.Transform with { X0 = x0, Y0 = y0 }, target.Crs);
        // The window is copied into a raster of its own, so the file's nodata value must be carried over explicitly.
        options = options with { OutputType = RasterDataset.TypeOf<T>(), SourceNoData = options.SourceNoData ?? sameGrid[0].NoData(1) };
        // Kernels reach 2 pixels (cubic); 4 keeps every tap of every covered target pixel inside the window.
        if (FootprintWindow(sub, sourceBox, margin: 4) is not { } sw) return result;

        var (sx, sy) = sourceBox.Transform.Apply(sw.XOff, sw.YOff);
        var windowBox = new GeoBox(sw.Width, sw.Height, sourceBox.Transform with { X0 = sx, Y0 = sy }, sourceBox.Crs);
        var pixels = sameGrid.Select(d => d.Read<T>(1, sw)).ToArray();
        var hasNoData = options.SourceNoData is { } nodata && pixels.Any(p => ContainsNoData(p, nodata));
        if (hasNoData && pixels.Length > 1)
        {
            // gdalwarp does not keep one nodata mask per band here (it unifies an explicit source nodata), so bands
            // with gaps are warped one at a time, each with its own mask.
            for (var b = 0; b < pixels.Length; b++)
                result[b] = WarpWindow([pixels[b]], windowBox, sameGrid[0].ProjectionWkt, ContainsNoData(pixels[b], options.SourceNoData!.Value),
                    w, sub, target, options, fill)[0];
            return result;
        }
        return WarpWindow(pixels, windowBox, sameGrid[0].ProjectionWkt, hasNoData, w, sub, target, options, fill);
    }

    /// <summary>Warps source windows (one per band, all on <paramref name="windowBox"/>) onto the covered part of the target.</summary>
    private static T[]?[] WarpWindow<T>(T[][] pixels, GeoBox windowBox, string wkt, bool hasNoData, PixelWindow w, GeoBox sub,
        GeoBox target, WarpOptions options, T fill) where T : unmanaged
    {
        var result = new T[]?[pixels.Length];
        var nanSentinel = false;
        using var window = MemoryRaster.Create(windowBox, pixels.Length, options.OutputType, hasNoData ? options.SourceNoData : null, wkt);
        for (var b = 0; b < pixels.Length; b++) window.Write(b + 1, pixels[b]);
        if (!hasNoData)
        {
            // Without a destination nodata value, target pixels no source pixel reaches keep INIT_DEST; the warper
            // does not parse NaN there, so a float NaN nodata goes through a sentinel no reflectance can take.
            var dstNoData = options.DestinationNoData ?? 0;
            nanSentinel = double.IsNaN(dstNoData) && typeof(T) == typeof(float);
            options = options with
            {
                SourceNoData = null,
                DestinationNoData = null,
                ExtraArguments = [.. options.ExtraArguments, "-wo", $"INIT_DEST={F(nanSentinel ? NanSentinel : dstNoData)}"],
            };
        }

        using var warped = ToMemory([window], sub, options);
        for (var b = 0; b < result.Length; b++)
        {
            T[] values;
            if (w.Width == target.Width && w.Height == target.Height)
            {
                values = warped.ReadBand<T>(b + 1);
            }
            else
            {
                values = new T[target.PixelCount];
                if (!EqualityComparer<T>.Default.Equals(fill, default)) Array.Fill(values, fill);
                for (var r = 0; r < w.Height; r++)
                    warped.Read(b + 1, new PixelWindow(0, r, w.Width, 1), values.AsSpan((w.YOff + r) * target.Width + w.XOff, w.Width));
            }
            if (nanSentinel && values is float[] f)
                for (var i = 0; i < f.Length; i++)
                    if (f[i] == (float)NanSentinel) f[i] = float.NaN;
            result[b] = values;
        }
        return result;
    }

    private const double NanSentinel = -1e38;

    private static bool ContainsNoData<T>(T[] pixels, double nodata) where T : unmanaged
    {
        switch (pixels)
        {
            case float[] f when double.IsNaN(nodata):
                foreach (var v in f) if (float.IsNaN(v)) return true;
                return false;
            case float[] f: return f.AsSpan().Contains((float)nodata);
            case double[] d when double.IsNaN(nodata):
                foreach (var v in d) if (double.IsNaN(v)) return true;
                return false;
            case double[] d: return d.AsSpan().Contains(nodata);
            case byte[] b: return nodata is >= byte.MinValue and <= byte.MaxValue && b.AsSpan().Contains((byte)nodata);
            case ushort[] u: return nodata is >= ushort.MinValue and <= ushort.MaxValue && u.AsSpan().Contains((ushort)nodata);
            case short[] i16: return nodata is >= short.MinValue and <= short.MaxValue && i16.AsSpan().Contains((short)nodata);
            case int[] i32: return nodata is >= int.MinValue and <= int.MaxValue && i32.AsSpan().Contains((int)nodata);
            case uint[] u32: return nodata is >= uint.MinValue and <= uint.MaxValue && u32.AsSpan().Contains((uint)nodata);
            default: return true;
        }
    }

    /// <summary>
    /// The pixel window of <paramref name="onto"/> (north-up) that the footprint of <paramref name="from"/> covers,
    /// widened by <paramref name="margin"/> pixels and clipped to <paramref name="onto"/>; null when they do not
    /// overlap. The footprint's edges are densified before transforming, as straight edges in one CRS curve in another.
    /// </summary>
    public static PixelWindow? FootprintWindow(GeoBox from, GeoBox onto, int margin)
    {
        var (xs, ys) = from.Outline(perEdge: 16);
        using (var fromSrs = SpatialReference.FromUserInput(from.Crs))
        using (var ontoSrs = SpatialReference.FromUserInput(onto.Crs))
        {
            if (!fromSrs.IsSame(ontoSrs))
            {
                try
                {
                    using var ct = new CoordinateTransformation(fromSrs, ontoSrs);
                    ct.Transform(xs, ys);
                }
                catch (GdalException)
                {
                    // Part of the footprint lies outside the other CRS's domain: take all of it and let the warper decide pixel by pixel.
                    return new PixelWindow(0, 0, onto.Width, onto.Height);
                }
            }
        }
        double minCol = double.MaxValue, maxCol = double.MinValue, minRow = double.MaxValue, maxRow = double.MinValue;
        for (var i = 0; i < xs.Length; i++)
        {
            var (c, r) = onto.Transform.Invert(xs[i], ys[i]);
            minCol = Math.Min(minCol, c); maxCol = Math.Max(maxCol, c);
            minRow = Math.Min(minRow, r); maxRow = Math.Max(maxRow, r);
        }
        var c0 = (int)Math.Max(0, Math.Floor(minCol) - margin);
        var r0 = (int)Math.Max(0, Math.Floor(minRow) - margin);
        var c1 = (int)Math.Min(onto.Width, Math.Ceiling(maxCol) + margin);
        var r1 = (int)Math.Min(onto.Height, Math.Ceiling(maxRow) + margin);
        return c1 <= c0 || r1 <= r0 ? null : new PixelWindow(c0, r0, c1 - c0, r1 - r0);
    }

    internal static string ResamplingName(Resampling r) => r switch
    {
        Resampling.Nearest => "near",
        Resampling.Bilinear => "bilinear",
        Resampling.Cubic => "cubic",
        Resampling.CubicSpline => "cubicspline",
        Resampling.Average => "average",
        Resampling.Mode => "mode",
        _ => throw new ArgumentOutOfRangeException(nameof(r), r, "Unknown resampling."),
    };

    private static string F(double v) => double.IsNaN(v) ? "nan" : v.ToString("R", CultureInfo.InvariantCulture);
}
