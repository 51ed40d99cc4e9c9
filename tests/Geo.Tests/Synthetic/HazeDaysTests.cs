using System.Text.Json;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Synthetic;

namespace NrtCluster.Geo.Tests.Synthetic;

/// <summary>Unflagged haze days (<see cref="SyntheticArchiveOptions.HazeDays"/>) written to disk and read back with GDAL.</summary>
public class HazeDaysTests
{
    private static readonly SyntheticArchiveOptions Hazy = new()
    {
        Seed = 5,
        GranuleSize = 40,
        Start = new DateOnly(2021, 10, 1),
        End = new DateOnly(2022, 7, 31),
        HistoryEnd = new DateOnly(2021, 12, 31),
        HazeDays = 3,
    };

    [Fact]
    public void Haze_days_lower_ndvi_under_an_scl_that_still_says_vegetation()
    {
        using var folder = new TempFolder();
        var result = SyntheticArchive.Generate(Path.Combine(folder.Path, "archive"), Hazy);
        var scene = result.Scene;
        Assert.Equal(3, scene.HazeDates.Count);
        Assert.All(scene.HazeDates, d => Assert.True(d > Hazy.HistoryEnd && d.Month is >= 4 and <= 10, $"haze on {d}"));
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(result.Directory, SyntheticArchiveLayout.Manifest))))
        {
            Assert.Equal(scene.HazeDates.Select(d => d.ToString("yyyy-MM-dd")),
                manifest.RootElement.GetProperty("haze_dates").EnumerateArray().Select(e => e.GetString()));
        }

        // The same world without haze: on the pixels it shows clear vegetation, only the haze differs.
        var clear = new SyntheticScene(Hazy with { HazeDays = 0 });
        var drops = new List<double>();
        double redGain = 0, nirGain = 0;
        foreach (var date in scene.HazeDates)
        {
            var a = scene.Acquisitions.Single(x => x.Date == date);
            var expected = clear.Render(0, clear.Acquisitions.Single(x => x.Date == date));
            var item = Path.Combine(result.Directory, SyntheticArchiveLayout.ItemFolder(SyntheticArchive.ItemId(a, scene.Geometry.Granules[0])));
            ushort[] Band(string file)
            {
                using var ds = RasterDataset.Open(Path.Combine(item, file));
                return ds.ReadBand<ushort>(1);
            }
            var (red, nir, scl) = (Band("B04.tif"), Band("B8A.tif"), Band("SCL.tif"));
            // No cloud, shadow or cirrus class anywhere: the classifier missed the haze.
            Assert.DoesNotContain(scl, c => c is SclClass.CloudShadow or SclClass.CloudMedium or SclClass.CloudHigh or SclClass.ThinCirrus);
            for (int i = 0; i < scl.Length; i++)
            {
                if (expected[5][i] != SclClass.Vegetation) continue;
                Assert.Equal(SclClass.Vegetation, scl[i]);
                double Ndvi(double r, double n) => (n - r) / (n + r);
                double R(ushort dn) => (dn - a.DnOffset) / 10_000.0;
                redGain += R(red[i]) - R(expected[1][i]);
                nirGain += R(nir[i]) - R(expected[2][i]);
                drops.Add(Ndvi(R(expected[1][i]), R(expected[2][i])) - Ndvi(R(red[i]), R(nir[i])));
            }
        }
        Assert.True(drops.Count > 500, $"only {drops.Count} clear vegetation pixels to compare");
        // Where the clear world has a cloud's unflagged edge or shadow the difference is not haze alone: the bulk, not every pixel.
        Assert.True(redGain > nirGain && redGain > 0, $"haze brightens red ({redGain / drops.Count:F4}) more than the near infrared ({nirGain / drops.Count:F4})");
        drops.Sort();
        Assert.InRange(drops[drops.Count / 2], 0.1, 0.3);
        Assert.True(drops.Count(d => d > 0) > 0.95 * drops.Count, "haze lowers NDVI almost everywhere");
    }

    [Fact]
    public void Haze_days_out_of_range_are_refused_naming_the_setting()
    {
        var e = Assert.Throws<ArgumentException>(() => (Hazy with { HazeDays = 101 }).Validate());
        Assert.Contains("haze days", e.Message);
    }
}
