using NetTopologySuite.Geometries;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Actors.Config;

/// <summary>What follows from a project's settings alone, for the limits check here and for the sources that read the archive.</summary>
public static class ProjectConfigExtensions
{
    /// <summary>The area of interest in lon/lat (bbox polygon or the GeoJSON file's geometry).</summary>
    public static Geometry AreaLonLat(this ProjectConfig config)
    {
        if (config.Area.Bbox is { } b)
            return new BoundingBox(b[0], b[1], b[2], b[3]).ToPolygon(StacJson.GeometryFactory);
        var path = config.Area.GeoJsonPath ?? throw new ArgumentException("project.area-of-interest: give bbox or geojson.");
        return ProcessingGrid.ParseGeoJsonArea(File.ReadAllText(path));
    }

    /// <summary>Green and SWIR are read only for the CCDC_RIRLS screening (or the CCDC monitor, whose default fit uses it).</summary>
    internal static bool NeedsScreeningBands(this ProjectConfig config) =>
        string.Equals(config.Monitor.Name, "CCDC", StringComparison.OrdinalIgnoreCase)
        || (config.Monitor.Fit.TryGetValue("screen_outliers", out var s) && s.ValueKind == System.Text.Json.JsonValueKind.String
            && string.Equals(s.GetString(), "CCDC_RIRLS", StringComparison.OrdinalIgnoreCase));
}
