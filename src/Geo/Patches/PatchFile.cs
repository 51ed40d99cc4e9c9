using System.Globalization;
using System.Text.Json.Nodes;
using NrtCluster.Geo.Gdal;

namespace NrtCluster.Geo.Patches;

/// <summary>
/// A tile's <c>patches.geojson</c> beside its report: an RFC 7946 FeatureCollection in WGS 84 lon/lat, one feature per patch,
/// feature id = the patch id, properties <c>id, tile, area_ha, first_date, last_date, pixels, confidence, magnitude</c>.
/// GDAL traces the outlines (GDALPolygonize), reprojects them and writes the GeoJSON; the file appears by rename.
/// </summary>
public static class PatchFile
{
    public const string FileName = "patches.geojson";
    public const string LayerName = "patches";

    /// <summary>The properties, in order, with the types an export gives them.</summary>
    public static IReadOnlyList<VectorField> Fields { get; } =
    [
        new("id", VectorFieldType.String), new("tile", VectorFieldType.String), new("area_ha", VectorFieldType.Real),
        new("first_date", VectorFieldType.Date), new("last_date", VectorFieldType.Date), new("pixels", VectorFieldType.Integer),
        new("confidence", VectorFieldType.String), new("magnitude", VectorFieldType.Real),
    ];

    /// <summary>Groups <paramref name="pixels"/> into patches and writes them to <paramref name="path"/>; returns the patches.</summary>
    public static IReadOnlyList<AlertPatch> Write(string path, BreakPixels pixels, int windowDays)
    {
        var grouped = PatchGrouping.Group(pixels, windowDays);
        var outlines = Polygonizer.Polygonize(pixels.Box, grouped.Labels);
        try
        {
            using var grid = SpatialReference.FromUserInput(pixels.Box.Crs);
            using var wgs84 = SpatialReference.Wgs84();
            using var toLonLat = new CoordinateTransformation(grid, wgs84);
            var memPath = $"/vsimem/patches-{Guid.NewGuid():N}.geojson";
            using (var ds = VectorDataset.Create(memPath, "GeoJSON"))
            {
                // Dates as text here: the GeoJSON driver writes them as given, and a reader's type guess makes them dates again.
                var fields = Fields.Select(f => f.Type == VectorFieldType.Date ? f with { Type = VectorFieldType.String } : f).ToList();
                var layer = ds.CreateLayer(LayerName, wgs84, VectorGeometryType.Unknown, fields, ["RFC7946=YES"]);
                for (var k = 0; k < grouped.Patches.Count; k++)
                {
                    var p = grouped.Patches[k];
                    var outline = outlines[k + 1];
                    outline.Transform(toLonLat);
                    layer.Add(outline, [p.Id, p.Tile, p.AreaHa, p.FirstDate, p.LastDate, p.Pixels, p.Confidence, p.Magnitude]);
                }
                ds.Close();
            }
            WriteAtomically(path, WithFeatureIds(TakeMemoryFile(memPath, path)));
            return grouped.Patches;
        }
        finally
        {
            foreach (var g in outlines.Values) g.Dispose();
        }
    }

    /// <summary>
    /// GDAL's GeoJSON writer puts a feature's id either at the top or in the properties, never both: the schema wants both,
    /// so the top-level id is set here from the <c>id</c> property.
    /// </summary>
    private static byte[] WithFeatureIds(byte[] geoJson)
    {
        var doc = JsonNode.Parse(geoJson)!.AsObject();
        var features = doc["features"]!.AsArray();
        for (var i = 0; i < features.Count; i++)
        {
            var f = features[i]!.AsObject();
            var properties = f["properties"]!.DeepClone();
            var geometry = f["geometry"]?.DeepClone();
            features[i] = new JsonObject
            {
                ["type"] = "Feature", ["id"] = properties["id"]!.GetValue<string>(), ["properties"] = properties, ["geometry"] = geometry,
            };
        }
        return System.Text.Encoding.UTF8.GetBytes(doc.ToJsonString());
    }

    private static unsafe byte[] TakeMemoryFile(string memPath, string target)
    {
        ulong length;
        var buffer = GdalNative.VSIGetMemFileBuffer(memPath, &length, 1);
        if (buffer == IntPtr.Zero) throw new GdalException($"GDAL wrote no GeoJSON for '{target}'.", target);
        try { return new ReadOnlySpan<byte>((void*)buffer, checked((int)length)).ToArray(); }
        finally { GdalNative.VSIFree(buffer); }
    }

    private static void WriteAtomically(string path, byte[] content)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = TemporaryFiles.For(full);
        try
        {
            File.WriteAllBytes(temp, content);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Every tile's patches file under an output folder (<c>tiles/TILE/patches.geojson</c>), in path order.</summary>
    public static IReadOnlyList<string> FilesUnder(string outputFolder)
    {
        var tiles = Path.Combine(outputFolder, "tiles");
        return Directory.Exists(tiles)
            ? Directory.EnumerateFiles(tiles, FileName, SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList()
            : [];
    }

    /// <summary>Reads a patches file back through GDAL (the patches' geometry aside).</summary>
    public static IReadOnlyList<AlertPatch> Read(string path)
    {
        using var ds = VectorDataset.Open(path);
        return ds.Layer(0).Features().Select(f =>
        {
            var v = f.Values;
            var id = v["id"]!;
            var seed = id[(id.LastIndexOf("-r", StringComparison.Ordinal) + 2)..].Split('c');
            return new AlertPatch(id, v["tile"]!, double.Parse(v["area_ha"]!, CultureInfo.InvariantCulture),
                DateOnly.Parse(v["first_date"]!.Replace('/', '-'), CultureInfo.InvariantCulture), DateOnly.Parse(v["last_date"]!.Replace('/', '-'), CultureInfo.InvariantCulture),
                int.Parse(v["pixels"]!, CultureInfo.InvariantCulture), v["confidence"],
                v["magnitude"] is { } m ? double.Parse(m, CultureInfo.InvariantCulture) : null,
                int.Parse(seed[0], CultureInfo.InvariantCulture), int.Parse(seed[1], CultureInfo.InvariantCulture));
        }).ToList();
    }
}
