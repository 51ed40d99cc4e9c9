using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Stac;
using NrtCluster.Geo.Synthetic;

namespace NrtCluster.Geo.Tests.Synthetic;

public class SyntheticArchiveTests(ArchiveFixture fixture) : IClassFixture<ArchiveFixture>
{
    private SyntheticScene Scene => fixture.Result.Scene;

    [Fact]
    public void CogsAreUint16GeoTiffsInTheirUtmZoneWithNodataZero()
    {
        foreach (var (granule, epsg) in new[] { (0, 32632), (1, 32633) })
        {
            var a = Scene.Acquisitions[10];
            var id = SyntheticArchive.ItemId(a, Scene.Geometry.Granules[granule]);
            foreach (var band in SyntheticBands.All)
            {
                var path = Path.Combine(fixture.Root, SyntheticArchiveLayout.ItemFolder(id), band.FileName);
                using var info = GdalInfo(path);
                var root = info.RootElement;
                Assert.Equal("GTiff", root.GetProperty("driverShortName").GetString());
                Assert.Equal([60, 60], root.GetProperty("size").EnumerateArray().Select(v => v.GetInt32()));
                Assert.Contains($"ID[\"EPSG\",{epsg}]", root.GetProperty("coordinateSystem").GetProperty("wkt").GetString());
                Assert.Equal("COG", root.GetProperty("metadata").GetProperty("IMAGE_STRUCTURE").GetProperty("LAYOUT").GetString());
                var b = root.GetProperty("bands")[0];
                Assert.Equal("UInt16", b.GetProperty("type").GetString());
                Assert.Equal(0, b.GetProperty("noDataValue").GetDouble());
                var transform = root.GetProperty("geoTransform").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                Assert.Equal(Scene.Geometry.Granules[granule].Box.Transform.ToGdal(), transform);
            }
        }
    }

    [Fact]
    public void CogPixelsAreTheRenderedDns()
    {
        var a = Scene.Acquisitions[50];
        for (var g = 0; g < 2; g++)
        {
            var expected = Scene.Render(g, a);
            var folder = Path.Combine(fixture.Root, SyntheticArchiveLayout.ItemFolder(SyntheticArchive.ItemId(a, Scene.Geometry.Granules[g])));
            for (var b = 0; b < 6; b++)
            {
                using var ds = RasterDataset.Open(Path.Combine(folder, SyntheticBands.All[b].FileName));
                Assert.Equal(RasterDataType.UInt16, ds.DataType(1));
                Assert.Equal(expected[b], ds.ReadBand<ushort>(1));
            }
        }
    }

    [Fact]
    public async Task TheStaticCatalogListsEveryItemWithItsBaselineAndAssets()
    {
        var items = await new StaticCatalogReader().ReadAllItemsAsync(Path.Combine(fixture.Root, SyntheticArchiveLayout.Catalog));
        Assert.Equal(Scene.Acquisitions.Count * 2, items.Count);
        Assert.Equal(fixture.Result.ItemCount, items.Count);
        var expectedIds = Scene.Acquisitions.SelectMany(a => Scene.Geometry.Granules.Select(g => SyntheticArchive.ItemId(a, g))).Order(StringComparer.Ordinal);
        Assert.Equal(expectedIds, items.Select(i => i.Id).Order(StringComparer.Ordinal));
        foreach (var item in items)
        {
            var day = DateOnly.FromDateTime(item.DateTime.UtcDateTime);
            Assert.Equal(day >= new DateOnly(2022, 1, 25) ? "04.00" : "02.14", item.GetString("s2:processing_baseline"));
            Assert.Equal(SyntheticArchiveLayout.CollectionId, item.Collection);
            Assert.Contains(item.GetDouble("proj:epsg"), new double?[] { 32632, 32633 });
            Assert.InRange(item.CloudCover ?? -1, 0, 100);
            Assert.InRange(item.DateTime.UtcDateTime.TimeOfDay.TotalHours, 10.3, 10.85);
            Assert.StartsWith(item.GetString("platform") == "sentinel-2a" ? "S2A_MSIL2A_" : "S2B_MSIL2A_", item.Id);
            Assert.Equal(["green", "nir08", "red", "scl", "swir16", "swir22"], item.Assets.Keys.Order(StringComparer.Ordinal));
            foreach (var asset in item.Assets.Values) Assert.True(File.Exists(asset.Href), asset.Href);
            // The project's scaling rule reads the baseline from these items: offset -0.1 exactly from 2022-01-25.
            var scaling = ReflectanceScaling.Decide(item, item.Assets["red"], isClassLayer: false);
            Assert.Equal(day >= new DateOnly(2022, 1, 25) ? -0.1 : 0, scaling.Offset);
            Assert.Equal(ScalingSource.ProcessingBaseline, scaling.Source);
            var (lon, lat) = item.Centre;
            Assert.InRange(lon, 11.98, 12.02);
            Assert.InRange(lat, 48.04, 48.06);
        }
        // Items of one acquisition share their datetime: one observation per solar day after grouping.
        Assert.Equal(Scene.Acquisitions.Count, items.GroupBy(i => i.DateTime).Count());
    }

    [Fact]
    public void ForestMaskAndGroundTruthRastersAreOnThe3035ReferenceGrid()
    {
        using (var mask = RasterDataset.Open(Path.Combine(fixture.Root, SyntheticArchiveLayout.ForestMask)))
        {
            Assert.Equal(RasterDataType.Byte, mask.DataType(1));
            AssertReferenceGrid(mask);
            Assert.Equal(Scene.ForestMask(), mask.ReadBand<byte>(1));
        }
        using var truth = RasterDataset.Open(Path.Combine(fixture.Root, SyntheticArchiveLayout.TruthRaster));
        Assert.Equal(RasterDataType.UInt16, truth.DataType(1));
        AssertReferenceGrid(truth);
        var days = truth.ReadBand<ushort>(1);
        Assert.Equal(Scene.DisturbanceDays(), days);
        Assert.Equal(Scene.Disturbances.Select(d => (ushort)d.DayNumber).ToHashSet(), days.Where(v => v != 0).ToHashSet());
    }

    [Fact]
    public void TheGroundTruthGeoJsonListsEveryDisturbanceWithItsDate()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture.Root, SyntheticArchiveLayout.TruthGeoJson)));
        var features = doc.RootElement.GetProperty("features").EnumerateArray().ToArray();
        Assert.Equal(Scene.Disturbances.Count, features.Length);
        var days = Scene.DisturbanceDays();
        foreach (var (feature, d) in features.Zip(Scene.Disturbances))
        {
            var p = feature.GetProperty("properties");
            Assert.Equal(d.Id, p.GetProperty("id").GetString());
            Assert.Equal(d.Date.ToString("yyyy-MM-dd"), p.GetProperty("date").GetString());
            Assert.Equal(d.DayNumber, p.GetProperty("day_number").GetInt32());
            Assert.Equal(d.IsHistory ? "history" : "monitoring", p.GetProperty("period").GetString());
            Assert.Equal(days.Count(v => v == d.DayNumber), p.GetProperty("reference_pixels").GetInt32());
            var ring = feature.GetProperty("geometry").GetProperty("coordinates")[0].EnumerateArray().ToArray();
            Assert.Equal(d.X.Count + 1, ring.Length);
            Assert.All(ring, c => Assert.InRange(c[0].GetDouble(), 11.98, 12.02));
        }
    }

    [Fact]
    public void TheManifestDescribesTheArchive()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture.Root, SyntheticArchiveLayout.Manifest)));
        var root = doc.RootElement;
        Assert.Equal(7, root.GetProperty("seed").GetInt32());
        Assert.Equal(fixture.Result.ItemCount, root.GetProperty("items").GetInt32());
        Assert.Equal("EPSG:3035", root.GetProperty("reference_grid").GetProperty("crs").GetString());
        Assert.Equal(["32UQU", "33UTP"], root.GetProperty("granules").EnumerateArray().Select(g => g.GetProperty("tile").GetString()));
    }

    [Fact]
    public void TheSameSeedWritesIdenticalFilesAndAnotherSeedDifferentOnes()
    {
        using var folder = new TempFolder();
        var options = SceneFixture.Options with { GranuleSize = 30, Start = new DateOnly(2022, 1, 1), End = new DateOnly(2022, 2, 15), HistoryEnd = new DateOnly(2022, 1, 20) };
        var first = Hashes(SyntheticArchive.Generate(folder.File("a"), options).Directory);
        var second = Hashes(SyntheticArchive.Generate(folder.File("b"), options).Directory);
        var other = Hashes(SyntheticArchive.Generate(folder.File("c"), options with { Seed = 99 }).Directory);
        Assert.Equal(first, second);
        // Item ids carry the sensing time, which depends on the seed too.
        Assert.Equal(first.Count, other.Count);
        static string[] Nir(Dictionary<string, string> hashes) =>
            hashes.Where(h => h.Key.EndsWith("B8A.tif", StringComparison.Ordinal)).Select(h => h.Value).Order().ToArray();
        Assert.Empty(Nir(first).Intersect(Nir(other)));
        Assert.NotEqual(first[SyntheticArchiveLayout.ForestMask], other[SyntheticArchiveLayout.ForestMask]);
    }

    [Fact]
    public void ItRefusesToWriteIntoAForeignNonEmptyFolderAndReplacesAnEarlierArchive()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("notes.txt"), "mine");
        var e = Assert.Throws<IOException>(() => SyntheticArchive.Generate(folder.Path, SceneFixture.Options with { GranuleSize = 20 }));
        Assert.Contains("not empty", e.Message);
        Assert.True(File.Exists(folder.File("notes.txt")));

        var options = SceneFixture.Options with { GranuleSize = 20, Start = new DateOnly(2022, 1, 1), End = new DateOnly(2022, 1, 31), HistoryEnd = new DateOnly(2022, 1, 10) };
        var target = folder.File("archive");
        SyntheticArchive.Generate(target, options);
        var again = SyntheticArchive.Generate(target, options with { End = new DateOnly(2022, 1, 15) });
        Assert.Equal(6, again.ItemCount);
        Assert.Equal(3, Directory.GetDirectories(Path.Combine(target, SyntheticArchiveLayout.CollectionId)).Length / 2);
    }

    private void AssertReferenceGrid(RasterDataset ds)
    {
        var reference = Scene.Geometry.Reference;
        Assert.Equal(reference.Width, ds.Width);
        Assert.Equal(reference.Height, ds.Height);
        Assert.Equal(reference.Transform, ds.GeoTransform);
        using var srs = SpatialReference.FromUserInput(ds.ProjectionWkt);
        Assert.Equal(3035, srs.EpsgCode);
    }

    private static Dictionary<string, string> Hashes(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(root, f).Replace('\\', '/'),
            f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    private static JsonDocument GdalInfo(string path)
    {
        var psi = new ProcessStartInfo("gdalinfo") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-json");
        psi.ArgumentList.Add(path);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"gdalinfo {path}: {error.Result}");
        return JsonDocument.Parse(output.Result);
    }
}
