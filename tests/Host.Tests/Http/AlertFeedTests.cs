using System.Net;
using System.Text.Json.Nodes;
using NrtCluster.Host.Http;
using NrtCluster.Host.Http.Reports;

namespace NrtCluster.Host.Tests.Http;

[Collection(NodeCollection.Name)]
public class AlertFeedTests(NodeFixture node)
{
    private async Task<JsonNode> Get(string query) => JsonNode.Parse(await node.Http.GetStringAsync($"{node.Server.BaseUrl}/api/alerts?{query}"))!;

    /// <summary>Follows the next links from <paramref name="query"/> to the last page; every page's numberMatched must agree.</summary>
    private async Task<(List<JsonNode> Features, int Pages, long Matched)> AllPages(string query)
    {
        var features = new List<JsonNode>();
        var url = $"{node.Server.BaseUrl}/api/alerts?{query}";
        var pages = 0;
        long? matched = null;
        while (url is not null)
        {
            var page = JsonNode.Parse(await node.Http.GetStringAsync(url))!;
            pages++;
            matched ??= (long)page["numberMatched"]!;
            Assert.Equal(matched, (long)page["numberMatched"]!);
            features.AddRange(page["features"]!.AsArray().Select(f => f!));
            url = page["links"]!.AsArray().FirstOrDefault(l => (string)l!["rel"]! == "next")?["href"]?.GetValue<string>()!;
        }
        return (features, pages, matched ?? 0);
    }

    [Fact]
    public async Task CursorPagesCoverEveryBreakOnceInDateOrder()
    {
        var (features, pages, matched) = await AllPages("since=2024-01-01&limit=300");
        var ids = features.Select(f => (string)f["id"]!).ToList();
        var dates = features.Select(f => (string)f["properties"]!["detection_date"]!).ToList();
        Assert.Equal(800, matched);
        Assert.Equal(3, pages);
        // The tile is the report's folder (tiles/x0_y0/report.tif), not the file name.
        Assert.Equal(NodeFixture.TileIds, features.Select(f => (string)f["properties"]!["tile"]!).Distinct().Order());
        Assert.Equal(800, ids.Count);
        Assert.Equal(800, ids.Distinct().Count());
        Assert.Equal(dates.Order(StringComparer.Ordinal), dates);
        // Every break pixel of the reports, with its date from the report.
        var expected = new List<string>();
        for (var t = 0; t < 2; t++)
            for (var r = 0; r < NodeFixture.Size; r++)
                for (var c = 0; c < NodeFixture.Size; c++)
                    if (NodeFixture.Expected(t, r, c).Mask == 3) expected.Add($"{NodeFixture.TileIds[t]}/{r}/{c}");
        Assert.Equal(expected.Order(), ids.Order());
        // These reports have no confidence and magnitude bands (written before they existed): unknown, not an error.
        Assert.All(features, f =>
        {
            var p = f["properties"]!.AsObject();
            Assert.True(p.ContainsKey("confidence") && p["confidence"] is null && p.ContainsKey("magnitude") && p["magnitude"] is null);
        });
    }

    [Fact]
    public async Task SinceUntilAndPageSelectBreaksByDate()
    {
        var july = await Get("since=2024-07-01");
        Assert.Equal(400, (long)july["numberMatched"]!);
        Assert.All(july["features"]!.AsArray(), f => Assert.Equal("x1_y0", (string)f!["properties"]!["tile"]!));

        // 2024-05-03 .. 2024-05-04: two break columns of 20 rows in tile 0.
        var twoDays = await Get("since=2024-05-03&until=2024-05-04");
        Assert.Equal(40, (long)twoDays["numberMatched"]!);
        Assert.Null(twoDays["next_cursor"]);

        var byCursor = await Get($"since=2024-01-01&limit=50&cursor={Uri.EscapeDataString((string)(await Get("since=2024-01-01&limit=50"))["next_cursor"]!)}");
        var byPage = await Get("since=2024-01-01&limit=50&page=2");
        Assert.Equal(byCursor["features"]!.ToJsonString(), byPage["features"]!.ToJsonString());

        Assert.Empty((await Get("since=2025-01-01"))["features"]!.AsArray());
    }

    [Fact]
    public async Task AlertsArePixelPolygonsInLonLat()
    {
        var page = await Get("since=2024-05-01&until=2024-05-01&limit=1");
        var f = page["features"]![0]!;
        Assert.Equal("x0_y0/40/40", (string)f["id"]!);
        var ring = f["geometry"]!["coordinates"]![0]!.AsArray();
        Assert.Equal(5, ring.Count);
        Assert.Equal(ring[0]!.ToJsonString(), ring[4]!.ToJsonString());
        var lon = (double)ring[0]![0]!;
        var lat = (double)ring[0]![1]!;
        Assert.InRange(lon, 10.005, 10.02);
        Assert.InRange(lat, 51.98, 52.0);
        // A 20 m pixel is about 0.0003 degrees of longitude at 52 N.
        Assert.InRange(Math.Abs((double)ring[1]![0]! - lon), 0.0002, 0.0004);
        Assert.Equal(NodeFixture.OriginX + 40 * 20 + 10, (double)f["properties"]!["grid_x"]!);
    }

    [Fact]
    public async Task TwoReportsOfOneTileKeepDistinctIds()
    {
        var dir = Directory.CreateTempSubdirectory("nrtc-http-same-tile-").FullName;
        try
        {
            // A report left from an older layout (tiles/x0_y0.tif) beside the node's tiles/x0_y0/report.tif names the same tile.
            var report = NodeFixture.ReportPath(node.Folder, "x0_y0");
            Directory.CreateDirectory(Path.GetDirectoryName(NodeFixture.ReportPath(dir, "x0_y0"))!);
            File.Copy(report, NodeFixture.ReportPath(dir, "x0_y0"));
            File.Copy(report, Path.Combine(dir, "tiles", "x0_y0.tif"));
            var folder = new ReportFolder(dir);
            Assert.Equal(["x0_y0.tif", "x0_y0/report.tif"], folder.Current().Tiles.Select(t => t.Tile));

            var feed = new FileAlertFeed(folder);
            var ids = new List<string>();
            string? cursor = null;
            do
            {
                var page = await feed.GetBreaksAsync(new AlertQuery(new DateOnly(2024, 1, 1), null, 150, cursor, null), CancellationToken.None);
                Assert.Equal(800, page.NumberMatched);
                ids.AddRange(page.Alerts.Select(a => $"{a.Tile}/{a.Row}/{a.Col}"));
                cursor = page.NextCursor;
            } while (cursor is not null);
            Assert.Equal(800, ids.Distinct().Count());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task BboxKeepsOnlyBreaksWhosePixelMeetsIt()
    {
        // Tile 0 spans about 10.000..10.029 E, tile 1 10.029..10.058 E (at 52 N); this box holds tile 0's break block only.
        var (west, pages, matched) = await AllPages("since=2024-01-01&limit=150&bbox=10.0,51.9,10.025,52.1");
        Assert.Equal(400, matched);
        Assert.Equal(3, pages);
        Assert.Equal(400, west.Select(f => (string)f["id"]!).Distinct().Count());
        Assert.All(west, f => Assert.Equal("x0_y0", (string)f["properties"]!["tile"]!));

        // A box inside one pixel's footprint (a quarter of a pixel in from its edges) finds that pixel alone.
        var pixel = (await Get("since=2024-01-01&limit=1000"))["features"]!.AsArray().Single(f => (string)f!["id"]! == "x1_y0/50/45")!;
        var ring = pixel["geometry"]!["coordinates"]![0]!.AsArray().Select(p => ((double)p![0]!, (double)p[1]!)).ToArray();
        double minLon = ring.Min(p => p.Item1), maxLon = ring.Max(p => p.Item1), minLat = ring.Min(p => p.Item2), maxLat = ring.Max(p => p.Item2);
        double dx = (maxLon - minLon) / 4, dy = (maxLat - minLat) / 4;
        var inside = await Get(FormattableString.Invariant($"since=2024-01-01&bbox={minLon + dx},{minLat + dy},{maxLon - dx},{maxLat - dy}"));
        Assert.Equal(1, (long)inside["numberMatched"]!);
        Assert.Equal("x1_y0/50/45", (string)inside["features"]![0]!["id"]!);

        Assert.Equal(0, (long)(await Get("since=2024-01-01&bbox=0,0,1,1"))["numberMatched"]!);
    }

    [Theory]
    [InlineData("since=2024-01-01&bbox=10,52,11", "bbox")]
    [InlineData("since=2024-01-01&bbox=10,52,east,53", "bbox")]
    [InlineData("since=2024-01-01&bbox=11,52,10,53", "bbox")]
    [InlineData("since=2024-01-01&bbox=10,-95,11,53", "bbox")]
    [InlineData("since=2024-01-01&bbox=10,52,11,53&bbox-crs=EPSG:3035", "bbox-crs")]
    [InlineData("", "since")]
    [InlineData("since=yesterday", "yyyy-MM-dd")]
    [InlineData("since=2024-01-01&limit=0", "limit")]
    [InlineData("since=2024-01-01&cursor=abc", "cursor")]
    [InlineData("since=2024-01-01&cursor=abc&page=2", "not both")]
    [InlineData("since=2024-06-01&until=2024-05-01", "before")]
    public async Task BadQueriesAreRejectedWithAReason(string query, string reason)
    {
        using var response = await node.Http.GetAsync($"{node.Server.BaseUrl}/api/alerts?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!);
    }
}
