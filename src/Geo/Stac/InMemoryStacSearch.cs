using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace NrtCluster.Geo.Stac;

/// <summary>One page of an in-memory search; <see cref="NextToken"/> is null on the last page.</summary>
public sealed record InMemorySearchPage(IReadOnlyList<StacItem> Items, string? NextToken, int NumberMatched);

/// <summary>
/// STAC item search over a fixed list of items (e.g. a static archive served as a STAC API): collections, ids,
/// bbox/intersects, datetime interval, query extension; results by datetime then id, paged by a token that names
/// the last item returned, so pages stay consistent when items are added between requests. Thread-safe (read-only).
/// </summary>
public sealed class InMemoryStacSearch
{
    public const int DefaultLimit = 10;
    public const int MaxLimit = 10_000;

    private readonly StacItem[] _items;
    private readonly Envelope[] _envelopes;

    public InMemoryStacSearch(IEnumerable<StacItem> items)
    {
        // One entry per id (the last given wins), as a STAC API never returns two items with the same id.
        var byId = new Dictionary<string, StacItem>(StringComparer.Ordinal);
        foreach (var item in items) byId[item.Id] = item;
        _items = byId.Values.OrderBy(i => i.DateTime).ThenBy(i => i.Id, StringComparer.Ordinal).ToArray();
        _envelopes = _items.Select(i => i.Footprint.EnvelopeInternal).ToArray();
    }

    public IReadOnlyList<StacItem> Items => _items;

    public InMemorySearchPage Search(StacSearchRequest request)
    {
        request.Validate();
        if (request.Filter is not null)
            throw new StacRequestException("filter (CQL2) is not supported by this search; use query, e.g. {\"eo:cloud_cover\": {\"lt\": 80}}");
        var limit = Math.Min(request.Limit ?? DefaultLimit, MaxLimit);
        var after = request.Token is null ? ((DateTimeOffset, string)?)null : DecodeToken(request.Token);

        var collections = request.Collections is { Count: > 0 } c ? new HashSet<string>(c, StringComparer.Ordinal) : null;
        var ids = request.Ids is { Count: > 0 } ids0 ? new HashSet<string>(ids0, StringComparer.Ordinal) : null;
        var area = request.Intersects ?? request.Bbox?.ToPolygon(StacJson.GeometryFactory);
        var prepared = area is null ? null : PreparedGeometryFactory.Prepare(area);
        var areaEnvelope = area?.EnvelopeInternal;

        var page = new List<StacItem>(limit);
        var matched = 0;
        string? nextToken = null;
        for (var i = 0; i < _items.Length; i++)
        {
            var item = _items[i];
            if (collections is not null && (item.Collection is null || !collections.Contains(item.Collection))) continue;
            if (ids is not null && !ids.Contains(item.Id)) continue;
            if (request.Datetime is { } dt && !dt.Contains(item.DateTime)) continue;
            if (prepared is not null && (!areaEnvelope!.Intersects(_envelopes[i]) || !prepared.Intersects(item.Footprint))) continue;
            if (request.Query is { Count: > 0 } q && !q.All(cond => Matches(item, cond))) continue;
            matched++;
            if (after is { } a && Compare(item, a) <= 0) continue;
            if (page.Count < limit) page.Add(item);
            else nextToken ??= EncodeToken(page[^1]);
        }
        return new InMemorySearchPage(page, nextToken, matched);
    }

    /// <summary>A search page as a STAC ItemCollection; <paramref name="nextLink"/> builds the next link from the token.</summary>
    public static JsonObject ToFeatureCollection(InMemorySearchPage page, Func<string, JsonObject>? nextLink)
    {
        var features = new JsonArray(page.Items.Select(i => (JsonNode)i.ToJsonObject()).ToArray());
        var links = new JsonArray();
        if (page.NextToken is not null && nextLink is not null) links.Add(nextLink(page.NextToken));
        return new JsonObject
        {
            ["type"] = "FeatureCollection",
            ["features"] = features,
            ["links"] = links,
            ["numberMatched"] = page.NumberMatched,
            ["numberReturned"] = page.Items.Count,
        };
    }

    /// <summary>A GET next link: the same search with the token added to the query string.</summary>
    public static JsonObject GetNextLink(string searchUrl, StacSearchRequest request, string token)
    {
        var query = (request with { Token = token }).ToQueryString();
        return new JsonObject
        {
            ["rel"] = "next",
            ["type"] = "application/geo+json",
            ["method"] = "GET",
            ["href"] = searchUrl + "?" + query,
        };
    }

    /// <summary>A POST next link carrying only the token, to be merged into the previous body.</summary>
    public static JsonObject PostNextLink(string searchUrl, string token) => new()
    {
        ["rel"] = "next",
        ["type"] = "application/geo+json",
        ["method"] = "POST",
        ["href"] = searchUrl,
        ["body"] = new JsonObject { ["token"] = token },
        ["merge"] = true,
    };

    /// <summary>Answers GET {searchUrl}?{query}: the FeatureCollection JSON with a GET next link.</summary>
    public JsonObject HandleGet(string searchUrl, IReadOnlyDictionary<string, string> queryParameters)
    {
        var request = StacSearchRequest.FromQueryParameters(queryParameters, "GET " + searchUrl);
        return ToFeatureCollection(Search(request), token => GetNextLink(searchUrl, request with { Token = null }, token));
    }

    /// <summary>Answers POST {searchUrl} with a JSON body: the FeatureCollection JSON with a merge-POST next link.</summary>
    public JsonObject HandlePost(string searchUrl, string body)
    {
        JsonElement json;
        try
        {
            json = StacJson.ParseDocument(body, "POST " + searchUrl);
        }
        catch (StacFormatException e)
        {
            throw new StacRequestException(e.Message);
        }
        var request = StacSearchRequest.FromPostBody(json, "POST " + searchUrl);
        return ToFeatureCollection(Search(request), token => PostNextLink(searchUrl, token));
    }

    private static int Compare(StacItem item, (DateTimeOffset Time, string Id) key)
    {
        var c = item.DateTime.CompareTo(key.Time);
        return c != 0 ? c : string.CompareOrdinal(item.Id, key.Id);
    }

    private static string EncodeToken(StacItem last) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            last.DateTime.UtcTicks.ToString(CultureInfo.InvariantCulture) + ":" + last.Id));

    private static (DateTimeOffset, string) DecodeToken(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
            var colon = text.IndexOf(':');
            var ticks = long.Parse(text.AsSpan(0, colon), NumberStyles.Integer, CultureInfo.InvariantCulture);
            return (new DateTimeOffset(ticks, TimeSpan.Zero), text[(colon + 1)..]);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw new StacRequestException($"paging token '{token}' was not issued by this search; start again without a token");
        }
    }

    private static bool Matches(StacItem item, QueryCondition cond)
    {
        if (!item.Properties.TryGetProperty(cond.Property, out var value) || value.ValueKind == JsonValueKind.Null) return false;
        if (cond.Operator == QueryOperator.In)
        {
            return cond.Value.ValueKind == JsonValueKind.Array
                ? cond.Value.EnumerateArray().Any(v => CompareValues(value, v) == 0)
                : throw new StacRequestException($"query {cond.Property} 'in' needs an array");
        }
        var c = CompareValues(value, cond.Value);
        if (c is null) return cond.Operator == QueryOperator.Neq;
        return cond.Operator switch
        {
            QueryOperator.Eq => c == 0,
            QueryOperator.Neq => c != 0,
            QueryOperator.Lt => c < 0,
            QueryOperator.Lte => c <= 0,
            QueryOperator.Gt => c > 0,
            QueryOperator.Gte => c >= 0,
            _ => false,
        };
    }

    /// <summary>Numbers compare as numbers, strings ordinally, booleans by equality; other pairs do not compare.</summary>
    private static int? CompareValues(JsonElement a, JsonElement b) => (a.ValueKind, b.ValueKind) switch
    {
        (JsonValueKind.Number, JsonValueKind.Number) => a.GetDouble().CompareTo(b.GetDouble()),
        (JsonValueKind.String, JsonValueKind.String) => string.CompareOrdinal(a.GetString(), b.GetString()),
        (JsonValueKind.True or JsonValueKind.False, JsonValueKind.True or JsonValueKind.False) => a.ValueKind == b.ValueKind ? 0 : 1,
        _ => null,
    };
}
