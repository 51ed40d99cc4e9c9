using NrtCluster.Kernels.Fitting;

namespace NrtCluster.Kernels.Tests.Fitting;

public class SelectionTests
{
    /// <summary>
    /// The quickselect median and MAD of the robust fits equal the sort-based ones, over lengths that take the vector
    /// partition (from 16 values) and runs of ties (which take the or-equal split).
    /// </summary>
    [Fact]
    public void MedianAndMadMatchTheSortedReference()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 400; trial++)
        {
            var n = rng.Next(1, 400);
            var values = new double[n];
            for (int i = 0; i < n; i++) values[i] = Math.Round(rng.NextDouble() * 6 - 3, rng.Next(0, 3));
            var a = new double[n];
            var b = new double[n];
            Assert.Equal(RobustStatistics.Median((double[])values.Clone()), Selection.Median(values, a, b));
            Assert.Equal(RobustStatistics.Mad((double[])values.Clone()), Selection.Mad((double[])values.Clone(), a, b, 0.6745), 12);
        }
    }
}
