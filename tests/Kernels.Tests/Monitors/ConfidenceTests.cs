using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Kernels.Tests.Monitors;

/// <summary>
/// Alert confidence and magnitude on constructed series: a history alternating 0.5 and 0.6 (model: the mean 0.55, no
/// trend or harmonics; residuals +-0.05), then monitored values chosen per pixel.
/// </summary>
public class ConfidenceTests
{
    private const int HistoryDates = 40;
    private static readonly DateTime Start = new(2020, 1, 1, 10, 0, 0, DateTimeKind.Utc);
    private static readonly FitOptions Ols = new() { Method = FitMethod.Ols, Screening = OutlierScreening.None };

    [Fact]
    public void IqrIsLowFromTheFirstOutlierAndHighAtTheBreakAndAResetRunIsNoAlert()
    {
        // q25 = -0.05, q75 = 0.05, IQR 0.1: outliers lie below -0.05 - 1.5 x 0.1 = -0.2 or above 0.2.
        var m = Fitted(new Iqr(new IqrOptions { Trend = false, HarmonicOrder = 0 }), 2);
        Step(m, 0, 0.15f, 0.55f); // residual -0.4: (0.4 - 0.05) / 0.15 limits
        Assert.Equal([ConfidenceCodes.Low, ConfidenceCodes.None], m.State.Confidence);
        Assert.Equal(0.35 / 0.15, m.State.Magnitude[0], 1e-3);
        Assert.Equal(0, m.State.Magnitude[1]);
        Step(m, 1, 0.55f, 0.55f); // the run ends before the boundary (3): no alert any more
        Assert.Equal(ConfidenceCodes.None, m.State.Confidence[0]);
        Assert.Equal(0, m.State.Magnitude[0]);
        Step(m, 2, 0.85f, 0.55f);
        Step(m, 3, 0.15f, 0.55f);
        Assert.Equal(ConfidenceCodes.Low, m.State.Confidence[0]);
        Assert.Equal(MaskCodes.Monitored, m.State.Mask[0]);
        Step(m, 4, 0.25f, 0.55f); // the third outlier confirms; residual -0.3: (0.3 - 0.05) / 0.15
        Assert.Equal(MaskCodes.Break, m.State.Mask[0]);
        Assert.Equal(ConfidenceCodes.High, m.State.Confidence[0]);
        Assert.Equal(0.25 / 0.15, m.State.Magnitude[0], 1e-3);
        Assert.Equal(Day(4), m.State.DetectionDate[0]);
        var report = Assert.IsType<ushort[]>(m.Report(["confidence", "magnitude"]).Data);
        Assert.Equal([2, 0, 166, 0], report);
    }

    [Fact]
    public void CcdcMagnitudeIsTheResidualOverSensitivityTimesRmse()
    {
        var m = Fitted(new Ccdc(new CcdcOptions { Trend = false, HarmonicOrder = 0, Boundary = 2 }), 1);
        Step(m, 0, 0.15f); // |-0.4| / 0.05 = 8 RMSEs, limit 3
        Assert.Equal(ConfidenceCodes.Low, m.State.Confidence[0]);
        Assert.Equal(8.0 / 3, m.State.Magnitude[0], 1e-3);
        Step(m, 1, 0.95f);
        Assert.Equal(ConfidenceCodes.High, m.State.Confidence[0]);
        Assert.Equal(MaskCodes.Break, m.State.Mask[0]);
    }

    [Fact]
    public void EwmaBreakIsLowUntilTheNextValidObservationConfirmsItWithoutTouchingTheReferenceState()
    {
        var m = Fitted(new Ewma(new EwmaOptions { Trend = false, HarmonicOrder = 0 }), 3);
        var boundary = m.Model.EwmaBoundary!;
        var before = (double[])m.State.Process!.Clone();
        Step(m, 0, 0.15f, 0.15f, 0.15f); // residual -0.4 (within 10 sigma): every pixel breaks
        var broken = m.State.Copy();
        for (int i = 0; i < 3; i++)
        {
            var z = 0.7 * before[i] + 0.3 * (0.15f - Mean(m, i));
            Assert.Equal(MaskCodes.Break, m.State.Mask[i]);
            Assert.Equal(ConfidenceCodes.Low, m.State.Confidence[i]);
            Assert.Equal(Math.Abs(z) / boundary[i], m.State.Magnitude[i], 1e-4);
        }
        // Pixel 0 confirmed on the same side, pixel 1 back inside, pixel 2 cloudy (waits).
        Step(m, 1, 0.15f, 0.95f, float.NaN);
        Assert.Equal([ConfidenceCodes.High, ConfidenceCodes.Unconfirmed, ConfidenceCodes.Low], m.State.Confidence);
        var next = 0.7 * broken.Process![0] + 0.3 * (0.15f - Mean(m, 0));
        Assert.Equal(Math.Abs(next) / boundary[0], m.State.Magnitude[0], 1e-4);
        Assert.Equal(broken.Magnitude[1], m.State.Magnitude[1]);
        // An extreme outlier (beyond 10 sigma) is no valid observation; the next valid one settles pixel 2.
        Step(m, 2, 0.15f, 0.15f, 5f);
        Assert.Equal(ConfidenceCodes.Low, m.State.Confidence[2]);
        Step(m, 3, 0.15f, 0.15f, 0.15f);
        Assert.Equal([ConfidenceCodes.High, ConfidenceCodes.Unconfirmed, ConfidenceCodes.High], m.State.Confidence);
        Assert.Equal(broken.Process, m.State.Process);
        Assert.Equal(broken.Mask, m.State.Mask);
        Assert.Equal(broken.DetectionDate, m.State.DetectionDate);
        Assert.Equal([2, 1, 2], Assert.IsType<byte[]>(m.Report(["confidence"], "uint8").Data));
    }

    [Fact]
    public void CuSumBreakIsConfirmedByTheProcessItsNextObservationWouldGive()
    {
        var m = Fitted(new CuSum(new CuSumOptions { Trend = false, HarmonicOrder = 0 }), 2);
        Step(m, 0, 0.15f, 0.15f);
        var broken = m.State.Copy();
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(MaskCodes.Break, m.State.Mask[i]);
            Assert.Equal(ConfidenceCodes.Low, m.State.Confidence[i]);
            Assert.Equal(Math.Abs(m.State.Process![i]) / m.State.Boundary![i], m.State.Magnitude[i], 1e-5);
        }
        Step(m, 1, 0.15f, 0.95f);
        Assert.Equal([ConfidenceCodes.High, ConfidenceCodes.Unconfirmed], m.State.Confidence);
        // By hand: the process and boundary one observation on (spec 4.3).
        var h = (double)m.Model.HistSize![0];
        var process = broken.Process![0] + (0.15f - Mean(m, 0)) / (m.Model.Sigma![0] * MathF.Sqrt(m.Model.HistSize[0]));
        var ratio = (broken.N![0] + 1) / h;
        var crit2 = m.Model.CriticalValue * m.Model.CriticalValue;
        var boundary = Math.Sqrt(ratio * (ratio - 1) * (crit2 + Math.Log(ratio / (ratio - 1))));
        Assert.Equal(Math.Abs(process) / boundary, m.State.Magnitude[0], 1e-4);
        Assert.Equal(broken.Process, m.State.Process);
        Assert.Equal(broken.N, m.State.N);
        Assert.Equal(broken.Boundary, m.State.Boundary);
    }

    [Fact]
    public void MoSumBreakIsLowThenHighOnTheSameSide()
    {
        var m = Fitted(new MoSum(new MoSumOptions { Trend = false, HarmonicOrder = 0 }), 1);
        var t = 0;
        while (m.State.Mask[0] != MaskCodes.Break && t < 5) Step(m, t++, 0.15f);
        Assert.Equal(MaskCodes.Break, m.State.Mask[0]);
        Assert.Equal(ConfidenceCodes.Low, m.State.Confidence[0]);
        Assert.Equal(Math.Abs(m.State.Process![0]) / m.State.Boundary![0], m.State.Magnitude[0], 1e-5);
        var broken = m.State.Copy();
        Step(m, t, 0.15f);
        Assert.Equal(ConfidenceCodes.High, m.State.Confidence[0]);
        Assert.True(m.State.Magnitude[0] > broken.Magnitude[0], "a second outlier on the same side moves the sum further out");
        Assert.Equal(broken.Window, m.State.Window);
        Assert.Equal(broken.Process, m.State.Process);
    }

    [Fact]
    public void AStateWithoutConfidenceStartsWithZerosAndKeepsThem()
    {
        var m = Fitted(new Iqr(new IqrOptions { Trend = false, HarmonicOrder = 0 }), 2);
        var old = new MonitoringState { Mask = m.State.Mask, DetectionDate = m.State.DetectionDate, Counter = m.State.Counter, Steps = 0 };
        var restored = new Iqr((IqrOptions)m.Options, m.Model, old);
        Assert.Equal([0, 0], restored.State.Confidence);
        Step(restored, 0, 0.15f, 0.55f);
        Assert.Equal([ConfidenceCodes.Low, ConfidenceCodes.None], restored.State.Confidence);
    }

    private static BaseMonitor Fitted(BaseMonitor monitor, int pixels)
    {
        var dates = Enumerable.Range(0, HistoryDates).Select(i => Start.AddDays(5 * i)).ToArray();
        var values = new float[HistoryDates * pixels];
        for (int t = 0; t < HistoryDates; t++)
            for (int i = 0; i < pixels; i++) values[t * pixels + i] = t % 2 == 0 ? 0.5f : 0.6f;
        monitor.Fit(new HistoryCube(values, dates, 1, pixels), Ols);
        Assert.All(monitor.State.Mask, v => Assert.Equal(MaskCodes.Monitored, v));
        return monitor;
    }

    private static DateTime DateOf(int step) => Start.AddDays(5 * (HistoryDates + step));

    private static ushort Day(int step) => (ushort)Regressors.DayNumber(DateOf(step));

    private static void Step(BaseMonitor m, int step, params float[] values) => m.Monitor(values, DateOf(step));

    /// <summary>The fitted mean (the one coefficient) of a pixel.</summary>
    private static double Mean(BaseMonitor m, int pixel) => m.Model.Beta[pixel];
}
