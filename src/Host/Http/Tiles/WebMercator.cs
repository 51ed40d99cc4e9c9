using NrtCluster.Geo.Gdal;

namespace NrtCluster.Host.Http.Tiles;

/// <summary>
/// The XYZ tile grid of web maps (OGC's GoogleMapsCompatible tile matrix set): EPSG:3857, 256 x 256 pixel tiles, zoom z
/// splits the square world into 2^z x 2^z tiles, x from the west and y from the north.
/// </summary>
public static class WebMercator
{
    public const string Crs = "EPSG:3857";

    public const int TileSize = 256;

    /// <summary>The deepest zoom served: about 0.6 m a pixel at the equator, finer than any Sentinel-2 grid.</summary>
    public const int MaxZoom = 18;

    /// <summary>Half the width of the world in EPSG:3857 metres (pi times the WGS 84 semi-major axis).</summary>
    public const double HalfWorld = 20037508.342789244;

    /// <summary>Tiles along each axis at <paramref name="z"/>.</summary>
    public static int MatrixSize(int z) => 1 << z;

    /// <summary>EPSG:3857 metres per pixel at <paramref name="z"/>.</summary>
    public static double Resolution(int z) => 2 * HalfWorld / TileSize / MatrixSize(z);

    /// <summary>The OGC scale denominator of <paramref name="z"/> (0.28 mm standard rendering pixels).</summary>
    public static double ScaleDenominator(int z) => Resolution(z) / 0.00028;

    /// <summary>The EPSG:3857 bounds of tile (z, x, y).</summary>
    public static Bounds TileBounds(int z, int x, int y)
    {
        var size = 2 * HalfWorld / MatrixSize(z);
        return new Bounds(-HalfWorld + x * size, HalfWorld - (y + 1) * size, -HalfWorld + (x + 1) * size, HalfWorld - y * size);
    }

    /// <summary>Tile (z, x, y) as a map box, placed as a WMS GetMap of its bounds at 256 x 256 is (so both draw the same pixels).</summary>
    public static GeoBox TileBox(int z, int x, int y)
    {
        var b = TileBounds(z, x, y);
        return new GeoBox(TileSize, TileSize, new GeoTransform(b.MinX, b.Width / TileSize, 0, b.MaxY, 0, -b.Height / TileSize), Crs);
    }

    /// <summary>The columns and rows of the tiles at <paramref name="z"/> that <paramref name="mercator"/> (EPSG:3857 bounds) touches.</summary>
    public static (int MinCol, int MinRow, int MaxCol, int MaxRow) TileRange(Bounds mercator, int z)
    {
        var size = 2 * HalfWorld / MatrixSize(z);
        int Clamp(double v) => (int)Math.Clamp(Math.Floor(v), 0, MatrixSize(z) - 1);
        return (Clamp((mercator.MinX + HalfWorld) / size), Clamp((HalfWorld - mercator.MaxY) / size),
            Clamp((mercator.MaxX + HalfWorld) / size), Clamp((HalfWorld - mercator.MinY) / size));
    }
}
