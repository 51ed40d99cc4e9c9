using System.Text.Json.Nodes;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Geo.Stac.Tests;

/// <summary>
/// A static catalog laid out like the synthetic archive: catalog.json -> collection -> items with relative COG hrefs,
/// read from disk and over a loopback HTTP server serving the same folder.
/// </summary>
public sealed class StaticCatalogTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "nrtc-stac-" + Guid.NewGuid().ToString("N"));

    private static readonly string[] Dates = ["2021-06-03T10:20:31Z", "2021-06-01T10:10:21Z", "2021-06-08T10:20:29Z"];

    public StaticCatalogTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "s2", "items"));
        Write("catalog.json", new JsonObject
        {
            ["type"] = "Catalog", ["id"] = "synthetic", ["stac_version"] = "1.0.0", ["description"] = "test archive",
            ["links"] = new JsonArray(
                Link("root", "./catalog.json"),
                Link("child", "./s2/collection.json"),
                // A second link to the same child must not read its items twice.
                Link("child", "s2/collection.json")),
        });
        Write("s2/collection.json", new JsonObject
        {
            ["type"] = "Collection", ["id"] = "synthetic-s2", ["stac_version"] = "1.0.0", ["description"] = "synthetic L2A",
            ["license"] = "proprietary",
            ["extent"] = new JsonObject(),
            ["links"] = new JsonArray(
                [Link("root", "../catalog.json"), Link("parent", "../catalog.json"),
                 .. Dates.Select((_, k) => Link("item", $"./items/syn-{k}.json"))]),
        });
        for (var k = 0; k < Dates.Length; k++)
        {
            Write($"s2/items/syn-{k}.json", new JsonObject
            {
                ["type"] = "Feature", ["stac_version"] = "1.0.0", ["id"] = $"syn-{k}", ["collection"] = "synthetic-s2",
                ["bbox"] = new JsonArray(10.0, 50.0, 10.5, 50.5),
                ["geometry"] = JsonNode.Parse("""{"type":"Polygon","coordinates":[[[10,50],[10.5,50],[10.5,50.5],[10,50.5],[10,50]]]}"""),
                ["properties"] = new JsonObject { ["datetime"] = Dates[k], ["s2:processing_baseline"] = "04.00", ["eo:cloud_cover"] = 10.0 * k },
                ["links"] = new JsonArray(Link("collection", "../collection.json")),
                ["assets"] = new JsonObject
                {
                    ["red"] = new JsonObject { ["href"] = $"../cogs/syn-{k}/B04.tif", ["type"] = "image/tiff; application=geotiff; profile=cloud-optimized" },
                    ["nir08"] = new JsonObject { ["href"] = $"../cogs/syn-{k}/B8A.tif" },
                    ["scl"] = new JsonObject { ["href"] = $"../cogs/syn-{k}/SCL.tif" },
                },
            });
        }
    }

    private static JsonObject Link(string rel, string href) => new() { ["rel"] = rel, ["href"] = href };

    private void Write(string relative, JsonObject json) => File.WriteAllText(Path.Combine(_root, relative), json.ToJsonString());

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_catalog_on_disk_yields_its_items_with_absolute_local_hrefs()
    {
        var reader = new StaticCatalogReader();
        var items = await reader.ReadAllItemsAsync(Path.Combine(_root, "catalog.json"));
        Assert.Equal(["syn-1", "syn-0", "syn-2"], items.Select(i => i.Id));
        var first = items[0];
        Assert.Equal(Path.Combine(_root, "s2", "cogs", "syn-1", "B04.tif"), first.Assets["red"].Href);
        Assert.Equal(Path.Combine(_root, "s2", "collection.json"), first.Links[0].Href);

        var red = await ProviderProfiles.EarthSearch(Fixtures.EmptyEnv).ResolveAsync(first, LogicalBand.Red);
        Assert.Equal(Path.Combine(_root, "s2", "cogs", "syn-1", "B04.tif"), red.GdalPath);
        Assert.Equal(-0.1, red.Offset);
    }

    [Fact]
    public async Task A_file_url_and_a_single_item_are_read_too()
    {
        var reader = new StaticCatalogReader();
        var viaUrl = await reader.ReadAllItemsAsync(new Uri(Path.Combine(_root, "catalog.json")).AbsoluteUri);
        Assert.Equal(3, viaUrl.Count);
        var single = await reader.ReadAllItemsAsync(Path.Combine(_root, "s2", "items", "syn-2.json"));
        Assert.Equal("syn-2", Assert.Single(single).Id);
    }

    [Fact]
    public async Task The_same_catalog_over_http_resolves_hrefs_against_each_document_url()
    {
        var requested = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var server = new LoopbackServer(async context =>
        {
            var relative = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath).TrimStart('/');
            requested.Enqueue(relative);
            var file = Path.GetFullPath(Path.Combine(_root, relative));
            if (!file.StartsWith(_root, StringComparison.Ordinal) || !File.Exists(file))
                await LoopbackServer.Respond(context, 404, "text/plain", "not found");
            else
                await LoopbackServer.Json(context, await File.ReadAllTextAsync(file));
        });
        using var http = Fixtures.NewHttpClient();
        var reader = new StaticCatalogReader(http);
        var items = await reader.ReadAllItemsAsync(server.BaseUrl + "catalog.json");
        Assert.Equal(["syn-1", "syn-0", "syn-2"], items.Select(i => i.Id));
        Assert.Equal(server.BaseUrl + "s2/cogs/syn-1/B04.tif", items[0].Assets["red"].Href);
        // catalog, collection (once although linked twice), three items.
        Assert.Equal(5, requested.Count);
        // A document that is not there is not asked for again: that cannot help.
        var gone = await Assert.ThrowsAsync<StacHttpException>(() => reader.LoadAsync(server.BaseUrl + "s2/items/gone.json"));
        Assert.Equal((System.Net.HttpStatusCode.NotFound, true, 6), (gone.StatusCode, gone.Permanent, requested.Count));

        var nir = await ProviderProfiles.EarthSearch(Fixtures.EmptyEnv).ResolveAsync(items[0], LogicalBand.Nir);
        Assert.Equal("/vsicurl/" + server.BaseUrl + "s2/cogs/syn-1/B8A.tif", nir.GdalPath);

        // A served archive can be searched in memory and re-served with the absolute hrefs.
        var search = new InMemoryStacSearch(items);
        var page = search.Search(new StacSearchRequest { Query = [QueryCondition.CloudCoverBelow(15)] });
        Assert.Equal(["syn-1", "syn-0"], page.Items.Select(i => i.Id));
        var served = InMemoryStacSearch.ToFeatureCollection(page, null);
        Assert.Equal(server.BaseUrl + "s2/cogs/syn-1/B04.tif", served["features"]![0]!["assets"]!["red"]!["href"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_missing_child_names_the_missing_document()
    {
        File.Delete(Path.Combine(_root, "s2", "items", "syn-1.json"));
        var reader = new StaticCatalogReader();
        var e = await Assert.ThrowsAsync<StacException>(() => reader.ReadAllItemsAsync(Path.Combine(_root, "catalog.json")));
        Assert.Contains(Path.Combine(_root, "s2", "items", "syn-1.json"), e.Message);
    }

    [Fact]
    public async Task A_fixture_item_collection_file_reads_as_a_catalog()
    {
        var items = await new StaticCatalogReader().ReadAllItemsAsync(Fixtures.PathOf(Fixtures.Tile35Mnm));
        Assert.Equal(13, items.Count);
        Assert.True(items.Zip(items.Skip(1)).All(p => p.First.DateTime < p.Second.DateTime));
    }
}
