using System.Text.Json;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Geo.Stac.Tests;

public class ProviderProfileTests
{
    [Fact]
    public async Task Cdse_reflectance_comes_from_raster_metadata_and_s3_opens_with_vsis3()
    {
        var item = Fixtures.Item(Fixtures.Cdse);
        var profile = ProviderProfiles.Cdse(Fixtures.EnvWithS3Keys);

        var red = await profile.ResolveAsync(item, LogicalBand.Red);
        Assert.Equal("B04_20m", red.AssetKey);
        Assert.Equal("/vsis3/eodata/Sentinel-2/MSI/L2A/2025/03/30/S2C_MSIL2A_20250330T100051_N0511_R122_T33UWP_20250330T145914.SAFE/" +
                     "GRANULE/L2A_T33UWP_A002952_20250330T100435/IMG_DATA/R20m/T33UWP_20250330T100051_B04_20m.jp2", red.GdalPath);
        Assert.Equal(0.0001, red.Scale);
        Assert.Equal(-0.1, red.Offset);
        Assert.Equal(ScalingSource.RasterMetadata, red.Scaling.Source);
        Assert.False(red.Scaling.IsDateFallback);
        Assert.Equal(0, red.NoData);
        Assert.False(red.IsClassLayer);
        Assert.Equal("eodata.dataspace.copernicus.eu", red.GdalOptions["AWS_S3_ENDPOINT"]);
        Assert.Equal("FALSE", red.GdalOptions["AWS_VIRTUAL_HOSTING"]);
        Assert.DoesNotContain(red.GdalOptions.Values, v => v.Contains("test-secret"));
        // DN 1000 is reflectance 0 after baseline 04.00; DN 0 is nodata.
        Assert.Equal(0f, red.ToValue(1000), 6);
        Assert.Equal(0.25f, red.ToValue(3500), 6);
        Assert.True(float.IsNaN(red.ToValue(0)));

        var nir = await profile.ResolveAsync(item, LogicalBand.Nir);
        Assert.Equal("B8A_20m", nir.AssetKey);
        Assert.EndsWith("T33UWP_20250330T100051_B8A_20m.jp2", nir.GdalPath);
        Assert.Equal(-0.1, nir.Offset);

        var scl = await profile.ResolveAsync(item, LogicalBand.Scl);
        Assert.Equal("SCL_20m", scl.AssetKey);
        Assert.True(scl.IsClassLayer);
        Assert.Equal(ScalingSource.ClassLayer, scl.Scaling.Source);
        Assert.Equal((1.0, 0.0), (scl.Scale, scl.Offset));
        Assert.Equal(4f, scl.ToValue(4));
    }

    [Fact]
    public async Task Cdse_endpoint_from_the_environment_wins_over_the_profile_default()
    {
        var item = Fixtures.Item(Fixtures.Cdse);
        var profile = ProviderProfiles.Cdse(name => name == "AWS_S3_ENDPOINT" ? "s3.example.org" : Fixtures.EnvWithS3Keys(name));
        var red = await profile.ResolveAsync(item, LogicalBand.Red);
        Assert.Equal("s3.example.org", red.GdalOptions["AWS_S3_ENDPOINT"]);
    }

    [Fact]
    public async Task Cdse_without_s3_credentials_says_which_variables_to_set()
    {
        var item = Fixtures.Item(Fixtures.Cdse);
        var e = await Assert.ThrowsAsync<StacException>(() => ProviderProfiles.Cdse(Fixtures.EmptyEnv).ResolveAsync(item, LogicalBand.Red).AsTask());
        Assert.Contains("AWS_ACCESS_KEY_ID", e.Message);
        Assert.Contains(item.Id, e.Message);
    }

    [Fact]
    public async Task Cdse_trimmed_item_lacks_green_and_the_error_lists_what_it_has()
    {
        var item = Fixtures.Item(Fixtures.Cdse);
        var e = await Assert.ThrowsAsync<StacMissingAssetException>(() =>
            ProviderProfiles.Cdse(Fixtures.EnvWithS3Keys).ResolveAsync(item, LogicalBand.Green).AsTask());
        Assert.Contains("'B03_20m'", e.Message);
        Assert.Contains("'SCL_20m'", e.Message);
        Assert.Contains("profile 'cdse'", e.Message);
    }

    [Fact]
    public async Task A_profile_preferring_the_https_alternate_opens_it_with_vsicurl()
    {
        var item = Fixtures.Item(Fixtures.Cdse);
        var profile = new ProviderProfile(ProviderProfiles.CdseSettings with { Name = "cdse-https", PreferAlternate = "https" },
            environment: Fixtures.EmptyEnv);
        var red = await profile.ResolveAsync(item, LogicalBand.Red);
        Assert.StartsWith("/vsicurl/https://zipper.dataspace.copernicus.eu/odata/v1/Products(bf1711dc-", red.GdalPath);
        Assert.Empty(red.GdalOptions);
        Assert.Equal(-0.1, red.Offset);
    }

    [Fact]
    public async Task Earth_search_v0_without_baseline_falls_back_to_the_acquisition_date_and_says_so()
    {
        var item = Fixtures.Item(Fixtures.EarthSearchV0);
        var profile = ProviderProfiles.EarthSearch(Fixtures.EmptyEnv);
        var sources = await profile.ResolveAllAsync(item, [LogicalBand.Red, LogicalBand.Nir, LogicalBand.Scl, LogicalBand.Swir2]);

        var red = sources[LogicalBand.Red];
        Assert.Equal("B04", red.AssetKey);
        Assert.Equal("/vsicurl/https://sentinel-cogs.s3.us-west-2.amazonaws.com/sentinel-s2-l2a-cogs/2020/S2A_28QCH_20200714_0_L2A/B04.tif",
            red.GdalPath);
        Assert.Equal(ScalingSource.AcquisitionDate, red.Scaling.Source);
        Assert.True(red.Scaling.IsDateFallback);
        Assert.Equal(0.0001, red.Scale);
        Assert.Equal(0, red.Offset);
        Assert.Contains("no raster:offset and no processing baseline", red.Scaling.Reason);
        Assert.Contains("2020-07-14", red.Scaling.Reason);
        Assert.Equal("B8A", sources[LogicalBand.Nir].AssetKey);
        Assert.Equal("B12", sources[LogicalBand.Swir2].AssetKey);
        Assert.True(sources[LogicalBand.Scl].IsClassLayer);
        Assert.Equal("SCL", sources[LogicalBand.Scl].AssetKey);
    }

    [Fact]
    public async Task Planetary_computer_baseline_02_12_has_no_offset()
    {
        var item = Fixtures.Item(Fixtures.PlanetaryComputer);
        var profile = new ProviderProfile(ProviderProfiles.PlanetaryComputerSettings with { SasTokenEndpoint = null });
        var red = await profile.ResolveAsync(item, LogicalBand.Red);
        Assert.Equal("B04", red.AssetKey);
        Assert.Equal(ScalingSource.ProcessingBaseline, red.Scaling.Source);
        Assert.Equal((0.0001, 0.0), (red.Scale, red.Offset));
        Assert.Contains("s2:processing_baseline 02.12 < 04.00", red.Scaling.Reason);
        Assert.Equal("/vsicurl/" + item.Assets["B04"].Href, red.GdalPath);
        Assert.Equal(0, red.NoData);
    }

    [Fact]
    public async Task Planetary_computer_raster_extension_without_scale_still_uses_the_baseline()
    {
        var item = Fixtures.Item(Fixtures.PlanetaryComputerRaster);
        var profile = new ProviderProfile(ProviderProfiles.PlanetaryComputerSettings with { SasTokenEndpoint = null });
        var sources = await profile.ResolveAllAsync(item, [LogicalBand.Red, LogicalBand.Nir, LogicalBand.Green, LogicalBand.Swir1, LogicalBand.Swir2, LogicalBand.Scl]);
        Assert.Equal(["B04", "B8A", "B03", "B11", "B12", "SCL"], sources.Values.Select(s => s.AssetKey));
        foreach (var s in sources.Values.Where(s => !s.IsClassLayer))
        {
            Assert.Equal(ScalingSource.ProcessingBaseline, s.Scaling.Source);
            Assert.Equal(0, s.Offset);
            Assert.Equal(0, s.NoData);
        }
    }

    private static StacItem EarthSearchV1Item(string properties, string rasterBands) => Fixtures.ParseItemJson($$$"""
        {"type":"Feature","stac_version":"1.0.0","id":"S2B_33UWP_20230615_0_L2A","collection":"sentinel-2-l2a",
         "bbox":[15.0,47.7,16.5,48.7],"geometry":null,
         "properties":{"datetime":"2023-06-15T10:06:12Z"{{{properties}}}},
         "assets":{
           "red":{"href":"https://sentinel-cogs.s3.us-west-2.amazonaws.com/sentinel-s2-l2a-cogs/33/U/WP/2023/6/S2B_33UWP_20230615_0_L2A/B04.tif","raster:bands":[{{{rasterBands}}}]},
           "nir08":{"href":"https://sentinel-cogs.s3.us-west-2.amazonaws.com/sentinel-s2-l2a-cogs/33/U/WP/2023/6/S2B_33UWP_20230615_0_L2A/B8A.tif","raster:bands":[{{{rasterBands}}}]},
           "scl":{"href":"https://sentinel-cogs.s3.us-west-2.amazonaws.com/sentinel-s2-l2a-cogs/33/U/WP/2023/6/S2B_33UWP_20230615_0_L2A/SCL.tif"} } }
        """, "https://earth-search.aws.element84.com/v1/collections/sentinel-2-l2a/items/S2B_33UWP_20230615_0_L2A");

    [Fact]
    public async Task Earth_search_v1_boa_offset_applied_is_never_offset_twice_even_when_raster_metadata_says_minus_0_1()
    {
        var item = EarthSearchV1Item(""","s2:processing_baseline":"05.09","earthsearch:boa_offset_applied":true""",
            """{"nodata":0,"data_type":"uint16","scale":0.0001,"offset":-0.1}""");
        var red = await ProviderProfiles.EarthSearch(Fixtures.EmptyEnv).ResolveAsync(item, LogicalBand.Red);
        Assert.Equal("red", red.AssetKey);
        Assert.Equal(ScalingSource.OffsetAlreadyApplied, red.Scaling.Source);
        Assert.Equal((0.0001, 0.0), (red.Scale, red.Offset));
        Assert.Contains("raster:offset -0.1 ignored", red.Scaling.Reason);
    }

    [Fact]
    public async Task Earth_search_v1_without_the_flag_uses_raster_metadata()
    {
        var item = EarthSearchV1Item(""","s2:processing_baseline":"05.09","earthsearch:boa_offset_applied":false""",
            """{"nodata":0,"data_type":"uint16","scale":0.0001,"offset":-0.1}""");
        var nir = await ProviderProfiles.EarthSearch(Fixtures.EmptyEnv).ResolveAsync(item, LogicalBand.Nir);
        Assert.Equal("nir08", nir.AssetKey);
        Assert.Equal(ScalingSource.RasterMetadata, nir.Scaling.Source);
        Assert.Equal(-0.1, nir.Offset);
    }

    [Fact]
    public async Task Baseline_04_or_later_without_raster_offset_gets_minus_1000_dn()
    {
        var item = EarthSearchV1Item(""","s2:processing_baseline":"05.09" """, """{"nodata":0,"data_type":"uint16"}""");
        var red = await ProviderProfiles.EarthSearch(Fixtures.EmptyEnv).ResolveAsync(item, LogicalBand.Red);
        Assert.Equal(ScalingSource.ProcessingBaseline, red.Scaling.Source);
        Assert.Equal((0.0001, -0.1), (red.Scale, red.Offset));
    }

    [Fact]
    public async Task Date_fallback_after_2022_01_25_offsets_and_is_flagged()
    {
        var item = EarthSearchV1Item("", """{"nodata":0}""");
        var red = await ProviderProfiles.EarthSearch(Fixtures.EmptyEnv).ResolveAsync(item, LogicalBand.Red);
        Assert.True(red.Scaling.IsDateFallback);
        Assert.Equal(-0.1, red.Offset);
        Assert.Contains("on or after 2022-01-25", red.Scaling.Reason);
    }

    [Fact]
    public async Task An_unreadable_baseline_is_an_error_not_a_guess()
    {
        var item = EarthSearchV1Item(""","s2:processing_baseline":"latest" """, """{"nodata":0}""");
        var e = await Assert.ThrowsAsync<StacFormatException>(() =>
            ProviderProfiles.EarthSearch(Fixtures.EmptyEnv).ResolveAsync(item, LogicalBand.Red).AsTask());
        Assert.Contains("'latest'", e.Message);
        Assert.Contains(item.Id, e.Message);
    }

    [Theory]
    [InlineData("04.00", 4.0)]
    [InlineData("02.12", 2.12)]
    [InlineData("N0511", 5.11)]
    [InlineData("0400", 4.0)]
    [InlineData("5.0", 5.0)]
    public void Processing_baselines_parse(string text, double expected)
    {
        Assert.True(ReflectanceScaling.TryParseBaseline(text, out var b));
        Assert.Equal((decimal)expected, b);
    }

    [Fact]
    public async Task A_custom_profile_from_configuration_maps_its_own_keys_and_opens_local_files()
    {
        var settings = JsonSerializer.Deserialize<ProviderProfileSettings>("""
            {"Name":"synthetic","Bands":{"red":["B04_20"],"nir":["B8A_20"],"scl":["SCL_20"]}}
            """)!;
        var profile = ProviderProfiles.FromSettings(settings);
        var item = Fixtures.ParseItemJson("""
            {"type":"Feature","id":"syn-1","bbox":[10,50,11,51],"geometry":null,
             "properties":{"datetime":"2023-05-01T10:00:00Z","s2:processing_baseline":"05.09"},
             "assets":{"B04_20":{"href":"../cogs/syn-1/B04.tif"},
                       "B8A_20":{"href":"file:///data/archive/cogs/syn-1/B8A.tif"},
                       "SCL_20":{"href":"/data/archive/cogs/syn-1/SCL.tif"}}}
            """, "/data/archive/items/syn-1.json");
        var sources = await profile.ResolveAllAsync(item, [LogicalBand.Red, LogicalBand.Nir, LogicalBand.Scl]);
        Assert.Equal("/data/archive/cogs/syn-1/B04.tif", sources[LogicalBand.Red].GdalPath);
        Assert.Equal("/data/archive/cogs/syn-1/B8A.tif", sources[LogicalBand.Nir].GdalPath);
        Assert.Equal("/data/archive/cogs/syn-1/SCL.tif", sources[LogicalBand.Scl].GdalPath);
        Assert.Equal(-0.1, sources[LogicalBand.Red].Offset);
        var e = await Assert.ThrowsAsync<StacException>(() => profile.ResolveAsync(item, LogicalBand.Swir1).AsTask());
        Assert.Contains("maps no asset to band 'swir1'", e.Message);
    }

    [Fact]
    public void A_profile_with_an_unknown_band_name_is_rejected_with_the_valid_names()
    {
        var e = Assert.Throws<ArgumentException>(() => new ProviderProfile(new ProviderProfileSettings
        {
            Name = "bad",
            Bands = new Dictionary<string, string[]> { ["nir2"] = ["B08"] },
        }));
        Assert.Contains("'nir2'", e.Message);
        Assert.Contains("red, green, nir, swir1, swir2, scl", e.Message);
    }

    [Theory]
    [InlineData("/data/x.tif", "/data/x.tif")]
    [InlineData("file:///data/x%20y.tif", "/data/x y.tif")]
    [InlineData("https://host/a/b.tif?x=1", "/vsicurl/https://host/a/b.tif?x=1")]
    [InlineData("http://127.0.0.1:8080/b.tif", "/vsicurl/http://127.0.0.1:8080/b.tif")]
    [InlineData("s3://eodata/Sentinel-2/a.jp2", "/vsis3/eodata/Sentinel-2/a.jp2")]
    [InlineData("gs://bucket/key.tif", "/vsigs/bucket/key.tif")]
    [InlineData("/vsizip/a.zip/b.tif", "/vsizip/a.zip/b.tif")]
    public void Hrefs_become_gdal_paths(string href, string expected) => Assert.Equal(expected, GdalPaths.FromHref(href));

    [Fact]
    public void An_unsupported_scheme_is_named_in_the_error()
    {
        var e = Assert.Throws<StacException>(() => GdalPaths.FromHref("ftp://host/x.tif"));
        Assert.Contains("ftp://host/x.tif", e.Message);
    }

    [Fact]
    public void Built_in_profiles_are_found_by_name()
    {
        Assert.Equal("cdse", ProviderProfiles.ByName("CDSE").Name);
        Assert.Equal(["red", "B04"], ProviderProfiles.ByName("earth-search").AssetKeysFor(LogicalBand.Red));
        using var http = Fixtures.NewHttpClient();
        Assert.IsType<PlanetaryComputerSigner>(ProviderProfiles.ByName("planetary-computer", http).Signer);
        Assert.Throws<ArgumentException>(() => ProviderProfiles.ByName("usgs"));
    }
}
