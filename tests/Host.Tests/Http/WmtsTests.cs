using System.Globalization;
using System.Xml.Linq;
using NrtCluster.Geo.Gdal;
using NrtCluster.Host.Http.Wms;

namespace NrtCluster.Host.Tests.Http;

/// <summary>The WMTS capabilities of the tiles, read as XML and by GDAL's WMTS driver (gdalinfo, gdal_translate as real processes).</summary>
[Collection(NodeCollection.Name)]
public class WmtsTests(NodeFixture node)
{
    private static readonly XNamespace Wmts = "http://www.opengis.net/wmts/1.0";
    private static readonly XNamespace Ows = "http://www.opengis.net/ows/1.1";
    private const double HalfWorld = 20037508.342789244;

    private string RestCapabilities => $"{node.Server.BaseUrl}/wmts/1.0.0/WMTSCapabilities.xml";
    private string KvpCapabilities => $"{node.Server.BaseUrl}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities";

    [Fact]
    public async Task TheCapabilitiesListEveryLayerWithItsExtentTemplateAndTimeAndTheGoogleMapsMatrixSet()
    {
        var rest = await node.Http.GetStringAsync(RestCapabilities);
        Assert.Equal(rest, await node.Http.GetStringAsync(KvpCapabilities));
        var xml = XDocument.Parse(rest);
        Assert.Equal("1.0.0", xml.Root!.Attribute("version")!.Value);
        var contents = xml.Root.Element(Wmts + "Contents")!;
        var layers = contents.Elements(Wmts + "Layer").ToList();
        Assert.Equal(WmsLayers.All.Select(l => l.Name), layers.Select(l => l.Element(Ows + "Identifier")!.Value));
        foreach (var layer in layers)
        {
            var name = layer.Element(Ows + "Identifier")!.Value;
            Assert.Equal($"{node.Server.BaseUrl}/tiles/{name}/{{TileMatrix}}/{{TileCol}}/{{TileRow}}.png?time={{Time}}",
                layer.Element(Wmts + "ResourceURL")!.Attribute("template")!.Value);
            Assert.Equal("image/png", layer.Element(Wmts + "Format")!.Value);
            var dimension = layer.Element(Wmts + "Dimension")!;
            Assert.Equal(("Time", "2024-05-01/2024-07-20"), (dimension.Element(Ows + "Identifier")!.Value, dimension.Element(Wmts + "Default")!.Value));
            var box = layer.Element(Ows + "WGS84BoundingBox")!;
            var lower = box.Element(Ows + "LowerCorner")!.Value.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            var upper = box.Element(Ows + "UpperCorner")!.Value.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            Assert.InRange(lower[0], 9.99, 10.0);
            Assert.InRange(lower[1], 51.98, 52.0);
            Assert.InRange(upper[0], 10.05, 10.07);
            Assert.InRange(upper[1], 52.0, 52.01);
            Assert.Equal("GoogleMapsCompatible", layer.Element(Wmts + "TileMatrixSetLink")!.Element(Wmts + "TileMatrixSet")!.Value);
        }
        var set = contents.Element(Wmts + "TileMatrixSet")!;
        Assert.Equal("urn:ogc:def:crs:EPSG::3857", set.Element(Ows + "SupportedCRS")!.Value);
        var matrices = set.Elements(Wmts + "TileMatrix").ToList();
        Assert.Equal(Enumerable.Range(0, 19).Select(z => z.ToString(CultureInfo.InvariantCulture)), matrices.Select(m => m.Element(Ows + "Identifier")!.Value));
        // The well-known scale set's first denominator and corner (OGC WMTS 1.0.0, annex E.4).
        Assert.Equal(559082264.0287178, double.Parse(matrices[0].Element(Wmts + "ScaleDenominator")!.Value, CultureInfo.InvariantCulture), 1e-6);
        Assert.Equal("-20037508.342789244 20037508.342789244", matrices[0].Element(Wmts + "TopLeftCorner")!.Value);
        Assert.Equal("262144", matrices[18].Element(Wmts + "MatrixWidth")!.Value);
    }

    [Fact]
    public void GdalinfoListsEveryLayerAsASubdataset()
    {
        foreach (var url in new[] { KvpCapabilities, RestCapabilities })
        {
            var (code, output) = Processes.Run("gdalinfo", $"WMTS:{url}");
            Assert.True(code == 0, output);
            var subdatasets = output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("SUBDATASET_", StringComparison.Ordinal))
                .Select(l => l.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
            for (var i = 0; i < WmsLayers.All.Count; i++)
            {
                Assert.Equal($"WMTS:{url},layer={WmsLayers.All[i].Name}", subdatasets[$"SUBDATASET_{i + 1}_NAME"]);
                Assert.Equal($"Layer {WmsLayers.All[i].Title}", subdatasets[$"SUBDATASET_{i + 1}_DESC"]);
            }
        }
    }

    [Theory]
    [InlineData("mask", 14)]
    [InlineData("detection_date", 15)]
    public async Task GdalTranslateOfALayerAtAZoomHasThePixelsOfTheTiles(string layer, int z)
    {
        var output = Path.Combine(node.Folder, $"wmts-{Guid.NewGuid():N}.tif");
        var (code, log) = Processes.Run("gdal_translate", "-q", $"WMTS:{RestCapabilities},layer={layer},zoom_level={z}", output);
        Assert.True(code == 0, log);
        using var ds = RasterDataset.Open(output);
        var t = ds.GeoTransform;
        var resolution = 2 * HalfWorld / 256 / (1 << z);
        Assert.Equal(resolution, t.PixelWidth, 1e-9);
        Assert.Equal(-resolution, t.PixelHeight, 1e-9);
        Assert.Equal(4, ds.BandCount);
        // The data's extent, in the zoom's pixels from the world's upper-left corner.
        var (col0, row0) = ((int)Math.Round((t.X0 + HalfWorld) / resolution), (int)Math.Round((HalfWorld - t.Y0) / resolution));
        Assert.InRange(ds.Width, 100, 2000);
        var bands = Enumerable.Range(1, 4).Select(b => ds.ReadBand<byte>(b)).ToArray();

        var tiles = new Dictionary<(int, int), (int Width, int Height, byte[] Rgba)>();
        var mismatches = 0;
        var opaque = 0;
        for (var row = 0; row < ds.Height; row++)
            for (var col = 0; col < ds.Width; col++)
            {
                var (gx, gy) = (col0 + col, row0 + row);
                var key = (gx / 256, gy / 256);
                if (!tiles.TryGetValue(key, out var tile))
                    tiles[key] = tile = MapImage.DecodePng(await node.Http.GetByteArrayAsync($"{node.Server.BaseUrl}/tiles/{layer}/{z}/{key.Item1}/{key.Item2}.png"));
                var expected = tile.At(gx % 256, gy % 256);
                var i = row * ds.Width + col;
                if ((bands[0][i], bands[1][i], bands[2][i], bands[3][i]) != expected) mismatches++;
                if (bands[3][i] != 0) opaque++;
            }
        Assert.Equal(0, mismatches);
        Assert.True(opaque > 1000, $"only {opaque} drawn pixels in GDAL's copy of {layer}");
    }
}
