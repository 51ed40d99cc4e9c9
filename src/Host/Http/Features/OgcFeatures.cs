using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace NrtCluster.Host.Http.Features;

/// <summary>
/// OGC API - Features Part 1 (Core, GeoJSON) under a prefix (the node uses <c>/ogc</c>, as <c>/</c> is the web map):
/// the landing page, <c>/api</c> (OpenAPI 3.0), <c>/conformance</c>, <c>/collections</c>, <c>/collections/{id}</c>,
/// <c>/collections/{id}/items</c> (bbox, datetime, limit, next links) and <c>/collections/{id}/items/{featureId}</c>.
/// Responses are JSON only (<c>f=json</c> or no f); items also take <c>f=geojson-download</c>, the same GeoJSON as a file
/// to save (<c>Content-Disposition: attachment</c>), which the web map's download link uses.
/// </summary>
public static class OgcFeatures
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 10000;
    public const string Json = "application/json";
    public const string GeoJson = "application/geo+json";
    public const string OpenApi = "application/vnd.oai.openapi+json;version=3.0";
    public const string Download = "geojson-download";

    public static readonly string[] ConformanceClasses =
    [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    ];

    private static readonly string[] FormatOnly = ["f"];
    private static readonly string[] ItemsParameters = ["bbox", "bbox-crs", "datetime", "limit", "f"];

    /// <summary>Maps the service at <paramref name="prefix"/> (e.g. <c>/ogc</c>) with these collections.</summary>
    public static void Map(IEndpointRouteBuilder app, string prefix, IReadOnlyList<IFeatureCollection> collections)
    {
        var byId = collections.ToDictionary(c => c.Id, StringComparer.Ordinal);
        app.MapGet(prefix, (HttpRequest r) => Answer(r, FormatOnly, root => Ok(Landing(root))));
        app.MapGet(prefix + "/api", (HttpRequest r) => Answer(r, FormatOnly, root => Ok(OgcApiDocument.Build(root, collections), OpenApi)));
        app.MapGet(prefix + "/conformance", (HttpRequest r) => Answer(r, FormatOnly, root => Ok(new JsonObject
        {
            ["conformsTo"] = new JsonArray(ConformanceClasses.Select(c => (JsonNode)c).ToArray()),
            ["links"] = new JsonArray(Link(root + "/conformance", "self", Json, "Conformance classes")),
        })));
        app.MapGet(prefix + "/collections", (HttpRequest r) => Answer(r, FormatOnly, root => Ok(new JsonObject
        {
            ["links"] = new JsonArray(Link(root + "/collections", "self", Json, "Collections")),
            ["collections"] = new JsonArray(collections.Select(c => (JsonNode)Collection(root, c)).ToArray()),
        })));
        app.MapGet(prefix + "/collections/{collectionId}", (HttpRequest r, string collectionId) =>
            Answer(r, FormatOnly, root => byId.TryGetValue(collectionId, out var c) ? Ok(Collection(root, c)) : NoCollection(collectionId, byId)));
        app.MapGet(prefix + "/collections/{collectionId}/items", (HttpRequest r, string collectionId, CancellationToken ct) =>
            byId.TryGetValue(collectionId, out var c)
                ? AnswerAsync(r, [.. ItemsParameters, c.ContinuationParameter], root => ItemsAsync(r, root, c, ct))
                : Task.FromResult(NoCollection(collectionId, byId)));
        // A catch-all, as feature ids may hold '/' (an alert is TILE/ROW/COL).
        app.MapGet(prefix + "/collections/{collectionId}/items/{**featureId}", (HttpRequest r, string collectionId, string featureId, CancellationToken ct) =>
            byId.TryGetValue(collectionId, out var c)
                ? AnswerAsync(r, FormatOnly, root => ItemAsync(root, c, featureId, ct))
                : Task.FromResult(NoCollection(collectionId, byId)));

        string Root(HttpRequest r) => $"{r.Scheme}://{r.Host}{r.PathBase}{prefix}";

        Task<IResult> Answer(HttpRequest r, string[] known, Func<string, IResult> answer) =>
            AnswerAsync(r, known, root => Task.FromResult(answer(root)));

        async Task<IResult> AnswerAsync(HttpRequest r, string[] known, Func<string, Task<IResult>> answer)
        {
            // Unknown parameters are errors (OGC API Features /req/core/query-param-unknown): a misspelt filter must not pass unnoticed.
            if (r.Query.Keys.FirstOrDefault(k => !known.Contains(k, StringComparer.Ordinal)) is { } unknown)
                return Error(400, "InvalidParameterValue", $"'{unknown}' is not a parameter here; this URL takes {string.Join(", ", known)}.");
            var f = r.Query["f"].ToString();
            if (f is not ("" or "json") && !(f is "geojson" or Download && known.Contains("datetime")))
                return Error(400, "InvalidParameterValue", $"f={f} is not offered here; use f=json (or leave f out)"
                    + (known.Contains("datetime") ? $", f=geojson, or f={Download} for a file to save." : "."));
            try { return await answer(Root(r)).ConfigureAwait(false); }
            catch (ArgumentException e) { return Error(400, "InvalidParameterValue", e.Message); }
        }
    }

    private static async Task<IResult> ItemsAsync(HttpRequest r, string root, IFeatureCollection c, CancellationToken ct)
    {
        var q = r.Query;
        var box = OgcParameters.Bbox(q["bbox"].ToString(), q["bbox-crs"].ToString());
        var dates = OgcParameters.Datetime(q["datetime"].ToString());
        var limit = OgcParameters.Limit(q["limit"].ToString(), DefaultLimit, MaxLimit);
        var continuation = q[c.ContinuationParameter].ToString() is { Length: > 0 } k ? k : null;
        var page = await c.ItemsAsync(new FeatureQuery(box, dates, limit, continuation), ct).ConfigureAwait(false);

        // Links repeat the query as given, with the limit served, so that next pages keep the filter.
        var kept = new List<(string Name, string Value)>();
        foreach (var name in new[] { "bbox", "bbox-crs", "datetime" })
            if (q[name].ToString() is { Length: > 0 } v) kept.Add((name, v));
        kept.Add(("limit", limit.ToString(CultureInfo.InvariantCulture)));
        var f = q["f"].ToString();
        var self = kept.Concat(continuation is null ? [] : [(c.ContinuationParameter, continuation)]).Concat(f.Length > 0 ? [("f", f)] : []);
        var items = $"{root}/collections/{Uri.EscapeDataString(c.Id)}/items";
        var links = new JsonArray(
            Link(items + QueryString(self), "self", GeoJson, "This page"),
            Link($"{root}/collections/{Uri.EscapeDataString(c.Id)}", "collection", Json, c.Title));
        if (page.Next is { } next)
            links.Add(Link(items + QueryString(kept.Append((c.ContinuationParameter, next))), "next", GeoJson, "Next page"));
        var body = new JsonObject
        {
            ["type"] = "FeatureCollection",
            ["timeStamp"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["numberMatched"] = page.NumberMatched,
            ["numberReturned"] = page.Features.Count,
            ["features"] = new JsonArray(page.Features.Select(x => (JsonNode)x).ToArray()),
            ["links"] = links,
        };
        if (f == Download)
            r.HttpContext.Response.Headers.ContentDisposition = $"attachment; filename=\"{FileName(c.Id, q["datetime"].ToString())}\"";
        return Ok(body, GeoJson);
    }

    /// <summary>e.g. patches_2024-05-01_2024-07-20.geojson; characters a file name cannot hold become '_'.</summary>
    private static string FileName(string collection, string datetime) =>
        new string($"{collection}{(datetime.Length > 0 ? "_" + datetime.Replace('/', '_') : "")}".Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_').ToArray())
        + ".geojson";

    private static async Task<IResult> ItemAsync(string root, IFeatureCollection c, string featureId, CancellationToken ct)
    {
        if (await c.ItemAsync(featureId, ct).ConfigureAwait(false) is not { } feature)
            return Error(404, "NotFound", $"Collection '{c.Id}' has no feature '{featureId}'; list its features at {root}/collections/{c.Id}/items.");
        var collection = $"{root}/collections/{Uri.EscapeDataString(c.Id)}";
        feature["links"] = new JsonArray(
            Link($"{collection}/items/{string.Join('/', featureId.Split('/').Select(Uri.EscapeDataString))}", "self", GeoJson, "This feature"),
            Link(collection, "collection", Json, c.Title));
        return Ok(feature, GeoJson);
    }

    private static JsonObject Landing(string root) => new()
    {
        ["title"] = "NrtCluster forest-disturbance alerts",
        ["description"] = "Break pixels (alerts) and alert patches of this node's reports, as OGC API - Features (GeoJSON, WGS 84 longitude/latitude).",
        ["links"] = new JsonArray(
            Link(root, "self", Json, "This document"),
            Link(root + "/api", "service-desc", OpenApi, "The API definition (OpenAPI 3.0)"),
            Link(root + "/conformance", "conformance", Json, "Conformance classes"),
            Link(root + "/collections", "data", Json, "Collections")),
    };

    private static JsonObject Collection(string root, IFeatureCollection c)
    {
        var href = $"{root}/collections/{Uri.EscapeDataString(c.Id)}";
        var json = new JsonObject
        {
            ["id"] = c.Id,
            ["title"] = c.Title,
            ["description"] = c.Description,
            ["itemType"] = "feature",
            ["crs"] = new JsonArray(OgcParameters.Crs84),
            ["links"] = new JsonArray(Link(href, "self", Json, c.Title), Link(href + "/items", "items", GeoJson, c.Title + " (features)")),
        };
        var extent = c.Extent();
        var e = new JsonObject();
        if (extent.LonLatBox is { } b)
            e["spatial"] = new JsonObject
            {
                ["bbox"] = new JsonArray(new JsonArray(Math.Round(b.MinX, 7), Math.Round(b.MinY, 7), Math.Round(b.MaxX, 7), Math.Round(b.MaxY, 7))),
                ["crs"] = OgcParameters.Crs84,
            };
        if (extent.First is { } first && extent.Last is { } last)
            e["temporal"] = new JsonObject
            {
                // Features are dated by day: the interval runs from the first day's start to the last day's end.
                ["interval"] = new JsonArray(new JsonArray($"{first:yyyy-MM-dd}T00:00:00Z", $"{last:yyyy-MM-dd}T23:59:59Z")),
                ["trs"] = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
            };
        if (e.Count > 0) json["extent"] = e;
        return json;
    }

    private static IResult NoCollection(string id, Dictionary<string, IFeatureCollection> collections) =>
        Error(404, "NotFound", $"No collection '{id}'; the collections are {string.Join(", ", collections.Keys)}.");

    private static JsonObject Link(string href, string rel, string type, string title) =>
        new() { ["href"] = href, ["rel"] = rel, ["type"] = type, ["title"] = title };

    private static string QueryString(IEnumerable<(string Name, string Value)> parameters)
    {
        var text = string.Join('&', parameters.Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value)}"));
        return text.Length > 0 ? "?" + text : "";
    }

    // Relaxed escaping keeps e.g. "application/geo+json" readable; the bodies are served as JSON, never inside HTML.
    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static IResult Ok(JsonObject body, string type = Json) => Results.Text(body.ToJsonString(Readable), type);

    /// <summary>The exception document of OGC API - Common: code and description (and the HTTP status).</summary>
    private static IResult Error(int status, string code, string description) =>
        Results.Text(new JsonObject { ["code"] = code, ["description"] = description, ["status"] = status }.ToJsonString(Readable), Json, statusCode: status);
}
