using System.Runtime.CompilerServices;

namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// Consecutive outliers beyond a multiple of the fit RMSE (spec 4.6; reference <c>nrt.monitor.ccdc.CCDC</c>).
/// Default fit: CCDC-stable with CCDC_RIRLS screening (which needs green and SWIR cubes).
/// </summary>
public sealed class Ccdc : BaseMonitor
{
    private readonly CcdcOptions options;

    public Ccdc(CcdcOptions? options = null, byte[]? mask = null) : base(options ?? new CcdcOptions(), mask)
    {
        this.options = (CcdcOptions)Options;
        Iqr.CheckBoundary(this.options.Boundary);
    }

    /// <summary>Rebuilds a fitted CCDC monitor from its persisted state.</summary>
    public Ccdc(CcdcOptions options, FittedModel model, MonitoringState state) : base(options, model, state)
    {
        this.options = options;
        Iqr.CheckBoundary(options.Boundary);
    }

    public override string Name => "CCDC";

    public override FitOptions DefaultFit { get; } = new() { Method = FitMethod.CcdcStable, Screening = OutlierScreening.CcdcRirls };

    protected override (FittedModel Model, MonitoringState State) FitCore(
        HistoryCube history, FitOptions fitOptions, byte[] mask, HistoryCube? green, HistoryCube? swir)
    {
        var p = history.Pixels;
        var sink = new Sink(p);
        var result = RunFit(history, fitOptions, mask, sink, green, swir);
        var model = ModelOf(history, result) with
        {
            Rmse = sink.Rmse,
        };
        var state = CounterState(mask);
        return (model, state);
    }

    protected override void Validate(FittedModel model, MonitoringState state)
    {
        Require(model.Rmse, "rmse", Name);
        Require(state.Counter, "process", Name);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void StepBlock(int start, int end, ReadOnlySpan<float> y, ReadOnlySpan<double> prediction, ushort day)
    {
        var m = Model;
        var s = State;
        var rmse = m.Rmse!;
        var mask = s.Mask;
        var sensitivity = options.Sensitivity;
        var boundary = options.Boundary;
        for (int i = start; i < end; i++)
        {
            var v = y[i];
            if (mask[i] != MaskCodes.Monitored || !float.IsFinite(v)) continue;
            var r = v - prediction[i - start];
            var outlier = Math.Abs(r) / rmse[i] > sensitivity;
            CountOutlier(s, i, outlier, boundary, day);
        }
    }

    protected override double ProcessAt(int pixel) => State.Counter![pixel];

    protected override void AddLayers(List<ReferenceLayer> layers)
    {
        layers.Add(Layer("rmse", Model.Rmse!));
        if (State.Steps > 0) layers.Add(Layer("process", State.Counter!));
    }

    private sealed class Sink(int pixels) : IResidualSink
    {
        public float[] Rmse { get; } = new float[pixels];

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Accept(int pixel, ReadOnlySpan<float> residuals) => Rmse[pixel] = ResidualStatistics.RootMeanSquare(residuals);
    }
}
