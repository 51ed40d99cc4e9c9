using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Geo.Stac.Tests;

/// <summary>The search client against /search servers on 127.0.0.1 that the tests start.</summary>
public sealed class SearchClientTests : IAsyncLifetime
{
    private static readonly IReadOnlyList<StacItem> Archive =
        Fixtures.Features(Fixtures.Tile35Mnm).Concat(Fixtures.Features(Fixtures.NineGranules)).ToArray();

    private readonly InMemoryStacSearch _search = new(Archive);
    private readonly ConcurrentQueue<(string Method, string Url, string Body)> _requests = new();
    private readonly ConcurrentQueue<TimeSpan> _waits = new();
    private readonly HttpClient _http = Fixtures.NewHttpClient();
    private LoopbackServer _server = null!;

    private string SearchUrl => _server.BaseUrl + "search";

    /// <summary>Retry waits are recorded, not slept, so the tests do not depend on time.</summary>
    private StacHttpOptions Options => new()
    {
        MaxRetries = 3,
        RequestTimeout = TimeSpan.FromSeconds(30),
        Delay = (wait, _) =>
        {
            _waits.Enqueue(wait);
            return Task.CompletedTask;
        },
    };

    public Task InitializeAsync()
    {
        _server = new LoopbackServer(async context =>
        {
            var body = await LoopbackServer.ReadBody(context);
            var url = context.Request.Url!.ToString();
            _requests.Enqueue((context.Request.HttpMethod, url, body));
            var path = context.Request.Url!.AbsolutePath;
            var search = _server.BaseUrl.TrimEnd('/') + path;
            try
            {
                var json = context.Request.HttpMethod == "POST"
                    ? _search.HandlePost(search, body)
                    : _search.HandleGet(search, LoopbackServer.QueryOf(context));
                await LoopbackServer.Json(context, json.ToJsonString());
            }
            catch (StacRequestException e)
            {
                await LoopbackServer.Json(context, new JsonObject { ["code"] = "BadRequest", ["description"] = e.Message }.ToJsonString(), 400);
            }
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
    }

    private static readonly IReadOnlyList<StacItem> Unique =
        Archive.DistinctBy(i => i.Id).OrderBy(i => i.DateTime).ThenBy(i => i.Id, StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task Get_search_pages_through_get_href_next_links()
    {
        var client = new StacApiClient(_http, SearchUrl, Options, SearchMethod.Get);
        var request = new StacSearchRequest
        {
            Collections = ["sentinel-2-l2a"],
            Datetime = DateTimeInterval.Parse("2020-06-01T00:00:00Z/2020-08-01T00:00:00Z"),
            Limit = 5,
        };
        var pages = new List<StacItemPage>();
        await foreach (var page in client.SearchPagesAsync(request)) pages.Add(page);

        Assert.Equal(21, Unique.Count);
        Assert.Equal([5, 5, 5, 5, 1], pages.Select(p => p.Items.Count));
        Assert.All(pages, p => Assert.Equal(21, p.NumberMatched));
        Assert.Equal(Unique.Select(i => i.Id), pages.SelectMany(p => p.Items).Select(i => i.Id));
        Assert.Null(pages[^1].Next);
        Assert.All(_requests, r => Assert.Equal("GET", r.Method));
        Assert.Equal(5, _requests.Count);
        var later = _requests.Skip(1).Select(r => r.Url).ToArray();
        Assert.All(later, u => Assert.Contains("token=", u));
        Assert.All(later, u => Assert.Contains("collections=sentinel-2-l2a", u));
    }

    [Fact]
    public async Task Post_search_merges_the_next_link_body_into_the_previous_body()
    {
        var client = new StacApiClient(_http, SearchUrl, Options, SearchMethod.Post);
        var request = new StacSearchRequest { Collections = ["sentinel-2-l2a"], Limit = 4 };
        var items = await client.SearchAllAsync(request);

        Assert.Equal(Unique.Select(i => i.Id), items.Select(i => i.Id));
        Assert.Equal(6, _requests.Count);
        var bodies = _requests.Select(r => JsonNode.Parse(r.Body)!.AsObject()).ToArray();
        Assert.All(bodies, b => Assert.Equal("sentinel-2-l2a", b["collections"]![0]!.GetValue<string>()));
        Assert.All(bodies, b => Assert.Equal(4, b["limit"]!.GetValue<int>()));
        Assert.Null(bodies[0]["token"]);
        Assert.All(bodies.Skip(1), b => Assert.False(string.IsNullOrEmpty(b["token"]!.GetValue<string>())));
        Assert.Equal(5, bodies.Skip(1).Select(b => b["token"]!.GetValue<string>()).Distinct().Count());
    }

    [Fact]
    public async Task Bbox_datetime_and_query_filter_on_the_server()
    {
        var client = new StacApiClient(_http, SearchUrl, Options, SearchMethod.Get);
        var request = new StacSearchRequest
        {
            Bbox = new BoundingBox(27.4, -7.8, 27.6, -7.6),
            Datetime = new DateTimeInterval(new DateTimeOffset(2020, 6, 10, 0, 0, 0, TimeSpan.Zero), null),
            Query = [QueryCondition.CloudCoverBelow(50)],
            Limit = 3,
        };
        var items = await client.SearchAllAsync(request);
        var expected = Unique.Where(i => i.Id.Contains("_T35MNM_") && i.DateTime >= request.Datetime.Value.Start && i.CloudCover < 50)
            .Select(i => i.Id).ToArray();
        Assert.NotEmpty(expected);
        Assert.True(expected.Length < 12, "the cloud filter should remove some acquisitions");
        Assert.Equal(expected, items.Select(i => i.Id));
    }

    [Fact]
    public async Task Intersects_selects_granules_by_footprint()
    {
        var client = new StacApiClient(_http, SearchUrl, Options, SearchMethod.Post);
        // A point-sized square in 35LNH only.
        var square = new BoundingBox(27.5, -11.31, 27.51, -11.3).ToPolygon(StacJson.GeometryFactory);
        var items = await client.SearchAllAsync(new StacSearchRequest { Intersects = square });
        var item = Assert.Single(items);
        Assert.Contains("_T35LNH_", item.Id);
        Assert.True(item.Footprint.Intersects(square));
    }

    [Fact]
    public async Task Results_are_sorted_by_datetime_and_footprints_are_lon_lat()
    {
        var client = new StacApiClient(_http, SearchUrl, Options, SearchMethod.Get);
        var items = await client.SearchAllAsync(new StacSearchRequest { Ids = ["S2A_MSIL2A_20200731T080611_R078_T35MNM_20200818T062751", "S2A_MSIL2A_20200601T080611_R078_T35MNM_20201027T072253"] });
        Assert.Equal(["S2A_MSIL2A_20200601T080611_R078_T35MNM_20201027T072253", "S2A_MSIL2A_20200731T080611_R078_T35MNM_20200818T062751"],
            items.Select(i => i.Id));
        Assert.All(items, i => Assert.InRange(i.Footprint.Centroid.X, 27, 28));
        Assert.All(items, i => Assert.InRange(i.Footprint.Centroid.Y, -8.3, -7.2));
    }

    [Fact]
    public async Task A_bad_request_is_reported_with_status_url_and_server_message_without_retrying()
    {
        var client = new StacApiClient(_http, SearchUrl, Options, SearchMethod.Post);
        var e = await Assert.ThrowsAsync<StacHttpException>(() =>
            client.SearchAllAsync(new StacSearchRequest { Filter = JsonDocument.Parse("""{"op":"<","args":[{"property":"eo:cloud_cover"},80]}""").RootElement }));
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.True(e.Permanent);
        Assert.Contains(SearchUrl, e.Message);
        Assert.Contains("filter (CQL2) is not supported", e.Message);
        Assert.Single(_requests);
        Assert.Empty(_waits);
    }
}

/// <summary>Servers that misbehave in scripted ways: throttling, failures, broken pages, full-body POST next links.</summary>
public sealed class SearchClientFailureTests
{
    private static readonly IReadOnlyList<StacItem> Items = Fixtures.Features(Fixtures.Tile35Mnm);

    private static string Page(IEnumerable<StacItem> items, JsonObject? next) => new JsonObject
    {
        ["type"] = "FeatureCollection",
        ["features"] = new JsonArray(items.Select(i => (JsonNode)i.ToJsonObject()).ToArray()),
        ["links"] = next is null ? new JsonArray() : new JsonArray(next),
    }.ToJsonString();

    private static (StacHttpOptions Options, ConcurrentQueue<TimeSpan> Waits) RecordingOptions(int retries = 3)
    {
        var waits = new ConcurrentQueue<TimeSpan>();
        return (new StacHttpOptions
        {
            MaxRetries = retries,
            InitialBackoff = TimeSpan.FromMilliseconds(100),
            Delay = (w, _) =>
            {
                waits.Enqueue(w);
                return Task.CompletedTask;
            },
        }, waits);
    }

    [Fact]
    public async Task A_429_with_retry_after_is_waited_out_and_then_the_page_is_read()
    {
        var calls = 0;
        await using var server = new LoopbackServer(async context =>
        {
            if (Interlocked.Increment(ref calls) == 1)
                await LoopbackServer.Respond(context, 429, "application/json", """{"code":"TooManyRequests"}""",
                    new Dictionary<string, string> { ["Retry-After"] = "7" });
            else
                await LoopbackServer.Json(context, Page(Items.Take(2), null));
        });
        var (options, waits) = RecordingOptions();
        using var http = Fixtures.NewHttpClient();
        var client = new StacApiClient(http, server.BaseUrl + "search", options, SearchMethod.Get);
        var items = await client.SearchAllAsync(new StacSearchRequest());
        Assert.Equal(2, items.Count);
        Assert.Equal(2, calls);
        Assert.Equal([TimeSpan.FromSeconds(7)], waits);
    }

    [Fact]
    public async Task Server_errors_are_retried_with_growing_backoff_and_reported_when_they_persist()
    {
        var calls = 0;
        await using var server = new LoopbackServer(async context =>
        {
            Interlocked.Increment(ref calls);
            await LoopbackServer.Respond(context, 503, "text/plain", "database is restarting");
        });
        var (options, waits) = RecordingOptions(retries: 3);
        using var http = Fixtures.NewHttpClient();
        var client = new StacApiClient(http, server.BaseUrl + "search", options, SearchMethod.Post);
        var e = await Assert.ThrowsAsync<StacHttpException>(() => client.SearchAllAsync(new StacSearchRequest()));
        Assert.Equal(4, calls);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, e.StatusCode);
        Assert.False(e.Permanent);
        Assert.Contains($"POST {server.BaseUrl}search", e.Message);
        Assert.Contains("after 4 attempts", e.Message);
        Assert.Contains("database is restarting", e.Message);
        var w = waits.ToArray();
        Assert.Equal(3, w.Length);
        // Exponential backoff with jitter in [50%, 100%] of 100, 200, 400 ms.
        for (var k = 0; k < 3; k++) Assert.InRange(w[k].TotalMilliseconds, 50 * (1 << k), 100 * (1 << k));
    }

    [Fact]
    public async Task A_malformed_second_page_names_its_url_and_what_is_wrong()
    {
        await using var server = new LoopbackServer(async context =>
        {
            if (context.Request.QueryString["page"] == "2")
                await LoopbackServer.Json(context, """{"type":"FeatureCollection","features":{"id":"oops"},"links":[]}""");
            else
                await LoopbackServer.Json(context, Page(Items.Take(3), new JsonObject { ["rel"] = "next", ["href"] = "search?page=2" }));
        });
        using var http = Fixtures.NewHttpClient();
        var client = new StacApiClient(http, server.BaseUrl + "search", RecordingOptions().Options, SearchMethod.Get);
        var e = await Assert.ThrowsAsync<StacFormatException>(() => client.SearchAllAsync(new StacSearchRequest()));
        Assert.Equal(server.BaseUrl + "search?page=2", e.Location);
        Assert.Contains(server.BaseUrl + "search?page=2", e.Message);
        Assert.Contains("\"features\" is Object, expected an array of items", e.Message);
    }

    [Fact]
    public async Task A_page_that_is_not_json_is_reported_with_its_url()
    {
        await using var server = new LoopbackServer(context => LoopbackServer.Respond(context, 200, "text/html", "<html>maintenance</html>"));
        using var http = Fixtures.NewHttpClient();
        var client = new StacApiClient(http, server.BaseUrl + "search", RecordingOptions().Options, SearchMethod.Post);
        var e = await Assert.ThrowsAsync<StacFormatException>(() => client.SearchAllAsync(new StacSearchRequest()));
        Assert.Contains($"POST {server.BaseUrl}search", e.Message);
        Assert.Contains("not valid JSON", e.Message);
        Assert.Contains("<html>maintenance", e.Message);
    }

    [Fact]
    public async Task A_post_next_link_without_merge_sends_its_own_body_and_headers()
    {
        var bodies = new ConcurrentQueue<(string Body, string? Header)>();
        await using var server = new LoopbackServer(async context =>
        {
            var body = await LoopbackServer.ReadBody(context);
            bodies.Enqueue((body, context.Request.Headers["X-Page"]));
            var json = JsonNode.Parse(body)!.AsObject();
            if (json["page"]?.GetValue<int>() == 2)
                await LoopbackServer.Json(context, Page(Items.Skip(2).Take(2), null));
            else
                await LoopbackServer.Json(context, Page(Items.Take(2), new JsonObject
                {
                    ["rel"] = "next",
                    ["href"] = "search",
                    ["method"] = "POST",
                    ["body"] = new JsonObject { ["collections"] = new JsonArray("sentinel-2-l2a"), ["page"] = 2 },
                    ["headers"] = new JsonObject { ["X-Page"] = "2" },
                }));
        });
        using var http = Fixtures.NewHttpClient();
        var client = new StacApiClient(http, server.BaseUrl + "search", RecordingOptions().Options, SearchMethod.Post);
        var items = await client.SearchAllAsync(new StacSearchRequest { Collections = ["sentinel-2-l2a"], Limit = 2 });
        Assert.Equal(4, items.Count);
        var sent = bodies.ToArray();
        Assert.Equal(2, sent.Length);
        var second = JsonNode.Parse(sent[1].Body)!.AsObject();
        Assert.Equal(2, second["page"]!.GetValue<int>());
        Assert.Null(second["limit"]);
        Assert.Equal("2", sent[1].Header);
    }

    [Fact]
    public async Task A_next_link_back_to_the_same_page_is_an_error_not_an_endless_loop()
    {
        await using var server = new LoopbackServer(context =>
            LoopbackServer.Json(context, Page(Items.Take(1), new JsonObject { ["rel"] = "next", ["href"] = "search?page=1" })));
        using var http = Fixtures.NewHttpClient();
        var client = new StacApiClient(http, server.BaseUrl + "search", RecordingOptions().Options, SearchMethod.Get);
        var e = await Assert.ThrowsAsync<StacException>(() => client.SearchAllAsync(new StacSearchRequest()));
        Assert.Contains("points back to an earlier page", e.Message);
    }

    [Fact]
    public async Task A_server_that_does_not_answer_in_time_fails_with_the_timeout_named()
    {
        using var release = new CancellationTokenSource();
        await using var server = new LoopbackServer(async context =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, release.Token);
            }
            catch (OperationCanceledException)
            {
                // The test is over; the client timed out long ago.
            }
            context.Response.Abort();
        });
        try
        {
            var options = RecordingOptions(retries: 1).Options with { RequestTimeout = TimeSpan.FromMilliseconds(200) };
            using var http = Fixtures.NewHttpClient();
            var client = new StacApiClient(http, server.BaseUrl + "search", options, SearchMethod.Get);
            var e = await Assert.ThrowsAsync<StacHttpException>(() => client.SearchAllAsync(new StacSearchRequest()));
            Assert.Contains("no complete response within 0.2 s after 2 attempts", e.Message);
            Assert.Contains(server.BaseUrl + "search", e.Message);
        }
        finally
        {
            release.Cancel();
        }
    }
}
