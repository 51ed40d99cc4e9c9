using System.Globalization;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Geo.Stac.Tests;

/// <summary>
/// Broken or hostile items among good ones: each is rejected alone with its id and why, the others are kept; a page that
/// is not an item collection is still an error of the page.
/// </summary>
public sealed class HostileItemTests
{
    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A valid item over a small box near (10, 50), as a JSON text.</summary>
    public static string Item(string id, string datetime, string? geometry = null, string? bbox = null, string href = "B04.tif")
    {
        geometry ??= Box(10, 50, 10.1, 50.1);
        return $$$"""
            {"type":"Feature","stac_version":"1.0.0","id":"{{{id}}}","collection":"sentinel-2-l2a",
             "bbox":{{{bbox ?? "[10,50,10.1,50.1]"}}},"geometry":{{{geometry}}},
             "properties":{"datetime":"{{{datetime}}}"},
             "assets":{"red":{"href":"{{{href}}}"}},"links":[]}
            """;
    }

    private static string Page(params string[] features) => $$"""{"type":"FeatureCollection","features":[{{string.Join(",", features)}}],"links":[]}""";

    private static string Box(double w, double s, double e, double n) =>
        $$"""{"type":"Polygon","coordinates":[[[{{Num(w)}},{{Num(s)}}],[{{Num(e)}},{{Num(s)}}],[{{Num(e)}},{{Num(n)}}],[{{Num(w)}},{{Num(n)}}],[{{Num(w)}},{{Num(s)}}]]]}""";

    /// <summary>One bad item of each kind, each between good ones.</summary>
    public static readonly (string Id, string Json, string Reason)[] BadItems =
    [
        ("circle", Item("circle", "2022-06-01T10:00:00Z", geometry: """{"type":"Circle","coordinates":[10,50],"radius":3}"""),
            "geometry type 'Circle' is not a GeoJSON type"),
        ("text-bbox", Item("text-bbox", "2022-06-01T10:00:00Z", bbox: """["10","50","10.1","50.1"]"""),
            "\"bbox\" must be an array of 4 or 6 finite numbers"),
        // Bare NaN, as Python's json writes it: not JSON, but only this item is lost.
        ("nan", Item("nan", "2022-06-01T10:00:00Z", geometry: """{"type":"Polygon","coordinates":[[[NaN,50],[10.1,50],[10.1,50.1],[10,50.1],[NaN,50]]]}"""),
            "geometry coordinate \"NaN\""),
        ("huge", Item("huge", "2022-06-01T10:00:00Z", geometry: Box(-1e300, -1e300, 1e300, 1e300), bbox: "[10,50,10.1,50.1]"),
            "is off the globe"),
        ("south-above-north", Item("south-above-north", "2022-06-01T10:00:00Z", bbox: "[10,50.1,10.1,50]"),
            "south <= north"),
        ("overflow", Item("overflow", "2022-06-01T10:00:00Z", bbox: "[10,50,1e400,50.1]"),
            "finite numbers"),
    ];

    [Fact]
    public void Each_bad_item_of_a_page_is_rejected_alone_with_its_id_and_reason_and_the_good_ones_are_kept()
    {
        var features = new List<string> { Item("good-0", "2022-06-01T10:00:00Z") };
        for (var i = 0; i < BadItems.Length; i++)
        {
            features.Add(BadItems[i].Json);
            features.Add(Item($"good-{i + 1}", "2022-06-01T10:00:00Z"));
        }
        features.Add("""{"type":"Feature","properties":{}}"""); // no id at all
        var items = StacJson.ParseFeatures(StacJson.ParseDocument(Page([.. features]), "http://stac.test/search"), "http://stac.test/search");

        Assert.Equal(Enumerable.Range(0, BadItems.Length + 1).Select(i => $"good-{i}"), items.Select(i => i.Id));
        Assert.Equal([.. BadItems.Select(b => b.Id), null], items.Rejected.Select(r => r.Id));
        foreach (var (bad, rejected) in BadItems.Zip(items.Rejected))
        {
            Assert.Contains(bad.Reason, rejected.Reason);
            Assert.Contains($"item '{bad.Id}'", rejected.Reason);
        }
        Assert.Equal($"http://stac.test/search features[{features.Count - 1}]", items.Rejected[^1].Source);
        Assert.Contains("has no string \"id\"", items.Rejected[^1].Reason);
        Assert.StartsWith("STAC item without id from http://stac.test/search features[", items.Rejected[^1].ToString());
    }

    /// <summary>
    /// What providers' notifications deliver (one item, an item collection, an array of items) is read alike, each bad item
    /// rejected alone; a document that holds no items is an error naming what it is.
    /// </summary>
    [Fact]
    public void Pushed_documents_hold_one_item_a_collection_or_an_array_and_anything_else_is_refused()
    {
        const string at = "http://node/api/items";
        var bad = BadItems[1];
        Assert.Equal(["one"], StacJson.ParseItems(StacJson.ParseDocument(Item("one", "2022-06-01T10:00:00Z"), at), at).Select(i => i.Id));
        var array = StacJson.ParseItems(StacJson.ParseDocument($"[{Item("a", "2022-06-01T10:00:00Z")},{bad.Json},{Item("b", "2022-06-01T10:00:00Z")}]", at), at);
        Assert.Equal(["a", "b"], array.Select(i => i.Id));
        Assert.Equal(bad.Id, Assert.Single(array.Rejected).Id);
        Assert.Equal($"{at} item[1]", array.Rejected[0].Source);
        Assert.Contains(bad.Reason, array.Rejected[0].Reason);
        var single = StacJson.ParseItems(StacJson.ParseDocument(bad.Json, at), at);
        Assert.Empty(single);
        Assert.Equal($"{at} item[0]", Assert.Single(single.Rejected).Source);
        Assert.Equal(["c"], StacJson.ParseItems(StacJson.ParseDocument(Page(Item("c", "2022-06-01T10:00:00Z")), at), at).Select(i => i.Id));
        Assert.Empty(StacJson.ParseItems(StacJson.ParseDocument("[]", at), at));

        foreach (var (body, says) in new[]
                 {
                     ("""{"type":"Catalog","id":"x","description":"d","links":[]}""", "a STAC Catalog holds no items"),
                     ("""{"type":"Collection","id":"x","extent":{}}""", "a STAC Collection holds no items"),
                     ("""[1, "two"]""", "expected an array of STAC items"),
                     ("""{"hello":"world"}""", "\"type\" is missing"),
                 })
            Assert.Contains(says, Assert.Throws<StacFormatException>(() => StacJson.ParseItems(StacJson.ParseDocument(body, at), at)).Message);
        Assert.Contains("not valid JSON", Assert.Throws<StacFormatException>(() => StacJson.ParseDocument("replace=true", at)).Message);
    }

    [Fact]
    public void Valid_footprints_at_the_edges_of_the_globe_are_kept()
    {
        var items = StacJson.ParseFeatures(StacJson.ParseDocument(Page(
            Item("world", "2022-06-01T10:00:00Z", geometry: Box(-180, -90, 180, 90), bbox: "[-180,-90,180,90]"),
            // Crossing the antimeridian: west > east in the bbox, longitudes beyond 180 in the geometry.
            Item("antimeridian", "2022-06-01T10:00:00Z", geometry: Box(179.5, -17, 180.5, -16), bbox: "[179.5,-17,-179.5,-16]"),
            Item("point", "2022-06-01T10:00:00Z", geometry: """{"type":"Point","coordinates":[10,50,120.5]}"""),
            Item("collection", "2022-06-01T10:00:00Z", geometry: $$"""{"type":"GeometryCollection","geometries":[{{Box(10, 50, 10.1, 50.1)}}]}""")),
            "test"), "test");
        Assert.Empty(items.Rejected);
        Assert.Equal(4, items.Count);
        Assert.True(items.Single(i => i.Id == "antimeridian").Bbox!.Value.CrossesAntimeridian);
    }

    [Fact]
    public void A_geometry_collection_hides_no_bad_part()
    {
        var items = StacJson.ParseFeatures(StacJson.ParseDocument(Page(
            Item("nested", "2022-06-01T10:00:00Z", geometry: $$"""{"type":"GeometryCollection","geometries":[{{Box(10, 50, 10.1, 50.1)}},{"type":"Point","coordinates":[10,1e300]}]}""")),
            "test"), "test");
        Assert.Empty(items);
        Assert.Contains("[10,1e300] is off the globe", Assert.Single(items.Rejected).Reason);
    }

    [Fact]
    public void Bare_non_finite_words_are_read_as_strings_outside_strings_only()
    {
        var json = StacJson.ParseDocument("""{"a":[NaN,-Infinity,Infinity],"b":"NaN and \"Infinity\" stay","c":1}""", "test");
        Assert.Equal(["NaN", "-Infinity", "Infinity"], json.GetProperty("a").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("NaN and \"Infinity\" stay", json.GetProperty("b").GetString());
        // Anything else that is not JSON is still an error of the whole document, named as such.
        var e = Assert.Throws<StacFormatException>(() => StacJson.ParseDocument("""{"a":[NaN,oops]}""", "http://stac.test/search"));
        Assert.Contains("not valid JSON", e.Message);
        Assert.Contains("{\"a\":[NaN,oops]}", e.Message);
    }

    [Fact]
    public void A_repeated_id_keeps_its_first_version_and_a_different_one_is_rejected()
    {
        var page1 = StacJson.ParseFeatures(StacJson.ParseDocument(Page(
            Item("a", "2022-06-01T10:00:00Z"), Item("b", "2022-06-06T10:00:00Z")), "p1"), "p1");
        var page2 = StacJson.ParseFeatures(StacJson.ParseDocument(Page(
            Item("b", "2022-06-06T10:00:00Z"),                                    // the same again (paging moved): dropped quietly
            Item("a", "2022-06-11T10:00:00Z"),                                    // another datetime
            Item("b", "2022-06-06T10:00:00Z", geometry: Box(11, 50, 11.1, 50.1)), // another footprint
            Item("b", "2022-06-06T10:00:00Z", href: "other.tif")), "p2"), "p2");  // other assets
        var all = StacItemList.Collect([page1, page2]);

        Assert.Equal(["a", "b"], all.Select(i => i.Id));
        Assert.Equal(new DateTimeOffset(2022, 6, 1, 10, 0, 0, TimeSpan.Zero), all[0].DateTime);
        Assert.Equal(3, all.Rejected.Count);
        Assert.All(all.Rejected, r => Assert.Equal("p2", r.Source));
        Assert.Equal("a", all.Rejected[0].Id);
        Assert.Contains("already given with datetime 2022-06-01T10:00:00Z (now 2022-06-11T10:00:00Z); the first version is kept", all.Rejected[0].Reason);
        Assert.Contains("another footprint", all.Rejected[1].Reason);
        Assert.Contains("other asset hrefs", all.Rejected[2].Reason);
    }

    [Fact]
    public async Task A_search_over_http_with_a_repeated_id_and_bad_items_on_its_pages_returns_the_first_versions_and_the_rejected()
    {
        await using var server = new LoopbackServer(async context =>
        {
            if (context.Request.QueryString["page"] == "2")
                await LoopbackServer.Json(context, Page(Item("a", "2022-06-11T10:00:00Z"), BadItems[2].Json, Item("c", "2022-06-16T10:00:00Z")));
            else
                await LoopbackServer.Json(context, $$"""
                    {"type":"FeatureCollection","features":[{{Item("a", "2022-06-01T10:00:00Z")}},{{BadItems[0].Json}},{{Item("b", "2022-06-06T10:00:00Z")}}],
                     "links":[{"rel":"next","href":"search?page=2"}]}
                    """);
        });
        using var http = Fixtures.NewHttpClient();
        var client = new StacApiClient(http, server.BaseUrl + "search", method: SearchMethod.Get);
        var result = await client.SearchAllAsync(new StacSearchRequest());
        Assert.Equal(["a", "b", "c"], result.Select(i => i.Id));
        Assert.Equal(new DateTimeOffset(2022, 6, 1, 10, 0, 0, TimeSpan.Zero), result[0].DateTime);
        Assert.Equal(["circle", "nan", "a"], result.Rejected.Select(r => r.Id));
        Assert.Equal(server.BaseUrl + "search?page=2 features[1]", result.Rejected[1].Source);
    }

    [Fact]
    public async Task A_broken_item_document_of_a_static_catalog_is_rejected_alone()
    {
        var root = Directory.CreateTempSubdirectory("nrtc-hostile-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(root, "catalog.json"), """
                {"type":"Catalog","id":"c","description":"d","stac_version":"1.0.0",
                 "links":[{"rel":"item","href":"good.json"},{"rel":"item","href":"bad.json"},{"rel":"item","href":"cut.json"}]}
                """);
            File.WriteAllText(Path.Combine(root, "good.json"), Item("good", "2022-06-01T10:00:00Z"));
            File.WriteAllText(Path.Combine(root, "bad.json"), BadItems[3].Json);
            File.WriteAllText(Path.Combine(root, "cut.json"), Item("cut", "2022-06-01T10:00:00Z")[..40]);
            var items = await new StaticCatalogReader().ReadAllItemsAsync(Path.Combine(root, "catalog.json"));
            Assert.Equal("good", Assert.Single(items).Id);
            Assert.Equal([Path.Combine(root, "bad.json"), Path.Combine(root, "cut.json")], items.Rejected.Select(r => r.Source));
            Assert.Equal(["huge", null], items.Rejected.Select(r => r.Id));
            Assert.Contains("item 'huge'", items.Rejected[0].Reason);
            Assert.Contains("not valid JSON", items.Rejected[1].Reason);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
