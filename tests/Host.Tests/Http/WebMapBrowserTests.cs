using NrtCluster.Host.Http.Rendering;

namespace NrtCluster.Host.Tests.Http;

/// <summary>Headless Chromium opens the node's web map: its XYZ tiles load and the screenshot shows the alert layers.</summary>
[Collection(NodeCollection.Name)]
public class WebMapBrowserTests(NodeFixture node)
{
    private const string State = "({ state: window.nrtcMap, pending: document.querySelectorAll('img.leaflet-tile:not(.leaflet-tile-loaded)').length })";

    private async Task<HeadlessChromium> OpenMapAsync()
    {
        var browser = await HeadlessChromium.StartAsync(1280, 800);
        await browser.OpenAsync(node.Server.BaseUrl + "/");
        await browser.WaitForAsync(
            "!!(window.nrtcMap && window.nrtcMap.ready && window.nrtcMap.tilesLoaded >= 2 && document.querySelectorAll('img.leaflet-tile').length > 0 " +
            "&& document.querySelectorAll('img.leaflet-tile:not(.leaflet-tile-loaded)').length === 0 " +
            "&& [...document.querySelectorAll('.legends img')].every(i => i.complete && i.naturalWidth > 0))",
            State);
        return browser;
    }

    private static async Task<List<string>> TileSources(HeadlessChromium browser) =>
        (await browser.EvaluateAsync("[...document.querySelectorAll('img.leaflet-tile')].map(i => { const u = new URL(i.src); return u.pathname + decodeURIComponent(u.search); })"))!
            .AsArray().Select(n => (string)n!).ToList();

    [Fact]
    public async Task TheDateFilterSetsTheTimeOfTheTiles()
    {
        await using var browser = await OpenMapAsync();
        await browser.EvaluateAsync("(() => { const f = document.getElementById('from'); f.value = f.max; f.dispatchEvent(new Event('change')); })()");
        await browser.WaitForAsync(
            "[...document.querySelectorAll('img.leaflet-tile')].every(i => i.src.includes('time=2024-07-20/2024-07-20') && i.classList.contains('leaflet-tile-loaded'))",
            "({ tiles: [...document.querySelectorAll('img.leaflet-tile')].map(i => i.src) })");
        Assert.NotEmpty(await TileSources(browser));
        Assert.Equal(0, (int)(await browser.EvaluateAsync("window.nrtcMap.tileErrors"))!);
    }

    [Fact]
    public async Task AClickOnABreakShowsItsTileRowAndColumn()
    {
        await using var browser = await OpenMapAsync();
        // The middle of the first tile's outline is pixel (50, 50) of tile x0_y0, in its break block.
        await browser.EvaluateAsync(
            "(() => { const r = document.querySelector('.leaflet-overlay-pane path').getBoundingClientRect();" +
            " document.getElementById('map').dispatchEvent(new MouseEvent('click', { bubbles: true, clientX: r.x + r.width / 2, clientY: r.y + r.height / 2 })); })()");
        await browser.WaitForAsync("!!document.querySelector('.leaflet-popup-content')", "({ popups: document.querySelectorAll('.leaflet-popup').length })");
        var popup = (string)(await browser.EvaluateAsync("document.querySelector('.leaflet-popup-content').textContent"))!;
        Assert.Matches(@"^Tile x0_y0 \(row [45]\d, col [45]\d\)Mask 3 – BreakDetected 2024-05-", popup);
    }

    [Fact]
    public async Task TheMapLoadsXyzTilesAndShowsTheAlertLayersWithLegend()
    {
        await using var browser = await OpenMapAsync();
        var state = (await browser.EvaluateAsync("window.nrtcMap"))!;
        Assert.Equal(0, (int)state["tileErrors"]!);
        // Every raster tile comes from /tiles with the date filter (all detections), none from the WMS.
        var sources = await TileSources(browser);
        Assert.All(sources, s => Assert.Matches(@"^/tiles/(mask|detection_date)/\d+/\d+/\d+\.png\?time=2024-05-01/2024-07-20$", s));
        Assert.Contains(sources, s => s.StartsWith("/tiles/mask/", StringComparison.Ordinal));
        Assert.Contains(sources, s => s.StartsWith("/tiles/detection_date/", StringComparison.Ordinal));
        Assert.Equal(0, (int)(await browser.EvaluateAsync("performance.getEntriesByType('resource').filter(e => /REQUEST=GetMap/i.test(e.name)).length"))!);
        Assert.Equal(2, (int)(await browser.EvaluateAsync("document.querySelectorAll('.leaflet-overlay-pane path').length"))!);
        Assert.Contains("800 break pixels", (string)(await browser.EvaluateAsync("document.getElementById('alert-count').textContent"))!);
        // A server of files only has no tiles running: the freshness panel says so (MetricsTests reads it on a running node).
        await browser.WaitForAsync("window.nrtcMap.freshness", State);
        Assert.Equal("Data freshness not known: this server publishes an output folder; freshness is known to a running node (nrtc run).",
            (string)(await browser.EvaluateAsync("document.getElementById('freshness').textContent"))!);

        var png = await browser.ScreenshotAsync();
        // Kept next to the test binaries for a look by eye.
        File.WriteAllBytes(Path.Combine(AppContext.BaseDirectory, "webmap-screenshot.png"), png);
        var shot = MapImage.DecodePng(png);
        Assert.Equal(1280, shot.Width);
        Assert.InRange(shot.Height, 600, 800);
        // Not blank: the monitored class covers most of both tiles, breaks show in the date ramp, and the legend is drawn.
        var monitored = Palette.MaskColour(1);
        Assert.True(shot.Count((monitored.R, monitored.G, monitored.B), 3) > 5000, "no monitored (green) pixels in the screenshot");
        var unstable = Palette.MaskColour(2);
        Assert.True(shot.Count((unstable.R, unstable.G, unstable.B), 3) > 500, "no unstable (grey) pixels in the screenshot");
        var early = Palette.RampAt(0);
        Assert.True(shot.Count((early.R, early.G, early.B), 12) > 20, "no detection-date colours in the screenshot");
        var colours = new HashSet<int>();
        for (var i = 0; i < shot.Rgba.Length; i += 4) colours.Add(shot.Rgba[i] << 16 | shot.Rgba[i + 1] << 8 | shot.Rgba[i + 2]);
        Assert.True(colours.Count > 50, $"only {colours.Count} colours in the screenshot");
    }
}
