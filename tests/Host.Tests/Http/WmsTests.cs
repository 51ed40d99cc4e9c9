using System.Net;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using NrtCluster.Host.Http.Rendering;

namespace NrtCluster.Host.Tests.Http;

[Collection(NodeCollection.Name)]
public class WmsTests(NodeFixture node)
{
    private static readonly XNamespace Wms = "http://www.opengis.net/wms";

    private async Task<byte[]> Png(string query)
    {
        using var response = await node.Http.GetAsync($"{node.Server.WmsUrl}?SERVICE=WMS&VERSION=1.3.0&{query}");
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(body));
        Assert.Equal("image/png", response.Content.Headers.ContentType!.MediaType);
        return body;
    }

    // Both tiles exactly, one map pixel per grid pixel; EPSG:3035 is northing-first in WMS 1.3.0.
    private const string GridBox = "CRS=EPSG:3035&BBOX=3208000,4321000,3210000,4325000&WIDTH=200&HEIGHT=100";

    private static (byte, byte, byte, byte) Colour(Rgba c) => (c.R, c.G, c.B, c.A);

    [Fact]
    public async Task CapabilitiesListTheLayersCrssExtentAndTime()
    {
        var xml = XDocument.Parse(await node.Http.GetStringAsync($"{node.Server.WmsUrl}?SERVICE=WMS&REQUEST=GetCapabilities"));
        Assert.Equal("1.3.0", xml.Root!.Attribute("version")!.Value);
        var root = xml.Root.Element(Wms + "Capability")!.Element(Wms + "Layer")!;
        var names = root.Elements(Wms + "Layer").Select(l => l.Element(Wms + "Name")!.Value).ToArray();
        Assert.Equal(["mask", "detection_date", "confidence", "magnitude"], names);
        var crs = root.Elements(Wms + "CRS").Select(c => c.Value).ToArray();
        Assert.Equal(["EPSG:3857", "EPSG:4326", "CRS:84", "EPSG:3035"], crs);
        var geo = root.Element(Wms + "EX_GeographicBoundingBox")!;
        double V(string n) => double.Parse(geo.Element(Wms + n)!.Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(V("westBoundLongitude"), 9.99, 10.0);
        Assert.InRange(V("eastBoundLongitude"), 10.05, 10.07);
        Assert.InRange(V("southBoundLatitude"), 51.98, 52.0);
        Assert.InRange(V("northBoundLatitude"), 52.0, 52.01);
        // EPSG:4326 bounding box in lat/lon order, EPSG:3035 northing first with the grid resolution.
        var bb4326 = root.Elements(Wms + "BoundingBox").Single(b => b.Attribute("CRS")!.Value == "EPSG:4326");
        Assert.InRange(double.Parse(bb4326.Attribute("minx")!.Value, System.Globalization.CultureInfo.InvariantCulture), 51.98, 52.0);
        var bb3035 = root.Elements(Wms + "BoundingBox").Single(b => b.Attribute("CRS")!.Value == "EPSG:3035");
        Assert.Equal(["3208000", "4321000", "3210000", "4325000"], new[] { "minx", "miny", "maxx", "maxy" }.Select(a => bb3035.Attribute(a)!.Value));
        Assert.Equal("20", bb3035.Attribute("resx")!.Value);
        var getMap = xml.Root.Element(Wms + "Capability")!.Element(Wms + "Request")!.Element(Wms + "GetMap")!;
        Assert.Equal(["image/png", "image/jpeg"], getMap.Elements(Wms + "Format").Select(f => f.Value));
        var time = root.Element(Wms + "Dimension")!;
        Assert.Equal("2024-05-01/2024-07-20/P1D", time.Value);
        var legend = root.Elements(Wms + "Layer").First().Descendants(Wms + "LegendURL").Single();
        Assert.Contains("REQUEST=GetLegendGraphic", legend.Element(Wms + "OnlineResource")!.Attribute(XName.Get("href", "http://www.w3.org/1999/xlink"))!.Value);
    }

    [Fact]
    public async Task MaskMapInTheGridCrsHasTheClassColourOfEveryPixel()
    {
        var image = MapImage.DecodePng(await Png($"REQUEST=GetMap&LAYERS=mask&STYLES=&FORMAT=image/png&TRANSPARENT=TRUE&{GridBox}"));
        Assert.Equal((200, 100), (image.Width, image.Height));
        var mismatches = 0;
        for (var row = 0; row < 100; row++)
            for (var col = 0; col < 200; col++)
            {
                var (mask, _) = NodeFixture.Expected(col / 100, row, col % 100);
                if (image.At(col, row) != Colour(Palette.MaskColour(mask))) mismatches++;
            }
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public async Task JpegMapIsTheMaskOnTheBackgroundColour()
    {
        async Task<(int Width, int Height, byte[] Rgba)> Jpeg(string extra)
        {
            using var response = await node.Http.GetAsync($"{node.Server.WmsUrl}?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=mask&STYLES=&FORMAT=image/jpeg&{GridBox}{extra}");
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(body));
            Assert.Equal("image/jpeg", response.Content.Headers.ContentType!.MediaType);
            return MapImage.DecodeJpeg(body);
        }
        static (byte, byte, byte) Rgb(Rgba c) => (c.R, c.G, c.B);

        // JPEG is lossy: pixels inside uniform 8 x 8 blocks are compared with a tolerance.
        var image = await Jpeg("");
        Assert.Equal((200, 100), (image.Width, image.Height));
        Assert.True(image.Near(50, 50, Rgb(Palette.MaskColour(3)), 16), $"break pixel is {image.At(50, 50)}");
        Assert.True(image.Near(150, 85, Rgb(Palette.MaskColour(1)), 16), $"monitored pixel is {image.At(150, 85)}");
        // Not monitored (transparent in a PNG) shows the background: white by default, else BGCOLOR.
        Assert.True(image.Near(20, 4, (255, 255, 255), 8), $"background pixel is {image.At(20, 4)}");
        Assert.True((await Jpeg("&BGCOLOR=0x000080")).Near(20, 4, (0, 0, 0x80), 8));
    }

    [Fact]
    public async Task DateMapRampsFromTheFirstToTheLastDetectionAndTimeFilters()
    {
        var image = MapImage.DecodePng(await Png($"REQUEST=GetMap&LAYERS=detection_date&STYLES=&FORMAT=image/png&{GridBox}"));
        int first = NodeFixture.Tile0First.DayNumber - NodeFixture.Epoch, last = NodeFixture.LastDetection.DayNumber - NodeFixture.Epoch;
        Assert.Equal(Colour(Palette.DateColour((ushort)first, first, last)), image.At(40, 50));
        Assert.Equal(Colour(Palette.RampAt(0)), image.At(40, 50));
        Assert.Equal(Colour(Palette.RampAt(1)), image.At(159, 50));
        Assert.Equal(0, image.At(70, 70).A);
        Assert.Equal(2 * 400, image.Rgba.Where((_, i) => i % 4 == 3 && image.Rgba[i] != 0).Count());

        // Only tile 1's breaks were detected from July on.
        var july = MapImage.DecodePng(await Png($"REQUEST=GetMap&LAYERS=detection_date&STYLES=&FORMAT=image/png&{GridBox}&TIME=2024-07-01/2024-12-31"));
        Assert.Equal(0, july.At(50, 50).A);
        Assert.Equal(image.At(150, 50), july.At(150, 50));
        Assert.Equal(400, july.Rgba.Where((_, i) => i % 4 == 3 && july.Rgba[i] != 0).Count());

        // The mask as of 2024-05-10: tile 0's first ten break columns are breaks, the rest and tile 1 still monitored.
        var may = MapImage.DecodePng(await Png($"REQUEST=GetMap&LAYERS=mask&STYLES=&FORMAT=image/png&{GridBox}&TIME=/2024-05-10"));
        Assert.Equal(Colour(Palette.MaskColour(3)), may.At(49, 50));
        Assert.Equal(Colour(Palette.MaskColour(1)), may.At(50, 50));
        Assert.Equal(Colour(Palette.MaskColour(1)), may.At(150, 50));
    }

    [Fact]
    public async Task Epsg4326TakesLatitudeFirstAndMatchesCrs84()
    {
        var latLon = await Png("REQUEST=GetMap&LAYERS=mask,detection_date&STYLES=&FORMAT=image/png&CRS=EPSG:4326&BBOX=51.97,9.98,52.02,10.08&WIDTH=256&HEIGHT=128");
        var lonLat = await Png("REQUEST=GetMap&LAYERS=mask,detection_date&STYLES=&FORMAT=image/png&CRS=CRS:84&BBOX=9.98,51.97,10.08,52.02&WIDTH=256&HEIGHT=128");
        Assert.Equal(lonLat, latLon);
        var image = MapImage.DecodePng(latLon);
        var monitored = Palette.MaskColour(1);
        Assert.True(image.Count((monitored.R, monitored.G, monitored.B)) > 1000);
        Assert.True(image.Count((Palette.RampAt(0).R, Palette.RampAt(0).G, Palette.RampAt(0).B), 40) > 10);
    }

    [Fact]
    public async Task WebMercatorMapShowsTheDataAndIsTransparentElsewhere()
    {
        // Around 10.03 E 51.99 N in EPSG:3857.
        var image = MapImage.DecodePng(await Png("REQUEST=GetMap&LAYERS=mask&STYLES=&FORMAT=image/png&CRS=EPSG:3857&BBOX=1110000,6790000,1120000,6800000&WIDTH=256&HEIGHT=256"));
        var brk = Palette.MaskColour(3);
        Assert.True(image.Count((brk.R, brk.G, brk.B)) > 20);
        var far = MapImage.DecodePng(await Png("REQUEST=GetMap&LAYERS=mask&STYLES=&FORMAT=image/png&CRS=EPSG:3857&BBOX=0,0,10000,10000&WIDTH=64&HEIGHT=64"));
        Assert.All(Enumerable.Range(0, 64 * 64), i => Assert.Equal(0, far.Rgba[i * 4 + 3]));
        var opaque = MapImage.DecodePng(await Png("REQUEST=GetMap&LAYERS=mask&STYLES=&FORMAT=image/png&CRS=EPSG:3857&BBOX=0,0,10000,10000&WIDTH=8&HEIGHT=8&TRANSPARENT=FALSE&BGCOLOR=0x102030"));
        Assert.Equal(((byte)0x10, (byte)0x20, (byte)0x30, (byte)255), opaque.At(3, 3));
    }

    [Fact]
    public async Task FeatureInfoReportsMaskDateAndTile()
    {
        var json = JsonNode.Parse(await node.Http.GetStringAsync(
            $"{node.Server.WmsUrl}?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=mask&QUERY_LAYERS=mask,detection_date&{GridBox}&I=145&J=52&INFO_FORMAT=application/json"))!;
        var p = json["features"]![0]!["properties"]!;
        Assert.Equal("x1_y0", (string)p["tile"]!);
        Assert.Equal(52, (int)p["row"]!);
        Assert.Equal(45, (int)p["col"]!);
        Assert.Equal(3, (int)p["mask"]!);
        Assert.Equal("Break", (string)p["mask_label"]!);
        Assert.Equal("2024-07-06", (string)p["detection_date"]!);
        var lon = (double)json["features"]![0]!["geometry"]!["coordinates"]![0]!;
        Assert.InRange(lon, 10.02, 10.06);

        var text = await node.Http.GetStringAsync(
            $"{node.Server.WmsUrl}?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=mask&QUERY_LAYERS=mask,detection_date&{GridBox}&I=5&J=15&INFO_FORMAT=text/plain");
        Assert.Contains("tile = x0_y0", text);
        Assert.Contains("mask = 2 (Unstable history)", text);
        Assert.Contains("detection_date = none", text);

        var outside = JsonNode.Parse(await node.Http.GetStringAsync(
            $"{node.Server.WmsUrl}?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=mask&QUERY_LAYERS=mask&CRS=EPSG:3857&BBOX=0,0,10000,10000&WIDTH=10&HEIGHT=10&I=1&J=1"))!;
        Assert.Empty(outside["features"]!.AsArray());
    }

    [Fact]
    public async Task LegendsAreImagesWithTheLayerColours()
    {
        var mask = MapImage.DecodePng(await Png("REQUEST=GetLegendGraphic&LAYER=mask&FORMAT=image/png"));
        foreach (var (code, _, colour) in Palette.MaskClasses.Where(c => c.Colour.A != 0))
            Assert.True(mask.Count((colour.R, colour.G, colour.B)) >= 100, $"legend lacks the swatch of class {code}");
        var dark = (byte)0x20;
        Assert.True(mask.Count((dark, dark, dark)) > 200, "legend has no label text");

        var date = MapImage.DecodePng(await Png("REQUEST=GetLegendGraphic&LAYER=detection_date&FORMAT=image/png"));
        var early = Palette.RampAt(0);
        var late = Palette.RampAt(1);
        Assert.True(date.Count((early.R, early.G, early.B)) > 5);
        Assert.True(date.Count((late.R, late.G, late.B)) > 5);

        var json = JsonNode.Parse(await node.Http.GetStringAsync($"{node.Server.WmsUrl}?SERVICE=WMS&REQUEST=GetLegendGraphic&LAYER=detection_date&FORMAT=application/json"))!;
        Assert.Equal("2024-05-01", (string)json["first"]!);
        Assert.Equal("2024-07-20", (string)json["last"]!);
    }

    [Fact]
    public async Task CapabilitiesGiveTheSizeOfEachLegendImage()
    {
        var xml = XDocument.Parse(await node.Http.GetStringAsync($"{node.Server.WmsUrl}?SERVICE=WMS&REQUEST=GetCapabilities"));
        var legends = xml.Descendants(Wms + "LegendURL").ToArray();
        Assert.Equal(4, legends.Length);
        foreach (var legend in legends)
        {
            var href = legend.Element(Wms + "OnlineResource")!.Attribute(XName.Get("href", "http://www.w3.org/1999/xlink"))!.Value;
            var image = MapImage.DecodePng(await node.Http.GetByteArrayAsync(href));
            Assert.Equal((image.Width, image.Height), (int.Parse(legend.Attribute("width")!.Value), int.Parse(legend.Attribute("height")!.Value)));
        }
    }

    // The capabilities take a legend's size from its layout without drawing it; the date legend's width follows its labels.
    [Fact]
    public void LegendSizesFromTheLayoutAreThoseOfTheDrawnImages()
    {
        var (may, december) = (new DateOnly(2024, 5, 1), new DateOnly(2025, 12, 31));
        foreach (var (size, png) in new[]
                 {
                     (LegendRenderer.MaskLegendSize(), LegendRenderer.MaskLegendPng()),
                     (LegendRenderer.DateLegendSize(null, null), LegendRenderer.DateLegendPng(null, null)),
                     (LegendRenderer.DateLegendSize(may, december), LegendRenderer.DateLegendPng(may, december)),
                     (LegendRenderer.ConfidenceLegendSize(), LegendRenderer.ConfidenceLegendPng()),
                     (LegendRenderer.MagnitudeLegendSize(), LegendRenderer.MagnitudeLegendPng()),
                 })
        {
            var image = MapImage.DecodePng(png);
            Assert.Equal((image.Width, image.Height), size);
        }
        Assert.NotEqual(LegendRenderer.DateLegendSize(null, null), LegendRenderer.DateLegendSize(may, december));
    }

    [Theory]
    [InlineData("REQUEST=GetMap&LAYERS=forest&CRS=EPSG:3857&BBOX=0,0,1,1&WIDTH=1&HEIGHT=1", "LayerNotDefined", "forest")]
    [InlineData("REQUEST=GetMap&LAYERS=mask&CRS=EPSG:999999&BBOX=0,0,1,1&WIDTH=1&HEIGHT=1", "InvalidCRS", "EPSG:999999")]
    [InlineData("REQUEST=GetMap&LAYERS=mask&CRS=EPSG:3857&BBOX=0,0,1&WIDTH=1&HEIGHT=1", "InvalidParameterValue", "BBOX")]
    [InlineData("REQUEST=GetMap&LAYERS=mask&CRS=EPSG:3857&BBOX=0,0,1,1&WIDTH=99999&HEIGHT=1", "InvalidParameterValue", "WIDTH")]
    [InlineData("REQUEST=GetMap&LAYERS=mask&CRS=EPSG:3857&BBOX=0,0,1,1&WIDTH=1&HEIGHT=1&FORMAT=image/gif", "InvalidFormat", "image/gif")]
    [InlineData("REQUEST=GetMap&LAYERS=mask&CRS=EPSG:3857&BBOX=0,0,1,1&WIDTH=1&HEIGHT=1&TIME=May", "InvalidDimensionValue", "May")]
    [InlineData("REQUEST=Describe", "OperationNotSupported", "Describe")]
    public async Task BadRequestsGetAServiceExceptionNamingTheProblem(string query, string code, string named)
    {
        using var response = await node.Http.GetAsync($"{node.Server.WmsUrl}?SERVICE=WMS&VERSION=1.3.0&{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var xml = XDocument.Parse(await response.Content.ReadAsStringAsync());
        var e = xml.Root!.Element(XName.Get("ServiceException", "http://www.opengis.net/ogc"))!;
        Assert.Equal(code, e.Attribute("code")!.Value);
        Assert.Contains(named, e.Value);
    }
}
