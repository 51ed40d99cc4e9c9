using System.Net;
using System.Text.Json.Nodes;

namespace NrtCluster.Host.Tests.Http;

[Collection(NodeCollection.Name)]
public class AlertFeedTests(NodeFixture node)
{
    private async Task<JsonNode> Get(string query) => JsonNode.Parse(await node.Http.GetStringAsync($"{node.Server.BaseUrl}/api/alerts?{query}"))!;

    [Fact]
    public async Task CursorPagesCoverEveryBreakOnceInDateOrder()
    {
        var ids = new List<string>();
        var dates = new List<string>();
        var url = $"{node.Server.BaseUrl}/api/alerts?since=2024-01-01&limit=300";
        var pages = 0;
        while (url is not null)
        {
            var page = JsonNode.Parse(await node.Http.GetStringAsync(url))!;
            pages++;
            Assert.Equal(800, (long)page["numberMatched"]!);
            foreach (var f in page["features"]!.AsArray())
            {
                ids.Add((string)f!["id"]!);
                dates.Add((string)f["properties"]!["detection_date"]!);
            }
            url = page["links"]!.AsArray().FirstOrDefault(l => (string)l!["rel"]! == "next")?["href"]?.GetValue<string>()!;
        }
        Assert.Equal(3, pages);
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

    [Theory]
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
