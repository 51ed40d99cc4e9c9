using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;

namespace NrtCluster.Geo.Stac;

/// <summary>A search request the server cannot answer as asked (maps to HTTP 400).</summary>
public sealed class StacRequestException(string message) : StacException(message);

/// <summary>A closed or half-open datetime interval; both ends inclusive, null = open.</summary>
public readonly record struct DateTimeInterval(DateTimeOffset? Start, DateTimeOffset? End)
{
    public bool Contains(DateTimeOffset t) => (Start is null || t >= Start) && (End is null || t <= End);

    /// <summary>"start/end" with ".." for an open end, as STAC APIs expect.</summary>
    public override string ToString() =>
        $"{(Start is { } s ? StacJson.FormatDateTime(s) : "..")}/{(End is { } e ? StacJson.FormatDateTime(e) : "..")}";

    /// <summary>Parses "t", "a/b", "../b", "a/.." (an empty end is open too).</summary>
    public static DateTimeInterval Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 1)
        {
            var t = ParseEnd(parts[0], text) ?? throw Bad(text);
            return new DateTimeInterval(t, t);
        }
        if (parts.Length != 2) throw Bad(text);
        var interval = new DateTimeInterval(ParseEnd(parts[0], text), ParseEnd(parts[1], text));
        if (interval is { Start: null, End: null } || interval.Start > interval.End) throw Bad(text);
        return interval;
    }

    private static DateTimeOffset? ParseEnd(string part, string whole)
    {
        if (part is "" or "..") return null;
        return StacJson.TryParseDateTime(part, out var t) ? t : throw Bad(whole);
    }

    private static StacRequestException Bad(string text) =>
        new($"datetime '{text}' is not an RFC 3339 instant or interval like 2020-06-01T00:00:00Z/2020-07-01T00:00:00Z (.. for an open end)");
}

public enum QueryOperator { Eq, Neq, Lt, Lte, Gt, Gte, In }

/// <summary>One condition of the STAC API query extension, e.g. eo:cloud_cover lt 80.</summary>
public sealed record QueryCondition(string Property, QueryOperator Operator, JsonElement Value)
{
    public static QueryCondition Of(string property, QueryOperator op, double value) =>
        new(property, op, JsonSerializer.SerializeToElement(value));

    public static QueryCondition Of(string property, QueryOperator op, string value) =>
        new(property, op, JsonSerializer.SerializeToElement(value));

    public static QueryCondition CloudCoverBelow(double percent) => Of("eo:cloud_cover", QueryOperator.Lt, percent);
}

/// <summary>An item search (STAC API item search: core, query and filter pass-through).</summary>
public sealed record StacSearchRequest
{
    public IReadOnlyList<string>? Collections { get; init; }
    public IReadOnlyList<string>? Ids { get; init; }
    public BoundingBox? Bbox { get; init; }

    /// <summary>Lon/lat geometry the items must intersect (exclusive with <see cref="Bbox"/>).</summary>
    public Geometry? Intersects { get; init; }

    public DateTimeInterval? Datetime { get; init; }
    public IReadOnlyList<QueryCondition>? Query { get; init; }

    /// <summary>A CQL2-JSON filter passed to the server as is.</summary>
    public JsonElement? Filter { get; init; }

    /// <summary>Page size asked of the server.</summary>
    public int? Limit { get; init; }

    /// <summary>Paging token (servers that page by token read it from here).</summary>
    public string? Token { get; init; }

    public void Validate()
    {
        if (Bbox is not null && Intersects is not null)
            throw new StacRequestException("bbox and intersects are mutually exclusive in a STAC search; give one of them");
        if (Bbox is { } b && (b.South > b.North || b.South < -90 || b.North > 90))
            throw new StacRequestException($"bbox {b.West},{b.South},{b.East},{b.North} is not west,south,east,north in degrees");
        if (Limit is <= 0)
            throw new StacRequestException($"limit {Limit} must be a positive number");
    }

    /// <summary>The JSON body of a POST /search.</summary>
    public JsonObject ToPostBody()
    {
        var body = new JsonObject();
        if (Collections is { Count: > 0 }) body["collections"] = new JsonArray(Collections.Select(c => (JsonNode)c).ToArray());
        if (Ids is { Count: > 0 }) body["ids"] = new JsonArray(Ids.Select(c => (JsonNode)c).ToArray());
        if (Bbox is { } b) body["bbox"] = new JsonArray(b.ToArray().Select(v => (JsonNode)v).ToArray());
        if (Intersects is not null) body["intersects"] = JsonSerializer.SerializeToNode(Intersects, StacJson.GeoJsonOptions);
        if (Datetime is { } dt) body["datetime"] = dt.ToString();
        if (Query is { Count: > 0 }) body["query"] = QueryToJson(Query);
        if (Filter is { } f)
        {
            body["filter"] = JsonNode.Parse(f.GetRawText());
            body["filter-lang"] = "cql2-json";
        }
        if (Limit is { } l) body["limit"] = l;
        if (Token is not null) body["token"] = Token;
        return body;
    }

    /// <summary>The query string of a GET /search (without '?').</summary>
    public string ToQueryString()
    {
        var parts = new List<string>();
        void Add(string name, string value) => parts.Add($"{name}={Uri.EscapeDataString(value)}");
        if (Collections is { Count: > 0 }) Add("collections", string.Join(',', Collections));
        if (Ids is { Count: > 0 }) Add("ids", string.Join(',', Ids));
        if (Bbox is { } b) Add("bbox", string.Join(',', b.ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        if (Intersects is not null) Add("intersects", JsonSerializer.Serialize(Intersects, StacJson.GeoJsonOptions));
        if (Datetime is { } dt) Add("datetime", dt.ToString());
        if (Query is { Count: > 0 }) Add("query", QueryToJson(Query).ToJsonString());
        if (Filter is { } f)
        {
            Add("filter", f.GetRawText());
            Add("filter-lang", "cql2-json");
        }
        if (Limit is { } l) Add("limit", l.ToString(CultureInfo.InvariantCulture));
        if (Token is not null) Add("token", Token);
        return string.Join('&', parts);
    }

    /// <summary>Reads a POST /search body. <paramref name="location"/> names the request in errors.</summary>
    public static StacSearchRequest FromPostBody(JsonElement body, string location)
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw new StacRequestException($"{location}: the search body must be a JSON object");
        var fields = body.EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
        return Build(
            name => fields.TryGetValue(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null,
            location);
    }

    /// <summary>Reads GET /search parameters (already URL-decoded).</summary>
    public static StacSearchRequest FromQueryParameters(IReadOnlyDictionary<string, string> parameters, string location)
    {
        JsonElement? Get(string name)
        {
            if (!parameters.TryGetValue(name, out var raw) || raw.Length == 0) return null;
            return name switch
            {
                "collections" or "ids" => JsonSerializer.SerializeToElement(raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
                "bbox" => JsonSerializer.SerializeToElement(raw.Split(',').Select(v =>
                    double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                        ? d : throw new StacRequestException($"{location}: bbox '{raw}' is not four comma-separated numbers")).ToArray()),
                "limit" => int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)
                    ? JsonSerializer.SerializeToElement(l) : throw new StacRequestException($"{location}: limit '{raw}' is not an integer"),
                "intersects" or "query" or "filter" => ParseJsonParameter(name, raw, location),
                _ => JsonSerializer.SerializeToElement(raw),
            };
        }
        return Build(Get, location);
    }

    private static JsonElement ParseJsonParameter(string name, string raw, string location)
    {
        try
        {
            using var doc = JsonDocument.Parse(raw);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new StacRequestException($"{location}: {name} must be JSON{(name == "filter" ? " (cql2-json; cql2-text is not supported)" : "")}, got '{raw}'");
        }
    }

    private static StacSearchRequest Build(Func<string, JsonElement?> get, string location)
    {
        static string[] Strings(JsonElement v, string name, string location) =>
            v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String)
                ? v.EnumerateArray().Select(x => x.GetString()!).ToArray()
                : throw new StacRequestException($"{location}: {name} must be an array of strings");

        BoundingBox? bbox = null;
        if (get("bbox") is { } b)
        {
            var v = b.ValueKind == JsonValueKind.Array && b.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number)
                ? b.EnumerateArray().Select(x => x.GetDouble()).ToArray() : [];
            bbox = v.Length switch
            {
                4 => new BoundingBox(v[0], v[1], v[2], v[3]),
                6 => new BoundingBox(v[0], v[1], v[3], v[4]),
                _ => throw new StacRequestException($"{location}: bbox must be 4 or 6 numbers, got {b.GetRawText()}"),
            };
        }

        Geometry? intersects = null;
        if (get("intersects") is { } g)
        {
            try
            {
                intersects = g.Deserialize<Geometry>(StacJson.GeoJsonOptions);
            }
            catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or NotSupportedException)
            {
                throw new StacRequestException($"{location}: intersects is not a GeoJSON geometry ({e.Message})");
            }
        }

        DateTimeInterval? datetime = get("datetime") is { } d
            ? d.ValueKind == JsonValueKind.String ? DateTimeInterval.Parse(d.GetString()!)
                : throw new StacRequestException($"{location}: datetime must be a string")
            : null;

        int? limit = get("limit") is { } l
            ? l.ValueKind == JsonValueKind.Number && l.TryGetInt32(out var li) ? li
                : throw new StacRequestException($"{location}: limit must be an integer")
            : null;

        var request = new StacSearchRequest
        {
            Collections = get("collections") is { } c ? Strings(c, "collections", location) : null,
            Ids = get("ids") is { } i ? Strings(i, "ids", location) : null,
            Bbox = bbox,
            Intersects = intersects,
            Datetime = datetime,
            Query = get("query") is { } q ? QueryFromJson(q, location) : null,
            Filter = get("filter"),
            Limit = limit,
            Token = get("token") is { ValueKind: JsonValueKind.String } t ? t.GetString() : null,
        };
        request.Validate();
        return request;
    }

    private static readonly Dictionary<string, QueryOperator> Operators = new(StringComparer.Ordinal)
    {
        ["eq"] = QueryOperator.Eq, ["neq"] = QueryOperator.Neq, ["lt"] = QueryOperator.Lt, ["lte"] = QueryOperator.Lte,
        ["gt"] = QueryOperator.Gt, ["gte"] = QueryOperator.Gte, ["in"] = QueryOperator.In,
    };

    private static JsonObject QueryToJson(IReadOnlyList<QueryCondition> query)
    {
        var json = new JsonObject();
        foreach (var c in query)
        {
            if (json[c.Property] is not JsonObject ops) json[c.Property] = ops = new JsonObject();
            ops[c.Operator.ToString().ToLowerInvariant()] = JsonNode.Parse(c.Value.GetRawText());
        }
        return json;
    }

    private static QueryCondition[] QueryFromJson(JsonElement query, string location)
    {
        if (query.ValueKind != JsonValueKind.Object)
            throw new StacRequestException($"{location}: query must be an object like {{\"eo:cloud_cover\": {{\"lt\": 80}}}}");
        var conditions = new List<QueryCondition>();
        foreach (var property in query.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.Object)
                throw new StacRequestException($"{location}: query.{property.Name} must be an object of operators (eq, neq, lt, lte, gt, gte, in)");
            foreach (var op in property.Value.EnumerateObject())
            {
                if (!Operators.TryGetValue(op.Name, out var o))
                    throw new StacRequestException($"{location}: query operator '{op.Name}' on {property.Name} is not one of eq, neq, lt, lte, gt, gte, in");
                conditions.Add(new QueryCondition(property.Name, o, op.Value.Clone()));
            }
        }
        return conditions.ToArray();
    }

    public override string ToString()
    {
        var sb = new StringBuilder("search");
        var q = ToQueryString();
        if (q.Length > 0) sb.Append('?').Append(Uri.UnescapeDataString(q));
        return sb.ToString();
    }
}
