using NrtCluster.Geo.Gdal;
using NrtCluster.Host.Http.Rendering;

namespace NrtCluster.Host.Tests.Http;

/// <summary>GDAL's WMS driver, run as the gdalinfo and gdal_translate programs, reads the running node.</summary>
[Collection(NodeCollection.Name)]
public class GdalWmsClientTests(NodeFixture node)
{
    // GDAL asks for image/jpeg unless the connection names a format; PNG keeps the class colours exact.
    private string Connection(string extra = "") => $"WMS:{node.Server.WmsUrl}?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities&FORMAT=image/png{extra}";

    private Dictionary<string, string> Subdatasets(string extra = "")
    {
        var (code, output) = Processes.Run("gdalinfo", Connection(extra));
        Assert.True(code == 0, output);
        return output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("SUBDATASET_", StringComparison.Ordinal))
            .Select(l => l.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
    }

    [Fact]
    public void GdalinfoListsBothLayersFromTheCapabilities()
    {
        var sd = Subdatasets();
        Assert.Contains("LAYERS=mask", sd["SUBDATASET_1_NAME"]);
        Assert.Equal("Monitoring mask", sd["SUBDATASET_1_DESC"]);
        Assert.Contains("LAYERS=detection_date", sd["SUBDATASET_2_NAME"]);
        Assert.Equal("Break detection date", sd["SUBDATASET_2_DESC"]);
    }

    [Fact]
    public void GdalTranslateCopiesEveryLayerFromTheBareCapabilitiesUrl()
    {
        // No FORMAT, CRS or layer: what a user types first. GDAL lists the layers as subdatasets; -sds copies each.
        var capabilities = $"WMS:{node.Server.WmsUrl}?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities";
        var output = Path.Combine(node.Folder, $"gdal-{Guid.NewGuid():N}.tif");
        var (code, log) = Processes.Run("gdal_translate", "-q", "-sds", "-outsize", "64", "32", capabilities, output);
        Assert.True(code == 0, log);
        var stem = Path.ChangeExtension(output, null);
        // JPEG-coded on white, 62.5 m map pixels: the mask is mostly monitored green; the dates are the two 400 m break blocks.
        var monitored = Palette.MaskColour(1);
        Assert.InRange(Count(stem + "_1.tif", (r, g, b) => Math.Abs(r - monitored.R) + Math.Abs(g - monitored.G) + Math.Abs(b - monitored.B) < 40), 64 * 32 / 2, 64 * 32);
        Assert.InRange(Count(stem + "_2.tif", (r, g, b) => r + g + b < 3 * 255 - 150), 2 * 4 * 4, 2 * 8 * 8);

        static int Count(string path, Func<int, int, int, bool> match)
        {
            using var ds = RasterDataset.Open(path);
            Assert.Equal((64, 32, 3), (ds.Width, ds.Height, ds.BandCount));
            var (r, g, b) = (ds.ReadBand<byte>(1), ds.ReadBand<byte>(2), ds.ReadBand<byte>(3));
            return Enumerable.Range(0, r.Length).Count(i => match(r[i], g[i], b[i]));
        }
    }

    [Fact]
    public void GdalTranslateReadsTheMaskInTheGridCrsPixelForPixel()
    {
        var layer = Subdatasets("&CRS=EPSG:3035")["SUBDATASET_1_NAME"];
        Assert.Contains("CRS=EPSG:3035", layer);
        var output = Path.Combine(node.Folder, $"gdal-{Guid.NewGuid():N}.tif");
        var (code, log) = Processes.Run("gdal_translate", "-q", "-of", "GTiff", "-outsize", "200", "100", layer, output);
        Assert.True(code == 0, log);
        using var ds = RasterDataset.Open(output);
        var t = ds.GeoTransform;
        Assert.Equal((NodeFixture.OriginX, NodeFixture.OriginY, 20.0, -20.0), (t.X0, t.Y0, t.PixelWidth, t.PixelHeight));
        var (r, g, b) = (ds.ReadBand<byte>(1), ds.ReadBand<byte>(2), ds.ReadBand<byte>(3));
        var mismatches = 0;
        for (var row = 0; row < 100; row++)
            for (var col = 0; col < 200; col++)
            {
                var (mask, _) = NodeFixture.Expected(col / 100, row, col % 100);
                if (mask == 0) continue;
                var c = Palette.MaskColour(mask);
                var i = row * 200 + col;
                if ((r[i], g[i], b[i]) != (c.R, c.G, c.B)) mismatches++;
            }
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void GdalTranslateReadsTheDatesInLatLon()
    {
        var layer = Subdatasets("&CRS=EPSG:4326")["SUBDATASET_2_NAME"];
        var output = Path.Combine(node.Folder, $"gdal-{Guid.NewGuid():N}.tif");
        var (code, log) = Processes.Run("gdal_translate", "-q", "-of", "GTiff", "-outsize", "300", "150", layer, output);
        Assert.True(code == 0, log);
        using var ds = RasterDataset.Open(output);
        Assert.InRange(ds.GeoTransform.X0, 9.99, 10.0);
        Assert.InRange(ds.GeoTransform.Y0, 52.0, 52.01);
        var (r, g, b) = (ds.ReadBand<byte>(1), ds.ReadBand<byte>(2), ds.ReadBand<byte>(3));
        int early = 0, late = 0;
        var (e, l) = (Palette.RampAt(0), Palette.RampAt(1));
        for (var i = 0; i < r.Length; i++)
        {
            if ((r[i], g[i], b[i]) == (e.R, e.G, e.B)) early++;
            if ((r[i], g[i], b[i]) == (l.R, l.G, l.B)) late++;
        }
        // The first day's break column in tile 0 and the last day's in tile 1 are a few map pixels each.
        Assert.InRange(early, 5, 200);
        Assert.InRange(late, 5, 200);
    }
}
