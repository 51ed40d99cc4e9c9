using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Sentinel2;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Geo.Tests;

public class HttpReadTests
{
    [Fact]
    public void An_observation_read_over_http_equals_the_same_read_from_disk()
    {
        using var tmp = new TempFolder();
        var tile = Scenes.Tile;
        // A large granule with varying values, so that a wrong window or a mis-assembled range would show.
        var utm = Scenes.UtmBoxCovering(tile, 32632, margin: 8000);
        var paths = new Dictionary<LogicalBand, string>
        {
            [LogicalBand.Red] = Scenes.WriteUInt16(tmp.File("red.tif"), utm, (x, y) => (ushort)(1500 + Noise(x, y) % 997)),
            [LogicalBand.Nir] = Scenes.WriteUInt16(tmp.File("nir.tif"), utm, (x, y) => (ushort)(3000 + Noise(y, x) % 1999)),
        };
        var sclPath = tmp.File("scl.tif");
        GeoTiffWriter.Write(sclPath, utm, [("SCL", Scenes.Fill(utm, (x, y) => (byte)((x + y) % 5000 < 1000 ? 9 : 4)))], RasterDataType.Byte, 0, cog: true);
        paths[LogicalBand.Scl] = sclPath;
        var day = new DateOnly(2024, 6, 1);
        var time = new DateTimeOffset(2024, 6, 1, 10, 30, 0, TimeSpan.Zero);

        using var server = new RangeFileServer(tmp.Path);
        var fromDisk = ObservationLoader.Load(tile, new ObservationInput(day, time, [Scenes.Item("i", paths).Build()]));
        var fromHttp = ObservationLoader.Load(tile, new ObservationInput(day, time,
            [Scenes.Item("i", paths).Build(p => "/vsicurl/" + server.UrlOf(p))]));

        Assert.InRange(fromDisk.ValidPixelCount, tile.PixelCount / 2, tile.PixelCount - 1);
        Assert.Equal(fromDisk.Index, fromHttp.Index);
        Assert.True(server.Requests > 0);
        // Only the windows covering the tile travel, not the whole files.
        var fileBytes = paths.Values.Sum(p => new FileInfo(p).Length);
        Assert.True(server.BytesSent < fileBytes, $"{server.BytesSent} bytes sent for {fileBytes} bytes of files");
    }

    /// <summary>Poorly compressible pseudo-random DNs from pixel coordinates.</summary>
    private static int Noise(double x, double y) => (int)((uint)HashCode.Combine(x, y) % 100000);

    [Fact]
    public void Asset_urls_without_a_file_extension_and_with_a_signature_query_are_read()
    {
        using var tmp = new TempFolder();
        var paths = Scenes.WriteGranule(tmp.Path, "g", Scenes.UtmBoxCovering(Scenes.Tile, 32632), red: 2000, nir: 4000);
        // Providers serve some assets from extensionless URLs (e.g. ".../$value"), signed with a query string.
        var bare = paths.ToDictionary(p => p.Key, p =>
        {
            var target = tmp.File(p.Key.ToString().ToLowerInvariant() + "-asset");
            File.Copy(p.Value, target);
            return target;
        });
        using var server = new RangeFileServer(tmp.Path);
        var input = new ObservationInput(new DateOnly(2024, 6, 1), DateTimeOffset.UnixEpoch,
            [Scenes.Item("i", bare).Build(p => "/vsicurl/" + server.UrlOf(p) + "?se=2030-01-01&sig=abc%2Bdef")]);

        var obs = ObservationLoader.Load(Scenes.Tile, input);

        Assert.All(obs.Index, v => Assert.Equal((0.3 - 0.1) / (0.3 + 0.1), v, 1e-5));
    }

    [Fact]
    public void Assets_on_an_s3_endpoint_are_read_through_vsis3_with_the_sources_gdal_options()
    {
        using var tmp = new TempFolder();
        var bucket = Path.Combine(tmp.Path, "sentinel-cogs");
        var paths = Scenes.WriteGranule(bucket, "g", Scenes.UtmBoxCovering(Scenes.Tile, 32632), red: 2000, nir: 4000);
        using var server = new RangeFileServer(tmp.Path);
        var endpoint = new Uri(server.BaseUrl).Authority;
        // What a provider profile resolves for an S3 endpoint: a /vsis3/ path plus per-source GDAL options,
        // which the loader sets for its own thread only.
        var s3Options = new Dictionary<string, string>
        {
            ["AWS_S3_ENDPOINT"] = endpoint, ["AWS_HTTPS"] = "NO", ["AWS_VIRTUAL_HOSTING"] = "FALSE", ["AWS_NO_SIGN_REQUEST"] = "YES",
        };
        var item = Scenes.Item("i", paths).Build(p => "/vsis3/sentinel-cogs/" + Path.GetFileName(p));
        item = item with { Bands = item.Bands.ToDictionary(b => b.Key, b => b.Value with { GdalOptions = s3Options }) };

        var obs = ObservationLoader.Load(Scenes.Tile, new ObservationInput(new DateOnly(2024, 6, 1), DateTimeOffset.UnixEpoch, [item]));

        Assert.All(obs.Index, v => Assert.Equal((0.3 - 0.1) / (0.3 + 0.1), v, 1e-5));
        Assert.True(server.Requests > 0);
    }

    [Fact]
    public void A_missing_asset_over_http_names_the_url()
    {
        using var tmp = new TempFolder();
        var paths = Scenes.WriteGranule(tmp.Path, "g", Scenes.UtmBoxCovering(Scenes.Tile, 32632), red: 2000, nir: 4000);
        using var server = new RangeFileServer(tmp.Path);
        var url = "/vsicurl/" + server.BaseUrl + "gone/g_red.tif";
        var item = Scenes.Item("i", paths).Build();
        var bands = item.Bands.ToDictionary(b => b.Key, b => b.Key == LogicalBand.Red ? b.Value with { GdalPath = url } : b.Value);

        var e = Assert.Throws<ObservationReadException>(() => ObservationLoader.Load(Scenes.Tile,
            new ObservationInput(new DateOnly(2024, 6, 1), DateTimeOffset.UnixEpoch, [item with { Bands = bands }])));
        Assert.Equal(LogicalBand.Red, e.Band);
        Assert.Contains(url, e.Message);
        Assert.Contains("404", e.Message);
        Assert.True(InputFailure.IsPermanent(e), e.Message);
    }

    /// <summary>A server error or a refused connection may pass: such a failure is not permanent, so it is retried.</summary>
    [Fact]
    public void Server_errors_and_refused_connections_are_transient()
    {
        using var tmp = new TempFolder();
        var paths = Scenes.WriteGranule(tmp.Path, "g", Scenes.UtmBoxCovering(Scenes.Tile, 32632), red: 2000, nir: 4000);
        ObservationReadException ReadRedFrom(string url)
        {
            var item = Scenes.Item("i", paths).Build();
            var bands = item.Bands.ToDictionary(b => b.Key, b => b.Key == LogicalBand.Red ? b.Value with { GdalPath = url } : b.Value);
            return Assert.Throws<ObservationReadException>(() => ObservationLoader.Load(Scenes.Tile,
                new ObservationInput(new DateOnly(2024, 6, 1), DateTimeOffset.UnixEpoch, [item with { Bands = bands }])));
        }

        string closedUrl;
        using (var server = new RangeFileServer(tmp.Path))
        {
            server.FailWith = 503;
            var busy = ReadRedFrom("/vsicurl/" + server.UrlOf(paths[LogicalBand.Red]));
            Assert.Contains("503", busy.Message);
            Assert.False(InputFailure.IsPermanent(busy), busy.Message);
            closedUrl = "/vsicurl/" + server.UrlOf(paths[LogicalBand.Red]);
        }
        var refused = ReadRedFrom(closedUrl);
        Assert.Contains($"connection refused to {new Uri(closedUrl["/vsicurl/".Length..]).Authority}", refused.Message);
        Assert.False(InputFailure.IsPermanent(refused), refused.Message);
    }

    /// <summary>
    /// GDAL remembers a URL that failed and then reports it as "does not exist in the file system", whatever the failure
    /// was (e.g. a tile reading a granule another tile failed on): the error names what the server answers instead, and is
    /// classified by it.
    /// </summary>
    [Fact]
    public void A_url_that_failed_before_is_reported_with_what_its_server_answers()
    {
        using var tmp = new TempFolder();
        var paths = Scenes.WriteGranule(tmp.Path, "g", Scenes.UtmBoxCovering(Scenes.Tile, 32632), red: 2000, nir: 4000);
        using var server = new RangeFileServer(tmp.Path);
        var host = new Uri(server.BaseUrl).Authority;
        GdalException OpenTwice(string url)
        {
            Assert.Throws<GdalException>(() => RasterDataset.Open(url));
            return Assert.Throws<GdalException>(() => RasterDataset.Open(url));
        }

        var missing = OpenTwice("/vsicurl/" + server.BaseUrl + "gone/g_red.tif");
        Assert.Contains($"HTTP 404 from {host}", missing.Message);
        Assert.True(missing.Permanent, missing.Message);

        // A file the server serves but GDAL cannot read stays corrupt, whatever the server answers.
        File.WriteAllText(tmp.File("garbage.tif"), new string('x', 4096));
        var garbage = Assert.Throws<GdalException>(() => RasterDataset.Open("/vsicurl/" + server.BaseUrl + "garbage.tif"));
        Assert.True(garbage.Permanent, garbage.Message);

        server.FailWith = 500;
        var failing = OpenTwice("/vsicurl/" + server.UrlOf(paths[LogicalBand.Red]));
        Assert.Contains($"HTTP 500 from {host}", failing.Message);
        Assert.False(failing.Permanent, failing.Message);
    }
}
