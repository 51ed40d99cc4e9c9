using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Geo.Synthetic;

/// <summary>
/// One Sentinel-2 granule window: a north-up UTM raster inside an MGRS tile, with the part outside the orbit's swath
/// (beyond <see cref="IsValid"/>'s edge) left as nodata, as in real granules at the edge of a data strip.
/// </summary>
public sealed class Granule
{
    private readonly (double C0, double R0, double C1, double R1)? _swathEdge;
    private readonly double _invalidSide;

    internal Granule(string tile, int epsg, GeoBox box, (double C0, double R0, double C1, double R1)? swathEdge,
        IReadOnlyList<(double Lon, double Lat)> footprint)
    {
        Tile = tile;
        Epsg = epsg;
        Box = box;
        _swathEdge = swathEdge;
        if (swathEdge is { } e) _invalidSide = Side(e, box.Width, 0);
        Footprint = footprint;
    }

    /// <summary>MGRS tile, e.g. "32UQU".</summary>
    public string Tile { get; }

    public int Epsg { get; }

    public GeoBox Box { get; }

    /// <summary>The valid-data polygon in lon/lat, closed (first point repeated last), counter-clockwise.</summary>
    public IReadOnlyList<(double Lon, double Lat)> Footprint { get; }

    /// <summary>West, south, east, north of <see cref="Footprint"/>.</summary>
    public double[] BboxLonLat => [Footprint.Min(p => p.Lon), Footprint.Min(p => p.Lat), Footprint.Max(p => p.Lon), Footprint.Max(p => p.Lat)];

    /// <summary>Whether the fractional pixel position (col, row) holds data: inside the window and inside the swath.</summary>
    public bool IsValid(double col, double row)
    {
        if (col < 0 || row < 0 || col >= Box.Width || row >= Box.Height) return false;
        return _swathEdge is not { } e || Math.Sign(Side(e, col, row)) != Math.Sign(_invalidSide);
    }

    private static double Side((double C0, double R0, double C1, double R1) e, double col, double row) =>
        (e.C1 - e.C0) * (row - e.R0) - (e.R1 - e.R0) * (col - e.C0);

    /// <summary>The valid-data polygon in pixel coordinates (corners), counter-clockwise on the map, closed.</summary>
    internal static (double Col, double Row)[] PixelFootprint(int size, (double C0, double R0, double C1, double R1)? edge) =>
        edge is { } e
            ? [(0, 0), (0, size), (size, size), (e.C1, e.R1), (e.C0, e.R0), (0, 0)]
            : [(0, 0), (0, size), (size, size), (size, 0), (0, 0)];
}

/// <summary>
/// Where the synthetic archive lies: two granules in UTM zones 32N and 33N overlapping across 12°E at 48°N, and the
/// EPSG:3035 20 m reference grid (forest mask, ground truth) that covers both.
/// </summary>
public sealed class SceneGeometry
{
    public const double Resolution = 20;
    public const string ReferenceCrs = "EPSG:3035";
    private const double CentreLongitude = 12.0;
    // Just north of 48°N so that windows of any sensible size lie in MGRS latitude band U.
    private const double CentreLatitude = 48.05;

    private SceneGeometry(IReadOnlyList<Granule> granules, GeoBox reference)
    {
        Granules = granules;
        Reference = reference;
    }

    /// <summary>West granule (zone 32) first, east granule (zone 33, clipped by the swath edge) second.</summary>
    public IReadOnlyList<Granule> Granules { get; }

    /// <summary>The EPSG:3035 20 m grid, snapped to multiples of 20 m, covering both granules.</summary>
    public GeoBox Reference { get; }

    /// <summary>West, south, east, north in lon/lat of both footprints.</summary>
    public double[] BboxLonLat
    {
        get
        {
            var all = Granules.SelectMany(g => g.Footprint).ToArray();
            return [all.Min(p => p.Lon), all.Min(p => p.Lat), all.Max(p => p.Lon), all.Max(p => p.Lat)];
        }
    }

    public static SceneGeometry Create(int granuleSize)
    {
        var extent = granuleSize * Resolution;
        // The windows overlap by half their width across the zone boundary; the east one sits a tenth higher so the
        // union is not a rectangle, and loses its north-east corner to the swath edge.
        var west = MakeGranule(32, -extent / 4, 0, granuleSize, null);
        var east = MakeGranule(33, extent / 4, extent / 10, granuleSize, (0.55 * granuleSize, 0, granuleSize, 0.45 * granuleSize));
        return new SceneGeometry([west, east], ReferenceGrid([west, east]));
    }

    private static Granule MakeGranule(int zone, double dx, double dy, int size, (double, double, double, double)? edge)
    {
        var epsg = 32600 + zone;
        using var wgs84 = SpatialReference.Wgs84();
        using var utm = SpatialReference.FromEpsg(epsg);
        using var toUtm = new CoordinateTransformation(wgs84, utm);
        using var toLonLat = new CoordinateTransformation(utm, wgs84);
        var (cx, cy) = toUtm.Transform(CentreLongitude, CentreLatitude);
        var extent = size * Resolution;
        // Sentinel-2 tiles have upper-left corners on multiples of 20 m (e.g. 699960, 5400000).
        var left = Math.Round((cx + dx - extent / 2) / Resolution) * Resolution;
        var top = Math.Round((cy + dy + extent / 2) / Resolution) * Resolution;
        var box = GeoBox.NorthUp($"EPSG:{epsg}", left, top, Resolution, size, size);
        var ring = Granule.PixelFootprint(size, edge);
        var xs = ring.Select(p => box.Transform.Apply(p.Col, p.Row).X).ToArray();
        var ys = ring.Select(p => box.Transform.Apply(p.Col, p.Row).Y).ToArray();
        toLonLat.Transform(xs, ys);
        var footprint = xs.Zip(ys, (lon, lat) => (lon, lat)).ToArray();
        var (mx, my) = box.PixelCentre(size / 2, size / 2);
        var (_, centreLat) = toLonLat.Transform(mx, my);
        return new Granule(MgrsTile(zone, mx, my, centreLat), epsg, box, edge, footprint);
    }

    private static GeoBox ReferenceGrid(IReadOnlyList<Granule> granules)
    {
        using var wgs84 = SpatialReference.Wgs84();
        using var laea = SpatialReference.FromUserInput(ReferenceCrs);
        using var toLaea = new CoordinateTransformation(wgs84, laea);
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        foreach (var g in granules)
        {
            // Densified edges: a straight UTM edge is slightly curved in EPSG:3035.
            for (var i = 0; i < g.Footprint.Count - 1; i++)
            {
                for (var k = 0; k < 16; k++)
                {
                    var t = k / 16.0;
                    var lon = g.Footprint[i].Lon + t * (g.Footprint[i + 1].Lon - g.Footprint[i].Lon);
                    var lat = g.Footprint[i].Lat + t * (g.Footprint[i + 1].Lat - g.Footprint[i].Lat);
                    var (x, y) = toLaea.Transform(lon, lat);
                    minX = Math.Min(minX, x); maxX = Math.Max(maxX, x);
                    minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
                }
            }
        }
        var left = Math.Floor(minX / Resolution) * Resolution;
        var top = Math.Ceiling(maxY / Resolution) * Resolution;
        var width = (int)Math.Ceiling((maxX - left) / Resolution);
        var height = (int)Math.Ceiling((top - minY) / Resolution);
        return GeoBox.NorthUp(ReferenceCrs, left, top, Resolution, width, height);
    }

    /// <summary>Pixel-centre coordinates of every pixel of <paramref name="box"/> (row-major) in <paramref name="targetCrs"/>.</summary>
    public static (double[] X, double[] Y) PixelCentres(GeoBox box, string targetCrs)
    {
        var xs = new double[box.PixelCount];
        var ys = new double[box.PixelCount];
        for (var r = 0; r < box.Height; r++)
            for (var c = 0; c < box.Width; c++)
                (xs[r * box.Width + c], ys[r * box.Width + c]) = box.PixelCentre(c, r);
        using var source = SpatialReference.FromUserInput(box.Crs);
        using var target = SpatialReference.FromUserInput(targetCrs);
        using var transform = new CoordinateTransformation(source, target);
        transform.Transform(xs, ys);
        return (xs, ys);
    }

    /// <summary>Whether each point (in <see cref="ReferenceCrs"/>) holds data in at least one granule.</summary>
    public bool[] Covered(double[] x, double[] y)
    {
        var covered = new bool[x.Length];
        using var laea = SpatialReference.FromUserInput(ReferenceCrs);
        foreach (var g in Granules)
        {
            var gx = (double[])x.Clone();
            var gy = (double[])y.Clone();
            using var utm = SpatialReference.FromEpsg(g.Epsg);
            using var toUtm = new CoordinateTransformation(laea, utm);
            toUtm.Transform(gx, gy);
            for (var i = 0; i < x.Length; i++)
            {
                var (col, row) = g.Box.Transform.Invert(gx[i], gy[i]);
                covered[i] |= g.IsValid(col, row);
            }
        }
        return covered;
    }

    /// <summary>MGRS 100 km square name of a UTM point, the way Sentinel-2 tiles are named (e.g. "32UQU").</summary>
    public static string MgrsTile(int zone, double easting, double northing, double latitude)
    {
        const string bands = "CDEFGHJKLMNPQRSTUVWX";
        const string rows = "ABCDEFGHJKLMNPQRSTUV";
        string[] columnSets = ["ABCDEFGH", "JKLMNPQR", "STUVWXYZ"];
        var band = bands[Math.Clamp((int)Math.Floor((latitude + 80) / 8), 0, bands.Length - 1)];
        var column = columnSets[(zone - 1) % 3][(int)Math.Floor(easting / 100_000) - 1];
        var row = rows[((int)Math.Floor(northing / 100_000) + (zone % 2 == 0 ? 5 : 0)) % 20];
        return $"{zone}{band}{column}{row}";
    }
}
