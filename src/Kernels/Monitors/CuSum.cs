using System.Runtime.CompilerServices;

namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// Cumulative sum of normalised residuals (spec 4.3; reference <c>nrt.monitor.cusum.CuSum</c>).
/// Default fit: ROC stable history (alpha 0.05).
/// </summary>
public sealed class CuSum : BaseMonitor
{
    private readonly CuSumOptions options;

    public CuSum(CuSumOptions? options = null, byte[]? mask = null) : base(options ?? new CuSumOptions(), mask)
    {
        this.options = (CuSumOptions)Options;
        CriticalValue = CriticalValues.CuSum(this.options.Sensitivity);
    }

    /// <summary>Rebuilds a fitted CuSum monitor from its persisted state.</summary>
    public CuSum(CuSumOptions options, FittedModel model, MonitoringState state) : base(options, model, state)
    {
        this.options = options;
        CriticalValue = model.CriticalValue;
    }

    public override string Name => "CuSum";

    public override FitOptions DefaultFit { get; } = new() { Method = FitMethod.Roc, Alpha = 0.05 };

    /// <summary>The x where 2*(F(x) - x*f(x)) = 2 - sensitivity.</summary>
    public double CriticalValue { get; }

    protected override (FittedModel Model, MonitoringState State) FitCore(
        HistoryCube history, FitOptions fitOptions, byte[] mask, HistoryCube? green, HistoryCube? swir)
    {
        var p = history.Pixels;
        var sink = new Sink(p, Options.Columns);
        var result = RunFit(history, fitOptions, mask, sink, green, swir);
        var process = new double[p];
        var boundary = new double[p];
        Array.Fill(boundary, double.NaN);
        for (int i = 0; i < p; i++) process[i] = sink.Process[i];
        var model = ModelOf(history, result) with
        {
            Sigma = sink.Sigma,
            HistSize = sink.HistSize,
            CriticalValue = CriticalValue,
        };
        var state = new MonitoringState
        {
            Mask = mask,
            DetectionDate = new ushort[p],
            Process = process,
            N = (ushort[])sink.HistSize.Clone(),
            Boundary = boundary,
        };
        return (model, state);
    }

    protected override void Validate(FittedModel model, MonitoringState state)
    {
        Require(model.Sigma, "sigma", Name);
        Require(model.HistSize, "histsize", Name);
        Require(state.Process, "process", Name);
        Require(state.N, "n", Name);
        Require(state.Boundary, "boundary", Name);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void StepBlock(int start, int end, ReadOnlySpan<float> y, ReadOnlySpan<double> prediction, ushort day)
    {
        var m = Model;
        var s = State;
        var sigma = m.Sigma!;
        var histsize = m.HistSize!;
        var process = s.Process!;
        var n = s.N!;
        var boundary = s.Boundary!;
        var mask = s.Mask;
        var confidence = s.Confidence;
        var crit2 = CriticalValue * CriticalValue;
        for (int i = start; i < end; i++)
        {
            var v = y[i];
            var monitored = mask[i] == MaskCodes.Monitored;
            // Besides monitored pixels, breaks awaiting confirmation.
            if ((!monitored && confidence[i] != ConfidenceCodes.Low) || !float.IsFinite(v)) continue;
            var r = v - prediction[i - start];
            var next = process[i] + Normalised(r, sigma[i], histsize[i]);
            var nextBoundary = BoundaryAt(n[i] + 1, histsize[i], crit2);
            if (!monitored)
            {
                Settle(s, i, process[i], next, nextBoundary);
                continue;
            }
            n[i]++;
            boundary[i] = nextBoundary;
            process[i] = next;
            if (Math.Abs(next) >= nextBoundary) BreakLow(s, i, day, next, nextBoundary);
        }
    }

    /// <summary>The boundary after <paramref name="n"/> observations, <paramref name="histsize"/> of them in the history.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double BoundaryAt(int n, ushort histsize, double crit2)
    {
        var ratio = n / (double)histsize;
        return Math.Sqrt(ratio * (ratio - 1) * (crit2 + Math.Log(ratio / (ratio - 1))));
    }

    /// <summary>A residual over sigma*sqrt(histsize), a float32 product in the reference.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Normalised(double residual, float sigma, ushort histsize) => residual / (sigma * MathF.Sqrt(histsize));

    /// <summary>The cumulative sum would reach this step's boundary.</summary>
    protected override bool Exceeds(int pixel, double residual)
    {
        var m = Model;
        var s = State;
        var process = s.Process![pixel] + Normalised(residual, m.Sigma![pixel], m.HistSize![pixel]);
        return Math.Abs(process) >= BoundaryAt(s.N![pixel] + 1, m.HistSize[pixel], CriticalValue * CriticalValue);
    }

    protected override double ProcessAt(int pixel) => State.Process![pixel];

    protected override void AddLayers(List<ReferenceLayer> layers)
    {
        var m = Model;
        var s = State;
        layers.Add(Layer("sigma", m.Sigma!));
        layers.Add(Layer("histsize", m.HistSize!));
        layers.Add(Layer("n", s.N!));
        // float32 until the first monitored date, as the reference's arrays.
        layers.Add(s.Steps == 0 ? SingleLayer("process", s.Process!) : Layer("process", s.Process!));
        layers.Add(s.Steps == 0 ? SingleLayer("boundary", s.Boundary!) : Layer("boundary", s.Boundary!));
    }

    /// <summary>histsize, sigma (divisor count - k) and the sum of normalised residuals.</summary>
    private sealed class Sink(int pixels, int columns) : IResidualSink
    {
        public float[] Sigma { get; } = new float[pixels];
        public ushort[] HistSize { get; } = new ushort[pixels];
        public float[] Process { get; } = new float[pixels];

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Accept(int pixel, ReadOnlySpan<float> residuals)
        {
            // Unfitted pixels' residuals are 0, not NaN: they count in histsize, as in the reference.
            var count = ResidualStatistics.Count(residuals);
            var sigma = ResidualStatistics.Std(residuals, columns);
            HistSize[pixel] = checked((ushort)count);
            Sigma[pixel] = sigma;
            // float32 as the reference's (whose sum of float32 quotients differs from this one by rounding only).
            Process[pixel] = (float)ResidualStatistics.NormalisedSum(residuals, sigma * MathF.Sqrt(count));
        }
    }
}
