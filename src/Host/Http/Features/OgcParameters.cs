using System.Globalization;
using NrtCluster.Geo.Gdal;

namespace NrtCluster.Host.Http.Features;

/// <summary>The query parameters of OGC API Features (bbox, datetime, limit) as this node reads them.</summary>
public static class OgcParameters
{
    public const string Crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

    /// <summary>
    /// bbox=minLon,minLat,maxLon,maxLat (or six numbers with heights, which are ignored) in WGS 84; null when absent.
    /// bbox-crs may only name CRS84, the one CRS served.
    /// </summary>
    /// <exception cref="ArgumentException">Not such a box; the message says what to give.</exception>
    public static Bounds? Bbox(string? bbox, string? bboxCrs)
    {
        if (bboxCrs is { Length: > 0 } && !bboxCrs.EndsWith("/CRS84", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"bbox-crs={bboxCrs} is not supported; give bbox in longitude/latitude (WGS 84) and leave bbox-crs out.");
        if (string.IsNullOrEmpty(bbox)) return null;
        var parts = bbox.Split(',');
        var n = new double[parts.Length];
        if (parts.Length is not (4 or 6) || !parts.Select((p, i) => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out n[i]) && double.IsFinite(n[i])).All(ok => ok))
            throw new ArgumentException($"bbox={bbox} is not four numbers minLon,minLat,maxLon,maxLat, e.g. bbox=10.0,51.9,10.1,52.0.");
        // Six numbers are minLon,minLat,minHeight,maxLon,maxLat,maxHeight.
        var box = parts.Length == 4 ? new Bounds(n[0], n[1], n[2], n[3]) : new Bounds(n[0], n[1], n[3], n[4]);
        if (box.MinX < -180 || box.MaxX > 180 || box.MinY < -90 || box.MaxY > 90 || box.MinX > box.MaxX || box.MinY > box.MaxY)
            throw new ArgumentException($"bbox={bbox} is not a lon/lat box: give minLon,minLat,maxLon,maxLat with longitudes in -180..180 (min first, not across the antimeridian) and latitudes in -90..90 (min first).");
        return box;
    }

    /// <summary>
    /// datetime: an instant (2024-05-01 or an RFC 3339 date-time) or an interval of two, either side open with <c>..</c>
    /// or left empty (<c>../2024-05-01</c>, <c>2024-05-01/</c>); null when absent or open on both sides. Alerts are dated
    /// by day, so a time of day is reduced to its UTC day.
    /// </summary>
    /// <exception cref="ArgumentException">Not such a value, or an interval that ends before it starts.</exception>
    public static DateRange? Datetime(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var sides = text.Split('/');
        if (sides.Length > 2)
            throw new ArgumentException($"datetime={text} has more than one '/'; give a date (2024-05-01), a date-time (2024-05-01T00:00:00Z) or an interval start/end with '..' for an open side (../2024-05-01).");
        if (sides.Length == 1)
        {
            var day = Instant(sides[0]) ?? throw new ArgumentException($"datetime={text} is open on both sides; give a date, or leave datetime out for all dates.");
            return new DateRange(day, day);
        }
        var (start, end) = (Instant(sides[0]), Instant(sides[1]));
        if (start > end)
            throw new ArgumentException($"datetime={text} ends before it starts; give start/end with the earlier date first.");
        return start is null && end is null ? null : new DateRange(start, end);

        DateOnly? Instant(string side)
        {
            if (side is "" or "..") return null;
            if (DateOnly.TryParseExact(side, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)) return date;
            if (side.Length > 10 && side[10] is 'T' or 't'
                && DateTimeOffset.TryParse(side, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var moment))
                return DateOnly.FromDateTime(moment.UtcDateTime);
            throw new ArgumentException($"datetime={text}: '{side}' is not a date or date-time; use e.g. 2024-05-01 or 2024-05-01T00:00:00Z, and '..' for an open side.");
        }
    }

    /// <summary>limit: a whole number from 1; above <paramref name="max"/> it is served as <paramref name="max"/> (as OGC API Features asks).</summary>
    /// <exception cref="ArgumentException">Not a whole number from 1.</exception>
    public static int Limit(string? text, int @default, int max)
    {
        if (string.IsNullOrEmpty(text)) return @default;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit < 1)
            throw new ArgumentException($"limit={text} is not a whole number from 1; give e.g. limit={@default} (at most {max} features come per page).");
        return (int)Math.Min(limit, max);
    }
}
