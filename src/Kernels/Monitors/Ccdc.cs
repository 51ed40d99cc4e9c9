using System.Runtime.CompilerServices;

namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// Consecutive outliers beyond a multiple of the fit RMSE (spec 4.6; reference <c>nrt.monitor.ccdc.CCDC</c>).
/// Default fit: CCDC-stable with CCDC_RIRLS screening (which needs green and SWIR cubes).
/// </summary>
public sealed class Ccdc : CountingMonitor<Ccdc.Sink, Ccdc.Outliers>
{
    private readonly double sensitivity;

    public Ccdc(CcdcOptions? options = null, byte[]? mask = null) : base(options ?? new CcdcOptions(), mask) => sensitivity = Options.Sensitivity;

    /// <summary>Rebuilds a fitted CCDC monitor from its persisted state.</summary>
    public Ccdc(CcdcOptions options, FittedModel model, MonitoringState state) : base(options, model, state) => sensitivity = Options.Sensitivity;

    public override string Name => "CCDC";

    public override FitOptions DefaultFit { get; } = new() { Method = FitMethod.CcdcStable, Screening = OutlierScreening.CcdcRirls };

    protected override Sink NewSink(int pixels) => new(pixels);

    protected override FittedModel WithStatistics(FittedModel model, Sink sink) => model with { Rmse = sink.Rmse };

    protected override void ValidateStatistics(FittedModel model) => Require(model.Rmse, "rmse", Name);

    protected override Outliers OutlierTest(FittedModel model) => new(model.Rmse!, sensitivity);

    protected override void AddStatisticLayers(List<ReferenceLayer> layers) => layers.Add(Layer("rmse", Model.Rmse!));

    /// <summary>The root mean square of each pixel's fit residuals.</summary>
    public sealed class Sink(int pixels) : IResidualSink
    {
        public float[] Rmse { get; } = new float[pixels];

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Accept(int pixel, ReadOnlySpan<float> residuals) => Rmse[pixel] = ResidualStatistics.RootMeanSquare(residuals);
    }

    /// <summary>An outlier lies more than <c>sensitivity</c> RMSEs from the prediction.</summary>
    public readonly struct Outliers(float[] rmse, double sensitivity) : IOutlierTest
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool IsOutlier(int pixel, double residual) => Math.Abs(residual) / rmse[pixel] > sensitivity;

        /// <summary>|residual| over the limit, sensitivity x RMSE.</summary>
        public float Magnitude(int pixel, double residual) => (float)(Math.Abs(residual) / rmse[pixel] / sensitivity);
    }
}
