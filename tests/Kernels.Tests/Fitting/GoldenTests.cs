using NrtCluster.Kernels.Fitting;

namespace NrtCluster.Kernels.Tests.Fitting;

/// <summary>Published results of R strucchange / bfast and Python statsmodels (conformance golden/).</summary>
public class GoldenTests
{
    private static readonly double[][] X = FittingData.Csv(FittingData.Golden("X.csv"));
    private static readonly double[][] Y = FittingData.Csv(FittingData.Golden("y.csv"));
    private const int K = 5;

    /// <summary>Pixel's valid observations in time order: flattened design, values, and their date indices.</summary>
    private static (double[] X, double[] Y, int[] Dates) Valid(int pixel)
    {
        var dates = Enumerable.Range(0, Y.Length).Where(t => !double.IsNaN(Y[t][pixel])).ToArray();
        return (dates.SelectMany(t => X[t]).ToArray(), dates.Select(t => Y[t][pixel]).ToArray(), dates);
    }

    [Fact]
    public void RecursiveResidualsMatchStrucchange()
    {
        var expected = FittingData.Csv(FittingData.Golden("rr_result.csv"));
        for (int pixel = 0; pixel < 5; pixel++)
        {
            var (x, y, dates) = Valid(pixel);
            var rr = new double[y.Length - K];
            PixelSolvers.RecursiveResiduals(x, K, y, K, rr);
            for (int t = 0; t < Y.Length; t++)
            {
                int i = Array.IndexOf(dates, t) - K;
                double want = expected[t][pixel];
                if (i < 0)
                {
                    Assert.True(double.IsNaN(want), $"pixel {pixel} date {t}: strucchange has {want}, we have none");
                    continue;
                }
                Assert.True(Math.Abs(rr[i] - want) <= 1e-6 * Math.Abs(want) + 1e-9, $"pixel {pixel} date {t}: {rr[i]} vs {want}");
            }
        }
    }

    [Fact]
    public void ReverseRecursiveCusumProcessMatchesEfp()
    {
        var expected = FittingData.Csv(FittingData.Golden("efp_result.csv")).Select(r => r[0]).ToArray();
        var (x, y, _) = Valid(0);
        var process = new double[y.Length - K - 1];
        PixelSolvers.RocStableStart(x, K, y, 0.05, process);
        // Ours is P_0 = 0, P_1.. (m = n - k entries); the initial-window convention differs from efp's: compare from ncol + 2.
        Assert.Equal(expected.Length, process.Length + 1);
        for (int i = K + 2; i < expected.Length; i++)
            Assert.True(Math.Abs(process[i - 1] - expected[i]) <= 1e-2 * Math.Abs(expected[i]), $"index {i}: {process[i - 1]} vs {expected[i]}");
    }

    [Fact]
    public void RocStableStartMatchesBfast()
    {
        var expected = FittingData.Csv(FittingData.Golden("roc_history_result.csv")).Select(r => (int)r[0] - 1).ToArray();
        for (int pixel = 0; pixel < 5; pixel++)
        {
            var (x, y, _) = Valid(pixel);
            Assert.Equal(expected[pixel], PixelSolvers.RocStableStart(x, K, y, 0.05, []));
        }
    }

    private static (double[] X, double[] Y, int K) Rlm(int series)
    {
        var x = FittingData.Csv(FittingData.Golden("RLM_X.csv"));
        var y = FittingData.Csv(FittingData.Golden("RLM_y.csv"));
        return (x.SelectMany(r => r).ToArray(), y.Select(r => r[series]).ToArray(), x[0].Length);
    }

    private static readonly double[][] RlmBeta =
    [
        [2.3757569983999076, 1.5919053949452396e-05, 4.960483948314601, 4.0427485592574195, 1.0676653146683237,
            -0.7172424822211365, 1.2701246101474761, 1.1329168669944791],
        [-51.621207292381314, -0.00019788972214892546, -73.95341088849317, -17.66452192456504, 0.579422996703399,
            -49.52111301879781, -38.324020145702654, -9.034638787625045],
    ];

    /// <summary>
    /// statsmodels RLM (Tukey biweight). In series 1 (13 observations, 8 regressors) the weights collapse onto 7
    /// observations: the answer is the minimum-norm solution of the weighted design in its original parametrisation.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void RirlsMatchesStatsmodelsRlm(int series)
    {
        var expected = RlmBeta[series];
        var (x, y, k) = Rlm(series);
        var beta = new double[k];
        var residuals = new double[y.Length];
        PixelSolvers.Rirls(x, k, y, new FitOptions(), beta, residuals);
        for (int c = 0; c < k; c++)
            Assert.True(Math.Abs(beta[c] - expected[c]) <= 1e-2 * Math.Abs(expected[c]), $"beta[{c}] = {beta[c]} vs {expected[c]}");
        for (int t = 0; t < y.Length; t++)
            Assert.Equal(double.IsNaN(y[t]), double.IsNaN(residuals[t]));
    }

    [Fact]
    public void RocCriticalValue() => Assert.Equal(0.9478982340418134, CriticalValues.Roc(0.05), 1e-9);

    [Theory]
    [InlineData(0.01, 3.368214)]
    [InlineData(0.05, 2.795483)]
    [InlineData(0.1, 2.500278)]
    public void CuSumCriticalValues(double sensitivity, double expected) => Assert.Equal(expected, CriticalValues.CuSum(sensitivity), 1e-6);

    [Fact]
    public void CuSumCriticalValuesOfTheCases()
    {
        // The reference's normal CDF is an erfc approximation (relative error < 1.2e-7): agreement to 1e-8.
        Assert.Equal(2.5002777074015565, CriticalValues.CuSum(0.1), 1e-8);
        Assert.Equal(2.795483485809851, CriticalValues.CuSum(0.05), 1e-8);
    }

    [Theory]
    [InlineData(-1, 0.15865525393145707)]
    [InlineData(1, 0.8413447460685429)]
    [InlineData(0.3, 0.6179114221889526)]
    public void NormalCdf(double x, double expected) => Assert.Equal(expected, CriticalValues.NormalCdf(x), 1e-7);

    [Fact]
    public void BrownianMotionPValueIsLinearBelow03() => Assert.Equal(1 - 0.1464 * 0.2, CriticalValues.BrownianMotionPValue(0.2), 1e-15);

    [Theory]
    [InlineData(0.5, 0.01, 2.20907282819197)]
    [InlineData(0.25, 0.05, 1.34182451007628)]
    public void MoSumCriticalValuesOfTheCases(double h, double sensitivity, double expected)
        => Assert.Equal(expected, CriticalValues.MoSum(h, sensitivity), 1e-10);

    [Fact]
    public void MoSumCriticalValuesComeFromTheTable()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(FittingData.Golden("mosum_crit_table.json")));
        var levels = doc.RootElement.GetProperty("sig_levels").EnumerateArray().Select(e => double.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        foreach (var h in new[] { "0.25", "0.5", "1" })
        {
            var row = doc.RootElement.GetProperty(h).GetProperty("10").GetProperty("max").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            double hv = double.Parse(h, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(row[0], CriticalValues.MoSum(hv, 0.05), 1e-12);
            Assert.Equal(row[^1], CriticalValues.MoSum(hv, 1 - levels[^1]), 1e-12);
            int i = Array.FindIndex(levels, l => Math.Abs(l - 0.975) < 1e-12);
            Assert.Equal(row[i], CriticalValues.MoSum(hv, 0.025), 1e-9);
        }
    }

    [Theory]
    [InlineData(0.3, 0.05, "h")]
    [InlineData(0.25, 0.1, "sensitivity")]
    [InlineData(0.25, 0.0005, "sensitivity")]
    public void MoSumRejectsUntabulatedInput(double h, double sensitivity, string parameter)
    {
        var e = Assert.Throws<ArgumentException>(() => CriticalValues.MoSum(h, sensitivity));
        Assert.Equal(parameter, e.ParamName);
    }
}
