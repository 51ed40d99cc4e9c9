using System.Runtime.CompilerServices;

namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// Consecutive outliers beyond the inter-quartile range of the fit residuals (spec 4.5; reference
/// <c>nrt.monitor.iqr.IQR</c>). Default fit: OLS.
/// </summary>
public sealed class Iqr : BaseMonitor
{
    private readonly IqrOptions options;

    public Iqr(IqrOptions? options = null, byte[]? mask = null) : base(options ?? new IqrOptions(), mask)
    {
        this.options = (IqrOptions)Options;
        CheckBoundary(this.options.Boundary);
    }

    /// <summary>Rebuilds a fitted IQR monitor from its persisted state.</summary>
    public Iqr(IqrOptions options, FittedModel model, MonitoringState state) : base(options, model, state)
    {
        this.options = options;
        CheckBoundary(options.Boundary);
    }

    public override string Name => "IQR";

    public override FitOptions DefaultFit { get; } = new() { Method = FitMethod.Ols };

    internal static void CheckBoundary(int boundary)
    {
        if (boundary is < 1 or > byte.MaxValue)
        {
            throw new OptionException("boundary", $"boundary (consecutive outliers to confirm a break) must lie in 1..255, got {boundary}.");
        }
    }

    protected override (FittedModel Model, MonitoringState State) FitCore(
        HistoryCube history, FitOptions fitOptions, byte[] mask, HistoryCube? green, HistoryCube? swir)
    {
        var p = history.Pixels;
        var sink = new Sink(p);
        var result = RunFit(history, fitOptions, mask, sink, green, swir);
        var model = ModelOf(history, result) with
        {
            Q25 = sink.Q25,
            Q75 = sink.Q75,
        };
        var state = CounterState(mask);
        return (model, state);
    }

    protected override void Validate(FittedModel model, MonitoringState state)
    {
        Require(model.Q25, "q25", Name);
        Require(model.Q75, "q75", Name);
        Require(state.Counter, "process", Name);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void StepBlock(int start, int end, ReadOnlySpan<float> y, ReadOnlySpan<double> prediction, ushort day)
    {
        var m = Model;
        var s = State;
        var q25 = m.Q25!;
        var q75 = m.Q75!;
        var mask = s.Mask;
        var sensitivity = options.Sensitivity;
        var boundary = options.Boundary;
        for (int i = start; i < end; i++)
        {
            var v = y[i];
            if (mask[i] != MaskCodes.Monitored || !float.IsFinite(v)) continue;
            var r = v - prediction[i - start];
            var iqr = q75[i] - q25[i];
            var outlier = r > q75[i] + sensitivity * iqr || r < q25[i] - sensitivity * iqr;
            CountOutlier(s, i, outlier, boundary, day);
        }
    }

    protected override double ProcessAt(int pixel) => State.Counter![pixel];

    protected override void AddLayers(List<ReferenceLayer> layers)
    {
        layers.Add(Layer("q25", Model.Q25!));
        layers.Add(Layer("q75", Model.Q75!));
        // The reference creates its process on the first monitored date.
        if (State.Steps > 0) layers.Add(Layer("process", State.Counter!));
    }

    private sealed class Sink(int pixels) : IResidualSink
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
