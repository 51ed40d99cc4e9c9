using System.Text.Json.Nodes;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Bench;
using NrtCluster.TestSupport;

namespace NrtCluster.Host.Tests.Cluster;

/// <summary>The large-tile bench archive: a few rendered scenes, every date a distinct acquisition, the tile block whole inside the granules.</summary>
public class LargeTileArchiveTests
{
    [Fact]
    public void EveryDateIsADistinctListedAcquisitionAndTheBlockHoldsDataEverywhere()
    {
        using var folder = new TempFolder();
        var large = LargeTileArchive.Write(folder.File("archive"), tiles: 3, tileSize: 30, dates: 7, scenes: 3);
        Assert.Equal((2, 2, 4, 3), (large.Columns, large.Rows, large.Tiles, large.Scenes));
        Assert.Equal(3, large.Archive.Scene.Acquisitions.Count);

        var root = large.Archive.Directory;
        var collection = JsonNode.Parse(File.ReadAllText(Path.Combine(root, SyntheticArchiveLayout.Collection)))!;
        var items = collection["links"]!.AsArray().Where(l => l!["rel"]!.ToString() == "item")
            .Select(l => JsonNode.Parse(File.ReadAllText(Path.Combine(root, SyntheticArchiveLayout.CollectionId, l!["href"]!.ToString())))!).ToList();
        Assert.Equal(7 * 2, items.Count);
        Assert.Equal(items.Count, items.Select(i => i["id"]!.ToString()).Distinct().Count());
        var dates = items.Select(i => Date(i["properties"]!["datetime"]!)).Distinct().Order().ToList();
        Assert.Equal(Enumerable.Range(0, 7).Select(k => ClusterBenchOptions.Start.AddDays(10 * k)), dates);
        Assert.Equal(dates[^1], Date(collection["extent"]!["temporal"]!["interval"]![0]![1]!));

        // The collection lists the rendered items (date by date, west granule first), then the repeats: the last date (index 6)
        // repeats scene 6 % 3 = 0, so its east granule's COG is the first date's east granule file (a link), with the same pixels.
        byte[] Bytes(JsonNode item) => File.ReadAllBytes(Path.Combine(root, SyntheticArchiveLayout.ItemFolder(item["id"]!.ToString()), "B04.tif"));
        Assert.Equal(Bytes(items[1]), Bytes(items[^1]));
        Assert.NotEqual(Bytes(items[3]), Bytes(items[^1]));

        // Every pixel centre of the 2 x 2 block of 30 px tiles lies inside a granule's data.
        var block = GeoBox.NorthUp(SceneGeometry.ReferenceCrs, large.OriginX, large.OriginY, SceneGeometry.Resolution, 60, 60);
        var (x, y) = SceneGeometry.PixelCentres(block, SceneGeometry.ReferenceCrs);
        Assert.All(large.Archive.Scene.Geometry.Covered(x, y), Assert.True);
    }

    private static DateOnly Date(JsonNode time) => DateOnly.ParseExact(time.ToString()[..10], "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
