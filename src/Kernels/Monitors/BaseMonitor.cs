using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using NrtCluster.Kernels.Fitting;

namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// Common part of the monitors (reference: <c>nrt.monitor.BaseNrt</c>): options, fit through
/// <see cref="HistoryFitter"/>, the common monitoring step (spec 4.1), state export and report (spec 5).
/// State is explicit: <see cref="Model"/> (fixed after fit) and <see cref="State"/> (changes every step);
/// a monitor rebuilt from (options, model, state) continues exactly where the original was.
/// </summary>
public abstract class BaseMonitor
{
    /// <summary>Pixels per parallel work item of the monitoring step (its predictions live on the stack).</summary>
    private const int BlockSize = 4096;

    /// <summary>Layers <see cref="Report"/> accepts.</summary>
    public static IReadOnlyList<string> ReportLayers { get; } = ["mask", "detection_date", "process", "confidence", "magnitude"];

    /// <summary>Element types <see cref="Report"/> accepts (numpy names).</summary>
    public static IReadOnlyList<string> ReportTypes { get; } = ["uint8", "uint16", "int16", "int32", "float32", "float64"];

    private readonly byte[]? initialMask;
    private FittedModel? model;
    private MonitoringState? state;

    protected BaseMonitor(MonitorOptions options, byte[]? mask)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.HarmonicOrder < 0)
        {
            throw new OptionException("harmonic_order", $"harmonic_order must be 0 or more, got {options.HarmonicOrder}.");
        }
        Options = options;
        initialMask = mask is null ? null : (byte[])mask.Clone();
    }

    /// <summary>Rebuilds a fitted monitor from its persisted parts.</summary>
    protected BaseMonitor(MonitorOptions options, FittedModel model, MonitoringState state)
        : this(options, (byte[]?)null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(state);
        var p = model.Pixels;
        if (model.Beta.Length != options.Columns * p)
        {
            throw new ArgumentException(
                $"Model beta holds {model.Beta.Length} values; {options.Columns} regressors x {p} pixels expected (trend/harmonic_order differ from the fit?).",
                nameof(model));
        }
        if (state.Mask.Length != p || state.DetectionDate.Length != p)
        {
            throw new ArgumentException($"Monitoring state mask/detection_date must hold {p} pixels.", nameof(state));
        }
        this.model = model;
        this.state = state;
        Validate(model, state);
    }

    public MonitorOptions Options { get; }

    /// <summary>The reference class name (EWMA, CuSum, MoSum, IQR, CCDC).</summary>
    public abstract string Name { get; }

    /// <summary>Fit method and screening used when <see cref="Fit"/> is given no options (the reference's defaults).</summary>
    public abstract FitOptions DefaultFit { get; }

    public bool Trend => Options.Trend;
    public int HarmonicOrder => Options.HarmonicOrder;

    /// <summary>Pixel-centre x coordinates (ascending), for geo-referencing reports; optional.</summary>
    public double[]? X { get; set; }

    /// <summary>Pixel-centre y coordinates (descending), for geo-referencing reports; optional.</summary>
    public double[]? Y { get; set; }

    public bool IsFitted => model is not null;

    /// <summary>The fitted part of the state (fixed after <see cref="Fit"/>).</summary>
    public FittedModel Model => model ?? throw NotFitted();

    /// <summary>The changing part of the state (mutated by <see cref="Monitor(ReadOnlyMemory{float}, DateTime)"/>).</summary>
    public MonitoringState State => state ?? throw NotFitted();

    /// <summary>Warnings of the last fit (e.g. screening removed most observations).</summary>
    public IReadOnlyList<string> FitWarnings { get; private set; } = [];

    /// <summary>
    /// Fits the stable history (spec 3) and the monitor's own state. <paramref name="options"/> null: <see cref="DefaultFit"/>.
    /// <paramref name="green"/>/<paramref name="swir"/> only for CCDC_RIRLS screening.
    /// </summary>
    public void Fit(HistoryCube history, FitOptions? options = null, HistoryCube? green = null, HistoryCube? swir = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        options ??= DefaultFit;
        var p = history.Pixels;
        if (history.Values.Length != (long)p * history.Times)
        {
            throw new ArgumentException(
                $"History cube holds {history.Values.Length} values; {history.Times} dates x {history.Height} x {history.Width} expected.", nameof(history));
        }
        byte[] mask;
        if (initialMask is null)
        {
            mask = new byte[p];
            Array.Fill(mask, MaskCodes.Monitored);
        }
        else if (initialMask.Length != p)
        {
            throw new ArgumentException(
                $"The monitor's mask has {initialMask.Length} pixels but the history cube is {history.Height} x {history.Width}; give a mask of the cube's shape.",
                nameof(history));
        }
        else
        {
            mask = (byte[])initialMask.Clone();
        }
        var (m, s) = FitCore(history, options, mask, green, swir);
        model = m;
        state = s;
    }

    /// <summary>The model fields every monitor has: size, coefficients and, when asked for, each pixel's fit start.</summary>
    protected FittedModel ModelOf(HistoryCube history, FitResult result) => new()
    {
        Height = history.Height,
        Width = history.Width,
        Beta = result.Beta,
        FitStart = Options.SaveFitStart ? result.FitStart : null,
    };

    /// <summary>Runs the history fit with a monitor's residual sink and returns the fit result (mask updated in place).</summary>
    protected FitResult RunFit(HistoryCube history, FitOptions options, byte[] mask, IResidualSink sink, HistoryCube? green, HistoryCube? swir)
    {
        var result = HistoryFitter.Fit(history, mask, Trend, HarmonicOrder, options, sink, green, swir);
        FitWarnings = result.Warnings;
        if (Options.SaveFitStart && result.FitStart is null)
        {
            throw new ArgumentException(
                $"save_fit_start needs a fit method that selects a stable window (ROC or CCDC-stable); the fit used {options.Method}.",
                nameof(options));
        }
        return result;
    }

    /// <summary>Fits and builds the monitor's model and initial monitoring state.</summary>
    protected abstract (FittedModel Model, MonitoringState State) FitCore(
        HistoryCube history, FitOptions options, byte[] mask, HistoryCube? green, HistoryCube? swir);

    /// <summary>Checks that a restored model/state has every array this monitor needs.</summary>
    protected abstract void Validate(FittedModel model, MonitoringState state);

    /// <summary>
    /// Monitors one acquisition (H x W, NaN = no observation) taken at <paramref name="date"/> (spec 4.1). With the
    /// options' <see cref="MonitorOptions.HazeGate"/> on, a pre-pass first counts the observed monitored pixels that would
    /// leave the boundary (<see cref="Exceeds"/>); when the gate holds the day for an atmospheric event, those pixels
    /// step as "no observation" (<see cref="LastGate"/> says how many).
    /// </summary>
    public void Monitor(ReadOnlyMemory<float> array, DateTime date)
    {
        var m = Model;
        var s = State;
        if (array.Length != m.Pixels)
        {
            throw new ArgumentException(
                $"Monitored array holds {array.Length} values; the monitor was fitted on {m.Height} x {m.Width} pixels.", nameof(array));
        }
        var day = DayNumber16(date);
        var x = new double[Options.Columns];
        Regressors.Row(date, Trend, HarmonicOrder, x);
        LastGate = default;
        var y = Options.HazeGate.Enabled ? Gate(array, x) : array;
        ForEachBlock(x, (start, end, prediction) => StepBlock(start, end, y.Span, prediction, day));
        s.Steps++;
    }

    public void Monitor(float[] array, DateTime date) => Monitor(array.AsMemory(), date);

    /// <summary>What the haze gate did on the last <see cref="Monitor(ReadOnlyMemory{float}, DateTime)"/> (zeros with the gate off).</summary>
    public HazeGateStep LastGate { get; private set; }

    /// <summary>
    /// Whether monitored pixel <paramref name="pixel"/>'s residual (observation minus prediction) would take it beyond the
    /// monitor's boundary on this step, from its current state (read only): the haze gate's test.
    /// </summary>
    protected abstract bool Exceeds(int pixel, double residual);

    private delegate void BlockStep(int start, int end, ReadOnlySpan<double> prediction);

    /// <summary>Runs <paramref name="step"/> over the tile in blocks, in parallel, with each block's predictions for regressors <paramref name="x"/>.</summary>
    private void ForEachBlock(double[] x, BlockStep step)
    {
        var m = Model;
        var s = State;
        var mask = s.Mask;
        var p = m.Pixels;
        var blocks = (p + BlockSize - 1) / BlockSize;
        // Made here if missing, not by the parallel blocks.
        var confidence = s.Confidence;
        _ = s.Magnitude;
        Parallel.For(0, blocks, b =>
        {
            var start = b * BlockSize;
            var end = Math.Min(p, start + BlockSize);
            // Blocks without a monitored pixel or a break awaiting confirmation (outside the forest, all broken) cost a vectorised scan or two.
            if (!mask.AsSpan(start, end - start).Contains(MaskCodes.Monitored)
                && !confidence.AsSpan(start, end - start).Contains(ConfidenceCodes.Low)) return;
            Span<double> prediction = stackalloc double[end - start];
            Predict(m.Beta, p, start, x, prediction);
            step(start, end, prediction);
        });
    }

    /// <summary>
    /// The haze gate's pre-pass: counts the observed monitored pixels and those that would leave the boundary; when the
    /// gate holds, returns a copy of the observation with those pixels as NaN, else the observation itself.
    /// </summary>
    private ReadOnlyMemory<float> Gate(ReadOnlyMemory<float> array, double[] x)
    {
        var s = State;
        var mask = s.Mask;
        var held = s.HazeHeld;
        long observed = 0, exceeding = 0;
        ForEachBlock(x, (start, end, prediction) =>
        {
            var y = array.Span;
            int seen = 0, beyond = 0;
            for (int i = start; i < end; i++)
            {
                var v = y[i];
                if (mask[i] != MaskCodes.Monitored || !float.IsFinite(v)) continue;
                seen++;
                if ((held is null || held[i] == 0) && Exceeds(i, v - prediction[i - start])) beyond++;
            }
            Interlocked.Add(ref observed, seen);
            Interlocked.Add(ref exceeding, beyond);
        });
        if (!Options.HazeGate.Gates(observed, exceeding))
        {
            LastGate = new HazeGateStep(observed, 0);
            if (held is not null)
            {
                var y = array.Span;
                for (int i = 0; i < held.Length; i++)
                    if (held[i] != 0 && float.IsFinite(y[i])) held[i] = 0;
            }
            return array;
        }
        held ??= s.HazeHeld = new byte[mask.Length];
        var gated = array.ToArray();
        ForEachBlock(x, (start, end, prediction) =>
        {
            for (int i = start; i < end; i++)
            {
                var v = gated[i];
                if (mask[i] != MaskCodes.Monitored || !float.IsFinite(v)) continue;
                // A pixel set aside on its last valid observation is stepped now: haze does not last, a change does.
                var setAside = held[i] == 0 && Exceeds(i, v - prediction[i - start]);
                held[i] = setAside ? (byte)1 : (byte)0;
                if (setAside) gated[i] = float.NaN;
            }
        });
        LastGate = new HazeGateStep(observed, exceeding);
        return gated;
    }

    /// <summary>
    /// Updates pixels [start, end): for pixels with mask 1 and a finite observation, the monitor's process update
    /// on the residual <c>y[i] - prediction[i - start]</c> and the break test; a break sets mask 3 and
    /// detection_date = <paramref name="day"/>. Also keeps <see cref="MonitoringState.Confidence"/> and
    /// <see cref="MonitoringState.Magnitude"/>, which may look at broken pixels of low confidence.
    /// </summary>
    protected abstract void StepBlock(int start, int end, ReadOnlySpan<float> y, ReadOnlySpan<double> prediction, ushort day);

    /// <summary>
    /// prediction[i] = sum_j x[j]*beta[j][start + i] in float64, summed in coefficient order (vectorised over pixels;
    /// separate multiply and add, so the result equals the scalar loop's).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Predict(float[] beta, int pixels, int start, ReadOnlySpan<double> x, Span<double> prediction)
    {
        prediction.Clear();
        var n = prediction.Length;
        var lanes = Vector<float>.Count;
        var half = Vector<double>.Count;
        for (int j = 0; j < x.Length; j++)
        {
            var row = beta.AsSpan(j * pixels + start, n);
            var xj = x[j];
            var vx = new Vector<double>(xj);
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; i <= n - lanes; i += lanes)
                {
                    Vector.Widen(new Vector<float>(row[i..]), out var low, out var high);
                    var a = prediction.Slice(i, half);
                    var b = prediction.Slice(i + half, half);
                    (new Vector<double>(a) + vx * low).CopyTo(a);
                    (new Vector<double>(b) + vx * high).CopyTo(b);
                }
            }
            for (; i < n; i++)
            {
                prediction[i] += xj * row[i];
            }
        }
    }

    /// <summary>Marks a confirmed break.</summary>
    protected static void Break(MonitoringState s, int pixel, ushort day)
    {
        s.Mask[pixel] = MaskCodes.Break;
        s.DetectionDate[pixel] = day;
    }

    /// <summary>
    /// A break raised on the first boundary exceedance (EWMA, CuSum, MoSum): low confidence, magnitude
    /// |process| / boundary, until <see cref="Settle"/> looks at the next valid observation.
    /// </summary>
    protected static void BreakLow(MonitoringState s, int pixel, ushort day, double process, double boundary)
    {
        Break(s, pixel, day);
        s.Confidence[pixel] = ConfidenceCodes.Low;
        s.Magnitude[pixel] = (float)(Math.Abs(process) / boundary);
    }

    /// <summary>
    /// Settles a low break on the next valid observation: high (magnitude from it) when the process it would give,
    /// <paramref name="next"/> (never stored: the reference stops a broken pixel), lies beyond <paramref name="boundary"/>
    /// on the side of the break's <paramref name="process"/>; else unconfirmed for good.
    /// </summary>
    protected static void Settle(MonitoringState s, int pixel, double process, double next, double boundary)
    {
        if (Math.Abs(next) >= boundary && Math.Sign(next) == Math.Sign(process))
        {
            s.Confidence[pixel] = ConfidenceCodes.High;
            s.Magnitude[pixel] = (float)(Math.Abs(next) / boundary);
        }
        else s.Confidence[pixel] = ConfidenceCodes.Unconfirmed;
    }

    /// <summary>The process value of one pixel as <see cref="Report"/> gives it.</summary>
    protected abstract double ProcessAt(int pixel);

    /// <summary>
    /// Every state layer, named and typed as the reference stores them (conformance README): beta (k x H x W),
    /// mask, detection_date (once monitoring started), fit_start (when save_fit_start), and the monitor's own.
    /// The arrays are copies.
    /// </summary>
    public IReadOnlyList<ReferenceLayer> ExportState()
    {
        var m = Model;
        var s = State;
        var layers = new List<ReferenceLayer>
        {
            ReferenceLayer.Of("beta", (float[])m.Beta.Clone(), Options.Columns, m.Height, m.Width),
            Layer("mask", s.Mask),
        };
        if (s.Steps > 0)
        {
            layers.Add(Layer("detection_date", s.DetectionDate));
        }
        if (Options.SaveFitStart && m.FitStart is not null)
        {
            layers.Add(Layer("fit_start", m.FitStart));
        }
        AddLayers(layers);
        return layers;
    }

    /// <summary>Adds the monitor's own layers to <see cref="ExportState"/>.</summary>
    protected abstract void AddLayers(List<ReferenceLayer> layers);

    /// <summary>An H x W layer holding a copy of <paramref name="data"/>.</summary>
    protected ReferenceLayer Layer<T>(string name, T[] data) where T : unmanaged
        => ReferenceLayer.Of(name, (T[])data.Clone(), Model.Height, Model.Width);

    /// <summary>An H x W float32 layer from float64 values.</summary>
    protected ReferenceLayer SingleLayer(string name, double[] data)
    {
        var f = new float[data.Length];
        for (int i = 0; i < f.Length; i++) f[i] = (float)data[i];
        return ReferenceLayer.Of(name, f, Model.Height, Model.Width);
    }

    /// <summary>
    /// Stacks <paramref name="layers"/> (any of mask, detection_date, process, in the order asked, and this project's
    /// confidence (0 none, 1 low, 2 high) and magnitude (in hundredths, so that integer reports keep it)) into one
    /// layers x H x W array of <paramref name="dtype"/> (spec 5). Integer casts truncate toward zero and
    /// saturate; NaN becomes 0. Prefer uint16 or int16: detection_date does not fit in 8 bits.
    /// </summary>
    public ReferenceLayer Report(IReadOnlyList<string> layers, string dtype = "uint16")
    {
        ArgumentNullException.ThrowIfNull(layers);
        var m = Model;
        if (layers.Count == 0)
        {
            throw new ArgumentException($"Report needs at least one layer; valid layers: {string.Join(", ", ReportLayers)}.", nameof(layers));
        }
        foreach (var name in layers)
        {
            if (!ReportLayers.Contains(name))
            {
                throw new ArgumentException(
                    $"Unknown report layer '{name}'; valid layers: {string.Join(", ", ReportLayers)}.", nameof(layers));
            }
        }
        var p = m.Pixels;
        return dtype switch
        {
            "uint8" => Stack<byte>(layers, p, v => (byte)Math.Clamp(Truncate(v), byte.MinValue, byte.MaxValue)),
            "uint16" => Stack<ushort>(layers, p, v => (ushort)Math.Clamp(Truncate(v), ushort.MinValue, ushort.MaxValue)),
            "int16" => Stack<short>(layers, p, v => (short)Math.Clamp(Truncate(v), short.MinValue, short.MaxValue)),
            "int32" => Stack<int>(layers, p, v => (int)Math.Clamp(Truncate(v), int.MinValue, int.MaxValue)),
            "float32" => Stack<float>(layers, p, v => (float)v),
            "float64" => Stack<double>(layers, p, v => v),
            _ => throw new ArgumentException(
                $"Unknown report dtype '{dtype}'; valid dtypes: {string.Join(", ", ReportTypes)}.", nameof(dtype)),
        };
    }

    private static double Truncate(double v) => double.IsNaN(v) ? 0 : Math.Truncate(v);

    private ReferenceLayer Stack<T>(IReadOnlyList<string> layers, int p, Func<double, T> cast) where T : unmanaged
    {
        var s = State;
        var result = new T[layers.Count * p];
        for (int l = 0; l < layers.Count; l++)
        {
            var target = result.AsSpan(l * p, p);
            switch (layers[l])
            {
                case "mask":
                    for (int i = 0; i < p; i++) target[i] = cast(s.Mask[i]);
                    break;
                case "detection_date":
                    for (int i = 0; i < p; i++) target[i] = cast(s.DetectionDate[i]);
                    break;
                case "confidence":
                    for (int i = 0; i < p; i++) target[i] = cast(ConfidenceCodes.Reported(s.Confidence[i]));
                    break;
                case "magnitude":
                    for (int i = 0; i < p; i++) target[i] = cast(s.Magnitude[i] * 100.0);
                    break;
                default:
                    for (int i = 0; i < p; i++) target[i] = cast(ProcessAt(i));
                    break;
            }
        }
        return ReferenceLayer.Of("report", result, layers.Count, Model.Height, Model.Width);
    }

    /// <summary>
    /// Geo-referencing of the reports (spec 5): top-left corner (min x - xres/2, max y + yres/2) and pixel size,
    /// from the pixel-centre coordinates <see cref="X"/> and <see cref="Y"/>.
    /// </summary>
    public (double Left, double Top, double XRes, double YRes) Transform()
    {
        if (X is not { Length: >= 2 } || Y is not { Length: >= 2 })
        {
            throw new InvalidOperationException($"{Name}: set X and Y (pixel-centre coordinates, at least 2 each) to geo-reference a report.");
        }
        var xres = Math.Abs(X[0] - X[1]);
        var yres = Math.Abs(Y[0] - Y[1]);
        return (X.Min() - xres / 2, Y.Max() + yres / 2, xres, yres);
    }

    private static ushort DayNumber16(DateTime date)
    {
        var day = Regressors.DayNumber(date);
        if (day is < 0 or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(date), date,
                string.Create(CultureInfo.InvariantCulture, $"Monitoring date must lie between 1970-01-01 and 2149-06-06 (day number {day} does not fit detection_date's uint16)."));
        }
        return (ushort)day;
    }

    private InvalidOperationException NotFitted() => new($"{Name} monitor is not fitted: call Fit(history) first, or rebuild it from a fitted model and monitoring state.");

    /// <summary>Throws when a restored model lacks an array this monitor needs.</summary>
    protected static T Require<T>(T? value, string name, string monitor) where T : class
        => value ?? throw new ArgumentException($"{monitor}: the restored state has no '{name}'; it was not produced by a fitted {monitor} monitor.");
}
