using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Geo.Tests;

public class GeoTiffWriterTests
{
    private static readonly GeoBox Box = GeoBox.NorthUp("EPSG:32632", 500000, 5800000, 20, 300, 200);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Uint16_bands_round_trip_with_crs_transform_descriptions_and_nodata(bool cog)
    {
        using var tmp = new TempFolder();
        var path = tmp.File("out.tif");
        var b1 = new ushort[Box.PixelCount];
        var b2 = new ushort[Box.PixelCount];
        for (var i = 0; i < b1.Length; i++) { b1[i] = (ushort)(i % 65536); b2[i] = (ushort)(i % 7); }

        GeoTiffWriter.Write(path, Box, [("B04", b1), ("SCL", b2)], RasterDataType.UInt16, nodata: 0, cog);

        using var ds = RasterDataset.Open(path);
        Assert.Equal((300, 200, 2), (ds.Width, ds.Height, ds.BandCount));
        Assert.Equal(Box.Transform, ds.GeoTransform);
        using (var srs = SpatialReference.FromUserInput(ds.ProjectionWkt)) Assert.Equal(32632, srs.EpsgCode);
        Assert.Equal(RasterDataType.UInt16, ds.DataType(1));
        Assert.Equal(["B04", "SCL"], [ds.Description(1), ds.Description(2)]);
        Assert.Equal(0, ds.NoData(1));
        Assert.Equal(b1, ds.ReadBand<ushort>(1));
        Assert.Equal(b2, ds.ReadBand<ushort>(2));
        // The file appeared by rename: no temporary left behind.
        Assert.Equal(["out.tif"], Directory.GetFiles(tmp.Path).Select(Path.GetFileName));
    }

    /// <summary>
    /// A report's class codes stay codes in its COG overviews (read by a map zoomed out): the nearest pixel, where the
    /// driver's default would blend a checkerboard of codes 1 and 3 into 2, a code no pixel holds.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Class_bands_get_nearest_pixel_overviews(bool classes)
    {
        using var tmp = new TempFolder();
        // Larger than one 512 px block, so the COG has an overview at half resolution.
        var box = GeoBox.NorthUp("EPSG:32632", 500000, 5800000, 20, 1024, 1024);
        var codes = new ushort[box.PixelCount];
        for (var i = 0; i < codes.Length; i++) codes[i] = (ushort)(((i % 1024) + (i / 1024)) % 2 == 0 ? 1 : 3);
        GeoTiffWriter.Write(tmp.File("report.tif"), box, [("mask", codes)], RasterDataType.UInt16, nodata: null, cog: true, classes);

        // Warping to the overview's resolution reads the overview.
        var half = GeoBox.NorthUp("EPSG:32632", 500000, 5800000, 40, 512, 512);
        var seen = Warp.Band<ushort>(tmp.File("report.tif"), half, new WarpOptions(Resampling.Nearest, RasterDataType.UInt16, null, null)).Distinct().Order();
        if (classes) Assert.Subset(new HashSet<ushort> { 1, 3 }, seen.ToHashSet());
        else Assert.Contains(seen, v => v is not 1 and not 3);
    }

    [Fact]
    public void Float32_and_byte_and_int16_are_written_with_gdal_converting_the_buffer()
    {
        using var tmp = new TempFolder();
        var floats = Enumerable.Range(0, Box.PixelCount).Select(i => i * 0.5f).ToArray();
        GeoTiffWriter.Write(tmp.File("f.tif"), Box, [("ndvi", floats)], RasterDataType.Float32, double.NaN, cog: true);
        var bytes = Enumerable.Range(0, Box.PixelCount).Select(i => (byte)(i % 251)).ToArray();
        GeoTiffWriter.Write(tmp.File("b.tif"), Box, [("mask", bytes)], RasterDataType.Byte, null, cog: false);
        var shorts = Enumerable.Range(0, Box.PixelCount).Select(i => (short)(i % 3000 - 1500)).ToArray();
        GeoTiffWriter.Write(tmp.File("s.tif"), Box, [("delta", shorts)], RasterDataType.Int16, -32768, cog: true);

        using (var f = RasterDataset.Open(tmp.File("f.tif")))
        {
            Assert.Equal(floats, f.ReadBand<float>(1));
            Assert.True(double.IsNaN(f.NoData(1)!.Value));
        }
        using (var b = RasterDataset.Open(tmp.File("b.tif")))
        {
            Assert.Equal(bytes, b.ReadBand<byte>(1));
            Assert.Null(b.NoData(1));
        }
        using var s = RasterDataset.Open(tmp.File("s.tif"));
        Assert.Equal(RasterDataType.Int16, s.DataType(1));
        Assert.Equal(shorts, s.ReadBand<short>(1));
    }

    [Fact]
    public void Rewriting_replaces_the_file_and_a_window_reads_the_right_pixels()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("r.tif");
        GeoTiffWriter.Write(path, Box, [("a", new ushort[Box.PixelCount])], RasterDataType.UInt16, 0, cog: true);
        var values = Enumerable.Range(0, Box.PixelCount).Select(i => (ushort)i).ToArray();
        GeoTiffWriter.Write(path, Box, [("a", values)], RasterDataType.UInt16, 0, cog: true);

        using var ds = RasterDataset.Open(path);
        var window = ds.Read<ushort>(1, new PixelWindow(10, 20, 3, 2));
        Assert.Equal([(ushort)(20 * 300 + 10), (ushort)(20 * 300 + 11), (ushort)(20 * 300 + 12),
            (ushort)(21 * 300 + 10), (ushort)(21 * 300 + 11), (ushort)(21 * 300 + 12)], window);
    }

    [Fact]
    public void A_band_of_the_wrong_size_is_refused_naming_the_band()
    {
        using var tmp = new TempFolder();
        var e = Assert.Throws<ArgumentException>(() =>
            GeoTiffWriter.Write(tmp.File("x.tif"), Box, [("nir", new ushort[10])], RasterDataType.UInt16, 0, cog: true));
        Assert.Contains("nir", e.Message);
        Assert.Empty(Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void A_missing_file_gives_gdals_message_and_the_path()
    {
        var e = Assert.Throws<GdalException>(() => RasterDataset.Open("/nonexistent/nowhere.tif"));
        Assert.Equal("/nonexistent/nowhere.tif", e.Path);
        Assert.Contains("/nonexistent/nowhere.tif", e.Message);
        Assert.Contains("No such file", e.Message);
    }

    [Fact]
    public void Vrt_mosaic_of_two_adjacent_rasters_covers_both_and_is_written_atomically()
    {
        using var tmp = new TempFolder();
        var left = GeoBox.NorthUp("EPSG:3035", 4000000, 3000000, 20, 100, 50);
        var right = GeoBox.NorthUp("EPSG:3035", 4002000, 3000000, 20, 100, 50);
        GeoTiffWriter.Write(tmp.File("l.tif"), left, [("v", Enumerable.Repeat((ushort)1, 5000).ToArray())], RasterDataType.UInt16, 0, true);
        GeoTiffWriter.Write(tmp.File("r.tif"), right, [("v", Enumerable.Repeat((ushort)2, 5000).ToArray())], RasterDataType.UInt16, 0, true);

        VrtMosaic.Build(tmp.File("all.vrt"), [tmp.File("l.tif"), tmp.File("r.tif")], nodata: 0);

        using var vrt = RasterDataset.Open(tmp.File("all.vrt"));
        Assert.Equal((200, 50), (vrt.Width, vrt.Height));
        Assert.Equal(GeoTransform.NorthUp(4000000, 3000000, 20), vrt.GeoTransform);
        var row = vrt.Read<ushort>(1, new PixelWindow(0, 10, 200, 1));
        Assert.All(row[..100], v => Assert.Equal(1, v));
        Assert.All(row[100..], v => Assert.Equal(2, v));
        Assert.Equal(["all.vrt", "l.tif", "r.tif"], Directory.GetFiles(tmp.Path).Select(Path.GetFileName).Order());
    }
}
