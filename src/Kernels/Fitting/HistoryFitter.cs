using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NrtCluster.Kernels.Fitting;

/// <summary>
/// Fits the stable history of every monitored pixel (spec 3). Pixels are processed in blocks of
/// <see cref="BlockWorkspace.DefaultWidth"/> in parallel; each block is copied once from the T x P cube into a
/// per-thread float64 buffer, so no float64 copy of the whole cube is ever held. The science is in
/// its own files: outlier screening in <see cref="Screening"/>, OLS and RIRLS in <see cref="BlockSolvers"/>, ROC in
/// <see cref="RocFit"/>, CCDC-stable in <see cref="CcdcStableFit"/>; this class runs them over the blocks.
/// </summary>
/// <remarks>
/// Mask outcomes beyond the reference's (which would crash or return garbage on these inputs):
/// a pixel whose OLS or Shewhart system is singular (e.g. every observation on one day) gets
/// <see cref="MaskCodes.TooFewObservations"/>; a ROC pixel whose initial recursive window or stable-period system is
/// singular, and a CCDC-stable pixel whose window is singular, get <see cref="MaskCodes.Unstable"/>.
/// RIRLS uses the minimum-norm solution for rank-deficient systems, as the reference does.
/// The per-block and per-pixel methods of the fits carry <see cref="MethodImplOptions.AggressiveOptimization"/>: with
/// tiered compilation they would start as unoptimised code in every fresh process (a cold fit ran 3-8x slower than a
/// warm one; see <c>nrtc bench kernels --cold</c>). Small helpers are left unmarked so they are inlined into them.
/// CCDC-stable residuals are written at the dates of the window's observations (the reference writes them into the
/// window's last rows of the full date axis, NaN dates included); the set of values, and so every statistic the
/// monitors derive from it without regard to order (RMSE, percentiles), is the same.
/// </remarks>
public static class HistoryFitter
{
    /// <summary>Minimum span, in days, of a stable window (spec 3.5, 3.6).</summary>
    internal const int MinimumStableSpanDays = 183;

    /// <summary>
    /// Fits the history <paramref name="cube"/> on the pixels whose <paramref name="mask"/> is 1, updating the mask in
    /// place (4: too few observations, before and after screening; 2: unstable, ROC and CCDC-stable), and hands each
    /// pixel's residuals to <paramref name="sink"/>.
    /// </summary>
    public static FitResult Fit(HistoryCube cube, byte[] mask, bool trend, int harmonicOrder, FitOptions options,
        IResidualSink sink, HistoryCube? green = null, HistoryCube? swir = null)
    {
        ArgumentNullException.ThrowIfNull(cube);
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        Validate(cube, mask, trend, harmonicOrder, options, green, swir);

        int k = Regressors.Columns(trend, harmonicOrder);
        var context = new FitContext(cube, mask, options, sink, green, swir, Design.FromDates(cube.Dates, trend, harmonicOrder),
            options.Method == FitMethod.Roc ? CriticalValues.Roc(options.Alpha) : 0);
        int width = BlockWorkspace.DefaultWidth;
        int blocks = (cube.Pixels + width - 1) / width;
        long validBefore = 0, removed = 0, fitted = 0;
        Parallel.For(0, blocks,
            () => new BlockState(new BlockWorkspace(width, cube.Times, k)),
            (block, _, state) =>
            {
                context.ProcessBlock(block, state);
                return state;
            },
            state =>
            {
                Interlocked.Add(ref validBefore, state.ValidBeforeScreening);
                Interlocked.Add(ref removed, state.Removed);
                Interlocked.Add(ref fitted, state.Fitted);
            });

        if (fitted == 0)
        {
            string after = options.Screening == OutlierScreening.None ? "" : $" after {options.Screening} screening";
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"No monitored pixel has at least 1.5*k = {1.5 * k} valid history observations{after} (k = {k} regressors: trend={trend}, harmonic order={harmonicOrder}). Use a longer history, fewer regressors, or check the cloud mask."),
                nameof(cube));
        }

        return new FitResult
        {
            Beta = context.Beta,
            FitStart = context.FitStart,
            Columns = k,
            ScreenedOut = removed,
            ValidBeforeScreening = validBefore,
            Warnings = Screening.Warnings(options, removed, validBefore),
        };
    }

    private static void Validate(HistoryCube cube, byte[] mask, bool trend, int order, FitOptions options, HistoryCube? green, HistoryCube? swir)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(order, "harmonicOrder");
        CheckShape(cube, nameof(cube));
        if (mask.Length != cube.Pixels)
            throw new ArgumentException($"Mask has {mask.Length} pixels but the history cube has {cube.Height} x {cube.Width} = {cube.Pixels}.", nameof(mask));
        for (int t = 1; t < cube.Dates.Length; t++)
        {
            if (cube.Dates[t] < cube.Dates[t - 1])
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"History dates must be non-decreasing: date {t} ({cube.Dates[t]:O}) is before date {t - 1} ({cube.Dates[t - 1]:O}). Sort the acquisitions by time."),
                    nameof(cube));
            }
        }
        if (options.Method == FitMethod.CcdcStable && !trend)
            throw new ArgumentException("The CCDC-stable fit tests the trend coefficient: it needs trend = true.", nameof(trend));
        if (options.MaxIter < 1)
            throw new ArgumentException($"RIRLS maxiter must be at least 1, got {options.MaxIter}.", nameof(options));
        if (options.Screening == OutlierScreening.CcdcRirls)
        {
            if (green is null || swir is null)
                throw new ArgumentException("CCDC_RIRLS screening needs the green and SWIR history cubes (pass green: and swir:).", nameof(options));
            foreach (var (aux, name) in new[] { (green, nameof(green)), (swir, nameof(swir)) })
            {
                CheckShape(aux, name);
                if (aux.Times != cube.Times || aux.Height != cube.Height || aux.Width != cube.Width)
                {
                    throw new ArgumentException(
                        $"The {name} cube is {aux.Times} x {aux.Height} x {aux.Width} but the history cube is {cube.Times} x {cube.Height} x {cube.Width}.", name);
                }
            }
        }
        if (Array.IndexOf(mask, MaskCodes.Monitored) < 0)
            throw new ArgumentException("No pixel is monitored: the mask has no pixel with value 1.", nameof(mask));
    }

    private static void CheckShape(HistoryCube cube, string name)
    {
        ArgumentNullException.ThrowIfNull(cube.Dates, name);
        if (cube.Height <= 0 || cube.Width <= 0 || cube.Times == 0)
            throw new ArgumentException($"The {name} cube is empty ({cube.Times} dates x {cube.Height} x {cube.Width}).", name);
        if ((long)cube.Times * cube.Pixels != cube.Values.Length)
        {
            throw new ArgumentException(
                $"The {name} cube has {cube.Values.Length} values but {cube.Times} dates x {cube.Height} x {cube.Width} = {(long)cube.Times * cube.Pixels}.", name);
        }
    }

    private sealed class BlockState(BlockWorkspace workspace)
    {
        public BlockWorkspace Workspace { get; } = workspace;
        public long ValidBeforeScreening { get; set; }
        public long Removed { get; set; }
        /// <summary>Pixels that passed the short-series check (spec 3.1) after screening.</summary>
        public long Fitted { get; set; }
    }

    private sealed class FitContext
    {
        private readonly HistoryCube _cube;
        private readonly byte[] _mask;
        private readonly FitOptions _options;
        private readonly IResidualSink _sink;
        private readonly HistoryCube? _green, _swir;
        private readonly Design _design;
        private readonly double _crit;
        private readonly int[] _days;
        private readonly double _minimumCount;

        public float[] Beta { get; }
        public ushort[]? FitStart { get; }

        public FitContext(HistoryCube cube, byte[] mask, FitOptions options, IResidualSink sink, HistoryCube? green, HistoryCube? swir,
            Design design, double crit)
        {
            _cube = cube;
            _mask = mask;
            _options = options;
            _sink = sink;
            _green = green;
            _swir = swir;
            _design = design;
            _crit = crit;
            _days = Array.ConvertAll(cube.Dates, Regressors.DayNumber);
            _minimumCount = 1.5 * design.K;
            Beta = new float[design.K * cube.Pixels];
            FitStart = options.Method is FitMethod.Roc or FitMethod.CcdcStable ? FirstDayEverywhere(_days[0], cube.Pixels) : null;
        }

        /// <summary>
        /// The reference fills fit_start with the first history day before fitting and overwrites only the pixels it
        /// fits (0 when unstable), so pixels outside the mask and those dropped for too few observations keep that day.
        /// </summary>
        private static ushort[] FirstDayEverywhere(int firstDay, int pixels)
        {
            var fitStart = new ushort[pixels];
            Array.Fill(fitStart, checked((ushort)firstDay));
            return fitStart;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void ProcessBlock(int block, BlockState state)
        {
            var ws = state.Workspace;
            int w = ws.Width, p0 = block * w, lanes = Math.Min(w, _cube.Pixels - p0);
            var active = ws.Active;
            for (int b = 0; b < w; b++)
                active[b] = b < lanes && _mask[p0 + b] == MaskCodes.Monitored;
            // The unit weights come with their weighted observations (see BlockSolvers.SetUnitWeights).
            LoadWithUnitWeights(ws, p0, lanes);
            DropShortSeries(ws, p0);

            bool olsDone = false;
            if (_options.Screening != OutlierScreening.None)
            {
                for (int b = 0; b < w; b++)
                    state.ValidBeforeScreening += active[b] ? ws.Count[b] : 0;
                long removed = _options.Screening == OutlierScreening.Shewhart
                    ? Screening.Shewhart(_design, ws, _options.L, _mask.AsSpan(p0, lanes))
                    : Screening.CcdcRirls(_design, ws, _options, _green!, _swir!, p0, lanes);
                state.Removed += removed;
                // Shewhart's own OLS fit, on a block it left unchanged, is the OLS fit (same data, same operations).
                olsDone = removed == 0 && _options.Screening == OutlierScreening.Shewhart && _options.Method == FitMethod.Ols;
                if (!olsDone)
                {
                    BlockSolvers.SetUnitWeights(ws, ws.Y, active);
                    DropShortSeries(ws, p0);
                }
            }
            for (int b = 0; b < w; b++)
                state.Fitted += active[b] ? 1 : 0;

            switch (_options.Method)
            {
                case FitMethod.Ols when !olsDone:
                    BlockSolvers.WeightedLeastSquares(_design, ws, active, minimumNorm: false);
                    ws.DropUnsolved(_mask.AsSpan(p0, lanes));
                    BlockSolvers.Residuals(_design, ws, ws.Y, predictionMinusObservation: true);
                    break;
                case FitMethod.Rirls:
                    BlockSolvers.Rirls(_design, ws, ws.Y, active, _options);
                    break;
                case FitMethod.Roc or FitMethod.CcdcStable:
                    BlockSolvers.Accumulate(_design, ws);
                    for (int b = 0; b < w; b++)
                    {
                        if (!active[b])
                            continue;
                        bool stable = _options.Method == FitMethod.Roc
                            ? RocFit.FitLane(_design, ws, b, _options.Alpha, _crit, _days, out int startDay)
                            : CcdcStableFit.FitLane(_design, ws, b, _options.Threshold, _days, out startDay);
                        FitStart![p0 + b] = checked((ushort)startDay);
                        if (!stable)
                            _mask[p0 + b] = MaskCodes.Unstable;
                    }
                    break;
            }
            Emit(ws, p0, lanes, residualsInRows: _options.Method is FitMethod.Roc or FitMethod.CcdcStable);
        }

        /// <summary>
        /// Loads the block of the history cube with unit weights on its valid observations, counted into ws.Count, and
        /// their weighted observations ws.WeightedY, as <see cref="BlockSolvers.SetUnitWeights"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void LoadWithUnitWeights(BlockWorkspace ws, int p0, int lanes)
        {
            int w = ws.Width;
            if (lanes < w)
            {
                ws.Load(_cube, p0, lanes, ws.Y);
                BlockSolvers.SetUnitWeights(ws, ws.Y, ws.Active);
                return;
            }
            // Full block: widen float32 to float64 and flag valid values a SIMD vector at a time.
            var values = _cube.Values.Span;
            int pixels = _cube.Pixels, nf = w / System.Numerics.Vector<float>.Count;
            var counts = ws.LaneFactor.AsSpan();
            counts.Clear();
            var countV = MemoryMarshal.Cast<double, System.Numerics.Vector<double>>(counts);
            var one = System.Numerics.Vector<double>.One;
            var zero = System.Numerics.Vector<double>.Zero;
            for (int t = 0; t < ws.Times; t++)
            {
                var source = MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(values.Slice(t * pixels + p0, w));
                var row = MemoryMarshal.Cast<double, System.Numerics.Vector<double>>(ws.Y.AsSpan(t * w, w));
                var weights = MemoryMarshal.Cast<double, System.Numerics.Vector<double>>(ws.Weights.AsSpan(t * w, w));
                var weighted = MemoryMarshal.Cast<double, System.Numerics.Vector<double>>(ws.WeightedY.AsSpan(t * w, w));
                for (int i = 0; i < nf; i++)
                {
                    System.Numerics.Vector.Widen(source[i], out var low, out var high);
                    row[2 * i] = low;
                    row[2 * i + 1] = high;
                    var lowMask = System.Numerics.Vector.Equals(low, low);
                    var highMask = System.Numerics.Vector.Equals(high, high);
                    var lowValid = System.Numerics.Vector.ConditionalSelect(lowMask, one, zero);
                    var highValid = System.Numerics.Vector.ConditionalSelect(highMask, one, zero);
                    weights[2 * i] = lowValid;
                    weights[2 * i + 1] = highValid;
                    // As BlockSolvers.SetUnitWeights: the observation itself, 0 where there is none.
                    weighted[2 * i] = System.Numerics.Vector.ConditionalSelect(lowMask, low, zero);
                    weighted[2 * i + 1] = System.Numerics.Vector.ConditionalSelect(highMask, high, zero);
                    countV[2 * i] += lowValid;
                    countV[2 * i + 1] += highValid;
                }
            }
            for (int b = 0; b < w; b++)
                ws.Count[b] = (int)counts[b];
        }

        /// <summary>Spec 3.1 on the counts in ws.Count: active lanes with a short series get mask 4.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void DropShortSeries(BlockWorkspace ws, int p0)
        {
            for (int b = 0; b < ws.Width; b++)
            {
                if (ws.Active[b] && ws.Count[b] < _minimumCount)
                {
                    ws.Active[b] = false;
                    _mask[p0 + b] = MaskCodes.TooFewObservations;
                }
            }
        }

        /// <summary>
        /// Writes the float32 coefficients (original parametrisation) and hands every pixel's residual row to the sink.
        /// The per-pixel methods (<paramref name="residualsInRows"/>) have written their fitted lanes' rows already;
        /// the block methods' T x W residuals are transposed here.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Emit(BlockWorkspace ws, int p0, int lanes, bool residualsInRows)
        {
            int w = ws.Width, k = _design.K, pixels = _cube.Pixels, times = ws.Times;
            Span<double> beta = stackalloc double[k];
            var zeros = ws.Row.AsSpan();
            var rows = ws.Rows;
            // Transpose the T x W residuals once (sequential reads) instead of a strided read per pixel.
            for (int t = 0; t < times && !residualsInRows; t++)
            {
                var source = ws.Residuals.AsSpan(t * w, lanes);
                for (int b = 0; b < source.Length; b++)
                    rows[b * times + t] = (float)source[b];
            }
            for (int b = 0; b < lanes; b++)
            {
                int pixel = p0 + b;
                if (!ws.Active[b])
                {
                    _sink.Accept(pixel, zeros);
                    continue;
                }
                for (int c = 0; c < k; c++)
                    beta[c] = ws.Beta[c * w + b];
                _design.ToOriginal(beta);
                for (int c = 0; c < k; c++)
                    Beta[c * pixels + pixel] = (float)beta[c];
                _sink.Accept(pixel, rows.AsSpan(b * times, times));
            }
        }
    }
}
