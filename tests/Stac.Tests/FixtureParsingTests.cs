using NetTopologySuite.Geometries;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Geo.Stac.Tests;

public class FixtureParsingTests
{
    public static TheoryData<string> AllFixtureFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Fixtures.StacDir).Where(f => f.EndsWith(".json") || f.EndsWith(".geojson")).Order())
            data.Add(Path.GetFileName(f));
        return data;
    }

    [Fact]
    public void The_fixture_folder_holds_the_seven_documents_of_its_readme()
    {
        Assert.Equal(7, AllFixtureFiles().Count);
    }

    [Theory]
    [MemberData(nameof(AllFixtureFiles))]
    public async Task Every_fixture_document_parses_by_its_kind(string file)
    {
        var path = Fixtures.PathOf(file);
        var json = StacJson.ParseDocument(await File.ReadAllTextAsync(path), path);
        switch (StacJson.GetKind(json, path))
        {
            case StacDocumentKind.Item:
                AssertItemIsComplete(StacJson.ParseItem(json, path));
                break;
            case StacDocumentKind.ItemCollection:
                var items = StacJson.ParseFeatures(json, path);
                Assert.NotEmpty(items);
                foreach (var item in items) AssertItemIsComplete(item);
                break;
            case StacDocumentKind.Collection:
                var collection = StacCatalogDocument.Parse(json, path);
                Assert.Equal("sentinel-2-l2a", collection.Id);
                break;
            default:
                Assert.Fail($"{file}: unexpected kind");
                break;
        }
    }

    private static void AssertItemIsComplete(StacItem item)
    {
        Assert.False(string.IsNullOrEmpty(item.Id));
        Assert.Equal(TimeSpan.Zero, item.DateTime.Offset);
        Assert.NotNull(item.Bbox);
        Assert.IsType<Polygon>(item.Geometry);
        Assert.True(item.Geometry!.IsValid, $"{item.Id}: footprint is not a valid polygon");
        // The footprint is in lon/lat and fills its bbox (providers round the two differently, within 1e-6 degrees).
        var box = item.Bbox!.Value;
        var env = item.Footprint.EnvelopeInternal;
        Assert.Equal(box.West, env.MinX, 1e-6);
        Assert.Equal(box.South, env.MinY, 1e-6);
        Assert.Equal(box.East, env.MaxX, 1e-6);
        Assert.Equal(box.North, env.MaxY, 1e-6);
        Assert.NotEmpty(item.Assets);
        foreach (var asset in item.Assets.Values) Assert.False(string.IsNullOrEmpty(asset.Href));
    }

    [Fact]
    public void Cdse_item_exposes_id_datetime_bbox_properties_assets_and_alternates()
    {
        var item = Fixtures.Item(Fixtures.Cdse);
        Assert.Equal("S2C_MSIL2A_20250330T100051_N0511_R122_T33UWP_20250330T145914", item.Id);
        Assert.Equal("sentinel-2-l2a", item.Collection);
        Assert.Equal(new DateTimeOffset(2025, 3, 30, 10, 0, 51, 25, TimeSpan.Zero), item.DateTime);
        Assert.Equal(new BoundingBox(14.999727904106205, 47.75581864580811, 16.4932694755772, 48.7530130044756), item.Bbox);
        Assert.Equal(86.041468, item.CloudCover);
        Assert.Equal("05.11", item.GetString("processing:version"));
        Assert.Equal(["B04_20m", "B8A_20m", "Product", "SCL_20m"], item.Assets.Keys.Order(StringComparer.Ordinal));
        var red = item.Assets["B04_20m"];
        Assert.StartsWith("s3://eodata/Sentinel-2/MSI/L2A/2025/03/30/", red.Href);
        Assert.StartsWith("https://zipper.dataspace.copernicus.eu/odata/v1/Products(", red.Alternates["https"]);
        Assert.Equal(0.0001, red.GetRasterNumber("scale"));
        Assert.Equal(-0.1, red.GetRasterNumber("offset"));
        Assert.Equal(0, red.NoData);
        Assert.Equal("image/jp2", red.Type);
        Assert.Contains("reflectance", red.Roles);
        Assert.Equal(6, item.Geometry!.NumPoints);
        Assert.Equal(4326, item.Geometry.SRID);
    }

    [Fact]
    public void Earth_search_v0_item_of_stac_1_0_beta_parses()
    {
        var item = Fixtures.Item(Fixtures.EarthSearchV0);
        Assert.Equal("S2A_28QCH_20200714_0_L2A", item.Id);
        Assert.Equal("sentinel-s2-l2a-cogs", item.Collection);
        Assert.Equal(new DateTimeOffset(2020, 7, 14, 11, 55, 52, TimeSpan.Zero), item.DateTime);
        Assert.Equal(2.36, item.CloudCover);
        Assert.Null(item.GetString("s2:processing_baseline"));
        Assert.Equal("https://sentinel-cogs.s3.us-west-2.amazonaws.com/sentinel-s2-l2a-cogs/2020/S2A_28QCH_20200714_0_L2A/B8A.tif",
            item.Assets["B8A"].Href);
    }

    [Fact]
    public void Planetary_computer_raster_extension_is_read_from_raster_bands()
    {
        var plain = Fixtures.Item(Fixtures.PlanetaryComputer);
        var raster = Fixtures.Item(Fixtures.PlanetaryComputerRaster);
        Assert.Equal(plain.Id, raster.Id);
        Assert.Equal("02.12", raster.GetString("s2:processing_baseline"));
        Assert.Null(plain.Assets["B04"].NoData);
        Assert.Equal(0, raster.Assets["B04"].NoData);
        Assert.Null(raster.Assets["B04"].GetRasterNumber("scale"));
        Assert.Null(raster.Assets["B04"].GetRasterNumber("offset"));
    }

    [Fact]
    public void Item_collections_hold_nine_and_thirteen_items()
    {
        var nine = Fixtures.Features(Fixtures.NineGranules);
        Assert.Equal(9, nine.Count);
        Assert.All(nine, i => Assert.Equal(new DateTimeOffset(2020, 6, 6, 8, 6, 9, 24, TimeSpan.Zero), i.DateTime));
        Assert.Equal(9, nine.Select(i => i.Id[^22..^16]).Distinct().Count());

        var tile = Fixtures.Features(Fixtures.Tile35Mnm);
        Assert.Equal(13, tile.Count);
        Assert.All(tile, i => Assert.Contains("_T35MNM_", i.Id));
        // Newest first as published.
        Assert.Equal(new DateTimeOffset(2020, 7, 31, 8, 6, 11, 24, TimeSpan.Zero), tile[0].DateTime);
    }

    [Fact]
    public void Collection_document_lists_item_assets_and_links()
    {
        var path = Fixtures.PathOf(Fixtures.Collection);
        var doc = StacCatalogDocument.Parse(StacJson.ParseDocument(File.ReadAllText(path), path), path);
        Assert.Equal(StacDocumentKind.Collection, doc.Kind);
        Assert.Contains("B04", doc.ItemAssetKeys);
        Assert.Contains("B8A", doc.ItemAssetKeys);
        Assert.Contains("SCL", doc.ItemAssetKeys);
        Assert.Contains(doc.Links, l => l.Rel == "items");
    }

    [Fact]
    public void Item_json_round_trips_with_resolved_hrefs()
    {
        var item = Fixtures.ParseItemJson("""
            {"type":"Feature","id":"x","bbox":[10,50,11,51],"geometry":null,
             "properties":{"datetime":"2021-05-01T10:00:00Z"},
             "links":[{"rel":"self","href":"x.json"}],
             "assets":{"red":{"href":"./B04.tif"}}}
            """, "/data/archive/items/x.json");
        Assert.Equal("/data/archive/items/B04.tif", item.Assets["red"].Href);
        Assert.Equal("/data/archive/items/x.json", item.Links[0].Href);
        var json = item.ToJsonObject();
        Assert.Equal("/data/archive/items/B04.tif", json["assets"]!["red"]!["href"]!.GetValue<string>());
        // No geometry: the footprint is the bbox.
        Assert.Equal(1.0, item.Footprint.Area, 9);
    }

    [Theory]
    [InlineData("""{"type":"Feature","properties":{"datetime":"2021-05-01T10:00:00Z"},"bbox":[0,0,1,1]}""", "no string \"id\"")]
    [InlineData("""{"type":"Feature","id":"a","bbox":[0,0,1,1]}""", "item 'a' has no \"properties\" object")]
    [InlineData("""{"type":"Feature","id":"a","properties":{"datetime":"yesterday"},"bbox":[0,0,1,1]}""", "\"datetime\" is not an RFC 3339")]
    [InlineData("""{"type":"Feature","id":"a","properties":{"datetime":null},"bbox":[0,0,1,1]}""", "neither \"datetime\" nor \"start_datetime\"")]
    [InlineData("""{"type":"Feature","id":"a","properties":{"datetime":"2021-05-01T10:00:00Z"}}""", "neither \"geometry\" nor \"bbox\"")]
    [InlineData("""{"type":"Feature","id":"a","properties":{"datetime":"2021-05-01T10:00:00Z"},"bbox":[0,0,1]}""", "\"bbox\" must be an array of 4 or 6 finite numbers")]
    [InlineData("""{"type":"Feature","id":"a","properties":{"datetime":"2021-05-01T10:00:00Z"},"bbox":[0,0,1,1],"assets":{"red":{"title":"x"}}}""", "asset 'red' has no string \"href\"")]
    public void Malformed_items_are_rejected_naming_the_document_and_the_problem(string json, string problem)
    {
        var e = Assert.Throws<StacFormatException>(() => Fixtures.ParseItemJson(json, "/somewhere/bad.json"));
        Assert.Contains("/somewhere/bad.json", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Start_datetime_stands_in_for_a_null_datetime()
    {
        var item = Fixtures.ParseItemJson("""
            {"type":"Feature","id":"a","bbox":[0,0,1,1],
             "properties":{"datetime":null,"start_datetime":"2021-05-01T10:00:00+02:00","end_datetime":"2021-05-01T11:00:00Z"}}
            """);
        Assert.Equal(new DateTimeOffset(2021, 5, 1, 8, 0, 0, TimeSpan.Zero), item.DateTime);
    }

    [Fact]
    public void Not_json_is_reported_with_its_location_and_first_characters()
    {
        var e = Assert.Throws<StacFormatException>(() => StacJson.ParseDocument("<html>Bad gateway</html>", "http://host/search"));
        Assert.Contains("http://host/search", e.Message);
        Assert.Contains("not valid JSON", e.Message);
        Assert.Contains("<html>Bad gateway", e.Message);
    }
}
