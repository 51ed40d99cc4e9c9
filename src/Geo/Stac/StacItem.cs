using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;

namespace NrtCluster.Geo.Stac;

/// <summary>A lon/lat bounding box (WGS84). West may exceed East for boxes crossing the antimeridian.</summary>
public readonly record struct BoundingBox(double West, double South, double East, double North)
{
    public bool CrossesAntimeridian => West > East;

    /// <summary>Centre longitude, wrapped to [-180, 180) for antimeridian-crossing boxes.</summary>
    public double CentreLongitude
    {
        get
        {
            if (!CrossesAntimeridian) return (West + East) / 2;
            var centre = (West + East + 360) / 2;
            return centre >= 180 ? centre - 360 : centre;
        }
    }

    public double CentreLatitude => (South + North) / 2;

    public Polygon ToPolygon(GeometryFactory factory)
    {
        var east = CrossesAntimeridian ? East + 360 : East;
        return factory.CreatePolygon(
        [
            new Coordinate(West, South), new Coordinate(east, South), new Coordinate(east, North),
            new Coordinate(West, North), new Coordinate(West, South),
        ]);
    }

    public double[] ToArray() => [West, South, East, North];

    public static BoundingBox FromEnvelope(Envelope e) => new(e.MinX, e.MinY, e.MaxX, e.MaxY);
}

/// <summary>A link of a STAC document; <see cref="Href"/> is already resolved against the document's location.</summary>
public sealed record StacLink(
    string Rel,
    string Href,
    string? Type,
    string? Method,
    JsonElement? Body,
    bool Merge,
    IReadOnlyDictionary<string, string> Headers)
{
    public bool IsPost => string.Equals(Method, "POST", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// An asset of an item. <see cref="Href"/> is absolute: a URL, or a local path when the document was read from disk
/// and the href was relative or file://. <see cref="Json"/> is the asset object as published (raster:*, eo:bands, ...).
/// </summary>
public sealed record StacAsset(
    string Key,
    string Href,
    string? Type,
    string? Title,
    IReadOnlyList<string> Roles,
    IReadOnlyDictionary<string, string> Alternates,
    JsonElement Json)
{
    /// <summary>A number on the asset itself, or failing that on its first raster:bands entry (key without "raster:").</summary>
    public double? GetRasterNumber(string rasterKey)
    {
        if (Json.TryGetProperty("raster:" + rasterKey, out var direct) && direct.ValueKind == JsonValueKind.Number)
            return direct.GetDouble();
        if (Json.TryGetProperty("raster:bands", out var bands) && bands.ValueKind == JsonValueKind.Array
            && bands.GetArrayLength() > 0 && bands[0].ValueKind == JsonValueKind.Object
            && bands[0].TryGetProperty(rasterKey, out var inBand) && inBand.ValueKind == JsonValueKind.Number)
            return inBand.GetDouble();
        return null;
    }

    /// <summary>The nodata value from "nodata" (STAC 1.1 common metadata) or raster:bands[0].nodata.</summary>
    public double? NoData
    {
        get
        {
            if (Json.TryGetProperty("nodata", out var n) && n.ValueKind == JsonValueKind.Number) return n.GetDouble();
            return GetRasterNumber("nodata");
        }
    }
}

/// <summary>A STAC item: what the pipeline needs of it, plus the published JSON for everything else.</summary>
public sealed record StacItem
{
    public required string Id { get; init; }
    public string? Collection { get; init; }

    /// <summary>Acquisition time in UTC: "datetime", or "start_datetime" when datetime is null.</summary>
    public required DateTimeOffset DateTime { get; init; }

    public BoundingBox? Bbox { get; init; }

    /// <summary>Footprint in lon/lat as published (null when the item has no geometry).</summary>
    public Geometry? Geometry { get; init; }

    /// <summary>The "properties" object as published.</summary>
    public required JsonElement Properties { get; init; }

    public required IReadOnlyDictionary<string, StacAsset> Assets { get; init; }
    public required IReadOnlyList<StacLink> Links { get; init; }

    /// <summary>Where the document was read from (URL or file), used to name it in errors.</summary>
    public required string Source { get; init; }

    /// <summary>The item as published (hrefs unresolved).</summary>
    public required JsonElement Json { get; init; }

    /// <summary>Footprint in lon/lat: the geometry, else the bbox as a polygon.</summary>
    public Geometry Footprint => Geometry ?? Bbox?.ToPolygon(StacJson.GeometryFactory)
        ?? throw new StacFormatException(Source, $"item '{Id}' has neither geometry nor bbox");

    /// <summary>Lon/lat of the footprint centre: bbox centre, else geometry envelope centre.</summary>
    public (double Longitude, double Latitude) Centre
    {
        get
        {
            var box = Bbox ?? (Geometry is null ? null : BoundingBox.FromEnvelope(Geometry.EnvelopeInternal));
            if (box is null) throw new StacFormatException(Source, $"item '{Id}' has neither geometry nor bbox");
            return (box.Value.CentreLongitude, box.Value.CentreLatitude);
        }
    }

    public string? GetString(string property) =>
        Properties.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public double? GetDouble(string property) =>
        Properties.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    public bool? GetBoolean(string property) =>
        Properties.TryGetProperty(property, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean() : null;

    public double? CloudCover => GetDouble("eo:cloud_cover");

    /// <summary>
    /// The item as JSON with every asset and link href replaced by its resolved absolute form, so the document
    /// stays valid when served from another location (e.g. a search endpoint over a static archive).
    /// </summary>
    public JsonObject ToJsonObject()
    {
        var node = JsonNode.Parse(Json.GetRawText())!.AsObject();
        if (node["assets"] is JsonObject assets)
        {
            foreach (var (key, asset) in Assets)
                if (assets[key] is JsonObject a) a["href"] = asset.Href;
        }
        if (node["links"] is JsonArray links)
        {
            // Parsing kept exactly the link objects with a string href, in order.
            var parsed = 0;
            foreach (var l in links)
            {
                if (l is JsonObject o && o["href"] is JsonValue v && v.GetValueKind() == JsonValueKind.String && parsed < Links.Count)
                    o["href"] = Links[parsed++].Href;
            }
        }
        return node;
    }

    /// <summary>
    /// What makes <paramref name="other"/> (same id) another version of this item: its datetime, footprint or asset
    /// hrefs, described with this item's value; null when they agree.
    /// </summary>
    public string? Differs(StacItem other)
    {
        if (other.DateTime != DateTime)
            return $"datetime {StacJson.FormatDateTime(DateTime)} (now {StacJson.FormatDateTime(other.DateTime)})";
        if (!other.Footprint.EqualsExact(Footprint)) return "another footprint";
        if (other.Assets.Count != Assets.Count
            || other.Assets.Any(a => !Assets.TryGetValue(a.Key, out var mine) || mine.Href != a.Value.Href))
            return "other asset hrefs";
        return null;
    }

    public override string ToString() =>
        $"{Id} ({DateTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)})";
}

/// <summary>An item a search page or catalog held that was not taken, and why; <see cref="Id"/> is null when unreadable.</summary>
/// <param name="Source">The page or document it came from.</param>
public sealed record RejectedItem(string? Id, string Source, string Reason)
{
    public override string ToString() => $"STAC item {(Id is null ? "without id" : $"'{Id}'")} from {Source} rejected: {Reason}";

    /// <summary>
    /// Whether both are about the same item: the same id, or without id the same place and problem (an item's place in a
    /// page may change between searches, and a repeated id is described differently once the first version is remembered).
    /// </summary>
    public bool SameAs(RejectedItem other) =>
        Id is not null ? Id == other.Id : other.Id is null && Source == other.Source && Reason == other.Reason;
}

/// <summary>The items of a search or catalog, plus those rejected (malformed, or a repeated id with other content).</summary>
public sealed class StacItemList(IReadOnlyList<StacItem> items, IReadOnlyList<RejectedItem> rejected) : IReadOnlyList<StacItem>
{
    public static StacItemList Empty { get; } = new([], []);

    public IReadOnlyList<StacItem> Items { get; } = items;
    public IReadOnlyList<RejectedItem> Rejected { get; } = rejected;

    public int Count => Items.Count;
    public StacItem this[int index] => Items[index];
    public IEnumerator<StacItem> GetEnumerator() => Items.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Each id once, sorted by datetime then id: the first version met is kept. A later one with the same content (a
    /// page boundary moving while the archive grows) is dropped; one with another datetime, footprint or asset hrefs is
    /// rejected, so an item cannot make a second solar day out of one granule.
    /// </summary>
    public static StacItemList Collect(IEnumerable<StacItemList> parts)
    {
        var byId = new Dictionary<string, StacItem>(StringComparer.Ordinal);
        var rejected = new List<RejectedItem>();
        foreach (var part in parts)
        {
            rejected.AddRange(part.Rejected);
            foreach (var item in part.Items)
            {
                if (!byId.TryGetValue(item.Id, out var first)) byId[item.Id] = item;
                else if (first.Differs(item) is { } difference)
                    rejected.Add(new RejectedItem(item.Id, item.Source,
                        $"the id was already given with {difference}; the first version is kept, this one is left out"));
            }
        }
        return new StacItemList(byId.Values.OrderBy(i => i.DateTime).ThenBy(i => i.Id, StringComparer.Ordinal).ToArray(), rejected);
    }
}
