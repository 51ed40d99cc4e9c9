using System.Globalization;
using System.Net;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Actors.Tests.Poller;

/// <summary>
/// A STAC API on 127.0.0.1 serving POST /search from a list of items (through <see cref="InMemoryStacSearch"/>);
/// items can be published while it runs, as an archive publishes late granules. Counts the searches.
/// </summary>
public sealed class LoopbackStac : IAsyncDisposable
{
    private readonly LoopbackServer _server;
    private readonly List<StacItem> _items = [];
    private InMemoryStacSearch _search = new([]);
    private string[] _raw = [];
    private int _searches;

    public LoopbackStac()
    {
        _server = new LoopbackServer(Serve);
        SearchUrl = _server.BaseUrl + "search";
    }

    public string SearchUrl { get; }

    public int Searches => Volatile.Read(ref _searches);

    public void Publish(params StacItem[] items)
    {
        lock (_items)
        {
            _items.AddRange(items);
            _search = new InMemoryStacSearch(_items);
        }
    }

    /// <summary>
    /// Features written into the first page of every search as they are (after the page's own items), e.g. items that
    /// are not valid JSON: what a broken provider serves.
    /// </summary>
    public void InjectIntoFirstPage(params string[] rawFeatures)
    {
        lock (_items) _raw = [.. _raw, .. rawFeatures];
    }

    /// <summary>An item whose footprint is the given lon/lat box, acquired at <paramref name="acquired"/>.</summary>
    public static StacItem Item(string id, DateTime acquired, double west, double south, double east, double north) =>
        StacJson.ParseItem(StacJson.ParseDocument(RawItem(id, acquired, west, south, east, north), "test"), "test");

    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The JSON text of <see cref="Item"/>, with the bbox and geometry text replaceable by anything.</summary>
    public static string RawItem(string id, DateTime acquired, double west, double south, double east, double north,
        string? bbox = null, string? geometry = null) => $$"""
        {"type":"Feature","stac_version":"1.0.0","id":"{{id}}","collection":"sentinel-2-l2a",
         "bbox":{{bbox ?? $"[{Num(west)},{Num(south)},{Num(east)},{Num(north)}]"}},
         "geometry":{{geometry ?? Polygon(west, south, east, north)}},
         "properties":{"datetime":"{{acquired.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)}}","eo:cloud_cover":10},
         "assets":{},"links":[{"rel":"self","href":"https://stac.test/items/{{id}}"}]}
        """;

    public static string Polygon(double west, double south, double east, double north) =>
        $$"""{"type":"Polygon","coordinates":[[[{{Num(west)}},{{Num(south)}}],[{{Num(east)}},{{Num(south)}}],[{{Num(east)}},{{Num(north)}}],[{{Num(west)}},{{Num(north)}}],[{{Num(west)}},{{Num(south)}}]]]}""";

    private async Task Serve(HttpListenerContext context)
    {
        Interlocked.Increment(ref _searches);
        try
        {
            string body = await LoopbackServer.ReadBody(context);
            InMemoryStacSearch search;
            string[] raw;
            lock (_items) (search, raw) = (_search, _raw);
            var post = context.Request.HttpMethod == "POST";
            var page = post ? search.HandlePost(SearchUrl, body) : search.HandleGet(SearchUrl, LoopbackServer.QueryOf(context));
            var firstPage = post ? !body.Contains("\"token\"", StringComparison.Ordinal) : context.Request.QueryString["token"] is null;
            var text = page.ToJsonString();
            if (firstPage && raw.Length > 0)
            {
                var features = page["features"]!.AsArray().Select(f => f!.ToJsonString()).Concat(raw);
                page.Remove("features");
                text = "{\"features\":[" + string.Join(",", features) + "]," + page.ToJsonString()[1..];
            }
            await LoopbackServer.Respond(context, 200, "application/geo+json", text);
        }
        catch (StacException e)
        {
            await LoopbackServer.Respond(context, 400, "text/plain", e.Message);
        }
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
