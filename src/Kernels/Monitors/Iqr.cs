using System.Runtime.CompilerServices;

namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// Consecutive outliers beyond the inter-quartile range of the fit residuals (spec 4.5; reference
/// <c>nrt.monitor.iqr.IQR</c>). Default fit: OLS.
/// </summary>
public sealed class Iqr : CountingMonitor<Iqr.Sink, Iqr.Outliers>
{
    private readonly double sensitivity;

    public Iqr(IqrOptions? options = null, byte[]? mask = null) : base(options ?? new IqrOptions(), mask) => sensitivity = Options.Sensitivity;

    /// <summary>Rebuilds a fitted IQR monitor from its persisted state.</summary>
    public Iqr(IqrOptions options, FittedModel model, MonitoringState state) : base(options, model, state) => sensitivity = Options.Sensitivity;

    public override string Name => "IQR";

    public override FitOptions DefaultFit { get; } = new() { Method = FitMethod.Ols };

    protected override Sink NewSink(int pixels) => new(pixels);

    protected override FittedModel WithStatistics(FittedModel model, Sink sink) => model with { Q25 = sink.Q25, Q75 = sink.Q75 };

    protected override void ValidateStatistics(FittedModel model)
    {
        Require(model.Q25, "q25", Name);
        Require(model.Q75, "q75", Name);
    }

    protected override Outliers OutlierTest(FittedModel model) => new(model.Q25!, model.Q75!, sensitivity);

    protected override void AddStatisticLayers(List<ReferenceLayer> layers)
    {
        layers.Add(Layer("q25", Model.Q25!));
        layers.Add(Layer("q75", Model.Q75!));
    }

    /// <summary>The 25th and 75th percentiles of each pixel's fit residuals.</summary>
    public sealed class Sink(int pixels) : IResidualSink
    {
        public double[] Q25 { get; } = new double[pixels];
        public double[] Q75 { get; } = new double[pixels];

        [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
        public void Accept(int pixel, ReadOnlySpan<float> residuals)
        {
            Span<float> scratch = residuals.Length <= 2048 ? stackalloc float[residuals.Length] : new float[residuals.Length];
            (Q25[pixel], Q75[pixel]) = ResidualStatistics.Percentiles(residuals, 0.25, 0.75, scratch);
        }
    }

    /// <summary>An outlier lies beyond the quartiles by more than <c>sensitivity</c> inter-quartile ranges.</summary>
    public readonly struct Outliers(double[] q25, double[] q75, double sensitivity) : IOutlierTest
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool IsOutlier(int pixel, double residual)
        {
            double low = q25[pixel], high = q75[pixel], iqr = high - low;
            return residual > high + sensitivity * iqr || residual < low - sensitivity * iqr;
        }

        /// <summary>The residual's distance beyond the nearer quartile over the limit's (sensitivity x IQR).</summary>
        public float Magnitude(int pixel, double residual)
        {
            double low = q25[pixel], high = q75[pixel];
            return (float)((residual > high ? residual - high : low - residual) / (sensitivity * (high - low)));
        }
    }
}
