using System.Net;
using System.Text.Json.Nodes;
using NrtCluster.Geo.Gdal;
using NrtCluster.Host.Http;
using NrtCluster.Host.Http.Reports;

namespace NrtCluster.Host.Tests.Http;

[Collection(NodeCollection.Name)]
public class NodeEndpointTests(NodeFixture node)
{
    [Fact]
    public async Task StatusHealthAndReadinessDescribeTheFolder()
    {
        var status = JsonNode.Parse(await node.Http.GetStringAsync($"{node.Server.BaseUrl}/api/status"))!;
        Assert.Equal("file", (string)status["mode"]!);
        Assert.Equal(2, (int)status["tiles"]!);
        Assert.Equal(800, (long)status["breaks"]!);
        Assert.Equal("2024-05-01", (string)status["firstDetection"]!);
        Assert.Equal("2024-07-20", (string)status["lastDetection"]!);
        Assert.Equal("EPSG:3035", (string)status["details"]!["gridCrs"]!);
        Assert.Equal(2 * 1000, (long)status["details"]!["pixelsByClass"]!["Not monitored"]!);
        Assert.EndsWith("mosaic.vrt", (string)status["details"]!["mosaic"]!);

        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync($"{node.Server.BaseUrl}/healthz")).StatusCode);
        using var ready = await node.Http.GetAsync($"{node.Server.BaseUrl}/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
        Assert.Equal("Healthy", (string)body["status"]!);
        var check = Assert.Single(body["checks"]!.AsArray())!;
        Assert.Equal(("reports", "Healthy", "2 tile reports"), ((string)check["name"]!, (string)check["status"]!, (string)check["reason"]!));
    }

    [Fact]
    public async Task TileOutlinesAreLonLatPolygonsWithBreakCounts()
    {
        var tiles = JsonNode.Parse(await node.Http.GetStringAsync($"{node.Server.BaseUrl}/api/tiles"))!;
        var features = tiles["features"]!.AsArray();
        Assert.Equal(["x0_y0", "x1_y0"], features.Select(f => (string)f!["id"]!));
        Assert.All(features, f => Assert.Equal(400, (long)f!["properties"]!["breaks"]!));
        var ring = features[0]!["geometry"]!["coordinates"]![0]!.AsArray();
        Assert.Equal(33, ring.Count);
        Assert.InRange((double)ring[0]![0]!, 9.99, 10.01);
        Assert.InRange((double)ring[0]![1]!, 51.99, 52.01);
    }

    [Fact]
    public async Task WebPageAndItsLocalLeafletAreServed()
    {
        var html = await node.Http.GetStringAsync(node.Server.BaseUrl + "/");
        Assert.Contains("vendor/leaflet/leaflet.js", html);
        using var leaflet = await node.Http.GetAsync(node.Server.BaseUrl + "/vendor/leaflet/leaflet.js");
        Assert.Equal(HttpStatusCode.OK, leaflet.StatusCode);
        Assert.Contains("Leaflet", await leaflet.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync(node.Server.BaseUrl + "/app.js")).StatusCode);
    }

    [Fact]
    public async Task AnEmptyFolderIsServedButNotReady()
    {
        var dir = Directory.CreateTempSubdirectory("nrtc-http-empty-").FullName;
        try
        {
            var folder = new ReportFolder(dir);
            await using var server = await NodeServer.StartAsync(new NodeServerOptions(folder, new FileAlertFeed(folder), new FileNodeStatus(folder), "127.0.0.1", 0, null));
            using var http = new HttpClient();
            using var ready = await http.GetAsync(server.BaseUrl + "/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("No tile reports", await ready.Content.ReadAsStringAsync());
            var map = await http.GetByteArrayAsync(server.WmsUrl + "?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=mask&CRS=EPSG:3857&BBOX=0,0,1,1&WIDTH=4&HEIGHT=4&FORMAT=image/png");
            Assert.All(Enumerable.Range(0, 16), i => Assert.Equal(0, MapImage.DecodePng(map).Rgba[i * 4 + 3]));
            Assert.Contains("WMS_Capabilities", await http.GetStringAsync(server.WmsUrl + "?SERVICE=WMS&REQUEST=GetCapabilities"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task StatusDescribesTheReportsNotAForeignArchiveBesideThem()
    {
        var dir = Directory.CreateTempSubdirectory("nrtc-http-foreign-").FullName;
        try
        {
            foreach (var tile in NodeFixture.TileIds)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(NodeFixture.ReportPath(dir, tile))!);
                File.Copy(NodeFixture.ReportPath(node.Folder, tile), NodeFixture.ReportPath(dir, tile));
            }
            // The demo keeps its synthetic archive in the output folder: thousands of GeoTIFFs that are not reports.
            var archive = Path.Combine(dir, "archive", "sentinel-2-l2a");
            var band = Path.Combine(archive, "B04-0.tif");
            GeoTiffWriter.Write(band, NodeFixture.TileBox(0), [("B04", new ushort[NodeFixture.Size * NodeFixture.Size])], RasterDataType.UInt16, 0, cog: false);
            for (var i = 1; i < 500; i++) File.Copy(band, Path.Combine(archive, $"B04-{i}.tif"));

            var folder = new ReportFolder(dir);
            await using var server = await NodeServer.StartAsync(new NodeServerOptions(folder, new FileAlertFeed(folder), new FileNodeStatus(folder), "127.0.0.1", 0, null));
            using var http = new HttpClient();
            var body = await http.GetStringAsync(server.BaseUrl + "/api/status");
            Assert.Equal(2, (int)JsonNode.Parse(body)!["tiles"]!);
            Assert.True(body.Length < 20_000, $"/api/status is {body.Length} characters");
            Assert.DoesNotContain("B04", body);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void AMissingFolderIsNamed()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => new ReportFolder("/nonexistent/nrtc-out"));
        Assert.Contains("/nonexistent/nrtc-out", e.Message);
    }
}
