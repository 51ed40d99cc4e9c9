using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NrtCluster.Geo.Stac;

public enum SearchMethod { Get, Post }

/// <summary>
/// One page of a search: the URL it came from, its items (with those rejected in <see cref="StacItemList.Rejected"/>) and
/// the link to the next page (null on the last).
/// </summary>
public sealed record StacItemPage(string Url, StacItemList Items, StacLink? Next, int? NumberMatched);

/// <summary>
/// Client for STAC API item search: GET or POST, paging through "next" links (a GET href, or a POST whose body
/// replaces or is merged into the previous one), with the timeouts and retries of <see cref="StacHttpOptions"/>.
/// </summary>
public sealed class StacApiClient
{
    private readonly StacHttp _http;

    /// <param name="searchUrl">The /search endpoint, e.g. https://earth-search.aws.element84.com/v1/search.</param>
    /// <param name="maxPages">Stop with an error after this many pages (guards against servers that page forever).</param>
    public StacApiClient(HttpClient http, string searchUrl, StacHttpOptions? options = null,
        SearchMethod method = SearchMethod.Post, int maxPages = 100_000)
    {
        if (!Uri.TryCreate(searchUrl, UriKind.Absolute, out var uri) || !Hrefs.IsHttp(searchUrl))
            throw new ArgumentException($"STAC search URL '{searchUrl}' is not an absolute http(s) URL of a /search endpoint.", nameof(searchUrl));
        _http = new StacHttp(http, options ?? StacHttpOptions.Default);
        SearchUrl = uri.AbsoluteUri;
        Method = method;
        MaxPages = maxPages;
    }

    public string SearchUrl { get; }
    public SearchMethod Method { get; }
    public int MaxPages { get; }

    /// <summary>Pages of the search, in server order, following next links until there is none.</summary>
    public async IAsyncEnumerable<StacItemPage> SearchPagesAsync(StacSearchRequest request,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        request.Validate();
        PageRequest? next = Method == SearchMethod.Post
            ? new PageRequest(HttpMethod.Post, SearchUrl, request.ToPostBody(), EmptyHeaders)
            : new PageRequest(HttpMethod.Get, AppendQuery(SearchUrl, request.ToQueryString()), null, EmptyHeaders);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var pages = 0; next is not null; pages++)
        {
            if (pages >= MaxPages)
                throw new StacException($"Search at {SearchUrl} still had a next page after {MaxPages} pages; narrow the search or raise maxPages.");
            if (!seen.Add(next.Key))
                throw new StacException($"Search at {SearchUrl}: the next link of a page points back to an earlier page ({next.Method} {next.Url}); the server's paging is broken.");
            var page = await FetchPageAsync(next, ct).ConfigureAwait(false);
            yield return page;
            next = page.Next is null ? null : FollowLink(next, page.Next);
        }
    }

    /// <summary>Items of the search in server order, page by page.</summary>
    public async IAsyncEnumerable<StacItem> SearchAsync(StacSearchRequest request, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var page in SearchPagesAsync(request, ct).ConfigureAwait(false))
            foreach (var item in page.Items)
                yield return item;
    }

    /// <summary>
    /// All items of the search, each id once (see <see cref="StacItemList.Collect"/>: the first version is kept), sorted by
    /// datetime then id, with the items of every page that were rejected.
    /// </summary>
    public async Task<StacItemList> SearchAllAsync(StacSearchRequest request, CancellationToken ct = default)
    {
        var pages = new List<StacItemList>();
        await foreach (var page in SearchPagesAsync(request, ct).ConfigureAwait(false)) pages.Add(page.Items);
        return StacItemList.Collect(pages);
    }

    private static readonly IReadOnlyDictionary<string, string> EmptyHeaders = new Dictionary<string, string>();

    private sealed record PageRequest(HttpMethod Method, string Url, JsonObject? Body, IReadOnlyDictionary<string, string> Headers)
    {
        public string Key => $"{Method} {Url} {Body?.ToJsonString()}";
    }

    private async Task<StacItemPage> FetchPageAsync(PageRequest page, CancellationToken ct)
    {
        var bodyText = page.Body?.ToJsonString();
        var text = await _http.SendAsync(() =>
        {
            var message = new HttpRequestMessage(page.Method, page.Url);
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/geo+json"));
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            foreach (var (name, value) in page.Headers) message.Headers.TryAddWithoutValidation(name, value);
            if (bodyText is not null) message.Content = new StringContent(bodyText, Encoding.UTF8, "application/json");
            return message;
        }, ct).ConfigureAwait(false);

        var location = page.Method == HttpMethod.Post ? $"POST {page.Url}" : page.Url;
        var root = StacJson.ParseDocument(text, location);
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var type)
            && type.ValueKind == JsonValueKind.String && type.GetString() != "FeatureCollection")
            throw new StacFormatException(location, $"a search page must be a FeatureCollection, got type '{type.GetString()}'");
        var items = StacJson.ParseFeatures(root, page.Url);
        var next = StacJson.ParseLinks(root, page.Url, "search page").FirstOrDefault(l => l.Rel == "next");
        return new StacItemPage(page.Url, items, next, NumberMatched(root));
    }

    private static int? NumberMatched(JsonElement root)
    {
        if (root.TryGetProperty("numberMatched", out var n) && n.TryGetInt32(out var matched)) return matched;
        if (root.TryGetProperty("context", out var c) && c.ValueKind == JsonValueKind.Object
            && c.TryGetProperty("matched", out var m) && m.TryGetInt32(out var cm)) return cm;
        return null;
    }

    /// <summary>
    /// The request a next link asks for: a POST link sends its body (merged into the previous body when "merge" is
    /// true, else the previous body when it has none); anything else is a GET of the href.
    /// </summary>
    private static PageRequest FollowLink(PageRequest previous, StacLink link)
    {
        if (!link.IsPost) return new PageRequest(HttpMethod.Get, link.Href, null, link.Headers);
        JsonObject body;
        if (link.Body is { } linkBody && !link.Merge) body = JsonNode.Parse(linkBody.GetRawText())!.AsObject();
        else
        {
            body = previous.Body is null ? new JsonObject() : JsonNode.Parse(previous.Body.ToJsonString())!.AsObject();
            if (link.Body is { } merge)
                foreach (var p in merge.EnumerateObject())
                    body[p.Name] = JsonNode.Parse(p.Value.GetRawText());
        }
        IReadOnlyDictionary<string, string> headers = link.Headers;
        if (link.Merge && previous.Headers.Count > 0)
        {
            var merged = new Dictionary<string, string>(previous.Headers, StringComparer.OrdinalIgnoreCase);
            foreach (var (k, v) in link.Headers) merged[k] = v;
            headers = merged;
        }
        return new PageRequest(HttpMethod.Post, link.Href, body, headers);
    }

    private static string AppendQuery(string url, string query) =>
        query.Length == 0 ? url : url + (url.Contains('?') ? "&" : "?") + query;
}
