using System.Runtime.CompilerServices;

namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// Consecutive outliers beyond the inter-quartile range of the fit residuals (spec 4.5; reference
/// <c>nrt.monitor.iqr.IQR</c>). Default fit: OLS.
/// </summary>
public sealed class Iqr : CountingMonitor<Iqr.Sink>
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected override bool IsOutlier(int pixel, double residual)
    {
        var m = Model;
        double q25 = m.Q25![pixel], q75 = m.Q75![pixel], iqr = q75 - q25;
        return residual > q75 + sensitivity * iqr || residual < q25 - sensitivity * iqr;
    }

    protected override void AddStatisticLayers(List<StateLayer> layers)
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
}
