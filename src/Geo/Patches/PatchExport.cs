using System.Globalization;
using NrtCluster.Geo.Gdal;

namespace NrtCluster.Geo.Patches;

/// <summary>A vector format alerts are exported to: its GDAL driver and file extension.</summary>
public sealed record ExportFormat(string Name, string Driver, string Extension)
{
    public static IReadOnlyList<ExportFormat> All { get; } =
        [new("FlatGeobuf", "FlatGeobuf", ".fgb"), new("GPKG", "GPKG", ".gpkg"), new("GeoJSON", "GeoJSON", ".geojson")];

    /// <summary>The format named (any case), or null.</summary>
    public static ExportFormat? Named(string name) => All.FirstOrDefault(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The format a file name's extension implies (.json counts as GeoJSON), or null.</summary>
    public static ExportFormat? ForPath(string path)
    {
        var ext = Path.GetExtension(path);
        return ext.Equals(".json", StringComparison.OrdinalIgnoreCase) ? Named("GeoJSON") : All.FirstOrDefault(f => f.Extension.Equals(ext, StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>
/// Writes the alerts of many tiles into one file of a GDAL vector driver, in WGS 84 lon/lat, appearing by rename:
/// the patches (layer <c>patches</c>, from every <c>patches.geojson</c>, copied by GDALVectorTranslate) or the break
/// pixels as points (layer <c>alerts</c>, from every tile report).
/// </summary>
public static class AlertExport
{
    public const string AlertsLayer = "alerts";

    /// <summary>The fields of the alerts layer; <c>id</c> is the alert feed's <c>TILE/row/col</c>.</summary>
    public static IReadOnlyList<VectorField> AlertFields { get; } =
    [
        new("id", VectorFieldType.String), new("tile", VectorFieldType.String), new("row", VectorFieldType.Integer), new("col", VectorFieldType.Integer),
        new("detection_date", VectorFieldType.Date), new("confidence", VectorFieldType.String), new("magnitude", VectorFieldType.Real),
    ];

    /// <summary>The patches whose last detection is on or after <paramref name="since"/> (all when null); returns how many were written.</summary>
    public static long Patches(IReadOnlyList<string> patchFiles, string outPath, ExportFormat format, DateOnly? since)
    {
        string[] arguments =
        [
            "-append", "-nln", PatchFile.LayerName, "-nlt", "PROMOTE_TO_MULTI",
            .. since is { } d ? ["-where", string.Create(CultureInfo.InvariantCulture, $"last_date >= '{d:yyyy-MM-dd}'")] : Array.Empty<string>(),
        ];
        return Write(outPath, format, PatchFile.LayerName, VectorGeometryType.MultiPolygon, PatchFile.Fields, (output, _) =>
        {
            foreach (var file in patchFiles)
            {
                using var source = VectorDataset.Open(file);
                // A tile without patches has a layer without fields, which a filter on last_date would refuse.
                if (source.LayerCount == 0 || source.Layer(0).FeatureCount == 0) continue;
                VectorTranslate.Into(output, source, arguments);
            }
        });
    }

    /// <summary>
    /// The break pixels of the tile reports (<paramref name="reports"/>: path and tile id) detected on or after
    /// <paramref name="since"/>, as points at the pixel centres; returns how many were written.
    /// </summary>
    public static long Alerts(IReadOnlyList<(string Path, string Tile)> reports, string outPath, ExportFormat format, DateOnly? since)
    {
        var from = since is { } d ? d.DayNumber - new DateOnly(1970, 1, 1).DayNumber : 1;
        return Write(outPath, format, AlertsLayer, VectorGeometryType.Point, AlertFields, (_, layer) =>
        {
            using var wgs84 = SpatialReference.Wgs84();
            foreach (var (path, tile) in reports)
            {
                var pixels = BreakPixels.FromReport(path, tile);
                var box = pixels.Box;
                var hits = Enumerable.Range(0, pixels.Dates.Length).Where(i => pixels.Dates[i] != 0 && pixels.Dates[i] >= from).ToArray();
                var xs = new double[hits.Length];
                var ys = new double[hits.Length];
                for (var k = 0; k < hits.Length; k++) (xs[k], ys[k]) = box.PixelCentre(hits[k] % box.Width, hits[k] / box.Width);
                using (var grid = SpatialReference.FromUserInput(box.Crs))
                using (var toLonLat = new CoordinateTransformation(grid, wgs84))
                    toLonLat.Transform(xs, ys);
                for (var k = 0; k < hits.Length; k++)
                {
                    int i = hits[k], row = i / box.Width, col = i % box.Width;
                    using var point = VectorGeometry.Point(xs[k], ys[k]);
                    layer.Add(point,
                    [
                        string.Create(CultureInfo.InvariantCulture, $"{tile}/{row}/{col}"), tile, row, col, PatchGrouping.DateOf(pixels.Dates[i]),
                        pixels.Confidence is { } c ? BreakPixels.ConfidenceName(c[i]) : null,
                        pixels.Magnitude is { } m ? BreakPixels.MagnitudeOf(m[i]) : null,
                    ]);
                }
            }
        });
    }

    /// <summary>Creates the file under a temporary name with one layer, lets <paramref name="fill"/> add the features, renames it into place.</summary>
    private static long Write(string outPath, ExportFormat format, string layerName, VectorGeometryType type, IReadOnlyList<VectorField> fields,
        Action<VectorDataset, VectorLayer> fill)
    {
        var full = Path.GetFullPath(outPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        // FlatGeobuf makes a folder for a name without its extension: the temporary name keeps the format's.
        var temp = TemporaryFiles.For(full, format.Extension);
        try
        {
            using (var output = VectorDataset.Create(temp, format.Driver))
            {
                using var wgs84 = SpatialReference.Wgs84();
                fill(output, output.CreateLayer(layerName, wgs84, type, fields));
                output.Close();
            }
            long count;
            using (var written = VectorDataset.Open(temp)) count = written.Layer(0).FeatureCount;
            File.Move(temp, full, overwrite: true);
            return count;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
