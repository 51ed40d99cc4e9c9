using System.Runtime.CompilerServices;

namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// EWMA control chart (spec 4.2; reference <c>nrt.monitor.ewma.EWMA</c>). Default fit: OLS with Shewhart screening (L = 5).
/// </summary>
public sealed class Ewma : BaseMonitor
{
    private readonly EwmaOptions options;

    public Ewma(EwmaOptions? options = null, byte[]? mask = null) : base(options ?? new EwmaOptions(), mask)
    {
        this.options = (EwmaOptions)Options;
        CheckLambda(this.options.Lambda);
    }

    /// <summary>Rebuilds a fitted EWMA monitor from its persisted state.</summary>
    public Ewma(EwmaOptions options, FittedModel model, MonitoringState state) : base(options, model, state)
    {
        this.options = options;
        CheckLambda(options.Lambda);
    }

    public override string Name => "EWMA";

    public override FitOptions DefaultFit { get; } = new() { Method = FitMethod.Ols, Screening = OutlierScreening.Shewhart, L = 5 };

    private static void CheckLambda(double lambda)
    {
        if (!(lambda > 0 && lambda <= 1))
        {
            throw new OptionException("lambda_", $"EWMA lambda_ must lie in (0, 1], got {lambda}.");
        }
    }

    protected override (FittedModel Model, MonitoringState State) FitCore(
        HistoryCube history, FitOptions fitOptions, byte[] mask, HistoryCube? green, HistoryCube? swir)
    {
        var p = history.Pixels;
        var sink = new Sink(p, options);
        var result = RunFit(history, fitOptions, mask, sink, green, swir);
        var boundary = new float[p];
        var process = new double[p];
        // Reference quirk (spec 4.2): one-sided test on the fit residuals' EWMA, whose sign is the fit's.
        var sensitivity = (float)options.Sensitivity;
        var factor = (float)Math.Sqrt(options.Lambda / (2 - options.Lambda));
        for (int i = 0; i < p; i++)
        {
            boundary[i] = sensitivity * sink.Sigma[i] * factor;
            process[i] = sink.Process[i];
            if (sink.Process[i] > boundary[i]) mask[i] = MaskCodes.Unstable;
        }
        var model = ModelOf(history, result) with
        {
            Sigma = sink.Sigma,
            EwmaBoundary = boundary,
        };
        var state = new MonitoringState { Mask = mask, DetectionDate = new ushort[p], Process = process };
        return (model, state);
    }

    protected override void Validate(FittedModel model, MonitoringState state)
    {
        Require(model.Sigma, "sigma", Name);
        Require(model.EwmaBoundary, "boundary", Name);
        Require(state.Process, "process", Name);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void StepBlock(int start, int end, ReadOnlySpan<float> y, ReadOnlySpan<double> prediction, ushort day)
    {
        var m = Model;
        var s = State;
        var sigma = m.Sigma!;
        var boundary = m.EwmaBoundary!;
        var process = s.Process!;
        var mask = s.Mask;
        var confidence = s.Confidence;
        var lambda = options.Lambda;
        var threshold = options.ThresholdOutlier;
        for (int i = start; i < end; i++)
        {
            var v = y[i];
            var monitored = mask[i] == MaskCodes.Monitored;
            // Besides monitored pixels, breaks awaiting confirmation.
            if ((!monitored && confidence[i] != ConfidenceCodes.Low) || !float.IsFinite(v)) continue;
            var r = v - prediction[i - start];
            // Extreme outliers (remaining clouds) are not monitored.
            if (Math.Abs(r) > threshold * sigma[i]) continue;
            var z = (1 - lambda) * process[i] + lambda * r;
            if (!monitored) Settle(s, i, process[i], z, boundary[i]);
            else
            {
                process[i] = z;
                if (Math.Abs(z) >= boundary[i]) BreakLow(s, i, day, z, boundary[i]);
            }
        }
    }

    /// <summary>The updated EWMA would reach the boundary (an extreme outlier, not monitored, does not count).</summary>
    protected override bool Exceeds(int pixel, double residual)
    {
        if (Math.Abs(residual) > options.ThresholdOutlier * Model.Sigma![pixel]) return false;
        var z = (1 - options.Lambda) * State.Process![pixel] + options.Lambda * residual;
        return Math.Abs(z) >= Model.EwmaBoundary![pixel];
    }

    protected override double ProcessAt(int pixel) => State.Process![pixel];

    protected override void AddLayers(List<ReferenceLayer> layers)
    {
        var s = State;
        layers.Add(Layer("sigma", Model.Sigma!));
        layers.Add(Layer("boundary", Model.EwmaBoundary!));
        // The reference's process is float32 until the first monitored date mixes in float64 residuals.
        layers.Add(s.Steps == 0 ? SingleLayer("process", s.Process!) : Layer("process", s.Process!));
    }

    /// <summary>Population std and float32 EWMA of each pixel's fit residuals.</summary>
    private sealed class Sink(int pixels, EwmaOptions options) : IResidualSink
    {
        public float[] Sigma { get; } = new float[pixels];
        public float[] Process { get; } = new float[pixels];

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Accept(int pixel, ReadOnlySpan<float> residuals)
        {
            Sigma[pixel] = ResidualStatistics.Std(residuals, 0);
            Span<float> scratch = residuals.Length <= 1024 ? stackalloc float[2 * residuals.Length] : new float[2 * residuals.Length];
            Process[pixel] = ResidualStatistics.Ewma(residuals, (float)(1 - options.Lambda), (float)options.Lambda, scratch);
        }
    }
}
