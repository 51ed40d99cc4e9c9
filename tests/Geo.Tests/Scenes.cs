using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Geo.Tests;

/// <summary>Writes small Sentinel-2-like UTM rasters for the tests, placed relative to an EPSG:3035 tile.</summary>
public static class Scenes
{
    /// <summary>A 200 x 200 EPSG:3035 tile of 20 m pixels just north-west of (10E, 52N).</summary>
    public static readonly GeoBox Tile = GeoBox.NorthUp("EPSG:3035", 4320000, 3220000, 20, 200, 200);

    /// <summary>
    /// A 20 m UTM geobox (snapped to the 20 m grid) covering the tile's columns [fromFraction, toFraction) of its
    /// width with <paramref name="margin"/> metres to spare.
    /// </summary>
    public static GeoBox UtmBoxCovering(GeoBox tile, int epsg, double fromFraction = 0, double toFraction = 1, double margin = 200) =>
        tile.CoveringIn(epsg, 20, fromFraction, toFraction, margin);

    /// <summary>Fills a raster from a function of the pixel-centre CRS coordinates.</summary>
    public static T[] Fill<T>(GeoBox box, Func<double, double, T> value)
    {
        var pixels = new T[box.PixelCount];
        for (var r = 0; r < box.Height; r++)
            for (var c = 0; c < box.Width; c++)
            {
                var (x, y) = box.PixelCentre(c, r);
                pixels[r * box.Width + c] = value(x, y);
            }
        return pixels;
    }

    public static string WriteUInt16(string path, GeoBox box, Func<double, double, ushort> value)
    {
        GeoTiffWriter.Write(path, box, [(Path.GetFileNameWithoutExtension(path), Fill(box, value))], RasterDataType.UInt16, 0, cog: true);
        return path;
    }

    public static string WriteConstant(string path, GeoBox box, ushort dn) => WriteUInt16(path, box, (_, _) => dn);

    /// <summary>Writes one COG per band of a granule with constant DNs; returns the paths by band.</summary>
    public static Dictionary<LogicalBand, string> WriteGranule(string folder, string name, GeoBox box,
        ushort red, ushort nir, ushort green = 1500, ushort swir1 = 2500, ushort swir2 = 3500, Func<double, double, ushort>? scl = null)
    {
        Directory.CreateDirectory(folder);
        var paths = new Dictionary<LogicalBand, string>
        {
            [LogicalBand.Red] = WriteConstant(Path.Combine(folder, $"{name}_red.tif"), box, red),
            [LogicalBand.Nir] = WriteConstant(Path.Combine(folder, $"{name}_nir.tif"), box, nir),
            [LogicalBand.Green] = WriteConstant(Path.Combine(folder, $"{name}_green.tif"), box, green),
            [LogicalBand.Swir1] = WriteConstant(Path.Combine(folder, $"{name}_swir1.tif"), box, swir1),
            [LogicalBand.Swir2] = WriteConstant(Path.Combine(folder, $"{name}_swir2.tif"), box, swir2),
        };
        var sclPath = Path.Combine(folder, $"{name}_scl.tif");
        GeoTiffWriter.Write(sclPath, box, [("SCL", Fill(box, scl ?? ((_, _) => (byte)4)))], RasterDataType.Byte, 0, cog: true);
        paths[LogicalBand.Scl] = sclPath;
        return paths;
    }

    /// <summary>Band sources as a provider profile would resolve them, with the baseline-04.00 scaling.</summary>
    public static ObservationItemBuilder Item(string id, IReadOnlyDictionary<LogicalBand, string> paths, double offset = -0.1) =>
        new(id, paths, offset);

    public sealed record ObservationItemBuilder(string Id, IReadOnlyDictionary<LogicalBand, string> Paths, double Offset)
    {
        public Sentinel2.ObservationItem Build(Func<string, string>? pathMap = null) => new(Id, Paths.ToDictionary(
            p => p.Key,
            p => new BandSource(Id, p.Key, p.Key.ToString().ToLowerInvariant(), p.Value, (pathMap ?? (s => s))(p.Value),
                p.Key.IsClassLayer()
                    ? new ReflectanceScaling(1, 0, ScalingSource.ClassLayer, "class layer")
                    : new ReflectanceScaling(1e-4, Offset, ScalingSource.ProcessingBaseline, "test"),
                0, new Dictionary<string, string>(), null)));
    }
}
