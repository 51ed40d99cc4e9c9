using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Stac;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Archive;

namespace NrtCluster.Host.Tests.Archive;

/// <summary>A tiny synthetic archive (20 x 20 px granules, two months: 24 items) served on a free 127.0.0.1 port.</summary>
public sealed class ServedArchiveFixture : IAsyncLifetime
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "nrtc-archive-" + Guid.NewGuid().ToString("N"));
    public ArchiveServer Server { get; private set; } = null!;
    public SyntheticArchiveResult Archive { get; private set; } = null!;
    public HttpClient Http { get; } = new();

    public async Task InitializeAsync()
    {
        Archive = SyntheticArchive.Generate(Folder, new SyntheticArchiveOptions
        {
            Seed = 3, GranuleSize = 20, Start = new DateOnly(2022, 1, 1), End = new DateOnly(2022, 2, 28), HistoryEnd = new DateOnly(2022, 1, 31),
        });
        Server = await ArchiveServer.StartAsync(Folder, 0);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}

public class ArchiveServerTests(ServedArchiveFixture fixture) : IClassFixture<ServedArchiveFixture>
{
    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task GetSearchPagesThroughEveryItemOnce()
    {
        Assert.StartsWith("http://127.0.0.1:", fixture.Server.BaseUrl);
        Assert.Equal(24, fixture.Server.ItemCount);
        var ids = new List<string>();
        var url = fixture.Server.SearchUrl + "?collections=sentinel-2-l2a&limit=5";
        var pages = 0;
        while (url is not null)
        {
            var page = await GetJson(url);
            pages++;
            Assert.Equal(24, page["numberMatched"]!.GetValue<int>());
            ids.AddRange(page["features"]!.AsArray().Select(f => f!["id"]!.GetValue<string>()));
            url = page["links"]!.AsArray().FirstOrDefault(l => l!["rel"]!.GetValue<string>() == "next")?["href"]!.GetValue<string>();
        }
        Assert.Equal(5, pages);
        Assert.Equal(24, ids.Distinct().Count());
        Assert.Equal(24, ids.Count);
        var expected = fixture.Archive.Scene.Acquisitions.SelectMany(a => fixture.Archive.Scene.Geometry.Granules.Select(g => SyntheticArchive.ItemId(a, g)));
        Assert.Equal(expected.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PostSearchWithFiltersPagesThroughTheProjectClient()
    {
        var client = new StacApiClient(Http, fixture.Server.SearchUrl);
        var west = fixture.Archive.Scene.Geometry.Granules[0];
        var request = new StacSearchRequest
        {
            Collections = ["sentinel-2-l2a"],
            Datetime = DateTimeInterval.Parse("2022-01-10T00:00:00Z/2022-01-31T23:59:59Z"),
            // A box inside the west granule only, away from the east one.
            Bbox = new BoundingBox(west.BboxLonLat[0], west.BboxLonLat[1], west.BboxLonLat[0] + 0.001, west.BboxLonLat[1] + 0.001),
            Limit = 2,
        };
        var items = await client.SearchAllAsync(request);
        var expected = fixture.Archive.Scene.Acquisitions.Count(a => a.Date >= new DateOnly(2022, 1, 10) && a.Date <= new DateOnly(2022, 1, 31));
        Assert.Equal(expected, items.Count);
        Assert.All(items, i => Assert.EndsWith("_T" + west.Tile, i.Id));
        Assert.All(items, i => Assert.StartsWith(fixture.Server.BaseUrl + "/files/sentinel-2-l2a/", i.Assets["red"].Href));

        var cloudy = await client.SearchAllAsync(new StacSearchRequest { Query = [QueryCondition.CloudCoverBelow(20)], Limit = 3 });
        Assert.All(cloudy, i => Assert.True(i.CloudCover < 20));
        Assert.InRange(cloudy.Count, 1, 23);
    }

    [Fact]
    public async Task CogsAreServedWithRangeRequestsAndReadableThroughVsicurl()
    {
        var page = await GetJson(fixture.Server.SearchUrl + "?limit=1");
        var feature = page["features"]![0]!;
        var href = feature["assets"]!["nir08"]!["href"]!.GetValue<string>();
        var local = Path.Combine(fixture.Folder, "sentinel-2-l2a", feature["id"]!.GetValue<string>(), "B8A.tif");

        using var request = new HttpRequestMessage(HttpMethod.Get, href);
        request.Headers.Range = new RangeHeaderValue(16, 115);
        using var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(File.ReadAllBytes(local).AsSpan(16, 100).ToArray(), bytes);

        using var remote = RasterDataset.Open("/vsicurl/" + href);
        using var file = RasterDataset.Open(local);
        Assert.Equal(file.GeoBox.Transform, remote.GeoBox.Transform);
        Assert.Equal(file.ReadBand<ushort>(1), remote.ReadBand<ushort>(1));
    }

    [Fact]
    public async Task CollectionsAndItemsAreServedWithLinksToThisServer()
    {
        var landing = await GetJson(fixture.Server.BaseUrl + "/");
        Assert.Contains(landing["links"]!.AsArray(), l => l!["rel"]!.GetValue<string>() == "search" && l["method"]?.GetValue<string>() == "POST");
        var collections = await GetJson(fixture.Server.BaseUrl + "/collections");
        var collection = collections["collections"]![0]!;
        Assert.Equal("sentinel-2-l2a", collection["id"]!.GetValue<string>());
        var items = await GetJson(fixture.Server.BaseUrl + "/collections/sentinel-2-l2a/items?limit=30");
        Assert.Equal(24, items["features"]!.AsArray().Count);
        var self = items["features"]![3]!["links"]!.AsArray().First(l => l!["rel"]!.GetValue<string>() == "self")!["href"]!.GetValue<string>();
        var item = await GetJson(self);
        Assert.Equal(items["features"]![3]!["id"]!.GetValue<string>(), item["id"]!.GetValue<string>());
        Assert.Equal("04.00", (await GetJson(fixture.Server.SearchUrl + "?datetime=2022-02-01T00:00:00Z/..&limit=1"))["features"]![0]!["properties"]!["s2:processing_baseline"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheStaticCatalogIsReadableOverHttpToo()
    {
        var items = await new StaticCatalogReader(Http).ReadAllItemsAsync(fixture.Server.BaseUrl + "/files/catalog.json");
        Assert.Equal(24, items.Count);
        Assert.All(items, i => Assert.StartsWith(fixture.Server.BaseUrl + "/files/sentinel-2-l2a/", i.Assets["scl"].Href));
    }

    [Fact]
    public async Task BadRequestsAndUnknownPathsGetClearErrors()
    {
        using var bbox = await Http.GetAsync(fixture.Server.SearchUrl + "?bbox=1,2,3");
        Assert.Equal(HttpStatusCode.BadRequest, bbox.StatusCode);
        Assert.Contains("bbox", await bbox.Content.ReadAsStringAsync());
        using var post = await Http.PostAsync(fixture.Server.SearchUrl, new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        using var file = await Http.GetAsync(fixture.Server.BaseUrl + "/files/sentinel-2-l2a/nothing.tif");
        Assert.Equal(HttpStatusCode.NotFound, file.StatusCode);
        using var outside = await Http.GetAsync(fixture.Server.BaseUrl + "/files/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd");
        Assert.Equal(HttpStatusCode.NotFound, outside.StatusCode);
        using var collection = await Http.GetAsync(fixture.Server.BaseUrl + "/collections/landsat");
        Assert.Equal(HttpStatusCode.NotFound, collection.StatusCode);
    }

    [Fact]
    public async Task AFolderWithoutCatalogIsRefusedNamingCatalogJson()
    {
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => ArchiveServer.StartAsync(Path.GetTempPath(), 0));
        Assert.Contains("catalog.json", e.Message);
    }

    [Fact]
    public async Task TheCliServesTheArchiveUntilStopped()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "nrtc.dll"), "serve-archive", fixture.Folder, "--port", "0" }) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        try
        {
            string? baseUrl = null;
            while (baseUrl is null && await process.StandardOutput.ReadLineAsync() is { } line)
            {
                const string marker = "listening on ";
                var at = line.IndexOf(marker, StringComparison.Ordinal);
                if (at >= 0) baseUrl = line[(at + marker.Length)..].Split(' ')[0];
            }
            Assert.NotNull(baseUrl);
            var page = await GetJson(baseUrl + "/search?limit=100");
            Assert.Equal(24, page["features"]!.AsArray().Count);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public void TheCliWritesAnArchiveAndReportsItsContents()
    {
        var folder = Path.Combine(Path.GetTempPath(), "nrtc-sim-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, output) = Nrtc.Run("simulate-archive", "--out", folder, "--size", "20", "--start", "2022-01-01", "--end", "2022-01-20", "--history-end", "2022-01-10");
            Assert.True(code == 0, output);
            Assert.Contains("wrote 8 items", output);
            Assert.True(File.Exists(Path.Combine(folder, "catalog.json")));
            var (badCode, badOutput) = Nrtc.Run("simulate-archive", "--out", folder + "-x", "--start", "2022-13-01");
            Assert.Equal(1, badCode);
            Assert.Contains("--start '2022-13-01' is not a date", badOutput);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    private async Task<JsonNode> GetJson(string url)
    {
        using var response = await Http.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}
