using System.Globalization;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Host.Http.Rendering;
using NrtCluster.Host.Http.Reports;

namespace NrtCluster.Host.Http.Wms;

/// <summary>The map window of a GetMap/GetFeatureInfo request: a north-up box in the request CRS.</summary>
public sealed record MapWindow(GeoBox Box, WmsCrs Crs);

/// <summary>
/// The parameters of one WMS request, read and checked: each reader returns the value or throws a
/// <see cref="WmsException"/> that names the parameter and what it should be.
/// </summary>
public sealed class WmsRequest(Func<string, string?> parameter)
{
    /// <summary>The largest WIDTH and HEIGHT served (also announced as MaxWidth/MaxHeight).</summary>
    public const int MaxSize = 4096;

    public string? Optional(string name) => parameter(name);

    public string Required(string name) =>
        parameter(name) is { Length: > 0 } v ? v : throw new WmsException("MissingParameterValue", $"Parameter {name} is missing.");

    /// <summary>A comma-separated list of layers (LAYERS, QUERY_LAYERS), each of which must exist.</summary>
    public string[] Layers(string name)
    {
        var text = parameter(name);
        if (string.IsNullOrWhiteSpace(text)) throw new WmsException("MissingParameterValue", $"{name} is missing; give {WmsLayers.Mask}, {WmsLayers.Date} or both (comma-separated).");
        var layers = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var l in layers) WmsLayers.Check(l);
        return layers;
    }

    /// <summary>STYLES may be empty or name the default style only.</summary>
    public void CheckStyles()
    {
        var styles = parameter("STYLES");
        if (string.IsNullOrEmpty(styles)) return;
        foreach (var st in styles.Split(','))
            if (st.Length > 0 && !st.Equals("default", StringComparison.OrdinalIgnoreCase))
                throw new WmsException("StyleNotDefined", $"Style '{st}' does not exist; leave STYLES empty or use 'default'.");
    }

    /// <summary>CRS (SRS in 1.1.1), BBOX in the CRS's axis order for 1.3.0, WIDTH and HEIGHT.</summary>
    public MapWindow Window()
    {
        var version = parameter("VERSION") ?? "1.3.0";
        var is130 = !version.StartsWith("1.1", StringComparison.Ordinal);
        var crsName = parameter(is130 ? "CRS" : "SRS") ?? parameter("CRS") ?? parameter("SRS")
            ?? throw new WmsException("MissingParameterValue", "CRS is missing; give e.g. CRS=EPSG:3857.");
        WmsCrs crs;
        try { crs = CrsNames.Resolve(crsName); }
        catch (Exception e) when (e is ArgumentException or GdalException) { throw new WmsException("InvalidCRS", e.Message); }

        var bboxText = Required("BBOX");
        var parts = bboxText.Split(',');
        var v = new double[4];
        if (parts.Length != 4 || !parts.Select((p, i) => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out v[i])).All(ok => ok))
            throw new WmsException("InvalidParameterValue", $"BBOX={bboxText} is not four numbers minx,miny,maxx,maxy.");
        // WMS 1.3.0 follows the CRS's axis order: EPSG:4326 is lat,lon; EPSG:3035 northing,easting.
        var (minX, minY, maxX, maxY) = is130 && crs.NorthFirst ? (v[1], v[0], v[3], v[2]) : (v[0], v[1], v[2], v[3]);
        if (!(maxX > minX && maxY > minY))
            throw new WmsException("InvalidParameterValue", $"BBOX={bboxText} is empty or inverted (for {crs.Name} in WMS {version} the order is {(is130 && crs.NorthFirst ? "miny,minx,maxy,maxx (north first)" : "minx,miny,maxx,maxy")}).");
        var width = Size("WIDTH");
        var height = Size("HEIGHT");
        var transform = new GeoTransform(minX, (maxX - minX) / width, 0, maxY, 0, -(maxY - minY) / height);
        return new MapWindow(new GeoBox(width, height, transform, crs.Definition), crs);
    }

    private int Size(string name)
    {
        var text = Required(name);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 1 || n > MaxSize)
            throw new WmsException("InvalidParameterValue", $"{name}={text} must be a whole number of pixels from 1 to {MaxSize}.");
        return n;
    }

    /// <summary>A pixel column or row of the map: <paramref name="name130"/> (I, J), or <paramref name="name111"/> (X, Y) in 1.1.1.</summary>
    public int PixelIndex(string name130, string name111, int size)
    {
        var name = parameter(name130) is not null ? name130 : name111;
        var text = parameter(name) ?? throw new WmsException("MissingParameterValue", $"{name130} is missing; give the pixel column (I) and row (J) in the map.");
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < 0 || v >= size)
            throw new WmsException("InvalidPoint", $"{name}={text} is not a pixel of the {size}-pixel map (0..{size - 1}).");
        return v;
    }

    /// <summary>TIME (a date, or start/end; either end may be empty) as day numbers since 1970, inclusive; all days without TIME.</summary>
    public (int First, int Last) Time()
    {
        var text = parameter("TIME");
        if (string.IsNullOrWhiteSpace(text)) return (0, int.MaxValue);
        var parts = text.Split('/');
        if (parts.Length > 3) throw new WmsException("InvalidDimensionValue", $"TIME={text} is not a date or start/end interval (ISO 8601, e.g. 2024-05-01/2024-06-30).");
        var first = parts[0].Length == 0 ? 0 : Day(parts[0]);
        var last = parts.Length == 1 ? first : parts[1].Length == 0 ? int.MaxValue : Day(parts[1]);
        return (first, last);

        int Day(string s)
        {
            var datePart = s.Length >= 10 ? s[..10] : s;
            if (!DateOnly.TryParseExact(datePart, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
                throw new WmsException("InvalidDimensionValue", $"TIME={text}: '{s}' is not an ISO 8601 date such as 2024-05-01.");
            return d.DayNumber - ReportSnapshot.Epoch;
        }
    }

    /// <summary>BGCOLOR (0xRRGGBB), white when not given.</summary>
    public Rgba Background()
    {
        var text = parameter("BGCOLOR");
        if (string.IsNullOrEmpty(text)) return new Rgba(0xFF, 0xFF, 0xFF, 0xFF);
        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text.TrimStart('#');
        if (hex.Length != 6 || !int.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v))
            throw new WmsException("InvalidParameterValue", $"BGCOLOR={text} is not a colour like 0xFFFFFF.");
        return new Rgba((byte)(v >> 16), (byte)(v >> 8), (byte)v, 0xFF);
    }
}
