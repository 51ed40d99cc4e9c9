using System.Text.Json;
using NrtCluster.Kernels.Fitting;

namespace NrtCluster.Kernels.Tests.Fitting;

public class FitterTests
{
    private static readonly DateTime Start = new(2018, 1, 3, 10, 30, 0, DateTimeKind.Utc);

    /// <summary>Dates every 5 days with a time of day, and a cube following y = X*beta plus optional noise.</summary>
    private static (HistoryCube Cube, double[] Beta) Synthetic(int times, int height, int width, bool trend, int order, double noise = 0, int seed = 1)
    {
        var dates = Enumerable.Range(0, times).Select(i => Start.AddDays(5 * i)).ToArray();
        int k = Regressors.Columns(trend, order);
        var beta = new double[k];
        beta[0] = 0.6;
        if (trend)
            beta[1] = 1e-5;
        for (int c = trend ? 2 : 1; c < k; c++)
            beta[c] = 0.1 / c;
        if (trend)
            beta[0] -= beta[1] * Regressors.TrendValue(dates[0]);
        var random = new Random(seed);
        var x = Regressors.Matrix(dates, trend, order);
        int pixels = height * width;
        var values = new float[times * pixels];
        for (int t = 0; t < times; t++)
        {
            double mean = 0;
            for (int c = 0; c < k; c++)
                mean += x[t * k + c] * beta[c];
            for (int p = 0; p < pixels; p++)
                values[t * pixels + p] = (float)(mean + noise * (random.NextDouble() - 0.5));
        }
        return (new HistoryCube(values, dates, height, width), beta);
    }

    private static byte[] Ones(int n) => Enumerable.Repeat(MaskCodes.Monitored, n).ToArray();

    [Fact]
    public void DecimalYearUsesTheDec31Denominator()
    {
        Assert.Equal(2021.0, Regressors.DecimalYear(new DateTime(2021, 1, 1)), 12);
        Assert.Equal(2022.0, Regressors.DecimalYear(new DateTime(2021, 12, 31)), 12);
        Assert.Equal(2021 + 364.5 / 364, Regressors.DecimalYear(new DateTime(2021, 12, 31, 12, 0, 0)), 12);
        Assert.Equal(2020 + 100.25 / 365, Regressors.DecimalYear(new DateTime(2020, 1, 1).AddDays(100.25)), 12);
    }

    [Fact]
    public void TrendIsOneLessThanTheDayNumberAtMidnight()
    {
        var midnight = new DateTime(2018, 6, 1, 0, 0, 0, DateTimeKind.Utc);
        int day = Regressors.DayNumber(midnight);
        Assert.Equal(17683, day);
        Assert.Equal(day - 1, Regressors.TrendValue(midnight));
        Assert.Equal(day, Regressors.TrendValue(midnight.AddSeconds(1)));
        Assert.Equal(day, Regressors.TrendValue(midnight.AddHours(23.9)));
        Assert.Equal(-1, Regressors.DayNumber(new DateTime(1969, 12, 31, 23, 0, 0)));
    }

    [Fact]
    public void RowHasInterceptTrendCosinesThenSines()
    {
        var t = new DateTime(2019, 3, 10, 10, 0, 0);
        Span<double> row = stackalloc double[Regressors.Columns(true, 2)];
        Regressors.Row(t, true, 2, row);
        double d = Regressors.DecimalYear(t);
        Assert.Equal(6, row.Length);
        Assert.Equal(1, row[0]);
        Assert.Equal(Regressors.DayNumber(t), row[1]);
        Assert.Equal(Math.Cos(2 * Math.PI * d), row[2], 12);
        Assert.Equal(Math.Cos(4 * Math.PI * d), row[3], 12);
        Assert.Equal(Math.Sin(2 * Math.PI * d), row[4], 12);
        Assert.Equal(Math.Sin(4 * Math.PI * d), row[5], 12);
    }

    [Theory]
    [InlineData(FitMethod.Ols)]
    [InlineData(FitMethod.Rirls)]
    [InlineData(FitMethod.Roc)]
    [InlineData(FitMethod.CcdcStable)]
    public void ExactDataGivesItsCoefficientsAndZeroResiduals(FitMethod method)
    {
        // CCDC-stable needs some noise: on exact data the RMSE is ~0 and every window is "unstable".
        double noise = method == FitMethod.CcdcStable ? 0.01 : 0;
        var (cube, beta) = Synthetic(120, 3, 70, trend: true, order: 2, noise);
        var mask = Ones(cube.Pixels);
        mask[5] = MaskCodes.NotMonitored;
        var sink = new FittingData.ArraySink(cube.Pixels, cube.Times);
        var result = HistoryFitter.Fit(cube, mask, true, 2, new FitOptions { Method = method }, sink);
        Assert.Equal(6, result.Columns);
        for (int p = 0; p < cube.Pixels; p++)
        {
            Assert.Equal(1, sink.Calls[p]);
            if (p == 5)
            {
                Assert.Equal(MaskCodes.NotMonitored, mask[p]);
                Assert.All(sink.Row(p).ToArray(), r => Assert.Equal(0f, r));
                Assert.Equal(0f, result.Beta[p]);
                continue;
            }
            Assert.Equal(MaskCodes.Monitored, mask[p]);
            // With noise the intercept (at day 0) carries the slope's error times ~17500 days: check the others.
            for (int c = noise > 0 ? 1 : 0; c < beta.Length; c++)
                Assert.Equal(beta[c], result.Beta[c * cube.Pixels + p], Math.Max(1e-6, Math.Abs(beta[c]) * 1e-4) + noise);
            Assert.All(sink.Row(p).ToArray(), r => Assert.True(Math.Abs(r) < 1e-5 + noise, $"residual {r}"));
        }
        if (method is FitMethod.Roc or FitMethod.CcdcStable)
        {
            // A pixel outside the mask keeps the first history day too, as in the reference (not 0).
            Assert.Equal((ushort)Regressors.DayNumber(cube.Dates[0]), result.FitStart![0]);
            Assert.Equal((ushort)Regressors.DayNumber(cube.Dates[0]), result.FitStart![5]);
        }
        else
            Assert.Null(result.FitStart);
    }

    [Fact]
    public void OlsResidualsArePredictionMinusObservationAndRirlsTheOpposite()
    {
        var (cube, _) = Synthetic(60, 1, 1, trend: false, order: 1);
        var values = cube.Values.ToArray();
        values[10] += 0.5f;
        cube = cube with { Values = values };
        var ols = new FittingData.ArraySink(1, 60);
        HistoryFitter.Fit(cube, Ones(1), false, 1, new FitOptions(), ols);
        Assert.True(ols.Row(0)[10] < -0.4f);
        var rirls = new FittingData.ArraySink(1, 60);
        var result = HistoryFitter.Fit(cube, Ones(1), false, 1, new FitOptions { Method = FitMethod.Rirls }, rirls);
        // The robust fit ignores the outlier: its residual is the full +0.5, and the coefficients are the true ones.
        Assert.Equal(0.5, rirls.Row(0)[10], 1e-4);
        Assert.Equal(0.6, result.Beta[0], 1e-4);
    }

    [Fact]
    public void ShewhartScreensTheOutlierOut()
    {
        var (cube, _) = Synthetic(60, 1, 2, trend: false, order: 1, noise: 0.02);
        var values = cube.Values.ToArray();
        values[20 * 2] += 1f;
        cube = cube with { Values = values };
        var sink = new FittingData.ArraySink(2, 60);
        var result = HistoryFitter.Fit(cube, Ones(2), false, 1, new FitOptions { Screening = OutlierScreening.Shewhart }, sink);
        Assert.True(float.IsNaN(sink.Row(0)[20]));
        Assert.False(float.IsNaN(sink.Row(1)[20]));
        Assert.Equal(1, result.ScreenedOut);
        Assert.Equal(120, result.ValidBeforeScreening);
    }

    [Fact]
    public void ShortAndAllNaNSeriesGetMask4()
    {
        var (cube, _) = Synthetic(40, 1, 3, trend: true, order: 2);
        var values = cube.Values.ToArray();
        // k = 6: 9 observations are enough, 8 are not (bound 1.5*k = 9, strict <).
        for (int t = 0; t < 40; t++)
        {
            values[t * 3 + 0] = float.NaN;
            if (t >= 9)
                values[t * 3 + 1] = float.NaN;
        }
        for (int t = 8; t < 40; t++)
            values[t * 3 + 2] = float.NaN;
        var mask = Ones(3);
        var sink = new FittingData.ArraySink(3, 40);
        HistoryFitter.Fit(cube with { Values = values }, mask, true, 2, new FitOptions(), sink);
        Assert.Equal([MaskCodes.TooFewObservations, MaskCodes.Monitored, MaskCodes.TooFewObservations], mask);
        Assert.All(sink.Row(0).ToArray(), r => Assert.Equal(0f, r));
    }

    [Theory]
    [InlineData(FitMethod.Ols, MaskCodes.TooFewObservations)]
    [InlineData(FitMethod.Roc, MaskCodes.Unstable)]
    [InlineData(FitMethod.CcdcStable, MaskCodes.Unstable)]
    [InlineData(FitMethod.Rirls, MaskCodes.Monitored)]
    public void AllObservationsOnOneDayDoNotThrow(FitMethod method, byte expectedMask)
    {
        // Pixel 0 is observed only on the four acquisitions of one day; pixel 1 on every date.
        var (cube, _) = Synthetic(40, 1, 2, trend: true, order: 1);
        var dates = cube.Dates.ToArray();
        for (int t = 0; t < 12; t++)
            dates[t] = dates[0].AddMinutes(t);
        for (int t = 12; t < 40; t++)
            dates[t] = dates[t].AddDays(60);
        var values = cube.Values.ToArray();
        for (int t = 12; t < 40; t++)
            values[t * 2] = float.NaN;
        var mask = Ones(2);
        var sink = new FittingData.ArraySink(2, 40);
        HistoryFitter.Fit(new HistoryCube(values, dates, 1, 2), mask, true, 1, new FitOptions { Method = method }, sink);
        Assert.Equal(expectedMask, mask[0]);
        Assert.Equal(1, sink.Calls[0]);
    }

    [Fact]
    public void DecreasingDatesAreRejected()
    {
        var (cube, _) = Synthetic(20, 1, 1, trend: false, order: 1);
        var dates = cube.Dates.ToArray();
        (dates[3], dates[4]) = (dates[4], dates[3]);
        var e = Assert.Throws<ArgumentException>(() =>
            HistoryFitter.Fit(cube with { Dates = dates }, Ones(1), false, 1, new FitOptions(), new FittingData.ArraySink(1, 20)));
        Assert.Contains("non-decreasing", e.Message);
        Assert.Contains("date 4", e.Message);
    }

    [Fact]
    public void AllZeroMaskIsRejected()
    {
        var (cube, _) = Synthetic(20, 1, 2, trend: false, order: 1);
        var e = Assert.Throws<ArgumentException>(() =>
            HistoryFitter.Fit(cube, new byte[2], false, 1, new FitOptions(), new FittingData.ArraySink(2, 20)));
        Assert.Contains("No pixel is monitored", e.Message);
    }

    [Fact]
    public void NoPixelLeftNamesTheBound()
    {
        var (cube, _) = Synthetic(7, 1, 2, trend: false, order: 2);
        var e = Assert.Throws<ArgumentException>(() =>
            HistoryFitter.Fit(cube, Ones(2), false, 2, new FitOptions(), new FittingData.ArraySink(2, 7)));
        Assert.Contains("1.5*k = 7.5", e.Message);
    }

    [Fact]
    public void ShapeMismatchIsRejected()
    {
        var (cube, _) = Synthetic(20, 2, 2, trend: false, order: 1);
        var e = Assert.Throws<ArgumentException>(() =>
            HistoryFitter.Fit(cube with { Width = 3 }, Ones(6), false, 1, new FitOptions(), new FittingData.ArraySink(6, 20)));
        Assert.Contains("80 values", e.Message);
        Assert.Throws<ArgumentException>(() => HistoryFitter.Fit(cube, Ones(3), false, 1, new FitOptions(), new FittingData.ArraySink(4, 20)));
    }

    [Fact]
    public void CcdcStableNeedsTrendAndCcdcRirlsNeedsGreenAndSwir()
    {
        var (cube, _) = Synthetic(20, 1, 1, trend: false, order: 1);
        var sink = new FittingData.ArraySink(1, 20);
        var e = Assert.Throws<ArgumentException>(() =>
            HistoryFitter.Fit(cube, Ones(1), false, 1, new FitOptions { Method = FitMethod.CcdcStable }, sink));
        Assert.Contains("trend", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            HistoryFitter.Fit(cube, Ones(1), false, 1, new FitOptions { Screening = OutlierScreening.CcdcRirls }, sink));
        Assert.Contains("green and SWIR", e.Message);
    }

    [Fact]
    public void CcdcRirlsScreeningWarnsWhenTheScalingFactorLooksWrong()
    {
        var (cube, _) = Synthetic(80, 1, 4, trend: true, order: 1, noise: 0.02);
        // Reflectances scaled by 10000 but scaling_factor left at 1: the 0.04 thresholds remove most observations.
        var (green, _) = Synthetic(80, 1, 4, trend: true, order: 1, noise: 2000, seed: 2);
        var (swir, _) = Synthetic(80, 1, 4, trend: true, order: 1, noise: 2000, seed: 3);
        var options = new FitOptions { Method = FitMethod.CcdcStable, Screening = OutlierScreening.CcdcRirls };
        var mask = Ones(4);
        var result = HistoryFitter.Fit(cube, mask, true, 1, options, new FittingData.ArraySink(4, 80), green, swir);
        Assert.True(result.ScreenedOut > result.ValidBeforeScreening / 2);
        Assert.Contains(result.Warnings, w => w.Contains("scaling_factor"));

        var scaled = options with { ScalingFactor = 1e5 };
        result = HistoryFitter.Fit(cube, Ones(4), true, 1, scaled, new FittingData.ArraySink(4, 80), green, swir);
        Assert.Equal(0, result.ScreenedOut);
        Assert.Empty(result.Warnings);
    }

    private static Dictionary<string, JsonElement> Json(string json) =>
        JsonDocument.Parse(json).RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());

    [Fact]
    public void ReferenceOptionsAreParsed()
    {
        var o = FitOptions.FromReference(Json("""{"method": "RIRLS", "screen_outliers": "CCDC_RIRLS", "maxiter": 5, "L": 3, "tune": 4, "scale_constant": 0.7, "update_scale": false, "tol": 1e-6, "alpha": 0.01, "scaling_factor": 10000, "threshold": 2}"""));
        Assert.Equal(new FitOptions
        {
            Method = FitMethod.Rirls, Screening = OutlierScreening.CcdcRirls, MaxIter = 5, L = 3, Tune = 4, ScaleConstant = 0.7,
            UpdateScale = false, Tol = 1e-6, Alpha = 0.01, ScalingFactor = 10000, Threshold = 2,
        }, o);
        Assert.Equal(OutlierScreening.None, FitOptions.FromReference(Json("""{"method": "CCDC-stable", "screen_outliers": null}""")).Screening);
        Assert.Equal(FitMethod.CcdcStable, FitOptions.FromReference(Json("""{"method": "CCDC-stable"}""")).Method);
    }

    [Theory]
    [InlineData("""{"method": "LASSO"}""", "method", "LASSO", "CCDC-stable")]
    [InlineData("""{"screen_outliers": "Hampel"}""", "screen_outliers", "Hampel", "Shewhart")]
    [InlineData("""{"lambda": 0.3}""", "lambda", "lambda", "maxiter")]
    public void UnknownReferenceNamesAreRejected(string json, string option, string named, string listed)
    {
        var e = Assert.Throws<OptionException>(() => FitOptions.FromReference(Json(json)));
        Assert.Equal(option, e.Option);
        Assert.Contains(named, e.Message);
        Assert.Contains(listed, e.Message);
    }

    [Fact]
    public void PercentilesAgreeWithSortingOnRandomAndTiedData()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 500; trial++)
        {
            int n = random.Next(1, 300);
            // Every third trial draws from 4 values only: many ties.
            var values = Enumerable.Range(0, n).Select(_ => trial % 3 == 0 ? random.Next(4) : random.NextDouble() - 0.5).ToArray();
            var sorted = values.Order().ToArray();
            foreach (double fraction in new[] { 0, 0.1, 0.25, 0.5, 0.75, 1 })
            {
                double h = fraction * (n - 1);
                int lo = (int)Math.Floor(h);
                double expected = lo + 1 < n ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
                Assert.Equal(expected, RobustStatistics.Percentile((double[])values.Clone(), fraction), 12);
            }
        }
    }

    [Fact]
    public void RobustStatisticsIgnoreNaNAndInterpolate()
    {
        double[] values = [5, double.NaN, 1, 4, 2, 3, double.NaN];
        Assert.Equal(3, RobustStatistics.Median((double[])values.Clone()));
        Assert.Equal(2, RobustStatistics.Percentile((double[])values.Clone(), 0.25));
        Assert.Equal(1.4, RobustStatistics.Percentile((double[])values.Clone(), 0.1), 12);
        Assert.Equal(2.5, RobustStatistics.Median(new double[] { 4, 1, 3, 2 }));
        Assert.Equal(4.6f, (float)RobustStatistics.Percentile(new float[] { 5, float.NaN, 1, 4, 2, 3 }, 0.9), 5);
        Assert.True(double.IsNaN(RobustStatistics.Median(new[] { double.NaN })));
        // |x - 3| = 2, 2, 1, 1, 0 -> median 1.
        Assert.Equal(1 / 0.6745, RobustStatistics.Mad((double[])values.Clone()), 12);
    }
}
