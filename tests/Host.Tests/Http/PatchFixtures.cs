using System.Globalization;
using System.Text.Json.Nodes;
using NrtCluster.Geo.Gdal;

namespace NrtCluster.Host.Tests.Http;

/// <summary>
/// Patches files (tiles/TILE/patches.geojson, the schema the tile report writer follows) over <see cref="NodeFixture"/>'s
/// break blocks: in each tile, patch k (0..3) covers columns 40+5k..44+5k and rows 40..42+5k of the block (5(5k+3) pixels
/// of 400 m²: 0.6, 1.6, 2.6 and 3.6 hectares), detected from the tile's first date + 5k to + 5k+4 (the block's dates run by column).
/// Confidence runs high, low, null, high; magnitude 1.5 + k, null for k = 2.
/// </summary>
public static class PatchFixtures
{
    public const int PerTile = 4;

    public static string Id(int tile, int k) => $"{NodeFixture.TileIds[tile]}_{k + 1}";

    public static DateOnly First(int tile, int k) => (tile == 0 ? NodeFixture.Tile0First : NodeFixture.Tile1First).AddDays(5 * k);

    public static DateOnly Last(int tile, int k) => First(tile, k).AddDays(4);

    /// <summary>All patch ids newest first (last date descending): tile 1's before tile 0's, the later bands first.</summary>
    public static string[] NewestFirst =>
        [.. Enumerable.Range(0, 2).Reverse().SelectMany(t => Enumerable.Range(0, PerTile).Reverse().Select(k => Id(t, k)))];

    public static void WriteAll(string folder)
    {
        for (var t = 0; t < 2; t++) Write(folder, t, Enumerable.Range(0, PerTile));
    }

    /// <summary>Writes the patches <paramref name="bands"/> of a tile, as the writer does: a temporary file renamed into place.</summary>
    public static string Write(string folder, int tile, IEnumerable<int> bands)
    {
        var features = new JsonArray(bands.Select(k => (JsonNode)Feature(tile, k)).ToArray());
        var path = Path.Combine(folder, "tiles", NodeFixture.TileIds[tile], "patches.geojson");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path + ".tmp", new JsonObject { ["type"] = "FeatureCollection", ["features"] = features }.ToJsonString());
        File.Move(path + ".tmp", path, overwrite: true);
        return path;
    }

    public static JsonObject Feature(int tile, int k)
    {
        var (lon, lat) = LonLatBlock(tile, k);
        var ring = new JsonArray(Enumerable.Range(0, 5).Select(i => (JsonNode)new JsonArray(lon[i], lat[i])).ToArray());
        var pixels = 5 * (5 * k + 3);
        return new JsonObject
        {
            ["type"] = "Feature",
            ["id"] = Id(tile, k),
            ["geometry"] = new JsonObject { ["type"] = "Polygon", ["coordinates"] = new JsonArray(ring) },
            ["properties"] = new JsonObject
            {
                ["id"] = Id(tile, k),
                ["tile"] = NodeFixture.TileIds[tile],
                ["area_ha"] = pixels * NodeFixture.Resolution * NodeFixture.Resolution / 10000,
                ["first_date"] = First(tile, k).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["last_date"] = Last(tile, k).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["pixels"] = pixels,
                ["confidence"] = (k % 3) switch { 0 => "high", 1 => "low", _ => null },
                ["magnitude"] = k == 2 ? null : 1.5 + k,
            },
        };
    }

    /// <summary>The patch's outline in lon/lat, a closed ring of its 4 corners.</summary>
    public static (double[] Lon, double[] Lat) LonLatBlock(int tile, int k)
    {
        var box = NodeFixture.TileBox(tile);
        int col0 = 40 + 5 * k, col1 = col0 + 5, row0 = 40, row1 = 43 + 5 * k;
        var corners = new[] { (col0, row0), (col1, row0), (col1, row1), (col0, row1), (col0, row0) };
        var xs = new double[5];
        var ys = new double[5];
        for (var i = 0; i < 5; i++) (xs[i], ys[i]) = box.Transform.Apply(corners[i].Item1, corners[i].Item2);
        using var from = SpatialReference.FromUserInput(NodeFixture.Crs);
        using var wgs84 = SpatialReference.Wgs84();
        using var ct = new CoordinateTransformation(from, wgs84);
        ct.Transform(xs, ys);
        return (xs.Select(x => Math.Round(x, 7)).ToArray(), ys.Select(y => Math.Round(y, 7)).ToArray());
    }
}
