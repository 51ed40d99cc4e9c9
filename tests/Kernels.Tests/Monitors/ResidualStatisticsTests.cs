using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Kernels.Tests.Monitors;

public class ResidualStatisticsTests
{
    /// <summary>Selection-based percentiles equal numpy's linear interpolation on the sorted values.</summary>
    [Fact]
    public void PercentilesMatchSortedInterpolation()
    {
        var rng = new Random(11);
        for (int trial = 0; trial < 500; trial++)
        {
            var n = rng.Next(1, 60);
            var values = new float[n];
            for (int i = 0; i < n; i++)
            {
                values[i] = rng.NextDouble() < 0.2 ? float.NaN : (float)Math.Round(rng.NextDouble() * 4 - 2, rng.Next(1, 4));
            }
            var finite = values.Where(v => !float.IsNaN(v)).Order().ToArray();
            var (q25, q75) = ResidualStatistics.Percentiles(values, 0.25, 0.75, new float[n]);
            if (finite.Length == 0)
            {
                Assert.True(double.IsNaN(q25) && double.IsNaN(q75));
                continue;
            }
            Assert.Equal(Reference(finite, 0.25), q25, 12);
            Assert.Equal(Reference(finite, 0.75), q75, 12);
        }
    }

    [Fact]
    public void StdFollowsNumpyNanstd()
    {
        float[] e = [1, float.NaN, 2, 3, 4];
        Assert.Equal(Math.Sqrt(1.25), ResidualStatistics.Std(e, 0), 6);
        Assert.Equal(Math.Sqrt(5.0 / 3), ResidualStatistics.Std(e, 1), 6);
        Assert.True(float.IsNaN(ResidualStatistics.Std(e, 4)));
        Assert.Equal(Math.Sqrt(7.5), ResidualStatistics.RootMeanSquare(e), 6);
    }

    private static double Reference(float[] sorted, double p)
    {
        var position = p * (sorted.Length - 1);
        var lo = (int)Math.Floor(position);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        double a = sorted[lo], b = sorted[hi], t = position - lo;
        return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
    }
}
