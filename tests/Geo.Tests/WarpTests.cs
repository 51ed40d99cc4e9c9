using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Tiles;

namespace NrtCluster.Geo.Tests;

public class WarpTests
{
    [Theory]
    [InlineData(32632, Resampling.Cubic)]
    [InlineData(32633, Resampling.Cubic)]
    [InlineData(32632, Resampling.Bilinear)]
    public void A_pattern_placed_in_utm_lands_within_half_a_pixel_of_its_place_on_the_laea_tile(int utmEpsg, Resampling resampling)
    {
        using var tmp = new TempFolder();
        var tile = Scenes.Tile;
        var utmBox = Scenes.UtmBoxCovering(tile, utmEpsg);

        // The pattern: a Gaussian blob centred on a point that is not on any pixel grid: 1313.3 m east and
        // 1717.7 m south of the tile's upper-left corner.
        var (px, py) = (tile.Bounds.MinX + 1313.3, tile.Bounds.MaxY - 1717.7);
        using var laea = SpatialReference.FromUserInput(tile.Crs);
        using var utm = SpatialReference.FromEpsg(utmEpsg);
        using var toUtm = new CoordinateTransformation(laea, utm);
        var (ux, uy) = toUtm.Transform(px, py);
        const double sigma = 60;
        var path = Scenes.WriteUInt16(tmp.File("blob.tif"), utmBox, (x, y) =>
            (ushort)Math.Round(1000 + 5000 * Math.Exp(-((x - ux) * (x - ux) + (y - uy) * (y - uy)) / (2 * sigma * sigma))));

        var warped = Warp.Band<float>(path, tile, new WarpOptions(resampling, RasterDataType.Float32, 0, double.NaN));

        double sw = 0, sc = 0, sr = 0;
        for (var r = 0; r < tile.Height; r++)
            for (var c = 0; c < tile.Width; c++)
            {
                var w = warped[r * tile.Width + c] - 1000.0;
                Assert.False(double.IsNaN(w), $"pixel ({c},{r}) of the tile is not covered");
                if (w <= 1) continue;
                sw += w; sc += w * (c + 0.5); sr += w * (r + 0.5);
            }
        var (expectedCol, expectedRow) = tile.Transform.Invert(px, py);
        Assert.InRange(sc / sw - expectedCol, -0.5, 0.5);
        Assert.InRange(sr / sw - expectedRow, -0.5, 0.5);
        // The peak is preserved (cubic/bilinear of a smooth blob) to within a few per cent.
        Assert.InRange(warped.Max(), 5600, 6000);
    }

    [Theory]
    [InlineData(false, Resampling.Cubic)]
    [InlineData(true, Resampling.Cubic)]
    [InlineData(false, Resampling.Bilinear)]
    [InlineData(true, Resampling.Nearest)]
    public void Warping_only_the_covered_window_equals_gdals_masked_warp_of_the_whole_file(bool withNoDataHole, Resampling resampling)
    {
        using var tmp = new TempFolder();
        var tile = Scenes.Tile;
        // A granule covering the west 60% of the tile, with pseudo-random DNs and optionally a nodata hole in the tile.
        var utmBox = Scenes.UtmBoxCovering(tile, 32633, 0, 0.6, margin: 0);
        var (hx, hy) = utmBox.PixelCentre(utmBox.Width / 2, utmBox.Height / 2);
        var path = Scenes.WriteUInt16(tmp.File("g.tif"), utmBox, (x, y) =>
            withNoDataHole && Math.Abs(x - hx) < 300 && Math.Abs(y - hy) < 200 ? (ushort)0 : (ushort)(1000 + (uint)HashCode.Combine(x, y) % 3000));
        // Exact transforms: GDAL's default approximation (0.125 px) is interpolated over the rows of each warp, so two
        // warps over different windows may place pixels up to 0.125 px apart.
        var options = new WarpOptions(resampling, RasterDataType.Float32, 0, double.NaN) { ExtraArguments = ["-et", "0"] };

        var whole = Warp.Band<float>(path, tile, options);
        var covered = Warp.BandWhereCovered(path, tile, options, float.NaN)!;

        var nan = 0;
        for (var i = 0; i < whole.Length; i++)
        {
            if (float.IsNaN(whole[i]) != float.IsNaN(covered[i]))
                Assert.Fail($"pixel ({i % tile.Width},{i / tile.Width}): whole file {whole[i]}, covered window {covered[i]}");
            if (float.IsNaN(whole[i])) nan++;
            else Assert.Equal(whole[i], covered[i], 0.005f);
        }
        Assert.InRange(nan, tile.PixelCount / 4, tile.PixelCount / 2); // the east part, and the hole
        Assert.Null(Warp.BandWhereCovered(path, tile with { Transform = tile.Transform with { X0 = tile.Transform.X0 + 100000 } }, options, float.NaN));
    }

    [Fact]
    public void Bands_on_one_grid_warped_together_equal_each_warped_alone_each_with_its_own_nodata()
    {
        using var tmp = new TempFolder();
        var tile = Scenes.Tile;
        var utmBox = Scenes.UtmBoxCovering(tile, 32632, 0.2, 1, margin: 0);
        var (hx, hy) = utmBox.PixelCentre(utmBox.Width / 2, utmBox.Height / 2);
        // Band a has a nodata hole in the tile, band b has none.
        var a = Scenes.WriteUInt16(tmp.File("a.tif"), utmBox, (x, y) =>
            Math.Abs(x - hx) < 300 && Math.Abs(y - hy) < 200 ? (ushort)0 : (ushort)(1000 + (uint)HashCode.Combine(x, y) % 3000));
        var b = Scenes.WriteUInt16(tmp.File("b.tif"), utmBox, (x, y) => (ushort)(2000 + (uint)HashCode.Combine(y, x) % 3000));
        var options = new WarpOptions(Resampling.Cubic, RasterDataType.Float32, 0, double.NaN) { ExtraArguments = ["-et", "0"] };

        var together = Warp.BandsWhereCovered([a, b], tile, options, float.NaN);
        var aAlone = Warp.BandWhereCovered(a, tile, options, float.NaN)!;
        var bAlone = Warp.BandWhereCovered(b, tile, options, float.NaN)!;

        for (var i = 0; i < aAlone.Length; i++)
        {
            if (!aAlone[i].Equals(together[0]![i])) Assert.Fail($"band a pixel ({i % tile.Width},{i / tile.Width}): alone {aAlone[i]}, together {together[0]![i]}");
            if (!bAlone[i].Equals(together[1]![i])) Assert.Fail($"band b pixel ({i % tile.Width},{i / tile.Width}): alone {bAlone[i]}, together {together[1]![i]}");
        }
        Assert.True(together[0]!.Count(float.IsNaN) > together[1]!.Count(float.IsNaN) + 100, "the hole of band a is nodata in band a only");
    }

    [Fact]
    public void A_class_block_warped_with_nearest_keeps_its_classes_and_lands_within_half_a_pixel()
    {
        using var tmp = new TempFolder();
        var tile = Scenes.Tile;
        var utmBox = Scenes.UtmBoxCovering(tile, 32633);
        // A 400 m square of class 8 centred 2 km east, 1 km south of the tile's corner; class 4 elsewhere.
        var (px, py) = (tile.Bounds.MinX + 2000, tile.Bounds.MaxY - 1000);
        using var laea = SpatialReference.FromUserInput(tile.Crs);
        using var utm = SpatialReference.FromEpsg(32633);
        using var toUtm = new CoordinateTransformation(laea, utm);
        var (ux, uy) = toUtm.Transform(px, py);
        var path = tmp.File("scl.tif");
        GeoTiffWriter.Write(path, utmBox, [("SCL", Scenes.Fill(utmBox, (x, y) => (byte)(Math.Abs(x - ux) < 200 && Math.Abs(y - uy) < 200 ? 8 : 4)))],
            RasterDataType.Byte, 0, cog: true);

        var scl = Warp.Band<byte>(path, tile, new WarpOptions(Resampling.Nearest, RasterDataType.Byte, 0, 0));

        Assert.All(scl, v => Assert.True(v is 4 or 8, $"class {v} is not in the source"));
        double n = 0, sc = 0, sr = 0;
        for (var r = 0; r < tile.Height; r++)
            for (var c = 0; c < tile.Width; c++)
                if (scl[r * tile.Width + c] == 8) { n++; sc += c + 0.5; sr += r + 0.5; }
        Assert.InRange(n, 380, 420); // 400 pixels of 20 m in a 400 m square
        var (expectedCol, expectedRow) = tile.Transform.Invert(px, py);
        Assert.InRange(sc / n - expectedCol, -0.5, 0.5);
        Assert.InRange(sr / n - expectedRow, -0.5, 0.5);
    }

    [Theory]
    // Tree-cover density in percent: forest above the threshold, 30 when none is set.
    [InlineData(80, 10, 30.0)]
    [InlineData(80, 10, null)]
    // A 0/1 mask needs no threshold: forest where 1, with or without nodata (255) around.
    [InlineData(1, 0, null)]
    [InlineData(1, 255, null)]
    public void A_forest_mask_is_read_from_any_raster_with_nearest_and_a_threshold_or_as_a_0_1_mask(byte west, byte east, double? threshold)
    {
        using var tmp = new TempFolder();
        var tile = Scenes.Tile;
        // In UTM 32N at 10 m: 'west' west of the tile's middle, 'east' east of it; 255 is nodata.
        var utm20 = Scenes.UtmBoxCovering(tile, 32632);
        var utm10 = GeoBox.NorthUp(utm20.Crs, utm20.Transform.X0, utm20.Transform.Y0, 10, utm20.Width * 2, utm20.Height * 2);
        using var laea = SpatialReference.FromUserInput(tile.Crs);
        using var utm = SpatialReference.FromEpsg(32632);
        using var toLaea = new CoordinateTransformation(utm, laea);
        var middle = tile.Bounds.MinX + tile.Bounds.Width / 2;
        var pixels = Scenes.Fill(utm10, (x, y) => toLaea.Transform(x, y).X < middle ? west : east);
        GeoTiffWriter.Write(tmp.File("forest.tif"), utm10, [("forest", pixels)], RasterDataType.Byte, 255, cog: false);

        var mask = TileRasters.ReadForestMask(tmp.File("forest.tif"), tile, threshold);

        Assert.Equal(tile.PixelCount, mask.Length);
        for (var r = 0; r < tile.Height; r += 17)
        {
            Assert.Equal(1, mask[r * tile.Width + 98]);
            Assert.Equal(0, mask[r * tile.Width + 101]);
        }
        Assert.Equal(100 * 200, mask.Count(v => v == 1));
        Assert.Equal(west == 1 ? 0 : TileRasters.TreeCoverThreshold, TileRasters.DefaultForestThreshold(tmp.File("forest.tif")));
    }

    [Fact]
    public void A_tile_report_is_written_as_uint16_layers_with_descriptions_and_nodata()
    {
        using var tmp = new TempFolder();
        var tile = Scenes.Tile;
        var day = Enumerable.Range(0, tile.PixelCount).Select(i => (ushort)(i % 400)).ToArray();
        var flags = Enumerable.Range(0, tile.PixelCount).Select(i => (ushort)(i % 3)).ToArray();
        TileRasters.WriteReport(tmp.File("report.tif"), tile, [("alert_day", day), ("flags", flags)], nodata: 65535);

        using var ds = RasterDataset.Open(tmp.File("report.tif"));
        Assert.Equal(["alert_day", "flags"], [ds.Description(1), ds.Description(2)]);
        Assert.Equal(65535, ds.NoData(2));
        Assert.Equal(day, ds.ReadBand<ushort>(1));
        Assert.Equal(flags, ds.ReadBand<ushort>(2));
    }

    [Fact]
    public void Warping_a_raster_that_is_not_a_raster_names_it_and_carries_gdals_message()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("broken.tif"), "this is not a TIFF");
        var e = Assert.Throws<GdalException>(() =>
            Warp.Band<float>(tmp.File("broken.tif"), Scenes.Tile, new WarpOptions(Resampling.Cubic, RasterDataType.Float32, 0, double.NaN)));
        Assert.Contains("broken.tif", e.Message);
        Assert.Contains("not recognized as", e.Message);
    }
}
