using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using NrtCluster.Geo.Stac;
using NrtCluster.Host.Http;

namespace NrtCluster.Host.Archive;

/// <summary>
/// Serves a static STAC archive folder (catalog.json -> collections -> items with relative COG hrefs, such as
/// <c>nrtc simulate-archive</c> writes) as a STAC API on 127.0.0.1: <c>/search</c> (GET and POST, paged),
/// <c>/collections</c>, and the files themselves under <c>/files/</c> with HTTP range support, asset hrefs rewritten
/// to this server so that GDAL's /vsicurl/ reads the COGs by range.
/// </summary>
public sealed class ArchiveServer : IAsyncDisposable
{
    private const string GeoJson = "application/geo+json";
    private const string Json = "application/json";
    private const string CogType = "image/tiff; application=geotiff; profile=cloud-optimized";

    private readonly WebApplication _app;
    private readonly Site _site;

    private ArchiveServer(WebApplication app, Site site, string baseUrl, IReadOnlyList<string> collections)
    {
        _app = app;
        _site = site;
        BaseUrl = baseUrl;
        Collections = collections;
    }

    /// <summary>e.g. http://127.0.0.1:8090 (no trailing slash).</summary>
    public string BaseUrl { get; }

    public int ItemCount => _site.Search.Items.Count;

    public IReadOnlyList<string> Collections { get; }

    public string SearchUrl => BaseUrl + "/search";

    /// <summary>
    /// Reads the catalog of <paramref name="directory"/> and starts serving it on 127.0.0.1:<paramref name="port"/>
    /// (0 picks a free port; see <see cref="BaseUrl"/>).
    /// </summary>
    public static async Task<ArchiveServer> StartAsync(string directory, int port, CancellationToken ct = default)
    {
        var root = Path.GetFullPath(directory);
        var catalog = Path.Combine(root, "catalog.json");
        if (!File.Exists(catalog))
            throw new FileNotFoundException($"No catalog.json in '{root}'; give the folder of a static STAC catalog, e.g. one written by 'nrtc simulate-archive --out DIR'.", catalog);

        var reader = new StaticCatalogReader();
        var items = await reader.ReadAllItemsAsync(catalog, ct).ConfigureAwait(false);
        var collections = await ReadCollectionsAsync(reader, catalog, ct).ConfigureAwait(false);
        var site = new Site(root, new InMemoryStacSearch(items), collections);
        var (app, baseUrl) = await WebHosting.StartAsync(IPAddress.Loopback, port, site.Map, ct).ConfigureAwait(false);
        return new ArchiveServer(app, site, baseUrl, collections.Keys.ToArray());
    }

    /// <summary>
    /// Publishes items written into the archive folder after the server started (item documents whose asset hrefs are
    /// relative to them, as <c>SyntheticArchive.WriteAcquisition</c> writes): searches and item URLs return them from now on,
    /// as a provider's API does with a new granule. Returns their ids.
    /// </summary>
    public IReadOnlyList<string> Publish(IEnumerable<string> itemFiles)
    {
        var items = itemFiles.Select(f => StacJson.ParseItem(StacJson.ParseDocument(File.ReadAllText(f), f), Path.GetFullPath(f))).ToList();
        _site.Add(items);
        return [.. items.Select(i => i.Id)];
    }

    /// <summary>An item as this server serves it (asset hrefs and links on this server): what a provider's notification carries.</summary>
    public string ItemUrl(string collection, string itemId) => $"{BaseUrl}/collections/{Uri.EscapeDataString(collection)}/items/{Uri.EscapeDataString(itemId)}";

    private static async Task<Dictionary<string, JsonElement>> ReadCollectionsAsync(StaticCatalogReader reader, string catalog, CancellationToken ct)
    {
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var (json, location) = await reader.LoadAsync(catalog, ct).ConfigureAwait(false);
        var root = StacCatalogDocument.Parse(json, location);
        foreach (var link in root.Links.Where(l => l.Rel == "child"))
        {
            var (child, childLocation) = await reader.LoadAsync(link.Href, ct).ConfigureAwait(false);
            var doc = StacCatalogDocument.Parse(child, childLocation);
            if (doc.Kind == StacDocumentKind.Collection) result[doc.Id] = child;
        }
        return result;
    }

    public Task WaitForShutdownAsync(CancellationToken ct) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The routes; every URL in a response is built from the request's own scheme and host.</summary>
    private sealed class Site(string root, InMemoryStacSearch initial, Dictionary<string, JsonElement> collections)
    {
        private readonly Lock _publishing = new();

        // Replaced whole when items are published, so a request reads one consistent version.
        private volatile InMemoryStacSearch _search = initial;
        private volatile Dictionary<string, StacItem> _items = initial.Items.ToDictionary(i => i.Id, StringComparer.Ordinal);

        public InMemoryStacSearch Search => _search;

        public void Add(IEnumerable<StacItem> published)
        {
            lock (_publishing)
            {
                var search = new InMemoryStacSearch(Search.Items.Concat(published));
                _items = search.Items.ToDictionary(i => i.Id, StringComparer.Ordinal);
                _search = search;
            }
        }

        public void Map(WebApplication app)
        {
            app.MapGet("/", (HttpRequest r) => Respond(Landing(Base(r)), Json));
            app.MapGet("/conformance", () => Respond(new JsonObject { ["conformsTo"] = Conformance() }, Json));
            app.MapGet("/collections", (HttpRequest r) =>
            {
                var b = Base(r);
                return Respond(new JsonObject
                {
                    ["collections"] = new JsonArray(collections.Keys.Select(id => (JsonNode)Collection(b, id)).ToArray()),
                    ["links"] = new JsonArray(Link("self", b + "/collections", Json), Link("root", b + "/", Json)),
                }, Json);
            });
            app.MapGet("/collections/{id}", (HttpRequest r, string id) =>
                collections.ContainsKey(id) ? Respond(Collection(Base(r), id), Json) : NotFound($"collection '{id}'"));
            app.MapGet("/collections/{id}/items", (HttpRequest r, string id) =>
            {
                if (!collections.ContainsKey(id)) return NotFound($"collection '{id}'");
                var b = Base(r);
                var url = $"{b}/collections/{Uri.EscapeDataString(id)}/items";
                return Guard(() =>
                {
                    var request = StacSearchRequest.FromQueryParameters(Parameters(r), "GET " + url) with { Collections = [id] };
                    var page = Search.Search(request);
                    return Features(b, InMemoryStacSearch.ToFeatureCollection(page,
                        token => InMemoryStacSearch.GetNextLink(url, request with { Token = null }, token)));
                });
            });
            app.MapGet("/collections/{id}/items/{itemId}", (HttpRequest r, string id, string itemId) =>
                _items.TryGetValue(itemId, out var item) && item.Collection == id
                    ? Respond(Item(Base(r), item.ToJsonObject()), GeoJson)
                    : NotFound($"item '{itemId}' in collection '{id}'"));
            app.MapGet("/search", (HttpRequest r) =>
            {
                var b = Base(r);
                return Guard(() => Features(b, Search.HandleGet(b + "/search", Parameters(r))));
            });
            app.MapPost("/search", async (HttpRequest r) =>
            {
                var b = Base(r);
                using var body = new StreamReader(r.Body);
                var text = await body.ReadToEndAsync().ConfigureAwait(false);
                return Guard(() => Features(b, Search.HandlePost(b + "/search", text)));
            });
            app.MapGet("/files/{**path}", (string path) =>
            {
                var full = Path.GetFullPath(Path.Combine(root, path));
                if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(full))
                    return NotFound($"file '{path}'");
                var type = Path.GetExtension(full).ToLowerInvariant() switch
                {
                    ".tif" or ".tiff" => CogType,
                    ".geojson" => GeoJson,
                    ".json" => Json,
                    _ => "application/octet-stream",
                };
                return Results.File(full, type, enableRangeProcessing: true);
            });
        }

        private static string Base(HttpRequest r) => $"{r.Scheme}://{r.Host}";

        private static Dictionary<string, string> Parameters(HttpRequest r) =>
            r.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);

        private static IResult Respond(JsonNode node, string type) => Results.Content(node.ToJsonString(), type);

        private static IResult NotFound(string what) =>
            Results.Content(new JsonObject { ["code"] = "NotFound", ["description"] = $"No {what} in this archive." }.ToJsonString(), Json, statusCode: 404);

        private static IResult Guard(Func<IResult> answer)
        {
            try
            {
                return answer();
            }
            catch (StacException e)
            {
                return Results.Content(new JsonObject { ["code"] = "BadRequest", ["description"] = e.Message }.ToJsonString(), Json, statusCode: 400);
            }
        }

        private IResult Features(string b, JsonObject collection)
        {
            if (collection["features"] is JsonArray features)
                foreach (var f in features.OfType<JsonObject>()) Item(b, f);
            collection["links"]!.AsArray().Add(Link("root", b + "/", Json));
            return Respond(collection, GeoJson);
        }

        /// <summary>Points the item's asset hrefs (local paths under the archive) and links at this server.</summary>
        private JsonObject Item(string b, JsonObject item)
        {
            if (item["assets"] is JsonObject assets)
            {
                foreach (var (_, node) in assets)
                {
                    if (node is JsonObject asset && asset["href"]?.GetValue<string>() is { } href && !Hrefs.IsUrl(href))
                        asset["href"] = FileUrl(b, href);
                }
            }
            var id = item["id"]!.GetValue<string>();
            var collection = item["collection"]?.GetValue<string>();
            var links = new JsonArray(Link("root", b + "/", Json));
            if (collection is not null)
            {
                var c = $"{b}/collections/{Uri.EscapeDataString(collection)}";
                links.Add(Link("self", $"{c}/items/{Uri.EscapeDataString(id)}", GeoJson));
                links.Add(Link("parent", c, Json));
                links.Add(Link("collection", c, Json));
            }
            item["links"] = links;
            return item;
        }

        private string FileUrl(string b, string localPath)
        {
            var relative = Path.GetRelativePath(root, localPath);
            return b + "/files/" + string.Join('/', relative.Split(Path.DirectorySeparatorChar).Select(Uri.EscapeDataString));
        }

        private JsonObject Collection(string b, string id)
        {
            var node = JsonNode.Parse(collections[id].GetRawText())!.AsObject();
            var self = $"{b}/collections/{Uri.EscapeDataString(id)}";
            node["links"] = new JsonArray(
                Link("self", self, Json), Link("root", b + "/", Json), Link("parent", b + "/", Json),
                Link("items", self + "/items", GeoJson));
            return node;
        }

        private JsonObject Landing(string b)
        {
            var links = new JsonArray(
                Link("self", b + "/", Json), Link("root", b + "/", Json),
                Link("conformance", b + "/conformance", Json), Link("data", b + "/collections", Json),
                Link("search", b + "/search", GeoJson, "GET"), Link("search", b + "/search", GeoJson, "POST"));
            foreach (var id in collections.Keys) links.Add(Link("child", $"{b}/collections/{Uri.EscapeDataString(id)}", Json));
            return new JsonObject
            {
                ["type"] = "Catalog",
                ["stac_version"] = "1.0.0",
                ["id"] = "nrtc-archive",
                ["title"] = "NrtCluster archive server",
                ["description"] = $"STAC API over the static catalog in {root}.",
                ["conformsTo"] = Conformance(),
                ["links"] = links,
            };
        }

        private static JsonArray Conformance() => new(
            "https://api.stacspec.org/v1.0.0/core",
            "https://api.stacspec.org/v1.0.0/collections",
            "https://api.stacspec.org/v1.0.0/ogcapi-features",
            "https://api.stacspec.org/v1.0.0/item-search",
            "https://api.stacspec.org/v1.0.0/item-search#query",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson");

        private static JsonObject Link(string rel, string href, string type, string? method = null)
        {
            var link = new JsonObject { ["rel"] = rel, ["href"] = href, ["type"] = type };
            if (method is not null) link["method"] = method;
            return link;
        }
    }
}
