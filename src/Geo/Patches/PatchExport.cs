using System.Globalization;
using NrtCluster.Geo.Gdal;

namespace NrtCluster.Geo.Patches;

/// <summary>A vector format patches are exported to: its GDAL driver and file extension.</summary>
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
/// Copies the patches of many tiles (their <c>patches.geojson</c>) into one file of a GDAL vector driver, through
/// GDALVectorTranslate: one layer <c>patches</c>, the patch properties with fixed types (dates as dates), multipolygons in
/// WGS 84 lon/lat. The file appears by rename.
/// </summary>
public static class PatchExport
{
    /// <summary>Writes the patches whose last detection is on or after <paramref name="since"/> (all when null); returns how many.</summary>
    public static long Export(IReadOnlyList<string> patchFiles, string outPath, ExportFormat format, DateOnly? since)
    {
        var full = Path.GetFullPath(outPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        // FlatGeobuf makes a folder for a name without its extension: the temporary name keeps the format's.
        var temp = TemporaryFiles.For(full, format.Extension);
        string[] arguments =
        [
            "-append", "-nln", PatchFile.LayerName, "-nlt", "PROMOTE_TO_MULTI",
            .. since is { } d ? ["-where", string.Create(CultureInfo.InvariantCulture, $"last_date >= '{d:yyyy-MM-dd}'")] : Array.Empty<string>(),
        ];
        try
        {
            using (var output = VectorDataset.Create(temp, format.Driver))
            {
                using var wgs84 = SpatialReference.Wgs84();
                output.CreateLayer(PatchFile.LayerName, wgs84, VectorGeometryType.MultiPolygon, PatchFile.Fields);
                foreach (var file in patchFiles)
                {
                    using var source = VectorDataset.Open(file);
                    // A tile without patches has a layer without fields, which a filter on last_date would refuse.
                    if (source.LayerCount == 0 || source.Layer(0).FeatureCount == 0) continue;
                    VectorTranslate.Into(output, source, arguments);
                }
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
