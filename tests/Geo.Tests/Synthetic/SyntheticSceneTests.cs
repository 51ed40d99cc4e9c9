using NrtCluster.Geo.Synthetic;

namespace NrtCluster.Geo.Tests.Synthetic;

public class SyntheticSceneTests(SceneFixture fixture) : IClassFixture<SceneFixture>
{
    private SyntheticScene Scene => fixture.Scene;
    private static readonly DateOnly Switch = new(2022, 1, 25);

    [Fact]
    public void TheSameSeedGivesTheSameRastersAndAnotherSeedDifferent()
    {
        var again = new SyntheticScene(SceneFixture.Options);
        var other = new SyntheticScene(SceneFixture.Options with { Seed = 8 });
        var a = Scene.Acquisitions[40];
        for (var g = 0; g < 2; g++)
        {
            var first = fixture.Render(g, a.Index);
            var second = again.Render(g, a);
            var third = other.Render(g, a);
            for (var b = 0; b < 6; b++) Assert.Equal(first[b], second[b]);
            Assert.NotEqual(first[2], third[2]);
        }
        Assert.Equal(Scene.Disturbances.Select(d => (d.Date, d.X[0])), again.Disturbances.Select(d => (d.Date, d.X[0])));
        Assert.NotEqual(Scene.Disturbances.Select(d => d.X[0]), other.Disturbances.Select(d => d.X[0]));
    }

    [Fact]
    public void AcquisitionsEveryFiveDaysMidMorningWithTheBaselineSwitchOn20220125()
    {
        var acquisitions = Scene.Acquisitions;
        Assert.Equal(73, acquisitions.Count);
        for (var i = 0; i < acquisitions.Count; i++)
        {
            var a = acquisitions[i];
            Assert.Equal(SceneFixture.Options.Start.AddDays(5 * i), a.Date);
            Assert.InRange(a.Time.UtcDateTime.TimeOfDay, new TimeSpan(10, 20, 0), new TimeSpan(10, 50, 0));
            Assert.Equal(a.Date >= Switch ? "04.00" : "02.14", a.ProcessingBaseline);
            Assert.Equal(a.Date >= Switch ? 1000 : 0, a.DnOffset);
            Assert.Equal(i % 2 == 0 ? "sentinel-2a" : "sentinel-2b", a.Platform);
        }
    }

    [Fact]
    public void Baseline0400AddsExactly1000ToEveryValidDn()
    {
        var a = Scene.Acquisitions.First(x => x.Date >= Switch);
        var old = a with { ProcessingBaseline = "02.14" };
        var withOffset = Scene.Render(1, a);
        var without = Scene.Render(1, old);
        var valid = 0;
        for (var i = 0; i < withOffset[0].Length; i++)
        {
            Assert.Equal(withOffset[5][i], without[5][i]);
            for (var b = 0; b < 5; b++)
            {
                if (without[5][i] == SclClass.NoData)
                {
                    Assert.Equal(0, withOffset[b][i]);
                    continue;
                }
                // Dark pixels whose noisy reflectance dips below 0 clamp at DN 1 without the offset, not with it.
                if (without[b][i] == 1) Assert.InRange(withOffset[b][i], 1, 1001);
                else Assert.Equal(without[b][i] + 1000, withOffset[b][i]);
                valid++;
            }
        }
        Assert.True(valid > 0);
    }

    [Fact]
    public void StableForestDnJumpsByAbout1000At20220125()
    {
        // Per clear, undisturbed forest pixel: mean DN over the 15 days before the switch and the 15 days from it.
        var sums = new Dictionary<(int Granule, int Pixel, bool After), (double[] Sum, int Count)>();
        foreach (var a in Scene.Acquisitions.Where(x => x.Date >= Switch.AddDays(-15) && x.Date < Switch.AddDays(15)))
        {
            for (var g = 0; g < 2; g++)
            {
                var bands = fixture.Render(g, a.Index);
                for (var i = 0; i < bands[5].Length; i++)
                {
                    if (bands[5][i] != SclClass.Vegetation || !Scene.IsStableForest(g, i)) continue;
                    var key = (g, i, a.Date >= Switch);
                    var (sum, count) = sums.TryGetValue(key, out var v) ? v : (new double[5], 0);
                    for (var b = 0; b < 5; b++) sum[b] += bands[b][i];
                    sums[key] = (sum, count + 1);
                }
            }
        }
        var pairs = sums.Keys.Where(k => !k.After && sums.ContainsKey((k.Granule, k.Pixel, true))).ToArray();
        Assert.True(pairs.Length > 30, $"{pairs.Length} forest pixels clear on both sides of the switch");
        for (var b = 0; b < 5; b++)
        {
            var jumps = pairs.Select(k =>
            {
                var before = sums[k];
                var after = sums[(k.Granule, k.Pixel, true)];
                return after.Sum[b] / after.Count - before.Sum[b] / before.Count;
            }).ToList();
            var jump = Median(jumps);
            Assert.True(jump is >= 900 and <= 1100, $"band {b}: median DN jump {jump:F0}");
        }
    }

    [Fact]
    public void CloudsShadowsAndSnowAreMarkedInSclAndCloudsAreBright()
    {
        var cloudyDates = 0;
        var clearDates = 0;
        var shadowPixels = 0;
        var snowPixels = 0;
        var cloudRed = new List<int>();
        var clearForestRed = new List<int>();
        foreach (var a in Scene.Acquisitions)
        {
            var bands = fixture.Render(0, a.Index);
            var scl = bands[5];
            var clouds = scl.Count(v => v is SclClass.CloudMedium or SclClass.CloudHigh);
            if (clouds > scl.Length / 2) cloudyDates++;
            if (clouds == 0) clearDates++;
            shadowPixels += scl.Count(v => v == SclClass.CloudShadow);
            snowPixels += scl.Count(v => v == SclClass.Snow);
            for (var i = 0; i < scl.Length; i++)
            {
                if (scl[i] == SclClass.CloudHigh) cloudRed.Add(bands[1][i] - a.DnOffset);
                else if (scl[i] == SclClass.Vegetation && Scene.IsStableForest(0, i)) clearForestRed.Add(bands[1][i] - a.DnOffset);
            }
        }
        Assert.InRange(cloudyDates, 10, 50);
        Assert.InRange(clearDates, 10, 50);
        Assert.True(shadowPixels > 0);
        Assert.True(snowPixels > 0);
        Assert.True(Median(cloudRed) > 2500, $"median cloud red DN {Median(cloudRed)}");
        Assert.InRange(Median(clearForestRed), 150, 500);
    }

    [Fact]
    public void PixelsOutsideTheSwathAreZeroInEveryBand()
    {
        var box = Scene.Geometry.Granules[1].Box;
        var bands = fixture.Render(1, 30);
        var corner = 2 * box.Width - 3; // row 1, column 57: north-east corner
        var inside = (box.Height - 2) * box.Width + 2; // south-west corner
        for (var b = 0; b < 6; b++)
        {
            Assert.Equal(0, bands[b][corner]);
            Assert.NotEqual(0, bands[b][inside]);
        }
        Assert.DoesNotContain(fixture.Render(0, 30)[5], v => v == SclClass.NoData);
    }

    [Fact]
    public void ClearSkyReflectancesAreRealistic()
    {
        // July forest: red 0.02-0.04, nir 0.25-0.35.
        var red = new List<int>();
        var nir = new List<int>();
        foreach (var a in Scene.Acquisitions.Where(x => x.Date.Month == 7))
        {
            var bands = fixture.Render(0, a.Index);
            for (var i = 0; i < bands[5].Length; i++)
            {
                if (bands[5][i] != SclClass.Vegetation || !Scene.IsStableForest(0, i)) continue;
                red.Add(bands[1][i]);
                nir.Add(bands[2][i]);
            }
        }
        Assert.True(red.Count > 100);
        Assert.InRange(Median(red), 200, 400);
        Assert.InRange(Median(nir), 2500, 3500);
    }

    [Fact]
    public void ClearCutsTurnForestIntoBareGroundOnTheirDate()
    {
        var monitored = Scene.Disturbances.Where(d => !d.IsHistory).ToArray();
        Assert.NotEmpty(monitored);
        foreach (var d in monitored)
        {
            var (g, pixel) = Enumerable.Range(0, 2).Select(k => (k, Scene.PixelInside(k, d))).First(p => p.Item2 >= 0);
            // NDVI of the pixel minus the median NDVI of clear stable forest on the same date: the season cancels out.
            var before = new List<double>();
            var after = new List<double>();
            foreach (var a in Scene.Acquisitions)
            {
                var bands = fixture.Render(g, a.Index);
                if (bands[5][pixel] is not (SclClass.Vegetation or SclClass.NotVegetated)) continue;
                var forest = Enumerable.Range(0, bands[5].Length)
                    .Where(i => bands[5][i] == SclClass.Vegetation && Scene.IsStableForest(g, i))
                    .Select(i => Ndvi(bands, i, a)).ToList();
                if (forest.Count < 20) continue;
                (a.Date < d.Date ? before : after).Add(Ndvi(bands, pixel, a) - Median(forest));
            }
            Assert.NotEmpty(before);
            Assert.NotEmpty(after);
            Assert.True(Math.Abs(Median(before)) < 0.1, $"{d.Id}: NDVI before the cut differs from the forest by {Median(before):F2}");
            Assert.True(Median(after) < -0.3, $"{d.Id}: NDVI after the cut differs from the forest by only {Median(after):F2}");
        }
    }

    private static double Ndvi(ushort[][] bands, int i, Acquisition a)
    {
        double red = bands[1][i] - a.DnOffset, nir = bands[2][i] - a.DnOffset;
        return (nir - red) / (nir + red);
    }

    [Fact]
    public void GroundTruthMarksEachDisturbanceWithItsDayNumberInsideTheForest()
    {
        var days = Scene.DisturbanceDays();
        var forest = Scene.ForestMask();
        var covered = Scene.ReferenceCovered;
        Assert.Equal(Scene.Geometry.Reference.PixelCount, days.Length);
        Assert.True(Scene.Disturbances.Count >= 4, $"{Scene.Disturbances.Count} disturbances placed");
        Assert.Contains(Scene.Disturbances, d => d.IsHistory);
        foreach (var d in Scene.Disturbances)
        {
            Assert.Equal(d.IsHistory, d.Date <= SceneFixture.Options.HistoryEnd);
            Assert.Equal((d.Date.ToDateTime(TimeOnly.MinValue) - new DateTime(1970, 1, 1)).Days, d.DayNumber);
            var pixels = Enumerable.Range(0, days.Length).Where(i => days[i] == d.DayNumber).ToArray();
            // 20 m pixels: 400 m2 each.
            Assert.InRange(pixels.Length * 400.0, d.AreaSquareMetres * 0.7, d.AreaSquareMetres * 1.3);
            Assert.All(pixels, i => Assert.True(forest[i] == 1 && covered[i]));
        }
        Assert.Equal(days.Count(v => v != 0), Scene.Disturbances.Sum(d => days.Count(v => v == d.DayNumber)));
        Assert.InRange(forest.Count(v => v == 1) / (double)forest.Length, 0.5, 0.8);
    }

    [Fact]
    public void InvalidOptionsAreRejectedNamingTheOption()
    {
        var e = Assert.Throws<ArgumentException>(() => new SyntheticScene(SceneFixture.Options with { GranuleSize = 5 }));
        Assert.Contains("granule size", e.Message);
        e = Assert.Throws<ArgumentException>(() => new SyntheticScene(SceneFixture.Options with { HistoryEnd = new DateOnly(2023, 1, 1) }));
        Assert.Contains("history end", e.Message);
    }

    private static T Median<T>(List<T> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
