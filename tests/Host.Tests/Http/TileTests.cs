using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using NrtCluster.Geo.Gdal;
using NrtCluster.Host.Http;
using NrtCluster.Host.Http.Reports;
using NrtCluster.Host.Http.Rendering;
using NrtCluster.Host.Http.Wms;
using NrtCluster.TestSupport;

namespace NrtCluster.Host.Tests.Http;

/// <summary>The node's XYZ tiles (/tiles/{layer}/{z}/{x}/{y}.png) over real HTTP: pixels, caching, errors, the render limit.</summary>
[Collection(NodeCollection.Name)]
public class TileTests(NodeFixture node)
{
    private const double HalfWorld = 20037508.342789244;

    // The fixture's first break block (tile x0_y0, rows/cols 40-59 of a 100 x 100 px tile at 20 m from 52 N, 10 E in EPSG:3035).
    private const double BreakLon = 10.0147, BreakLat = 51.991;

    /// <summary>The XYZ tile holding a lon/lat point at zoom z (the slippy-map formula).</summary>
    private static (int X, int Y) TileOf(double lon, double lat, int z)
    {
        var n = 1 << z;
        var phi = lat * Math.PI / 180;
        return ((int)Math.Floor((lon + 180) / 360 * n), (int)Math.Floor((1 - Math.Log(Math.Tan(phi) + 1 / Math.Cos(phi)) / Math.PI) / 2 * n));
    }

    /// <summary>The EPSG:3857 bounds of a tile as a WMS 1.3.0 BBOX (easting first).</summary>
    private static string Bbox(int z, int x, int y)
    {
        var size = 2 * HalfWorld / (1 << z);
        return string.Join(',', new[] { -HalfWorld + x * size, HalfWorld - (y + 1) * size, -HalfWorld + (x + 1) * size, HalfWorld - y * size }
            .Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
    }

    private static async Task<HttpResponseMessage> Get(HttpClient http, string url, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (ifNoneMatch is not null) request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return await http.SendAsync(request);
    }

    private async Task<byte[]> Png(string url)
    {
        using var response = await node.Http.GetAsync(url);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
        Assert.Equal("image/png", response.Content.Headers.ContentType!.MediaType);
        return body;
    }

    private static Task<NodeServer> Serve(string folder, RenderLimits? renders = null)
    {
        var reports = new ReportFolder(folder);
        return NodeServer.StartAsync(new NodeServerOptions(reports, new FileAlertFeed(reports), new FileNodeStatus(reports), "127.0.0.1", 0, null, Renders: renders));
    }

    /// <summary>A copy of the fixture's tile reports in <paramref name="folder"/>; their paths.</summary>
    private List<string> CopyReports(string folder) => NodeFixture.TileIds.Select(t =>
    {
        var path = NodeFixture.ReportPath(folder, t);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Copy(NodeFixture.ReportPath(node.Folder, t), path);
        return path;
    }).ToList();

    /// <summary>Kept a minute by browsers and shared caches, then asked for again with the ETag.</summary>
    private static void AssertCacheControl(HttpResponseMessage response)
    {
        var c = response.Headers.CacheControl!;
        Assert.Equal((true, TimeSpan.FromSeconds(60), true, false), (c.Public, c.MaxAge, c.MustRevalidate, c.NoStore));
    }

    private static int Opaque((int Width, int Height, byte[] Rgba) image) => Enumerable.Range(0, image.Width * image.Height).Count(i => image.Rgba[i * 4 + 3] != 0);

    [Theory]
    [InlineData(14, "")]
    [InlineData(16, "")]
    [InlineData(15, "2024-05-01/2024-05-10")]
    public async Task EveryLayersTileIsTheWmsMapOfItsBoxPixelForPixel(int z, string time)
    {
        var (x, y) = TileOf(BreakLon, BreakLat, z);
        foreach (var (layer, _, _) in WmsLayers.All)
        {
            var tile = MapImage.DecodePng(await Png($"{node.Server.BaseUrl}/tiles/{layer}/{z}/{x}/{y}.png" + (time.Length > 0 ? $"?time={time}" : "")));
            var map = MapImage.DecodePng(await Png($"{node.Server.WmsUrl}?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS={layer}&STYLES=&FORMAT=image/png" +
                                                    $"&TRANSPARENT=TRUE&CRS=EPSG:3857&BBOX={Bbox(z, x, y)}&WIDTH=256&HEIGHT=256" + (time.Length > 0 ? $"&TIME={time}" : "")));
            Assert.Equal((256, 256), (tile.Width, tile.Height));
            Assert.True(tile.Rgba.AsSpan().SequenceEqual(map.Rgba), $"{layer} at {z}/{x}/{y} differs from the WMS map of its box");
            // The fixture's reports have no confidence or magnitude band: those tiles are empty (and equal to the WMS map).
            if (layer is WmsLayers.Mask or WmsLayers.Date)
                Assert.True(Opaque(tile) > 100, $"{layer} at {z}/{x}/{y} is (nearly) empty: the tile misses the data");
        }
        // The tile is where the break block is: the mask tile shows break red.
        var mask = MapImage.DecodePng(await Png($"{node.Server.BaseUrl}/tiles/mask/{z}/{x}/{y}.png"));
        var red = Palette.MaskColour(3);
        Assert.True(mask.Count((red.R, red.G, red.B)) > 10, "no break pixels in the tile that holds the break block");
    }

    [Fact]
    public async Task ATileHasAStrongETagCacheControlAndLastModifiedAndIfNoneMatchAnswers304()
    {
        var (x, y) = TileOf(BreakLon, BreakLat, 15);
        var url = $"{node.Server.BaseUrl}/tiles/mask/15/{x}/{y}.png";
        using var first = await Get(node.Http, url);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var etag = first.Headers.ETag!;
        Assert.False(etag.IsWeak);
        AssertCacheControl(first);
        Assert.Equal(new DateTimeOffset(node.Reports.Current().LastWriteUtc!.Value, TimeSpan.Zero).ToUnixTimeSeconds(),
            first.Content.Headers.LastModified!.Value.ToUnixTimeSeconds());

        using var again = await Get(node.Http, url, etag.ToString());
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Empty(await again.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, again.Headers.ETag);
        AssertCacheControl(again);
        // A list of tags, a weak form of the tag and * match too; another tag does not.
        Assert.Equal(HttpStatusCode.NotModified, (await Get(node.Http, url, $"\"other\", {etag}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, (await Get(node.Http, url, $"W/{etag}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, (await Get(node.Http, url, "*")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Get(node.Http, url, "\"other\"")).StatusCode);

        // The tag names the tile, the layer and the time filter.
        var others = new[]
        {
            $"{node.Server.BaseUrl}/tiles/detection_date/15/{x}/{y}.png", $"{node.Server.BaseUrl}/tiles/mask/15/{x + 1}/{y}.png",
            $"{node.Server.BaseUrl}/tiles/mask/15/{x}/{y}.png?time=2024-05-01/2024-05-10",
        };
        var tags = new HashSet<string> { etag.Tag };
        foreach (var other in others)
        {
            using var response = await Get(node.Http, other, etag.ToString());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(tags.Add(response.Headers.ETag!.Tag), $"{other} has the ETag of another tile");
        }
    }

    [Fact]
    public async Task UnknownLayersZoomsAndTilesAre404AndABadTimeIs400WithTheReason()
    {
        async Task Expect(string path, HttpStatusCode status, string message)
        {
            using var response = await node.Http.GetAsync(node.Server.BaseUrl + path);
            Assert.Equal(status, response.StatusCode);
            Assert.Contains(message, await response.Content.ReadAsStringAsync());
        }
        await Expect("/tiles/forest/3/0/0.png", HttpStatusCode.NotFound, $"No layer 'forest'; the layers are {WmsLayers.Names}.");
        await Expect("/tiles/mask/19/0/0.png", HttpStatusCode.NotFound, "No zoom level '19'; tiles are served at zoom 0 to 18.");
        await Expect("/tiles/mask/-1/0/0.png", HttpStatusCode.NotFound, "No zoom level '-1'");
        await Expect("/tiles/mask/3/8/0.png", HttpStatusCode.NotFound, "at zoom 3 x and y run from 0 to 7");
        await Expect("/tiles/mask/3/0/8.png", HttpStatusCode.NotFound, "at zoom 3 x and y run from 0 to 7");
        await Expect("/tiles/mask/3/0/0.jpg", HttpStatusCode.NotFound, "the tile is named y.png");
        await Expect("/tiles/mask/3/0/0.png?time=2024-13-01", HttpStatusCode.BadRequest, "time=2024-13-01: '2024-13-01' is not an ISO 8601 date");
    }

    [Fact]
    public async Task ATileOutsideTheDataIsTransparent()
    {
        var (x, y) = TileOf(BreakLon, BreakLat, 14);
        foreach (var (layer, _, _) in WmsLayers.All)
        {
            var image = MapImage.DecodePng(await Png($"{node.Server.BaseUrl}/tiles/{layer}/14/{x + 3}/{y}.png"));
            Assert.Equal((256, 256, 0), (image.Width, image.Height, Opaque(image)));
        }
    }

    /// <summary>
    /// A server whose mosaic reads the reports from a file server that holds the reads: a WMS map of the largest size then
    /// holds the one full-size render allowed, so a tile that must be drawn is refused with 503 and Retry-After, while a
    /// revalidated tile (304) and a tile outside the data answer without a turn.
    /// </summary>
    [Fact]
    public async Task TilesShareTheWmsRenderLimitOnlyWhenTheyDraw()
    {
        using var temp = new TempFolder();
        using var files = new RangeFileServer(Path.Combine(node.Folder, "tiles"));
        var reports = CopyReports(temp.Path);
        var mosaic = temp.File("mosaic.vrt");
        VrtMosaic.Build(mosaic, reports);
        // The mosaic reads the reports over HTTP: a URL this process has never read, so GDAL has nothing of it cached.
        var vrt = File.ReadAllText(mosaic);
        foreach (var t in NodeFixture.TileIds)
            vrt = vrt.Replace($"relativeToVRT=\"1\">tiles/{t}/report.tif<", $"relativeToVRT=\"0\">/vsicurl/{files.BaseUrl}{t}/report.tif<", StringComparison.Ordinal);
        Assert.Contains("/vsicurl/", vrt);
        File.WriteAllText(mosaic, vrt);

        await using var server = await Serve(temp.Path, new RenderLimits(1, 0, TimeSpan.FromSeconds(7)));
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        var (x, y) = TileOf(BreakLon, BreakLat, 15);
        var outside = $"{server.BaseUrl}/tiles/mask/15/{x + 6}/{y}.png";
        var outsideTag = (await Get(http, outside)).Headers.ETag!.ToString();

        using var hold = files.Hold(_ => true);
        var largeMap = http.GetAsync($"{server.BaseUrl}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=mask&STYLES=&FORMAT=image/png" +
                                     "&CRS=EPSG:3035&BBOX=3208000,4321000,3210000,4325000&WIDTH=4096&HEIGHT=4096");
        await Eventually.Until(() => Task.FromResult(files.Requests), n => n > 0, TimeSpan.FromMinutes(1), _ => "the map never read the reports");

        using (var busy = await Get(http, $"{server.BaseUrl}/tiles/mask/15/{x}/{y}.png"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(7), busy.Headers.RetryAfter!.Delta);
            Assert.Contains("nrtcluster.http.wms.max-concurrent-renders", await busy.Content.ReadAsStringAsync());
            Assert.Null(busy.Headers.ETag);
        }
        Assert.Equal(HttpStatusCode.NotModified, (await Get(http, outside, outsideTag)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Get(http, outside)).StatusCode);
        Assert.False(largeMap.IsCompleted, "the map was drawn before the tiles were asked for");

        files.Release();
        Assert.Equal(HttpStatusCode.OK, (await largeMap).StatusCode);
        using var drawn = await Get(http, $"{server.BaseUrl}/tiles/mask/15/{x}/{y}.png");
        Assert.Equal(HttpStatusCode.OK, drawn.StatusCode);
        Assert.True(Opaque(MapImage.DecodePng(await drawn.Content.ReadAsByteArrayAsync())) > 100);
    }

    /// <summary>
    /// A drawn tile is kept by its ETag: once the mosaic can no longer be drawn from (its bytes replaced, its size and time
    /// kept, so the reports' state looks the same), the kept tile is still answered while a tile never drawn fails, and a
    /// server that keeps no tiles fails on both.
    /// </summary>
    [Theory]
    [InlineData(null)]
    [InlineData(0L)]
    public async Task ADrawnTileIsAnsweredFromTheCacheWithoutDrawing(long? cacheBytes)
    {
        using var temp = new TempFolder();
        var mosaic = temp.File("mosaic.vrt");
        VrtMosaic.Build(mosaic, CopyReports(temp.Path));
        var reports = new ReportFolder(temp.Path);
        await using var server = await NodeServer.StartAsync(new NodeServerOptions(reports, new FileAlertFeed(reports), new FileNodeStatus(reports),
            "127.0.0.1", 0, null, TileCacheBytes: cacheBytes));
        using var http = new HttpClient();
        var (x, y) = TileOf(BreakLon, BreakLat, 15);
        var kept = $"{server.BaseUrl}/tiles/mask/15/{x}/{y}.png";
        using var first = await Get(http, kept);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var png = await first.Content.ReadAsByteArrayAsync();

        var written = File.GetLastWriteTimeUtc(mosaic);
        File.WriteAllBytes(mosaic, Enumerable.Repeat((byte)'#', (int)new FileInfo(mosaic).Length).ToArray());
        File.SetLastWriteTimeUtc(mosaic, written);

        using var again = await Get(http, kept);
        using var other = await Get(http, $"{server.BaseUrl}/tiles/detection_date/15/{x}/{y}.png");
        Assert.Equal(HttpStatusCode.InternalServerError, other.StatusCode);
        Assert.Contains("Could not draw the map", await other.Content.ReadAsStringAsync());
        if (cacheBytes == 0) Assert.Equal(HttpStatusCode.InternalServerError, again.StatusCode);
        else
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Equal(png, await again.Content.ReadAsByteArrayAsync());
            Assert.Equal(first.Headers.ETag, again.Headers.ETag);
        }
    }

    [Fact]
    public async Task AChangedReportChangesTheETagSoTheNextRevalidationDrawsAgain()
    {
        using var temp = new TempFolder();
        CopyReports(temp.Path);
        var (x, y) = TileOf(BreakLon, BreakLat, 15);
        var path = $"/tiles/detection_date/15/{x}/{y}.png";
        await using var server = await Serve(temp.Path);
        using var http = new HttpClient();
        var before = (await Get(http, server.BaseUrl + path)).Headers.ETag!.ToString();
        // Another server on the same folder (a restarted node, another node of the cluster) gives the same tag.
        await using (var other = await Serve(temp.Path))
            Assert.Equal(before, (await Get(http, other.BaseUrl + path)).Headers.ETag!.ToString());

        // A new report for tile x1_y0 (as the pipeline writes one: a new file renamed into place).
        var report = NodeFixture.ReportPath(temp.Path, NodeFixture.TileIds[1]);
        File.Copy(report, report + ".new");
        File.Move(report + ".new", report, overwrite: true);
        File.SetLastWriteTimeUtc(report, DateTime.UtcNow.AddMinutes(1));
        using var after = await Eventually.Until(() => Get(http, server.BaseUrl + path, before), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30),
            r => $"still {(int)r.StatusCode} after the report changed");
        Assert.NotEqual(before, after.Headers.ETag!.ToString());
    }
}
