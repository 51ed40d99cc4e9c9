namespace NrtCluster.Geo.Gdal;

/// <summary>
/// An affine pixel-to-CRS transform in GDAL order: x = X0 + col*PixelWidth + row*RowRotation,
/// y = Y0 + col*ColumnRotation + row*PixelHeight (PixelHeight is negative for north-up rasters).
/// </summary>
public readonly record struct GeoTransform(double X0, double PixelWidth, double RowRotation, double Y0, double ColumnRotation, double PixelHeight)
{
    /// <summary>A north-up transform with square pixels whose upper-left corner is (left, top).</summary>
    public static GeoTransform NorthUp(double left, double top, double resolution) => new(left, resolution, 0, top, 0, -resolution);

    public static GeoTransform FromGdal(ReadOnlySpan<double> t) => new(t[0], t[1], t[2], t[3], t[4], t[5]);

    public double[] ToGdal() => [X0, PixelWidth, RowRotation, Y0, ColumnRotation, PixelHeight];

    /// <summary>CRS coordinates of a (fractional) pixel position; (0,0) is the upper-left corner of the first pixel.</summary>
    public (double X, double Y) Apply(double col, double row) =>
        (X0 + col * PixelWidth + row * RowRotation, Y0 + col * ColumnRotation + row * PixelHeight);

    /// <summary>Fractional pixel position of CRS coordinates.</summary>
    public (double Col, double Row) Invert(double x, double y)
    {
        var det = PixelWidth * PixelHeight - RowRotation * ColumnRotation;
        if (det == 0) throw new InvalidOperationException("The geotransform is singular (zero pixel size).");
        var dx = x - X0;
        var dy = y - Y0;
        return ((dx * PixelHeight - dy * RowRotation) / det, (dy * PixelWidth - dx * ColumnRotation) / det);
    }
}

/// <summary>Axis-aligned bounds in some CRS.</summary>
public readonly record struct Bounds(double MinX, double MinY, double MaxX, double MaxY)
{
    public double Width => MaxX - MinX;
    public double Height => MaxY - MinY;
}

/// <summary>
/// The shape, affine transform and CRS of a raster: everything needed to place its pixels.
/// <paramref name="Crs"/> is any definition OSR accepts ("EPSG:3035", WKT).
/// </summary>
public sealed record GeoBox(int Width, int Height, GeoTransform Transform, string Crs)
{
    public int PixelCount => Width * Height;

    /// <summary>A north-up geobox whose upper-left corner is (left, top).</summary>
    public static GeoBox NorthUp(string crs, double left, double top, double resolution, int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"A geobox needs a positive size, got {width} x {height}.");
        if (!(resolution > 0)) throw new ArgumentOutOfRangeException(nameof(resolution), $"The resolution must be positive, got {resolution}.");
        return new GeoBox(width, height, GeoTransform.NorthUp(left, top, resolution), crs);
    }

    /// <summary>CRS coordinates of the centre of pixel (col, row).</summary>
    public (double X, double Y) PixelCentre(int col, int row) => Transform.Apply(col + 0.5, row + 0.5);

    /// <summary>
    /// The outline in this box's CRS: <paramref name="perEdge"/> points along each edge, clockwise from the upper-left corner
    /// (not closed). Transforming the densified outline follows edges that curve in another CRS.
    /// </summary>
    public (double[] Xs, double[] Ys) Outline(int perEdge)
    {
        if (perEdge < 1) throw new ArgumentOutOfRangeException(nameof(perEdge), perEdge, "An outline needs at least one point per edge.");
        var xs = new double[4 * perEdge];
        var ys = new double[4 * perEdge];
        for (var i = 0; i < perEdge; i++)
        {
            var f = (double)i / perEdge;
            (xs[i], ys[i]) = Transform.Apply(f * Width, 0);
            (xs[perEdge + i], ys[perEdge + i]) = Transform.Apply(Width, f * Height);
            (xs[2 * perEdge + i], ys[2 * perEdge + i]) = Transform.Apply((1 - f) * Width, Height);
            (xs[3 * perEdge + i], ys[3 * perEdge + i]) = Transform.Apply(0, (1 - f) * Height);
        }
        return (xs, ys);
    }

    /// <summary>The pixel-centre x coordinates of every column (north-up boxes).</summary>
    public double[] ColumnCentres()
    {
        var xs = new double[Width];
        for (var c = 0; c < Width; c++) xs[c] = PixelCentre(c, 0).X;
        return xs;
    }

    /// <summary>The pixel-centre y coordinates of every row (north-up boxes).</summary>
    public double[] RowCentres()
    {
        var ys = new double[Height];
        for (var r = 0; r < Height; r++) ys[r] = PixelCentre(0, r).Y;
        return ys;
    }

    /// <summary>The bounds of the four corners.</summary>
    public Bounds Bounds
    {
        get
        {
            Span<(double X, double Y)> corners = [Transform.Apply(0, 0), Transform.Apply(Width, 0), Transform.Apply(0, Height), Transform.Apply(Width, Height)];
            double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
            foreach (var (x, y) in corners)
            {
                minX = Math.Min(minX, x); maxX = Math.Max(maxX, x);
                minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
            }
            return new Bounds(minX, minY, maxX, maxY);
        }
    }

    /// <summary>The pixel size along x (north-up boxes).</summary>
    public double ResolutionX => Math.Abs(Transform.PixelWidth);

    public double ResolutionY => Math.Abs(Transform.PixelHeight);
}
