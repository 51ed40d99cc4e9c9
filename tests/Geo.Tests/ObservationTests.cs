using System.Text.Json.Nodes;
using NrtCluster.Geo.Sentinel2;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Geo.Tests;

public class ObservationTests
{
    private static readonly NrtCluster.Geo.Gdal.GeoBox Tile = Scenes.Tile;

    /// <summary>A STAC item as Earth Search publishes it, with asset hrefs pointing at local COGs.</summary>
    private static StacItem EarthSearchItem(string id, string datetime, IReadOnlyDictionary<LogicalBand, string> paths,
        JsonObject? extraProperties = null, JsonObject? reflectanceAssetFields = null)
    {
        var keys = new Dictionary<LogicalBand, string>
        {
            [LogicalBand.Red] = "red", [LogicalBand.Nir] = "nir08", [LogicalBand.Green] = "green",
            [LogicalBand.Swir1] = "swir16", [LogicalBand.Swir2] = "swir22", [LogicalBand.Scl] = "scl",
        };
        var assets = new JsonObject();
        foreach (var (band, path) in paths)
        {
            var asset = new JsonObject { ["href"] = path, ["type"] = "image/tiff; application=geotiff; profile=cloud-optimized" };
            if (band != LogicalBand.Scl && reflectanceAssetFields is not null)
                foreach (var (k, v) in reflectanceAssetFields) asset[k] = v?.DeepClone();
            assets[keys[band]] = asset;
        }
        var properties = new JsonObject { ["datetime"] = datetime };
        if (extraProperties is not null)
            foreach (var (k, v) in extraProperties) properties[k] = v?.DeepClone();
        var item = new JsonObject
        {
            ["type"] = "Feature", ["stac_version"] = "1.0.0", ["id"] = id,
            ["bbox"] = new JsonArray(9.9, 51.9, 10.1, 52.1), ["geometry"] = null,
            ["properties"] = properties, ["assets"] = assets, ["links"] = new JsonArray(),
        };
        var location = Path.Combine(Path.GetDirectoryName(paths[LogicalBand.Red])!, id + ".json");
        return StacJson.ParseItem(StacJson.ParseDocument(item.ToJsonString(), location), location);
    }

    private static TileObservation LoadThroughProfile(IEnumerable<StacItem> items, ObservationOptions options)
    {
        var observations = SolarDays.Group(items);
        var observation = Assert.Single(observations);
        var input = ObservationInput.ResolveAsync(ProviderProfiles.EarthSearch(), observation, options).GetAwaiter().GetResult();
        return ObservationLoader.Load(Tile, input, options);
    }

    private static readonly ObservationOptions WithScreeningBands = new() { IncludeScreeningBands = true };

    public static TheoryData<string, string?, string?, double> OffsetCases => new()
    {
        // datetime, item properties, reflectance asset fields, expected green reflectance of DN 1500
        { "2021-06-01T10:30:00Z", null, null, 0.15 },                                        // before baseline 04.00: no offset
        { "2022-06-01T10:30:00Z", null, null, 0.05 },                                        // after 2022-01-25: -1000 DN
        { "2022-01-24T10:30:00Z", null, null, 0.15 },                                        // the day before
        { "2022-01-25T10:30:00Z", null, null, 0.05 },                                        // the first day
        { "2022-06-01T10:30:00Z", """{"s2:processing_baseline":"03.01"}""", null, 0.15 },    // the baseline beats the date
        { "2021-06-01T10:30:00Z", """{"s2:processing_baseline":"04.00"}""", null, 0.05 },    // reprocessed archive
        // Earth Search removed the offset already: not twice, even though it also publishes raster:offset
        { "2022-06-01T10:30:00Z", """{"earthsearch:boa_offset_applied":true}""",
            """{"raster:bands":[{"nodata":0,"scale":0.0001,"offset":-0.1}]}""", 0.15 },
        // raster:scale/raster:offset where published (CDSE STAC v1)
        { "2022-06-01T10:30:00Z", null, """{"raster:scale":0.0001,"raster:offset":-0.1}""", 0.05 },
    };

    [Theory]
    [MemberData(nameof(OffsetCases))]
    public void The_offset_is_applied_from_baseline_04_00_only_and_never_twice(string datetime, string? properties, string? assetFields, double expectedGreen)
    {
        using var tmp = new TempFolder();
        var paths = Scenes.WriteGranule(tmp.Path, "g", Scenes.UtmBoxCovering(Tile, 32632), red: 2000, nir: 4000, green: 1500);
        var item = EarthSearchItem("S2B_32UNC_TEST_L2A", datetime, paths,
            properties is null ? null : JsonNode.Parse(properties)!.AsObject(),
            assetFields is null ? null : JsonNode.Parse(assetFields)!.AsObject());

        var obs = LoadThroughProfile([item], WithScreeningBands);

        Assert.All(obs.Green!, g => Assert.Equal(expectedGreen, g, 1e-6));
        var offset = expectedGreen - 0.15;
        var (red, nir) = (0.2 + offset, 0.4 + offset);
        Assert.All(obs.Index, v => Assert.Equal((nir - red) / (nir + red), v, 1e-5));
        Assert.All(obs.Swir!, s => Assert.Equal(0.25 + offset, s, 1e-6));
    }

    [Fact]
    public void Two_granules_of_one_solar_day_in_different_utm_zones_mosaic_first_valid_into_one_observation()
    {
        using var tmp = new TempFolder();
        // West granule in zone 32 covers the west 60% of the tile, east granule in zone 33 the east 60%.
        var west = Scenes.WriteGranule(tmp.File("w"), "w", Scenes.UtmBoxCovering(Tile, 32632, 0, 0.6, margin: 0), red: 2000, nir: 5000);
        var east = Scenes.WriteGranule(tmp.File("e"), "e", Scenes.UtmBoxCovering(Tile, 32633, 0.4, 1, margin: 0), red: 3000, nir: 5000);
        // 10:30:01 and 10:30:20 UTC: the same solar day; the earlier granule comes first and wins the overlap.
        var items = new[]
        {
            EarthSearchItem("east", "2023-07-01T10:30:20Z", east, JsonNode.Parse("""{"s2:processing_baseline":"05.09"}""")!.AsObject()),
            EarthSearchItem("west", "2023-07-01T10:30:01Z", west, JsonNode.Parse("""{"s2:processing_baseline":"05.09"}""")!.AsObject()),
        };

        var obs = LoadThroughProfile(items, new ObservationOptions());

        var ndviWest = (0.4 - 0.1) / (0.4 + 0.1);
        var ndviEast = (0.4 - 0.2) / (0.4 + 0.2);
        Assert.Equal(new DateOnly(2023, 7, 1), obs.SolarDay);
        Assert.Equal(Tile.PixelCount, obs.ValidPixelCount);
        for (var r = 0; r < Tile.Height; r += 11)
        {
            Assert.Equal(ndviWest, obs.Index[r * Tile.Width + 10], 1e-5);   // west only
            Assert.Equal(ndviWest, obs.Index[r * Tile.Width + 100], 1e-5);  // overlap: first valid (west)
            Assert.Equal(ndviEast, obs.Index[r * Tile.Width + 190], 1e-5);  // east only
        }
    }

    [Fact]
    public void Scl_classes_outside_the_kept_set_and_dn_0_become_nan_and_so_does_the_kernels_reach_around_them()
    {
        using var tmp = new TempFolder();
        var utm = Scenes.UtmBoxCovering(Tile, 32632);
        var middle = Tile.Bounds.MinX + Tile.Bounds.Width / 2;
        using var laea = Gdal.SpatialReference.FromUserInput(Tile.Crs);
        using var utmSrs = Gdal.SpatialReference.FromEpsg(32632);
        using var toLaea = new Gdal.CoordinateTransformation(utmSrs, laea);
        // Vegetation (4) in the west half (tile columns 0-99), cloud high probability (9) in the east half.
        var paths = Scenes.WriteGranule(tmp.Path, "g", utm, red: 2000, nir: 4000,
            scl: (x, y) => (byte)(toLaea.Transform(x, y).X < middle ? 4 : 9));
        var source = Scenes.Item("g", paths);

        var input = new ObservationInput(new DateOnly(2023, 5, 5), new DateTimeOffset(2023, 5, 5, 10, 30, 0, TimeSpan.Zero), [source.Build()]);
        var obs = ObservationLoader.Load(Tile, input);
        var unbuffered = ObservationLoader.Load(Tile, input, new ObservationOptions { ScreeningBuffer = 0 });
        var bilinear = ObservationLoader.Load(Tile, input, new ObservationOptions { ReflectanceResampling = Gdal.Resampling.Bilinear });
        var cloudKept = ObservationLoader.Load(Tile, input, new ObservationOptions { ValidSclClasses = new HashSet<byte> { 4, 9 } });

        var ndvi = (0.3 - 0.1) / (0.3 + 0.1);
        for (var r = 0; r < Tile.Height; r += 13)
        {
            Assert.Equal(ndvi, unbuffered.Index[r * Tile.Width + 99], 1e-5);
            Assert.True(float.IsNaN(unbuffered.Index[r * Tile.Width + 100]));
            // Cubic (the default) draws on source pixels up to 2 away (20 m pixels on a 20 m tile), bilinear up to 1.
            Assert.Equal(ndvi, obs.Index[r * Tile.Width + 97], 1e-5);
            Assert.True(float.IsNaN(obs.Index[r * Tile.Width + 98]));
            Assert.Equal(ndvi, bilinear.Index[r * Tile.Width + 98], 1e-5);
            Assert.True(float.IsNaN(bilinear.Index[r * Tile.Width + 99]));
            Assert.Equal(ndvi, cloudKept.Index[r * Tile.Width + 101], 1e-5);
        }
        Assert.Equal(Tile.PixelCount / 2, unbuffered.ValidPixelCount);
        Assert.Equal(Tile.PixelCount / 2 - 2 * Tile.Height, obs.ValidPixelCount);
        Assert.Equal(Tile.PixelCount / 2 - Tile.Height, bilinear.ValidPixelCount);
        Assert.Equal(Tile.PixelCount, cloudKept.ValidPixelCount);

        // A granule with DN 0 (nodata) in red everywhere gives no valid pixel at all.
        var zeroRed = new Dictionary<LogicalBand, string>(paths)
        {
            [LogicalBand.Red] = Scenes.WriteUInt16(tmp.File("zero_red.tif"), utm, (_, _) => 0),
        };
        var none = ObservationLoader.Load(Tile, input with { Items = [Scenes.Item("z", zeroRed).Build()] });
        Assert.Equal(0, none.ValidPixelCount);
    }

    [Fact]
    public void A_cloud_just_outside_the_tile_masks_the_tile_pixels_the_kernel_blends_it_into()
    {
        using var tmp = new TempFolder();
        var east = Tile.Bounds.MaxX;
        using var laea = Gdal.SpatialReference.FromUserInput(Tile.Crs);
        using var utmSrs = Gdal.SpatialReference.FromEpsg(32632);
        using var toLaea = new Gdal.CoordinateTransformation(utmSrs, laea);
        // Cloud (8) only east of the tile's east edge; the granule reaches 200 m beyond it.
        var paths = Scenes.WriteGranule(tmp.Path, "g", Scenes.UtmBoxCovering(Tile, 32632), red: 2000, nir: 4000,
            scl: (x, y) => (byte)(toLaea.Transform(x, y).X < east ? 4 : 8));
        var input = new ObservationInput(new DateOnly(2023, 5, 5), new DateTimeOffset(2023, 5, 5, 10, 30, 0, TimeSpan.Zero), [Scenes.Item("g", paths).Build()]);

        var obs = ObservationLoader.Load(Tile, input);

        for (var r = 0; r < Tile.Height; r += 13)
        {
            Assert.False(float.IsNaN(obs.Index[r * Tile.Width + Tile.Width - 3]));
            Assert.True(float.IsNaN(obs.Index[r * Tile.Width + Tile.Width - 2]));
            Assert.True(float.IsNaN(obs.Index[r * Tile.Width + Tile.Width - 1]));
        }
        Assert.Equal(Tile.PixelCount - 2 * Tile.Height, obs.ValidPixelCount);

        // The buffer is a setting (project.buffer): 0 keeps the pixels next to the cloud that 2 (the default here) masks.
        var off = ObservationLoader.Load(Tile, input, new ObservationOptions { ScreeningBuffer = 0 });
        var one = ObservationLoader.Load(Tile, input, new ObservationOptions { ScreeningBuffer = 1 });
        var two = ObservationLoader.Load(Tile, input, new ObservationOptions { ScreeningBuffer = 2 });
        Assert.Equal(obs.Index, two.Index);
        Assert.Equal(Tile.PixelCount, off.ValidPixelCount);
        Assert.Equal(Tile.PixelCount - Tile.Height, one.ValidPixelCount);
        Assert.False(float.IsNaN(off.Index[Tile.Width - 1]));
        Assert.False(float.IsNaN(one.Index[Tile.Width - 2]));
        Assert.True(float.IsNaN(one.Index[Tile.Width - 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ObservationLoader.Load(Tile, input, new ObservationOptions { ScreeningBuffer = -1 }));
    }

    [Fact]
    public void Normalised_difference_turns_zero_denominators_and_infinities_into_nan()
    {
        float[] a = [0.3f, 0, 0.1f, float.PositiveInfinity, float.NaN, 0.2f];
        float[] b = [0.1f, 0, -0.1f, 0.2f, 0.2f, float.NegativeInfinity];
        ObservationLoader.NormalisedDifference(a, b);
        Assert.Equal(0.5f, a[0], 1e-6f);
        Assert.True(float.IsNaN(a[1]));
        Assert.True(float.IsNaN(a[2])); // 0.2 / 0
        Assert.True(float.IsNaN(a[3]));
        Assert.True(float.IsNaN(a[4]));
        Assert.True(float.IsNaN(a[5]));
    }

    [Fact]
    public void Nbr_and_ndmi_use_swir2_and_swir1()
    {
        using var tmp = new TempFolder();
        var paths = Scenes.WriteGranule(tmp.Path, "g", Scenes.UtmBoxCovering(Tile, 32632), red: 2000, nir: 5000, swir1: 3000, swir2: 2000);
        var input = new ObservationInput(new DateOnly(2023, 5, 5), DateTimeOffset.UnixEpoch, [Scenes.Item("g", paths).Build()]);
        var nbr = ObservationLoader.Load(Tile, input, new ObservationOptions { Index = SpectralIndex.Nbr });
        var ndmi = ObservationLoader.Load(Tile, input, new ObservationOptions { Index = SpectralIndex.Ndmi });
        Assert.All(nbr.Index, v => Assert.Equal((0.4 - 0.1) / 0.5, v, 1e-5));
        Assert.All(ndmi.Index, v => Assert.Equal((0.4 - 0.2) / 0.6, v, 1e-5));
    }

    /// <summary>
    /// Of two granules of a day, one with a truncated COG: the day is loaded from the other and the broken one is listed;
    /// the strict load still fails, and so does a day whose every granule is broken.
    /// </summary>
    [Fact]
    public void A_granule_that_cannot_be_read_is_left_out_of_the_mosaic()
    {
        using var tmp = new TempFolder();
        var box = Scenes.UtmBoxCovering(Tile, 32632);
        var a = Scenes.WriteGranule(Path.Combine(tmp.Path, "a"), "a", box, red: 2000, nir: 4000);
        var b = Scenes.WriteGranule(Path.Combine(tmp.Path, "b"), "b", box, red: 2000, nir: 5000);
        var truncated = tmp.File("truncated_nir.tif");
        var nir = File.ReadAllBytes(b[LogicalBand.Nir]);
        File.WriteAllBytes(truncated, nir[..(nir.Length / 2)]);
        var good = Scenes.Item("item-a", a).Build();
        var broken = Scenes.Item("item-b", new Dictionary<LogicalBand, string>(b) { [LogicalBand.Nir] = truncated }).Build();
        var day = new DateOnly(2023, 5, 5);
        ObservationInput Day(params ObservationItem[] items) => new(day, DateTimeOffset.UnixEpoch, items);

        // The broken granule first: it would win every pixel of the mosaic if it could be read.
        var loaded = ObservationLoader.LoadAvailable(Tile, Day(broken, good));

        Assert.Equal(ObservationLoader.Load(Tile, Day(good)).Index, loaded.Observation.Index);
        var left = Assert.Single(loaded.LeftOut);
        Assert.Equal("item-b", left.ItemId);
        Assert.Contains(truncated, left.Error.Message);
        Assert.True(InputFailure.IsPermanent(Assert.Throws<ObservationReadException>(() => ObservationLoader.Load(Tile, Day(broken, good)))));
        var alone = Assert.Throws<ObservationReadException>(() => ObservationLoader.LoadAvailable(Tile, Day(broken)));
        Assert.Equal("item-b", alone.ItemId);
    }

    [Fact]
    public void A_corrupt_or_missing_asset_gives_an_error_naming_the_item_band_and_asset()
    {
        using var tmp = new TempFolder();
        var paths = Scenes.WriteGranule(tmp.Path, "g", Scenes.UtmBoxCovering(Tile, 32632), red: 2000, nir: 4000);
        var corrupt = tmp.File("corrupt_nir.tif");
        File.WriteAllBytes(corrupt, File.ReadAllBytes(paths[LogicalBand.Nir])[..1000]);
        var day = new DateOnly(2023, 5, 5);

        var e = Assert.Throws<ObservationReadException>(() => ObservationLoader.Load(Tile, new ObservationInput(day, DateTimeOffset.UnixEpoch,
            [Scenes.Item("item-a", new Dictionary<LogicalBand, string>(paths) { [LogicalBand.Nir] = corrupt }).Build()])));
        Assert.Equal(("item-a", LogicalBand.Nir, corrupt), (e.ItemId, e.Band, e.GdalPath));
        Assert.Contains(corrupt, e.Message);
        Assert.Contains("item-a", e.Message);
        Assert.Contains("nir", e.Message);
        Assert.True(InputFailure.IsPermanent(e), e.Message);

        var missing = tmp.File("missing_scl.tif");
        var m = Assert.Throws<ObservationReadException>(() => ObservationLoader.Load(Tile, new ObservationInput(day, DateTimeOffset.UnixEpoch,
            [Scenes.Item("item-b", new Dictionary<LogicalBand, string>(paths) { [LogicalBand.Scl] = missing }).Build()])));
        Assert.Equal(LogicalBand.Scl, m.Band);
        Assert.Contains(missing, m.Message);
        Assert.Contains("No such file", m.Message);
        Assert.True(InputFailure.IsPermanent(m), m.Message);

        var lacking = new Dictionary<LogicalBand, string>(paths);
        lacking.Remove(LogicalBand.Red);
        var l = Assert.Throws<ArgumentException>(() => ObservationLoader.Load(Tile, new ObservationInput(day, DateTimeOffset.UnixEpoch,
            [Scenes.Item("item-c", lacking).Build()])));
        Assert.Contains("item-c", l.Message);
        Assert.Contains("red", l.Message);
    }

    [Fact]
    public void A_history_is_time_ordered_and_limited_to_the_period()
    {
        using var tmp = new TempFolder();
        var utm = Scenes.UtmBoxCovering(Tile, 32632);
        ObservationInput Day(int month, ushort redDn)
        {
            var paths = Scenes.WriteGranule(tmp.File($"m{month}"), $"m{month}", utm, red: redDn, nir: 5000, green: (ushort)(1000 + 100 * month));
            return new ObservationInput(new DateOnly(2023, month, 10), new DateTimeOffset(2023, month, 10, 10, 30, 0, TimeSpan.Zero),
                [Scenes.Item($"m{month}", paths).Build()]);
        }
        var inputs = new[] { Day(5, 2500), Day(2, 2000), Day(9, 3000), Day(7, 2200) };

        var history = ObservationLoader.LoadHistory(Tile, inputs, new DateOnly(2023, 2, 1), new DateOnly(2023, 8, 31), WithScreeningBands);

        Assert.Equal([new DateOnly(2023, 2, 10), new DateOnly(2023, 5, 10), new DateOnly(2023, 7, 10)], history.Select(o => o.SolarDay));
        Assert.Equal(history.Select(o => new DateTimeOffset(o.SolarDay.ToDateTime(new TimeOnly(10, 30)), TimeSpan.Zero)), history.Select(o => o.Time));
        double Ndvi(double redDn) => (0.4 - (redDn - 1000) / 10000) / (0.4 + (redDn - 1000) / 10000);
        Assert.Equal([Ndvi(2000), Ndvi(2500), Ndvi(2200)], history.Select(o => (double)o.Index[12345]), new Tolerance(1e-5));
        Assert.Equal([0.1 + 0.02 - 0.1, 0.1 + 0.05 - 0.1, 0.1 + 0.07 - 0.1], history.Select(o => (double)o.Green![777]), new Tolerance(1e-6));
        Assert.All(history, o => Assert.Equal(0.15, o.Swir![0], 1e-6));
    }

    private sealed class Tolerance(double eps) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= eps;
        public int GetHashCode(double obj) => 0;
    }
}
