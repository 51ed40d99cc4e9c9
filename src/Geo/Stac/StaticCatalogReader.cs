using System.Runtime.CompilerServices;
using System.Text.Json;

namespace NrtCluster.Geo.Stac;

/// <summary>A catalog or collection document; links are resolved against its location.</summary>
/// <param name="ItemAssetKeys">Collections only: the item_assets keys (asset definitions shared by the items).</param>
public sealed record StacCatalogDocument(
    string Id,
    StacDocumentKind Kind,
    string? Title,
    string? Description,
    IReadOnlyList<StacLink> Links,
    IReadOnlyList<string> ItemAssetKeys,
    string Source,
    JsonElement Json)
{
    public static StacCatalogDocument Parse(JsonElement json, string location)
    {
        json = json.Clone();
        var kind = StacJson.GetKind(json, location);
        if (kind is not (StacDocumentKind.Catalog or StacDocumentKind.Collection))
            throw new StacFormatException(location, $"expected a Catalog or Collection, found a {kind}");
        var id = json.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString()! : null;
        if (string.IsNullOrEmpty(id)) throw new StacFormatException(location, $"the {kind} has no string \"id\"");
        string? Str(string name) => json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var itemAssets = json.TryGetProperty("item_assets", out var ia) && ia.ValueKind == JsonValueKind.Object
            ? ia.EnumerateObject().Select(p => p.Name).ToArray() : [];
        return new StacCatalogDocument(id, kind, Str("title"), Str("description"),
            StacJson.ParseLinks(json, location, $"{kind} '{id}'"), itemAssets, location, json);
    }
}

/// <summary>
/// Reads a static STAC catalog (catalog.json -> child catalogs/collections -> items, or an item collection file)
/// from disk, file:// or HTTP, resolving relative hrefs against each document's location.
/// </summary>
public sealed class StaticCatalogReader
{
    private readonly StacHttp? _http;

    /// <param name="http">Needed only for catalogs over HTTP.</param>
    public StaticCatalogReader(HttpClient? http = null, StacHttpOptions? options = null)
    {
        _http = http is null ? null : new StacHttp(http, options ?? StacHttpOptions.Default);
    }

    /// <summary>Loads one document (local path, file:// or http(s) URL) as JSON, with its normalised location.</summary>
    public async Task<(JsonElement Json, string Location)> LoadAsync(string location, CancellationToken ct = default)
    {
        string text;
        if (Hrefs.IsHttp(location))
        {
            if (_http is null)
                throw new StacException($"Cannot read {location}: this catalog reader was created without an HttpClient.");
            text = await _http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, location), ct).ConfigureAwait(false);
        }
        else
        {
            if (Hrefs.IsUrl(location) && !location.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
                throw new StacException($"Cannot read {location}: static catalogs are read from local paths, file:// or http(s) URLs.");
            location = Path.GetFullPath(Hrefs.Resolve(location, null));
            try
            {
                text = await File.ReadAllTextAsync(location, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new StacException($"Cannot read STAC document {location}: {e.Message}", e);
            }
        }
        return (StacJson.ParseDocument(text, location), location);
    }

    /// <summary>
    /// Every item reachable from <paramref name="location"/> (a catalog, collection, item collection or item), each id
    /// once (see <see cref="StacItemList.Collect"/>), sorted by datetime then id; each document is read once even if linked
    /// twice. An item document, or a feature of an item collection, that is not a valid item is rejected alone.
    /// </summary>
    public async Task<StacItemList> ReadAllItemsAsync(string location, CancellationToken ct = default)
    {
        var parts = new List<StacItemList>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var queued = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<(string Href, bool IsItem)>();
        pending.Push((location, false));
        while (pending.Count > 0)
        {
            var (href, isItem) = pending.Pop();
            try
            {
                var (json, where) = await LoadAsync(href, ct).ConfigureAwait(false);
                if (!visited.Add(where)) continue;
                switch (StacJson.GetKind(json, where))
                {
                    case StacDocumentKind.Item:
                        parts.Add(ParseItemDocument(json, where));
                        break;
                    case StacDocumentKind.ItemCollection:
                        parts.Add(StacJson.ParseFeatures(json, where));
                        break;
                    default:
                        var doc = StacCatalogDocument.Parse(json, where);
                        // Push in reverse so that documents are visited in link order.
                        foreach (var link in doc.Links.Where(l => l.Rel is "child" or "item").Reverse())
                        {
                            if (!visited.Contains(link.Href) && queued.Add(link.Href)) pending.Push((link.Href, link.Rel == "item"));
                        }
                        break;
                }
            }
            catch (StacFormatException e) when (isItem)
            {
                // Not even a JSON object of a known kind: the item link is rejected, the catalog goes on.
                parts.Add(new StacItemList([], [new RejectedItem(null, e.Location, e.Problem)]));
            }
        }
        return StacItemList.Collect(parts);
    }

    private static StacItemList ParseItemDocument(JsonElement json, string location)
    {
        try
        {
            return new StacItemList([StacJson.ParseItem(json, location)], []);
        }
        catch (StacFormatException e)
        {
            return new StacItemList([], [new RejectedItem(StacJson.IdOf(json), location, e.Problem)]);
        }
    }
}
