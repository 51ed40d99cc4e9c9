using System.Net;
using System.Text.Json.Nodes;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Tiles;
using NrtCluster.Host.Http;
using NrtCluster.Host.Http.Rendering;
using NrtCluster.Host.Http.Reports;

namespace NrtCluster.Host.Tests.Http;

/// <summary>
/// A served output folder whose tile report has the confidence and magnitude bands (as written with
/// <c>report-layers = [mask, detection_date, confidence, magnitude]</c>): one 100 x 100 tile of <see cref="NodeFixture"/>'s
/// grid whose 20 x 20 break block is low confidence in columns 40-49 (magnitude 1.5) and high in 50-59 (6.2), and whose
/// row 70, columns 0-9, is a low alert that is not a break yet (monitored, no date, as IQR's outlier runs).
/// </summary>
public sealed class ConfidenceLayerTests : IAsyncLifetime
{
    private const string Box = "CRS=EPSG:3035&BBOX=3208000,4321000,3210000,4323000&WIDTH=100&HEIGHT=100";
    private static readonly DateOnly First = new(2024, 5, 1);

    private readonly TempFolder _folder = new();
    private readonly HttpClient _http = new();
    private NodeServer _server = null!;

    public async Task InitializeAsync()
    {
        const int size = NodeFixture.Size;
        var mask = new ushort[size * size];
        var date = new ushort[size * size];
        var confidence = new ushort[size * size];
        var magnitude = new ushort[size * size];
        for (var r = 0; r < size; r++)
            for (var c = 0; c < size; c++)
            {
                var i = r * size + c;
                mask[i] = 1;
                if (r is >= 40 and < 60 && c is >= 40 and < 60)
                {
                    (mask[i], date[i]) = (3, (ushort)(First.DayNumber - NodeFixture.Epoch + c - 40));
                    (confidence[i], magnitude[i]) = c < 50 ? ((ushort)1, (ushort)150) : ((ushort)2, (ushort)620);
                }
                else if (r == 70 && c < 10) (confidence[i], magnitude[i]) = (1, 120);
            }
        var path = NodeFixture.ReportPath(_folder.Path, "x0_y0");
        TileRasters.WriteReport(path, NodeFixture.TileBox(0),
            [("mask", mask), ("detection_date", date), ("confidence", confidence), ("magnitude", magnitude)], NodeFixture.NoData);
        VrtMosaic.Build(Path.Combine(_folder.Path, "mosaic.vrt"), [path]);
        var reports = new ReportFolder(_folder.Path);
        _server = await NodeServer.StartAsync(new NodeServerOptions(reports, new FileAlertFeed(reports), new FileNodeStatus(reports),
            "127.0.0.1", 0, NodeServer.LocateWebRoot()));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        _folder.Dispose();
    }

    private async Task<(int Width, int Height, byte[] Rgba)> Png(string query)
    {
        using var response = await _http.GetAsync($"{_server.WmsUrl}?SERVICE=WMS&VERSION=1.3.0&{query}");
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(body));
        return MapImage.DecodePng(body);
    }

    private static (byte, byte, byte, byte) Colour(Rgba c) => (c.R, c.G, c.B, c.A);

    [Fact]
    public async Task ConfidenceMapShowsLowAndHighAndTimeKeepsOnlyDatedAlerts()
    {
        var map = await Png($"REQUEST=GetMap&LAYERS=confidence&STYLES=&FORMAT=image/png&{Box}");
        Assert.Equal(Colour(Palette.ConfidenceColour(1)), map.At(45, 50));
        Assert.Equal(Colour(Palette.ConfidenceColour(2)), map.At(55, 50));
        Assert.Equal(Colour(Palette.ConfidenceColour(1)), map.At(5, 70));
        Assert.Equal(0, map.At(80, 80).A);
        Assert.Equal(410, map.Rgba.Where((_, i) => i % 4 == 3 && map.Rgba[i] != 0).Count());

        // With TIME only alerts detected in it: the undated low alert and the breaks before May 15 go.
        var timed = await Png($"REQUEST=GetMap&LAYERS=confidence&STYLES=&FORMAT=image/png&{Box}&TIME=2024-05-15/2024-12-31");
        Assert.Equal(0, timed.At(5, 70).A);
        Assert.Equal(0, timed.At(45, 50).A);
        Assert.Equal(Colour(Palette.ConfidenceColour(2)), timed.At(55, 50));
    }

    [Fact]
    public async Task MagnitudeMapRampsFromOneBoundaryAndClampsAtTheTop()
    {
        var map = await Png($"REQUEST=GetMap&LAYERS=magnitude&STYLES=&FORMAT=image/png&{Box}");
        Assert.Equal(Colour(Palette.MagnitudeAt(0.5 / (Palette.MagnitudeRampTop - 1))), map.At(45, 50));
        Assert.Equal(Colour(Palette.MagnitudeAt(1)), map.At(55, 50));
        Assert.Equal(0, map.At(80, 80).A);
    }

    [Fact]
    public async Task LegendsShowTheConfidenceClassesAndTheMagnitudeRamp()
    {
        var confidence = await Png("REQUEST=GetLegendGraphic&LAYER=confidence&FORMAT=image/png");
        foreach (var (code, _, colour) in Palette.ConfidenceClasses)
            Assert.True(confidence.Count((colour.R, colour.G, colour.B)) >= 100, $"legend lacks the swatch of confidence {code}");
        var magnitude = await Png("REQUEST=GetLegendGraphic&LAYER=magnitude&FORMAT=image/png");
        foreach (var end in new[] { Palette.MagnitudeAt(0), Palette.MagnitudeAt(1) })
            Assert.True(magnitude.Count((end.R, end.G, end.B)) > 5);

        var json = JsonNode.Parse(await _http.GetStringAsync($"{_server.BaseUrl}/api/legend/confidence"))!;
        Assert.Equal(["Low confidence", "High confidence"], json["classes"]!.AsArray().Select(c => (string)c!["label"]!));
    }

    [Fact]
    public async Task AlertFeedAndFeatureInfoCarryConfidenceAndMagnitude()
    {
        var page = JsonNode.Parse(await _http.GetStringAsync($"{_server.BaseUrl}/api/alerts?since=2024-01-01&limit=1000"))!;
        var features = page["features"]!.AsArray().Select(f => f!["properties"]!).ToArray();
        // The breaks only: the undated low alert is no break yet.
        Assert.Equal(400, features.Length);
        foreach (var p in features)
        {
            var low = (int)p["col"]! < 50;
            Assert.Equal(low ? "low" : "high", (string)p["confidence"]!);
            Assert.Equal(low ? 1.5 : 6.2, (double)p["magnitude"]!);
        }

        var info = JsonNode.Parse(await _http.GetStringAsync(
            $"{_server.WmsUrl}?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=confidence&QUERY_LAYERS=confidence,magnitude&{Box}&I=55&J=50&INFO_FORMAT=application/json"))!;
        var properties = info["features"]![0]!["properties"]!;
        Assert.Equal("high", (string)properties["confidence"]!);
        Assert.Equal(6.2, (double)properties["magnitude"]!);
        var text = await _http.GetStringAsync(
            $"{_server.WmsUrl}?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=confidence&QUERY_LAYERS=confidence,magnitude&{Box}&I=80&J=80&INFO_FORMAT=text/plain");
        Assert.Contains("confidence = none", text);
        Assert.Contains("magnitude = none", text);
    }
}
