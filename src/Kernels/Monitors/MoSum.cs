using System.Runtime.CompilerServices;

namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// Moving sum of normalised residuals (spec 4.4; reference <c>nrt.monitor.mosum.MoSum</c>).
/// Default fit: ROC stable history (alpha 0.05).
/// </summary>
public sealed class MoSum : BaseMonitor
{
    /// <summary>Window sizes relative to the history length with tabulated critical values.</summary>
    public static IReadOnlyList<double> WindowSizes { get; } = [0.25, 0.5, 1.0];

    private readonly MoSumOptions options;

    public MoSum(MoSumOptions? options = null, byte[]? mask = null) : base(options ?? new MoSumOptions(), mask)
    {
        this.options = (MoSumOptions)Options;
        Check(this.options);
        CriticalValue = CriticalValues.MoSum(this.options.H, this.options.Sensitivity);
    }

    /// <summary>Rebuilds a fitted MoSum monitor from its persisted state.</summary>
    public MoSum(MoSumOptions options, FittedModel model, MonitoringState state) : base(options, model, state)
    {
        this.options = options;
        Check(options);
        CriticalValue = model.CriticalValue;
    }

    public override string Name => "MoSum";

    public override FitOptions DefaultFit { get; } = new() { Method = FitMethod.Roc, Alpha = 0.05 };

    /// <summary>Critical value of the MOSUM monitoring test (period 10, max functional) at 1 - sensitivity.</summary>
    public double CriticalValue { get; }

    private static void Check(MoSumOptions options)
    {
        if (!WindowSizes.Contains(options.H))
        {
            throw new OptionException("h",
                $"MoSum h (window size relative to the history) must be one of {string.Join(", ", WindowSizes)}; got {options.H}.");
        }
        if (options.Sensitivity is < 0.001 or > 0.05 || double.IsNaN(options.Sensitivity))
        {
            throw new OptionException("sensitivity",
                $"MoSum sensitivity (significance level) must lie in [0.001, 0.05], the range of the critical value table; got {options.Sensitivity}.");
        }
    }

    protected override (FittedModel Model, MonitoringState State) FitCore(
        HistoryCube history, FitOptions fitOptions, byte[] mask, HistoryCube? green, HistoryCube? swir)
    {
        var p = history.Pixels;
        // Upper bound of a fitted pixel's window (its residual count is at most its observation count), so the
        // window is allocated once and at most truncated.
        var slots = (int)Math.Floor(MaxObservations(history, mask) * options.H);
        var sink = new Sink(p, Options.Columns, options.H, slots);
        var result = RunFit(history, fitOptions, mask, sink, green, swir);
        var histsize = sink.HistSize;
        var winsize = sink.WinSize;
        var length = 0;
        for (int i = 0; i < p; i++)
        {
            if (mask[i] != MaskCodes.Monitored)
            {
                // Not monitored after the fit: no history (spec 4.4), hence an empty window.
                histsize[i] = 0;
                winsize[i] = 0;
                for (int w = 0; w < slots; w++) sink.Window[w * p + i] = 0;
            }
            length = Math.Max(length, winsize[i]);
        }
        // Slot-major, so dropping the unused last slots keeps the others in place.
        var window = sink.Window;
        if (length < slots) Array.Resize(ref window, length * p);
        var process = new double[p];
        for (int w = 0; w < length; w++)
        {
            var slot = window.AsSpan(w * p, p);
            for (int i = 0; i < p; i++)
            {
                if (!double.IsNaN(slot[i])) process[i] += slot[i];
            }
        }
        var boundary = new double[p];
        Array.Fill(boundary, double.NaN);
        var model = ModelOf(history, result) with
        {
            Sigma = sink.Sigma,
            HistSize = histsize,
            WinSize = winsize,
            WindowLength = length,
            CriticalValue = CriticalValue,
        };
        var state = new MonitoringState
        {
            Mask = mask,
            DetectionDate = new ushort[p],
            N = (ushort[])histsize.Clone(),
            Boundary = boundary,
            Window = window,
            Process = process,
        };
        return (model, state);
    }

    /// <summary>The largest number of non-NaN history values of a pixel with mask 1.</summary>
    private static int MaxObservations(HistoryCube history, byte[] mask)
    {
        var p = history.Pixels;
        var counts = new int[p];
        var values = history.Values;
        Parallel.For(0, (p + 65535) / 65536, b =>
        {
            var start = b * 65536;
            var block = counts.AsSpan(start, Math.Min(65536, p - start));
            var cube = values.Span;
            for (int t = 0; t < history.Times; t++)
            {
                var row = cube.Slice(t * p + start, block.Length);
                for (int i = 0; i < block.Length; i++)
                {
                    if (!float.IsNaN(row[i])) block[i]++;
                }
            }
        });
        var max = 0;
        for (int i = 0; i < p; i++)
        {
            if (mask[i] == MaskCodes.Monitored) max = Math.Max(max, counts[i]);
        }
        return max;
    }

    protected override void Validate(FittedModel model, MonitoringState state)
    {
        Require(model.Sigma, "sigma", Name);
        Require(model.HistSize, "histsize", Name);
        Require(model.WinSize, "winsize", Name);
        Require(state.N, "n", Name);
        Require(state.Boundary, "boundary", Name);
        Require(state.Process, "process", Name);
        var window = Require(state.Window, "window", Name);
        if (window.Length != model.WindowLength * model.Pixels)
        {
            throw new ArgumentException($"MoSum: the restored window holds {window.Length} values; {model.WindowLength} x {model.Pixels} expected.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void StepBlock(int start, int end, ReadOnlySpan<float> y, ReadOnlySpan<double> prediction, ushort day)
    {
        var m = Model;
        var s = State;
        var sigma = m.Sigma!;
        var histsize = m.HistSize!;
        var winsize = m.WinSize!;
        var p = m.Pixels;
        var window = s.Window!;
        var n = s.N!;
        var boundary = s.Boundary!;
        var process = s.Process!;
        var mask = s.Mask;
        var confidence = s.Confidence;
        var crit = CriticalValue;
        var flat = CriticalValue * Math.Sqrt(2);
        for (int i = start; i < end; i++)
        {
            var v = y[i];
            var monitored = mask[i] == MaskCodes.Monitored;
            // Besides monitored pixels, breaks awaiting confirmation.
            if ((!monitored && confidence[i] != ConfidenceCodes.Low) || !float.IsFinite(v)) continue;
            var r = v - prediction[i - start];
            var next = process[i];
            double normalised = 0;
            if (winsize[i] > 0)
            {
                // Replaces the oldest slot.
                normalised = Normalised(r, sigma[i], histsize[i]);
                next += normalised - window[Oldest(n[i], histsize[i], winsize[i], p, i)];
            }
            var nextBoundary = BoundaryAt(n[i] + 1, histsize[i], crit, flat);
            if (!monitored)
            {
                Settle(s, i, process[i], next, nextBoundary);
                continue;
            }
            if (winsize[i] > 0) window[Oldest(n[i], histsize[i], winsize[i], p, i)] = normalised;
            n[i]++;
            process[i] = next;
            boundary[i] = nextBoundary;
            if (Math.Abs(next) >= nextBoundary) BreakLow(s, i, day, next, nextBoundary);
        }
    }

    /// <summary>Index in the window of pixel <paramref name="pixel"/>'s oldest slot after <paramref name="n"/> observations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Oldest(ushort n, ushort histsize, short winsize, int pixels, int pixel) => (n - histsize) % winsize * pixels + pixel;

    /// <summary>A residual over sigma*sqrt(histsize), a float32 product in the reference.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Normalised(double residual, float sigma, ushort histsize) => residual / (sigma * MathF.Sqrt(histsize));

    /// <summary>The boundary after <paramref name="n"/> observations: flat until n/histsize passes e.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double BoundaryAt(int n, ushort histsize, double crit, double flat)
    {
        var ratio = n / (double)histsize;
        return ratio > Math.E ? crit * Math.Sqrt(2 * Math.Log(ratio)) : flat;
    }

    /// <summary>The moving sum, with this residual in place of the oldest, would reach this step's boundary.</summary>
    protected override bool Exceeds(int pixel, double residual)
    {
        var m = Model;
        var s = State;
        var process = s.Process![pixel];
        if (m.WinSize![pixel] > 0)
        {
            process += Normalised(residual, m.Sigma![pixel], m.HistSize![pixel])
                       - s.Window![Oldest(s.N![pixel], m.HistSize[pixel], m.WinSize[pixel], m.Pixels, pixel)];
        }
        return Math.Abs(process) >= BoundaryAt(s.N![pixel] + 1, m.HistSize![pixel], CriticalValue, CriticalValue * Math.Sqrt(2));
    }

    protected override double ProcessAt(int pixel) => State.Process![pixel];

    protected override void AddLayers(List<ReferenceLayer> layers)
    {
        var m = Model;
        var s = State;
        layers.Add(Layer("sigma", m.Sigma!));
        layers.Add(Layer("histsize", m.HistSize!));
        layers.Add(Layer("winsize", m.WinSize!));
        layers.Add(Layer("n", s.N!));
        layers.Add(s.Steps == 0 ? SingleLayer("boundary", s.Boundary!) : Layer("boundary", s.Boundary!));
        layers.Add(Layer("process", s.Process!));
        layers.Add(ReferenceLayer.Of("window", (double[])s.Window!.Clone(), m.WindowLength, m.Height, m.Width));
    }

    /// <summary>histsize, winsize, sigma (divisor count - k) and each pixel's last winsize normalised residuals.</summary>
    private sealed class Sink(int pixels, int columns, double h, int slots) : IResidualSink
    {
        public float[] Sigma { get; } = new float[pixels];
        public ushort[] HistSize { get; } = new ushort[pixels];
        public short[] WinSize { get; } = new short[pixels];
        /// <summary>Slot-major: [slot*pixels + pixel].</summary>
        public double[] Window { get; } = new double[(long)pixels * slots];

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Accept(int pixel, ReadOnlySpan<float> residuals)
        {
            var count = ResidualStatistics.Count(residuals);
            var sigma = ResidualStatistics.Std(residuals, columns);
            var size = (short)Math.Floor(count * h);
            var scale = sigma * MathF.Sqrt(count);
            HistSize[pixel] = checked((ushort)count);
            WinSize[pixel] = size;
            Sigma[pixel] = sigma;
            // The last `size` finite normalised residuals, oldest in slot 0 (the first to be replaced). Only pixels
            // not fitted (all-zero residuals, zero sigma: nothing finite to keep) can exceed the slots.
            var slot = Math.Min(size, slots) - 1;
            for (int t = residuals.Length - 1; t >= 0 && slot >= 0; t--)
            {
                var v = residuals[t] / scale;
                if (!float.IsNaN(v)) Window[slot-- * pixels + pixel] = v;
            }
        }
    }
}
