using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Geo.Stac.Tests;

/// <summary>Planetary Computer signing against a token endpoint on 127.0.0.1.</summary>
public sealed class SasTokenTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly ConcurrentQueue<string> _tokenRequests = new();
    private readonly ManualTime _time = new(Start);
    private readonly HttpClient _http = Fixtures.NewHttpClient();
    private LoopbackServer _server = null!;

    public Task InitializeAsync()
    {
        _server = new LoopbackServer(async context =>
        {
            var path = context.Request.Url!.AbsolutePath;
            _tokenRequests.Enqueue(path);
            if (path.Contains("/broken/", StringComparison.Ordinal))
            {
                await LoopbackServer.Json(context, """{"msft:expiry":"2024-05-01T13:00:00Z"}""");
                return;
            }
            // Each token is valid for one hour from the test clock's now and is numbered, so reuse is visible.
            var n = _tokenRequests.Count;
            await LoopbackServer.Json(context, new JsonObject
            {
                ["msft:expiry"] = StacJson.FormatDateTime(_time.Now.AddHours(1)),
                ["token"] = $"st=2024-05-01&se=2024-05-01&sp=rl&sv=2021-06-08&sr=c&sig=token{n}",
            }.ToJsonString());
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
    }

    private ProviderProfile Profile() => ProviderProfiles.PlanetaryComputer(_http,
        _server.BaseUrl + "api/sas/v1/token/{collection}", new StacHttpOptions { MaxRetries = 0 }, _time);

    [Fact]
    public async Task The_token_is_fetched_once_per_collection_and_reused_until_expiry()
    {
        var item = Fixtures.Item(Fixtures.PlanetaryComputer);
        var profile = Profile();
        var all = await profile.ResolveAllAsync(item, LogicalBands.All);

        Assert.Equal(["/api/sas/v1/token/sentinel-2-l2a"], _tokenRequests);
        var red = all[LogicalBand.Red];
        Assert.Equal("/vsicurl/" + item.Assets["B04"].Href + "?st=2024-05-01&se=2024-05-01&sp=rl&sv=2021-06-08&sr=c&sig=token1", red.GdalPath);
        Assert.Equal(item.Assets["B04"].Href, red.Href);
        Assert.Equal(Start.AddHours(1), red.ExpiresAt);
        Assert.All(all.Values, s => Assert.EndsWith("sig=token1", s.GdalPath));
        Assert.Equal(0, red.Offset);

        // 50 minutes later the token still has 10 minutes: reused.
        _time.Now = Start.AddMinutes(50);
        var again = await profile.ResolveAsync(item, LogicalBand.Nir);
        Assert.EndsWith("sig=token1", again.GdalPath);
        Assert.Single(_tokenRequests);

        // Within the 5-minute refresh margin before expiry: a new token.
        _time.Now = Start.AddMinutes(56);
        var renewed = await profile.ResolveAsync(item, LogicalBand.Nir);
        Assert.EndsWith("sig=token2", renewed.GdalPath);
        Assert.Equal(Start.AddMinutes(56).AddHours(1), renewed.ExpiresAt);
        Assert.Equal(2, _tokenRequests.Count);
    }

    [Fact]
    public async Task Concurrent_resolutions_share_one_token_request()
    {
        var items = Fixtures.Features(Fixtures.NineGranules);
        var profile = Profile();
        var sources = await Task.WhenAll(items.Select(i => profile.ResolveAsync(i, LogicalBand.Red).AsTask()));
        Assert.Equal(9, sources.Length);
        Assert.Single(_tokenRequests);
        Assert.All(sources, s => Assert.StartsWith("/vsicurl/https://sentinel2l2a01.blob.core.windows.net/", s.GdalPath));
    }

    [Fact]
    public async Task Hrefs_outside_azure_blob_storage_are_not_signed()
    {
        var signer = new PlanetaryComputerSigner(_http, _server.BaseUrl + "api/sas/v1/token", time: _time);
        var item = Fixtures.Item(Fixtures.PlanetaryComputer);
        var signed = await signer.SignAsync("https://planetarycomputer.microsoft.com/api/data/v1/item/preview.png", Described(item), default);
        Assert.Equal("https://planetarycomputer.microsoft.com/api/data/v1/item/preview.png", signed.Href);
        Assert.Null(signed.ExpiresAt);
        Assert.Empty(_tokenRequests);
        Assert.Equal(0, signer.TokensFetched);
    }

    [Fact]
    public async Task A_token_response_without_token_names_the_endpoint()
    {
        var signer = new PlanetaryComputerSigner(_http, _server.BaseUrl + "api/sas/v1/token/broken", time: _time);
        var item = Fixtures.Item(Fixtures.PlanetaryComputer);
        var e = await Assert.ThrowsAsync<StacFormatException>(() => signer.SignAsync(item.Assets["B04"].Href, Described(item), default).AsTask());
        Assert.Contains(_server.BaseUrl + "api/sas/v1/token/broken", e.Message);
        Assert.Contains("no string \"token\"", e.Message);
    }

    private static ItemAssets Described(StacItem item) => new ProviderProfile(ProviderProfiles.PlanetaryComputerSettings).Describe(item);
}
