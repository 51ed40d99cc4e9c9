using System.Net;
using System.Text.Json.Nodes;
using NrtCluster.Host.Http.Features;
using NrtCluster.Host.Http.Reports;
using NrtCluster.TestSupport;

namespace NrtCluster.Host.Tests.Http;

/// <summary>The node's OGC API - Features service at /ogc over <see cref="NodeFixture"/>'s reports and patches files.</summary>
[Collection(NodeCollection.Name)]
public class OgcFeaturesTests(NodeFixture node)
{
    private string Ogc => node.Server.BaseUrl + "/ogc";

    private async Task<(JsonObject Body, string? Type)> GetAsync(string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await node.Http.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{url}: {(int)response.StatusCode} {text}");
        return (JsonNode.Parse(text)!.AsObject(), response.Content.Headers.ContentType?.MediaType);
    }

    private static JsonObject LinkOf(JsonObject doc, string rel) =>
        Assert.Single(doc["links"]!.AsArray(), l => (string)l!["rel"]! == rel)!.AsObject();

    private static string[] Ids(JsonObject collection) => [.. collection["features"]!.AsArray().Select(f => (string)f!["id"]!)];

    /// <summary>Follows next links from <paramref name="url"/>; returns every feature id and the pages' sizes.</summary>
    private async Task<(List<string> Ids, List<int> Pages)> AllPagesAsync(string url)
    {
        var (ids, pages) = (new List<string>(), new List<int>());
        for (string? next = url; next is not null;)
        {
            var (page, type) = await GetAsync(next);
            Assert.Equal("application/geo+json", type);
            ids.AddRange(Ids(page));
            pages.Add((int)page["numberReturned"]!);
            next = page["links"]!.AsArray().FirstOrDefault(l => (string)l!["rel"]! == "next")?["href"]?.GetValue<string>();
        }
        return (ids, pages);
    }

    [Fact]
    public async Task TheLandingPageLinksTheApiConformanceAndCollections()
    {
        var (landing, type) = await GetAsync(Ogc);
        Assert.Equal("application/json", type);
        Assert.Equal(Ogc, (string)LinkOf(landing, "self")["href"]!);
        Assert.Equal((Ogc + "/api", "application/vnd.oai.openapi+json;version=3.0"), ((string)LinkOf(landing, "service-desc")["href"]!, (string)LinkOf(landing, "service-desc")["type"]!));
        Assert.Equal(Ogc + "/conformance", (string)LinkOf(landing, "conformance")["href"]!);
        Assert.Equal(Ogc + "/collections", (string)LinkOf(landing, "data")["href"]!);

        var (conformance, _) = await GetAsync(Ogc + "/conformance?f=json");
        Assert.Equal(OgcFeatures.ConformanceClasses, conformance["conformsTo"]!.AsArray().Select(c => (string)c!));

        var (api, apiType) = await GetAsync(Ogc + "/api");
        Assert.Equal("application/vnd.oai.openapi+json", apiType);
        Assert.Equal("3.0.3", (string)api["openapi"]!);
        var limit = api["paths"]!["/collections/{collectionId}/items"]!["get"]!["parameters"]!.AsArray().Single(p => (string)p!["name"]! == "limit")!;
        Assert.Equal(OgcFeatures.MaxLimit, (int)limit["schema"]!["maximum"]!);
    }

    [Fact]
    public async Task CollectionsDescribeAlertsAndPatchesWithTheirExtents()
    {
        var (collections, _) = await GetAsync(Ogc + "/collections");
        Assert.Equal(Ogc + "/collections", (string)LinkOf(collections, "self")["href"]!);
        var all = collections["collections"]!.AsArray().Select(c => c!.AsObject()).ToDictionary(c => (string)c["id"]!);
        Assert.Equal(["alerts", "patches"], all.Keys.Order());
        foreach (var (id, c) in all)
        {
            var items = LinkOf(c, "items");
            Assert.Equal(($"{Ogc}/collections/{id}/items", "application/geo+json"), ((string)items["href"]!, (string)items["type"]!));
            Assert.Equal(OgcParameters.Crs84, (string)c["extent"]!["spatial"]!["crs"]!);
            var bbox = c["extent"]!["spatial"]!["bbox"]![0]!.AsArray().Select(v => (double)v!).ToArray();
            // Both tiles lie just east of 10 E on 52 N (EPSG:3035's origin); the patches within them.
            Assert.InRange(bbox[0], 9.99, 10.02);
            Assert.InRange(bbox[1], 51.98, 52.0);
            Assert.InRange(bbox[2], bbox[0] + 0.02, 10.08);
            Assert.InRange(bbox[3], bbox[1] + 0.001, 52.01);
        }
        Assert.Equal(["2024-05-01T00:00:00Z", "2024-07-20T23:59:59Z"], all["alerts"]["extent"]!["temporal"]!["interval"]![0]!.AsArray().Select(v => (string)v!));
        Assert.Equal(["2024-05-01T00:00:00Z", "2024-07-20T23:59:59Z"], all["patches"]["extent"]!["temporal"]!["interval"]![0]!.AsArray().Select(v => (string)v!));
        // The patches' box is the union of their outlines: from tile 0's first patch to tile 1's widest.
        var patchBox = all["patches"]["extent"]!["spatial"]!["bbox"]![0]!.AsArray().Select(v => (double)v!).ToArray();
        var (lon0, _) = PatchFixtures.LonLatBlock(0, 0);
        var (lon1, _) = PatchFixtures.LonLatBlock(1, 3);
        Assert.Equal(Math.Round(lon0.Min(), 7), patchBox[0], 7);
        Assert.Equal(Math.Round(lon1.Max(), 7), patchBox[2], 7);

        var (one, _) = await GetAsync(Ogc + "/collections/patches");
        Assert.Equal("Alert patches", (string)one["title"]!);
        Assert.Equal(Ogc + "/collections/patches", (string)LinkOf(one, "self")["href"]!);
    }

    [Fact]
    public async Task PatchesComeNewestFirstAndPageByNextLinks()
    {
        var (first, _) = await GetAsync(Ogc + "/collections/patches/items?limit=3");
        Assert.Equal(8, (long)first["numberMatched"]!);
        Assert.Equal(3, (int)first["numberReturned"]!);
        Assert.Equal("FeatureCollection", (string)first["type"]!);
        Assert.True(DateTime.TryParse((string)first["timeStamp"]!, out _));
        Assert.Equal(Ogc + "/collections/patches/items?limit=3", (string)LinkOf(first, "self")["href"]!);
        Assert.Equal(Ogc + "/collections/patches/items?limit=3&offset=3", (string)LinkOf(first, "next")["href"]!);

        var (ids, pages) = await AllPagesAsync(Ogc + "/collections/patches/items?limit=3");
        Assert.Equal(PatchFixtures.NewestFirst, ids);
        Assert.Equal([3, 3, 2], pages);

        // Each feature carries the file's properties, exactly.
        var (page, _) = await GetAsync(Ogc + "/collections/patches/items?limit=1");
        var feature = page["features"]![0]!;
        Assert.Equal(PatchFixtures.Feature(1, 3)["properties"]!.ToJsonString(), feature["properties"]!.ToJsonString());
        Assert.Equal("Polygon", (string)feature["geometry"]!["type"]!);
    }

    [Fact]
    public async Task DatetimeKeepsPatchesWhoseDatesMeetTheInterval()
    {
        async Task<string[]> Ids(string datetime) => OgcFeaturesTests.Ids((await GetAsync($"{Ogc}/collections/patches/items?datetime={datetime}")).Body);

        Assert.Equal([PatchFixtures.Id(0, 2), PatchFixtures.Id(0, 1)], await Ids("2024-05-07/2024-05-12"));
        Assert.Equal([PatchFixtures.Id(0, 0)], await Ids("../2024-05-05"));
        Assert.Equal([PatchFixtures.Id(0, 0)], await Ids("/2024-05-05"));
        Assert.Equal([PatchFixtures.Id(1, 3)], await Ids("2024-07-20"));
        Assert.Equal(PatchFixtures.NewestFirst[..4], await Ids("2024-07-01T12:00:00Z/.."));
        Assert.Equal(PatchFixtures.NewestFirst, await Ids("../.."));
        Assert.Empty(await Ids("2024-06-01/2024-06-30"));
        // The filter stays in the next link.
        var (page, _) = await GetAsync($"{Ogc}/collections/patches/items?datetime=2024-05-01/2024-05-31&limit=2");
        Assert.Equal($"{Ogc}/collections/patches/items?datetime=2024-05-01%2F2024-05-31&limit=2&offset=2", (string)LinkOf(page, "next")["href"]!);
    }

    [Fact]
    public async Task BboxKeepsPatchesThatMeetIt()
    {
        // West of tile 1: only tile 0's patches.
        var (west, _) = await GetAsync($"{Ogc}/collections/patches/items?bbox=9.9,51.9,10.03,52.1");
        Assert.Equal(PatchFixtures.NewestFirst[4..], Ids(west));
        // A box touching only the corner of tile 1's widest patch.
        var (lon, lat) = PatchFixtures.LonLatBlock(1, 3);
        var (corner, _) = await GetAsync(FormattableString.Invariant($"{Ogc}/collections/patches/items?bbox={lon.Max() - 1e-6},{lat.Min() - 0.01},{lon.Max() + 0.01},{lat.Min() + 1e-6}"));
        Assert.Equal([PatchFixtures.Id(1, 3)], Ids(corner));
    }

    [Fact]
    public async Task AlertsPageByTheFeedCursorWithTheFeaturesOfApiAlerts()
    {
        var (ids, pages) = await AllPagesAsync(Ogc + "/collections/alerts/items?limit=300");
        Assert.Equal([300, 300, 200], pages);
        Assert.Equal(800, ids.Distinct().Count());
        var (first, _) = await GetAsync(Ogc + "/collections/alerts/items?limit=1");
        Assert.Equal(800, (long)first["numberMatched"]!);
        Assert.Contains("&cursor=", (string)LinkOf(first, "next")["href"]!);
        var api = JsonNode.Parse(await node.Http.GetStringAsync(node.Server.BaseUrl + "/api/alerts?since=2024-01-01&limit=1"))!;
        Assert.Equal(api["features"]![0]!.ToJsonString(), first["features"]![0]!.ToJsonString());

        // The first day is column 40 of tile 0's block: 20 pixels.
        var (day, _) = await GetAsync(Ogc + "/collections/alerts/items?datetime=2024-05-01");
        Assert.Equal(20, (long)day["numberMatched"]!);
        Assert.All(day["features"]!.AsArray(), f => Assert.Equal("2024-05-01", (string)f!["properties"]!["detection_date"]!));
        var (west, _) = await GetAsync(Ogc + "/collections/alerts/items?bbox=9.9,51.9,10.03,52.1&datetime=2024-05-01/..");
        Assert.Equal(400, (long)west["numberMatched"]!);
    }

    [Fact]
    public async Task SingleFeaturesHaveSelfAndCollectionLinks()
    {
        var (patch, type) = await GetAsync($"{Ogc}/collections/patches/items/{PatchFixtures.Id(0, 1)}");
        Assert.Equal("application/geo+json", type);
        Assert.Equal(PatchFixtures.Id(0, 1), (string)patch["id"]!);
        Assert.Equal("low", (string)patch["properties"]!["confidence"]!);
        Assert.Equal($"{Ogc}/collections/patches/items/{PatchFixtures.Id(0, 1)}", (string)LinkOf(patch, "self")["href"]!);
        Assert.Equal($"{Ogc}/collections/patches", (string)LinkOf(patch, "collection")["href"]!);

        // Pixel (row 50, col 50) of tile 0 broke on its first date + 10 days.
        var (alert, _) = await GetAsync($"{Ogc}/collections/alerts/items/x0_y0/50/50");
        Assert.Equal("x0_y0/50/50", (string)alert["id"]!);
        Assert.Equal("2024-05-11", (string)alert["properties"]!["detection_date"]!);
        Assert.Equal($"{Ogc}/collections/alerts/items/x0_y0/50/50", (string)LinkOf(alert, "self")["href"]!);
    }

    [Theory]
    [InlineData("/collections/nope", "No collection 'nope'; the collections are alerts, patches.")]
    [InlineData("/collections/nope/items", "No collection 'nope'; the collections are alerts, patches.")]
    [InlineData("/collections/patches/items/nope", "Collection 'patches' has no feature 'nope'")]
    [InlineData("/collections/alerts/items/x0_y0/5/5", "Collection 'alerts' has no feature 'x0_y0/5/5'")]
    [InlineData("/collections/alerts/items/x9_y9/50/50", "Collection 'alerts' has no feature 'x9_y9/50/50'")]
    public async Task UnknownCollectionsAndFeaturesAre404(string path, string message)
    {
        var (error, type) = await GetAsync(Ogc + path, HttpStatusCode.NotFound);
        Assert.Equal("application/json", type);
        Assert.Equal("NotFound", (string)error["code"]!);
        Assert.StartsWith(message, (string)error["description"]!);
    }

    [Theory]
    [InlineData("patches/items?limit=0", "limit=0 is not a whole number from 1")]
    [InlineData("patches/items?limit=ten", "limit=ten is not a whole number from 1")]
    [InlineData("patches/items?bbox=1,2,3", "bbox=1,2,3 is not four numbers")]
    [InlineData("patches/items?bbox=10,52,9,53", "bbox=10,52,9,53 is not a lon/lat box")]
    [InlineData("patches/items?bbox-crs=EPSG:3035", "bbox-crs=EPSG:3035 is not supported")]
    [InlineData("patches/items?datetime=2024-13-01", "datetime=2024-13-01: '2024-13-01' is not a date or date-time")]
    [InlineData("patches/items?datetime=2024-06-01/2024-05-01", "datetime=2024-06-01/2024-05-01 ends before it starts")]
    [InlineData("patches/items?datetime=..", "datetime=.. is open on both sides")]
    [InlineData("patches/items?offset=-1", "offset=-1 is not a whole number from 0")]
    [InlineData("alerts/items?cursor=bogus", "'bogus' is not a cursor of this feed")]
    [InlineData("alerts/items?offset=3", "'offset' is not a parameter here; this URL takes bbox, bbox-crs, datetime, limit, f, cursor.")]
    [InlineData("patches/items?lmit=3", "'lmit' is not a parameter here")]
    [InlineData("patches?f=html", "f=html is not offered here; use f=json (or leave f out).")]
    [InlineData("patches/items?f=xml", "f=xml is not offered here; use f=json (or leave f out), f=geojson, or f=geojson-download")]
    public async Task BadParametersAre400SayingWhatToGive(string path, string message)
    {
        var (error, type) = await GetAsync($"{Ogc}/collections/{path}", HttpStatusCode.BadRequest);
        Assert.Equal("application/json", type);
        Assert.Equal("InvalidParameterValue", (string)error["code"]!);
        Assert.StartsWith(message, (string)error["description"]!);
    }

    [Fact]
    public async Task ALimitAboveTheMaximumIsServedAsTheMaximum()
    {
        var (page, _) = await GetAsync(Ogc + "/collections/alerts/items?limit=50000");
        Assert.Equal(800, (int)page["numberReturned"]!);
        Assert.Equal($"{Ogc}/collections/alerts/items?limit={OgcFeatures.MaxLimit}", (string)LinkOf(page, "self")["href"]!);
    }

    [Fact]
    public async Task TheDownloadFormatIsTheSameGeoJsonAsAFileToSave()
    {
        using var response = await node.Http.GetAsync(Ogc + "/collections/patches/items?datetime=2024-05-01/2024-05-31&limit=10000&f=geojson-download");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/geo+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("patches_2024-05-01_2024-05-31.geojson", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(PatchFixtures.NewestFirst[4..], Ids(body));
    }

    [Fact]
    public async Task PatchesFilesAreReadAgainWhenTheyChange()
    {
        using var folder = new TempFolder();
        var patches = new PatchesCollection(new ReportFolder(folder.Path));
        async Task<string[]> Ids() => [.. (await patches.ItemsAsync(new FeatureQuery(null, null, 100, null), CancellationToken.None)).Features.Select(f => (string)f["id"]!)];

        Assert.Empty(await Ids());
        Assert.Null(patches.Extent().LonLatBox);
        var path = PatchFixtures.Write(folder.Path, 0, [0]);
        Assert.Equal([PatchFixtures.Id(0, 0)], await Ids());
        // The patch grew (a later band joined): same file, new content.
        PatchFixtures.Write(folder.Path, 0, [0, 1]);
        Assert.Equal([PatchFixtures.Id(0, 1), PatchFixtures.Id(0, 0)], await Ids());
        // A broken file is left out and named; the others are still served.
        var broken = Path.Combine(folder.Path, "tiles", "x5_y5", PatchesCollection.FileName);
        Directory.CreateDirectory(Path.GetDirectoryName(broken)!);
        File.WriteAllText(broken, "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{\"id\":\"a\"}}]}");
        Assert.Equal(2, (await Ids()).Length);
        Assert.Contains($"{broken}: feature 0 has no first_date (yyyy-MM-dd)", patches.Description);
        File.Delete(path);
        File.Delete(broken);
        Assert.Empty(await Ids());
        Assert.DoesNotContain("unreadable", patches.Description);
    }
}
