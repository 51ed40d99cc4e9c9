using System.Globalization;
using System.Text.Json;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;

namespace NrtCluster.Geo.Stac;

/// <summary>A STAC document or service answered with something that is not what STAC says it should be.</summary>
public class StacException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>An item lacks the asset a band is read from (its document is incomplete: asking again cannot help).</summary>
public sealed class StacMissingAssetException(string message) : StacException(message);

/// <summary>A malformed STAC document; the message names where it came from and what was wrong.</summary>
public sealed class StacFormatException(string location, string problem, Exception? inner = null)
    : StacException($"Malformed STAC document from {location}: {problem}", inner)
{
    public string Location { get; } = location;
    public string Problem { get; } = problem;
}

/// <summary>The kinds of STAC document the readers handle.</summary>
public enum StacDocumentKind { Item, ItemCollection, Collection, Catalog }

/// <summary>Parsing of STAC JSON (items, item collections, catalogs, collections) with hrefs resolved against the document's location.</summary>
public static class StacJson
{
    /// <summary>Lon/lat (EPSG:4326) geometry factory shared by every parsed footprint.</summary>
    public static readonly GeometryFactory GeometryFactory = new(new PrecisionModel(), 4326);

    /// <summary>Serializer options that read and write NetTopologySuite geometries as GeoJSON.</summary>
    public static readonly JsonSerializerOptions GeoJsonOptions = CreateGeoJsonOptions();

    private static JsonSerializerOptions CreateGeoJsonOptions()
    {
        var options = new JsonSerializerOptions();
        options.Converters.Add(new GeoJsonConverterFactory(GeometryFactory));
        return options;
    }

    public static JsonElement ParseDocument(string text, string location)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            // Some servers write NaN and Infinity as bare words (Python's json does): read them as strings so the items
            // holding them are rejected one by one rather than the whole page.
            if (QuoteNonFiniteLiterals(text) is { } quoted)
            {
                try
                {
                    using var doc = JsonDocument.Parse(quoted);
                    return doc.RootElement.Clone();
                }
                catch (JsonException)
                {
                    // Not only that: report the original error.
                }
            }
            var head = text.Length > 120 ? text[..120] + "..." : text;
            throw new StacFormatException(location, $"not valid JSON ({e.Message}); the content starts with \"{head}\"", e);
        }
    }

    /// <summary>The text with bare NaN, Infinity and -Infinity outside strings put in quotes; null when there is none.</summary>
    private static string? QuoteNonFiniteLiterals(string text)
    {
        System.Text.StringBuilder? result = null;
        var copied = 0;
        var inString = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"')
            {
                inString = true;
                continue;
            }
            foreach (var word in (ReadOnlySpan<string>)["NaN", "Infinity", "-Infinity"])
            {
                if (string.CompareOrdinal(text, i, word, 0, word.Length) != 0) continue;
                result ??= new System.Text.StringBuilder(text.Length + 16);
                result.Append(text, copied, i - copied).Append('"').Append(word).Append('"');
                i += word.Length - 1;
                copied = i + 1;
                break;
            }
        }
        return result?.Append(text, copied, text.Length - copied).ToString();
    }

    public static StacDocumentKind GetKind(JsonElement root, string location)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new StacFormatException(location, $"expected a JSON object, found {root.ValueKind}");
        var type = root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        return type switch
        {
            "Feature" => StacDocumentKind.Item,
            "FeatureCollection" => StacDocumentKind.ItemCollection,
            "Collection" => StacDocumentKind.Collection,
            "Catalog" => StacDocumentKind.Catalog,
            // STAC 0.x/1.0-beta catalogs and collections may lack "type": recognise them by their members.
            null when root.TryGetProperty("extent", out _) => StacDocumentKind.Collection,
            null when root.TryGetProperty("links", out _) && root.TryGetProperty("description", out _) => StacDocumentKind.Catalog,
            _ => throw new StacFormatException(location,
                $"\"type\" is {(type is null ? "missing" : $"'{type}'")}; expected Feature, FeatureCollection, Collection or Catalog"),
        };
    }

    /// <summary>Parses one item. <paramref name="location"/> is the file path or URL it came from (relative hrefs resolve against it).</summary>
    public static StacItem ParseItem(JsonElement json, string location)
    {
        // The item keeps parts of the JSON; a clone does not depend on the caller's JsonDocument staying alive
        // (and costs nothing when the element already comes from a clone).
        json = json.Clone();
        if (json.ValueKind != JsonValueKind.Object)
            throw new StacFormatException(location, $"an item must be a JSON object, found {json.ValueKind}");
        var id = json.TryGetProperty("id", out var idEl) && idEl.ValueKind == JsonValueKind.String ? idEl.GetString() : null;
        if (string.IsNullOrEmpty(id))
            throw new StacFormatException(location, "an item has no string \"id\"");
        var what = $"item '{id}'";
        if (!json.TryGetProperty("properties", out var props) || props.ValueKind != JsonValueKind.Object)
            throw new StacFormatException(location, $"{what} has no \"properties\" object");

        var dateTime = ParseItemDateTime(props, location, what);
        var bbox = json.TryGetProperty("bbox", out var bboxEl) && bboxEl.ValueKind != JsonValueKind.Null
            ? ParseBbox(bboxEl, location, what) : (BoundingBox?)null;

        Geometry? geometry = null;
        if (json.TryGetProperty("geometry", out var geomEl) && geomEl.ValueKind != JsonValueKind.Null)
        {
            CheckGeometry(geomEl, location, what);
            try
            {
                geometry = geomEl.Deserialize<Geometry>(GeoJsonOptions);
            }
            catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or NotSupportedException)
            {
                throw new StacFormatException(location, $"{what} has an invalid GeoJSON geometry ({e.Message})", e);
            }
        }
        if (geometry is null && bbox is null)
            throw new StacFormatException(location, $"{what} has neither \"geometry\" nor \"bbox\"");

        var collection = json.TryGetProperty("collection", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        return new StacItem
        {
            Id = id,
            Collection = collection,
            DateTime = dateTime,
            Bbox = bbox,
            Geometry = geometry,
            Properties = props,
            Assets = ParseAssets(json, location, what),
            Links = ParseLinks(json, location, what),
            Source = location,
            Json = json,
        };
    }

    /// <summary>
    /// Parses the features of an item collection (a search page or a FeatureCollection file). A feature that is not a
    /// valid item is rejected alone (with its id when readable, and why); only a document that is not an item collection
    /// at all throws. Items stay in document order; a repeated id is kept as it comes (see <see cref="StacItemList.Collect"/>).
    /// </summary>
    public static StacItemList ParseFeatures(JsonElement root, string location)
    {
        root = root.Clone();
        if (root.ValueKind != JsonValueKind.Object)
            throw new StacFormatException(location, $"expected a FeatureCollection object, found {root.ValueKind}");
        if (!root.TryGetProperty("features", out var features))
            throw new StacFormatException(location, "no \"features\" member (expected a GeoJSON FeatureCollection of items)");
        if (features.ValueKind != JsonValueKind.Array)
            throw new StacFormatException(location, $"\"features\" is {features.ValueKind}, expected an array of items");
        return ParseArray(features, location, "features");
    }

    /// <summary>
    /// Parses the items a document holds, as providers' notifications deliver them: one item, an item collection, or a JSON
    /// array of items. An item that is not valid is rejected alone (with its id when readable, and why); a document that
    /// holds no items (not JSON, a catalog or collection, an array of something else) throws.
    /// </summary>
    public static StacItemList ParseItems(JsonElement root, string location)
    {
        if (root.ValueKind == JsonValueKind.Array)
        {
            if (root.GetArrayLength() > 0 && root.EnumerateArray().All(e => e.ValueKind != JsonValueKind.Object))
                throw new StacFormatException(location, "expected an array of STAC items (JSON objects), found none");
            return ParseArray(root.Clone(), location, "item");
        }
        return GetKind(root, location) switch
        {
            StacDocumentKind.ItemCollection => ParseFeatures(root, location),
            StacDocumentKind.Item => ParseArray(JsonSerializer.SerializeToElement(new[] { root }), location, "item"),
            var kind => throw new StacFormatException(location, $"a STAC {kind} holds no items"),
        };
    }

    /// <summary>The items of a JSON array, each rejected alone when it is not a valid item (named <c>{location} {name}[index]</c>).</summary>
    private static StacItemList ParseArray(JsonElement array, string location, string name)
    {
        var items = new List<StacItem>(array.GetArrayLength());
        var rejected = new List<RejectedItem>();
        var index = 0;
        foreach (var feature in array.EnumerateArray())
        {
            try
            {
                items.Add(ParseItem(feature, location));
            }
            catch (StacFormatException e)
            {
                rejected.Add(new RejectedItem(IdOf(feature), $"{location} {name}[{index}]", e.Problem));
            }
            index++;
        }
        return new StacItemList(items, rejected);
    }

    /// <summary>The "id" of an item document when it is a non-empty string, else null.</summary>
    public static string? IdOf(JsonElement json) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
        && id.GetString() is { Length: > 0 } text ? text : null;

    private static readonly Dictionary<string, int> PositionDepth = new(StringComparer.Ordinal)
    {
        ["Point"] = 0, ["MultiPoint"] = 1, ["LineString"] = 1, ["MultiLineString"] = 2, ["Polygon"] = 2, ["MultiPolygon"] = 3,
    };

    /// <summary>
    /// Rejects a footprint the grid cannot use: an unknown geometry type, and coordinates that are not finite numbers,
    /// or lie off the globe (longitude beyond +-360 degrees, which antimeridian-crossing footprints may use, or latitude
    /// beyond +-90), e.g. a footprint of 1e300 degrees.
    /// </summary>
    private static void CheckGeometry(JsonElement geometry, string location, string what)
    {
        if (geometry.ValueKind != JsonValueKind.Object)
            throw new StacFormatException(location, $"{what}: \"geometry\" is {geometry.ValueKind}, expected a GeoJSON geometry object");
        var type = geometry.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : null;
        if (type == "GeometryCollection")
        {
            if (!geometry.TryGetProperty("geometries", out var parts) || parts.ValueKind != JsonValueKind.Array)
                throw new StacFormatException(location, $"{what}: its GeometryCollection has no \"geometries\" array");
            foreach (var part in parts.EnumerateArray()) CheckGeometry(part, location, what);
            return;
        }
        if (type is null || !PositionDepth.TryGetValue(type, out var depth))
            throw new StacFormatException(location,
                $"{what}: geometry type {(type is null ? "is missing" : $"'{type}' is not a GeoJSON type")}; expected Polygon, MultiPolygon, Point, MultiPoint, LineString, MultiLineString or GeometryCollection");
        if (!geometry.TryGetProperty("coordinates", out var coordinates))
            throw new StacFormatException(location, $"{what}: its {type} has no \"coordinates\"");
        CheckPositions(coordinates, depth, location, what);
    }

    private static void CheckPositions(JsonElement coordinates, int depth, string location, string what)
    {
        if (coordinates.ValueKind != JsonValueKind.Array)
            throw new StacFormatException(location, $"{what}: geometry coordinates hold {coordinates.GetRawText()} where an array was expected");
        if (depth > 0)
        {
            foreach (var part in coordinates.EnumerateArray()) CheckPositions(part, depth - 1, location, what);
            return;
        }
        var axis = 0;
        foreach (var v in coordinates.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var value) || !double.IsFinite(value))
                throw new StacFormatException(location, $"{what}: geometry coordinate {v.GetRawText()} in {coordinates.GetRawText()} is not a finite number");
            var limit = axis switch { 0 => 360, 1 => 90, _ => double.MaxValue };
            if (Math.Abs(value) > limit)
                throw new StacFormatException(location,
                    $"{what}: geometry position {coordinates.GetRawText()} is off the globe (longitude within +-360, latitude within +-90 degrees expected)");
            axis++;
        }
        if (axis < 2)
            throw new StacFormatException(location, $"{what}: geometry position {coordinates.GetRawText()} needs a longitude and a latitude");
    }

    /// <summary>Parses the links of any STAC document (catalog, collection, item collection, item).</summary>
    public static IReadOnlyList<StacLink> ParseLinks(JsonElement json, string location, string what = "document")
    {
        if (!json.TryGetProperty("links", out var linksEl) || linksEl.ValueKind == JsonValueKind.Null) return [];
        if (linksEl.ValueKind != JsonValueKind.Array)
            throw new StacFormatException(location, $"{what}: \"links\" is {linksEl.ValueKind}, expected an array");
        var links = new List<StacLink>();
        foreach (var l in linksEl.EnumerateArray())
        {
            if (l.ValueKind != JsonValueKind.Object || !l.TryGetProperty("href", out var href) || href.ValueKind != JsonValueKind.String)
                continue;
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (l.TryGetProperty("headers", out var h) && h.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in h.EnumerateObject())
                {
                    // STAC API allows a header value to be a string or an array of strings.
                    headers[p.Name] = p.Value.ValueKind == JsonValueKind.Array
                        ? string.Join(", ", p.Value.EnumerateArray().Select(v => v.ToString()))
                        : p.Value.ToString();
                }
            }
            links.Add(new StacLink(
                Rel: l.TryGetProperty("rel", out var rel) && rel.ValueKind == JsonValueKind.String ? rel.GetString()! : "",
                Href: Hrefs.Resolve(href.GetString()!, location),
                Type: l.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null,
                Method: l.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null,
                Body: l.TryGetProperty("body", out var b) && b.ValueKind == JsonValueKind.Object ? b.Clone() : null,
                Merge: l.TryGetProperty("merge", out var merge) && merge.ValueKind == JsonValueKind.True,
                Headers: headers));
        }
        return links;
    }

    private static Dictionary<string, StacAsset> ParseAssets(JsonElement json, string location, string what)
    {
        var assets = new Dictionary<string, StacAsset>(StringComparer.Ordinal);
        if (!json.TryGetProperty("assets", out var assetsEl) || assetsEl.ValueKind == JsonValueKind.Null) return assets;
        if (assetsEl.ValueKind != JsonValueKind.Object)
            throw new StacFormatException(location, $"{what}: \"assets\" is {assetsEl.ValueKind}, expected an object");
        foreach (var a in assetsEl.EnumerateObject())
        {
            if (a.Value.ValueKind != JsonValueKind.Object
                || !a.Value.TryGetProperty("href", out var href) || href.ValueKind != JsonValueKind.String)
                throw new StacFormatException(location, $"{what}: asset '{a.Name}' has no string \"href\"");
            var roles = a.Value.TryGetProperty("roles", out var r) && r.ValueKind == JsonValueKind.Array
                ? r.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToArray()
                : [];
            var alternates = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (a.Value.TryGetProperty("alternate", out var alt) && alt.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in alt.EnumerateObject())
                {
                    if (p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("href", out var ah)
                        && ah.ValueKind == JsonValueKind.String)
                        alternates[p.Name] = Hrefs.Resolve(ah.GetString()!, location);
                }
            }
            assets[a.Name] = new StacAsset(
                Key: a.Name,
                Href: Hrefs.Resolve(href.GetString()!, location),
                Type: a.Value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null,
                Title: a.Value.TryGetProperty("title", out var ti) && ti.ValueKind == JsonValueKind.String ? ti.GetString() : null,
                Roles: roles,
                Alternates: alternates,
                Json: a.Value);
        }
        return assets;
    }

    private static DateTimeOffset ParseItemDateTime(JsonElement props, string location, string what)
    {
        foreach (var name in (ReadOnlySpan<string>)["datetime", "start_datetime"])
        {
            if (!props.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) continue;
            if (v.ValueKind == JsonValueKind.String && TryParseDateTime(v.GetString()!, out var dt)) return dt;
            throw new StacFormatException(location, $"{what}: \"{name}\" is not an RFC 3339 date-time: {v.GetRawText()}");
        }
        throw new StacFormatException(location, $"{what} has neither \"datetime\" nor \"start_datetime\" in its properties");
    }

    /// <summary>Parses an RFC 3339 date-time to UTC; a value without offset is taken as UTC.</summary>
    public static bool TryParseDateTime(string text, out DateTimeOffset value)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value))
        {
            value = value.ToUniversalTime();
            return true;
        }
        return false;
    }

    /// <summary>Formats a UTC instant the way STAC APIs expect (RFC 3339, "Z").</summary>
    public static string FormatDateTime(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static BoundingBox ParseBbox(JsonElement bbox, string location, string what)
    {
        if (bbox.ValueKind != JsonValueKind.Array
            || bbox.GetArrayLength() is not (4 or 6)
            || bbox.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d)))
            throw new StacFormatException(location, $"{what}: \"bbox\" must be an array of 4 or 6 finite numbers, found {bbox.GetRawText()}");
        var v = bbox.EnumerateArray().Select(x => x.GetDouble()).ToArray();
        // A 3D bbox is [west, south, min z, east, north, max z].
        var box = v.Length == 4 ? new BoundingBox(v[0], v[1], v[2], v[3]) : new BoundingBox(v[0], v[1], v[3], v[4]);
        // West may exceed east (the box crosses the antimeridian); south may not exceed north.
        if (Math.Abs(box.West) > 180 || Math.Abs(box.East) > 180 || Math.Abs(box.South) > 90 || Math.Abs(box.North) > 90 || box.South > box.North)
            throw new StacFormatException(location,
                $"{what}: \"bbox\" {bbox.GetRawText()} is not [west, south, east, north] in degrees (longitudes within +-180, latitudes within +-90, south <= north)");
        return box;
    }
}

/// <summary>Resolution of hrefs against the location of the document that holds them.</summary>
public static class Hrefs
{
    /// <summary>
    /// Absolute URLs stay as they are except file:// which becomes a local path; absolute local paths stay; relative
    /// hrefs resolve against the base document (a URL or a local file path).
    /// </summary>
    public static string Resolve(string href, string? baseLocation)
    {
        if (IsLocalAbsolute(href)) return href;
        if (IsUrl(href)) return href.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? new Uri(href).LocalPath : href;
        if (string.IsNullOrEmpty(baseLocation)) return href;
        if (IsUrl(baseLocation))
        {
            var resolved = new Uri(new Uri(baseLocation), href);
            return resolved.IsFile ? resolved.LocalPath : resolved.AbsoluteUri;
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(baseLocation)) ?? "/";
        return Path.GetFullPath(Path.Combine(dir, Uri.UnescapeDataString(href)));
    }

    public static bool IsUrl(string href) => href.Contains("://", StringComparison.Ordinal);

    public static bool IsHttp(string href) =>
        href.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || href.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private static bool IsLocalAbsolute(string href) => href.StartsWith('/') || (href.Length > 2 && href[1] == ':' && href[2] is '\\' or '/');
}
