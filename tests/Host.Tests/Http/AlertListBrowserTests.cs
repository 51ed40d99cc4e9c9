using System.Net;
using System.Text.Json.Nodes;

namespace NrtCluster.Host.Tests.Http;

/// <summary>Headless Chromium opens the web map: the alert list shows the patches of the date filter and its download link.</summary>
[Collection(NodeCollection.Name)]
public class AlertListBrowserTests(NodeFixture node)
{
    private const string State = "({ state: window.nrtcMap, rows: document.querySelectorAll('#patch-list tbody tr').length, count: document.getElementById('patch-count').textContent })";

    private const string Rows = "[...document.querySelectorAll('#patch-list tbody tr')].map(tr => [tr.dataset.id, ...[...tr.cells].map(td => td.textContent)])";

    private async Task<HeadlessChromium> OpenMapAsync()
    {
        var browser = await HeadlessChromium.StartAsync(1280, 800);
        await browser.OpenAsync(node.Server.BaseUrl + "/");
        await browser.WaitForAsync("!!(window.nrtcMap && window.nrtcMap.ready && window.nrtcMap.patches && window.nrtcMap.patches.loaded >= 1)", State);
        return browser;
    }

    private static async Task<string[][]> RowsAsync(HeadlessChromium browser) =>
        [.. (await browser.EvaluateAsync(Rows))!.AsArray().Select(r => r!.AsArray().Select(c => (string)c!).ToArray())];

    [Fact]
    public async Task TheListShowsThePatchesNewestFirstAndFollowsTheDateFilter()
    {
        await using var browser = await OpenMapAsync();
        Assert.Null((string?)(await browser.EvaluateAsync("window.nrtcMap.patches.error")));
        var rows = await RowsAsync(browser);
        Assert.Equal(PatchFixtures.NewestFirst, rows.Select(r => r[0]));
        Assert.Equal(["x1_y0_4", "2024-07-20", "3.60", "high"], rows[0]);
        Assert.Equal(["x1_y0_3", "2024-07-15", "2.60", "–"], rows[1]);
        Assert.Equal(["x1_y0_2", "2024-07-10", "1.60", "low"], rows[2]);
        Assert.Equal(["x0_y0_1", "2024-05-05", "0.60", "high"], rows[^1]);
        Assert.Equal("8 alert patches in this period", (string)(await browser.EvaluateAsync("document.getElementById('patch-count').textContent"))!);

        // From July on: tile 1's four patches only.
        await browser.EvaluateAsync(
            "(() => { const from = document.getElementById('from'); from.value = String(Date.parse('2024-07-01T00:00:00Z') / 86400000);" +
            " from.dispatchEvent(new Event('change')); })()");
        await browser.WaitForAsync("window.nrtcMap.patches.loaded >= 2", State);
        Assert.Equal(PatchFixtures.NewestFirst[..4], (await RowsAsync(browser)).Select(r => r[0]));
    }

    [Fact]
    public async Task AClickOnARowZoomsToThePatchAndOutlinesIt()
    {
        await using var browser = await OpenMapAsync();
        var before = (int)(await browser.EvaluateAsync("window.nrtcMap.map.getZoom()"))!;
        var id = PatchFixtures.Id(0, 2);
        await browser.EvaluateAsync($"document.querySelector('#patch-list tr[data-id=\"{id}\"]').click()");
        var (lon, lat) = PatchFixtures.LonLatBlock(0, 2);
        var patch = FormattableString.Invariant($"L.latLngBounds([{lat.Min()}, {lon.Min()}], [{lat.Max()}, {lon.Max()}])");
        // Zoomed in (the animation ends) until the view holds the patch.
        await browser.WaitForAsync($"window.nrtcMap.map.getZoom() > {before} && !window.nrtcMap.map._animatingZoom && window.nrtcMap.map.getBounds().contains({patch})", State);
        Assert.Equal(id, (string)(await browser.EvaluateAsync("window.nrtcMap.patches.selected"))!);
        Assert.Equal(id, (string)(await browser.EvaluateAsync("document.querySelector('#patch-list tr.selected').dataset.id"))!);
        // The view is about the patch, not the tiles: the patch spans a good part of its width.
        var share = (double)(await browser.EvaluateAsync($"(() => {{ const b = window.nrtcMap.map.getBounds(), p = {patch}; return (p.getEast() - p.getWest()) / (b.getEast() - b.getWest()); }})()"))!;
        Assert.InRange(share, 0.05, 1);
        // Its outline is drawn: a third path beside the two tile outlines.
        Assert.Equal(3, (int)(await browser.EvaluateAsync("document.querySelectorAll('.leaflet-overlay-pane path').length"))!);
    }

    [Fact]
    public async Task TheDownloadLinkCarriesTheFilterAndAnswersGeoJsonToSave()
    {
        await using var browser = await OpenMapAsync();
        var href = (string)(await browser.EvaluateAsync("document.getElementById('patch-download').href"))!;
        Assert.Equal($"{node.Server.BaseUrl}/ogc/collections/patches/items?datetime=2024-05-01%2F2024-07-20&limit=10000&f=geojson-download", href);
        using var response = await node.Http.GetAsync(href);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/geo+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(PatchFixtures.NewestFirst, body["features"]!.AsArray().Select(f => (string)f!["id"]!));
    }
}
