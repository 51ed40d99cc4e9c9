using System.Collections.Concurrent;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Http.Wms;

/// <summary>A CRS named in a WMS request: the definition OSR understands, and whether WMS 1.3.0 puts north first.</summary>
public sealed record WmsCrs(string Name, string Definition, bool NorthFirst);

/// <summary>CRS names in WMS requests and capabilities, and transforms of extents between CRSs.</summary>
public static class CrsNames
{
    private static readonly ConcurrentDictionary<string, bool> NorthFirstByDefinition = new();

    /// <summary>
    /// Resolves a CRS parameter ("EPSG:3857", "CRS:84", ...). In WMS 1.3.0 the BBOX follows the CRS's own axis order
    /// (latitude first for EPSG:4326, northing first for EPSG:3035); CRS:84 is longitude first.
    /// </summary>
    public static WmsCrs Resolve(string name)
    {
        var upper = name.Trim().ToUpperInvariant();
        if (upper is "CRS:84" or "OGC:CRS84") return new WmsCrs("CRS:84", "EPSG:4326", false);
        if (!upper.StartsWith("EPSG:", StringComparison.Ordinal) || !int.TryParse(upper.AsSpan(5), out _))
            throw new ArgumentException($"CRS '{name}' is not supported; use one of the CRSs the capabilities list, e.g. EPSG:3857 or EPSG:4326.");
        return new WmsCrs(upper, upper, IsNorthFirst(upper));
    }

    /// <summary>"EPSG:nnnn" when the CRS has an EPSG code, else its definition shortened.</summary>
    public static string Describe(string crs)
    {
        using var srs = SpatialReference.FromUserInput(crs);
        return srs.EpsgCode is { } code ? $"EPSG:{code}" : (crs.Length <= 80 ? crs : crs[..77] + "...");
    }

    /// <summary>The EPSG name of a CRS definition, or null when it has no EPSG code (then it cannot be requested by name).</summary>
    public static string? EpsgName(string crs)
    {
        using var srs = SpatialReference.FromUserInput(crs);
        return srs.EpsgCode is { } code ? $"EPSG:{code}" : null;
    }

    /// <summary>
    /// Whether the authority's axis order starts with north (latitude or northing). Read from the last two AXIS
    /// entries of the WKT1, which belong to the root (projected or geographic) CRS.
    /// </summary>
    public static bool IsNorthFirst(string definition) => NorthFirstByDefinition.GetOrAdd(definition, d =>
    {
        using var srs = SpatialReference.FromUserInput(d);
        var wkt = srs.ToWkt();
        var axes = new List<string>();
        for (var i = wkt.IndexOf("AXIS[", StringComparison.Ordinal); i >= 0; i = wkt.IndexOf("AXIS[", i + 5, StringComparison.Ordinal))
        {
            var close = wkt.IndexOf(']', i);
            axes.Add(wkt[i..close]);
        }
        return axes.Count >= 2 && (axes[^2].EndsWith(",NORTH", StringComparison.Ordinal) || axes[^2].EndsWith(",SOUTH", StringComparison.Ordinal));
    });

    /// <summary>The bounds of <paramref name="box"/> in <paramref name="targetCrs"/> (x = easting/longitude), from densified edges.</summary>
    public static Bounds TransformBounds(GeoBox box, string targetCrs)
    {
        var (xs, ys) = box.Outline(perEdge: 20);
        using (var from = SpatialReference.FromUserInput(box.Crs))
        using (var to = SpatialReference.FromUserInput(targetCrs))
        using (var ct = new CoordinateTransformation(from, to))
            ct.Transform(xs, ys);
        return new Bounds(xs.Min(), ys.Min(), xs.Max(), ys.Max());
    }
}
