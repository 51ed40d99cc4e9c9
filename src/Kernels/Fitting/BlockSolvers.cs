using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NrtCluster.Kernels.Fitting;

/// <summary>
/// Least-squares kernels over a block of pixels at once: the normal equations of all lanes are accumulated with SIMD
/// across lanes (every lane shares the design rows), then each lane's small system is solved by hand.
/// </summary>
internal static class BlockSolvers
{
    /// <summary>float32 machine epsilon: the reference's floor on the RIRLS scale.</summary>
    public const double Float32Epsilon = 1.1920929e-07;

    /// <summary>
    /// Unit weights on the valid observations of the lanes in <paramref name="lanes"/>, counted into ws.Count, and the
    /// weighted observations ws.WeightedY that <see cref="Accumulate"/> takes (y itself: a unit weight times y is y).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SetUnitWeights(BlockWorkspace ws, double[] y, bool[] lanes)
    {
        int w = ws.Width, nv = w / Vector<double>.Count;
        var laneMask = ws.LaneMask.AsSpan();
        var counts = ws.LaneFactor.AsSpan();
        for (int b = 0; b < w; b++)
            laneMask[b] = lanes[b] ? 1 : 0;
        counts.Clear();
        var maskV = MemoryMarshal.Cast<double, Vector<double>>(laneMask);
        var countV = MemoryMarshal.Cast<double, Vector<double>>(counts);
        for (int t = 0; t < ws.Times; t++)
        {
            var obs = MemoryMarshal.Cast<double, Vector<double>>(y.AsSpan(t * w, w));
            var weights = MemoryMarshal.Cast<double, Vector<double>>(ws.Weights.AsSpan(t * w, w));
            var wy = MemoryMarshal.Cast<double, Vector<double>>(ws.WeightedY.AsSpan(t * w, w));
            for (int v = 0; v < nv; v++)
            {
                var valid = Vector.ConditionalSelect(Vector.Equals(obs[v], obs[v]), maskV[v], Vector<double>.Zero);
                weights[v] = valid;
                wy[v] = Vector.ConditionalSelect(Vector.GreaterThan(valid, Vector<double>.Zero), obs[v], Vector<double>.Zero);
                countV[v] += valid;
            }
        }
        for (int b = 0; b < w; b++)
            ws.Count[b] = (int)counts[b];
    }

    /// <summary>
    /// Weighted least squares for the lanes in <paramref name="lanes"/> (weights must be 0 where y is NaN).
    /// Writes ws.Beta (shifted design) and ws.Solved for those lanes; others are left untouched.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightedLeastSquares(Design d, BlockWorkspace ws, bool[] lanes, bool minimumNorm)
    {
        Accumulate(d, ws);
        int k = d.K, w = ws.Width;
        var full = ws.Matrix.AsSpan();
        var rhs = ws.Vector.AsSpan();
        for (int b = 0; b < w; b++)
        {
            if (!lanes[b])
                continue;
            int q = 0;
            for (int i = 0; i < k; i++)
            {
                for (int j = i; j < k; j++)
                {
                    double g = ws.Gram[q++ * w + b];
                    full[i * k + j] = g;
                    full[j * k + i] = g;
                }
                rhs[i] = ws.Rhs[i * w + b];
            }
            bool solved = true;
            if (minimumNorm)
            {
                // Fewer weighted observations than regressors can still pass the Cholesky pivot test on rounding.
                if (WeightedObservations(ws, b) < k || !SmallSolver.TrySolve(full, k, rhs, ws.SolverScratch))
                    WeightedMinimumNorm(d, ws, b, rhs);
            }
            else
                solved = SmallSolver.TrySolve(full, k, rhs, ws.SolverScratch);
            ws.Solved[b] = solved;
            if (solved)
            {
                for (int i = 0; i < k; i++)
                    ws.Beta[i * w + b] = rhs[i];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int WeightedObservations(BlockWorkspace ws, int lane)
    {
        int n = 0;
        for (int t = 0; t < ws.Times; t++)
            n += ws.Weights[t * ws.Width + lane] > 0 ? 1 : 0;
        return n;
    }

    /// <summary>
    /// Minimum-norm weighted least squares of lane <paramref name="lane"/> into <paramref name="beta"/> (shifted design)
    /// from sqrt(w) X and sqrt(w) y of its weighted observations, minimum norm in the original parametrisation as the
    /// reference's lstsq (the shift would change which solution is the shortest).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedMinimumNorm(Design d, BlockWorkspace ws, int lane, Span<double> beta)
    {
        int k = d.K, w = ws.Width, m = 0;
        var a = ws.SvdScratch.AsSpan(0, ws.Times * k);
        var yw = ws.SvdScratch.AsSpan(ws.Times * k, ws.Times);
        var v = ws.SvdScratch.AsSpan(ws.Times * k + ws.Times, k * k);
        for (int t = 0; t < ws.Times; t++)
        {
            double weight = ws.Weights[t * w + lane];
            if (!(weight > 0))
                continue;
            double root = Math.Sqrt(weight);
            for (int c = 0; c < k; c++)
                a[m * k + c] = d.RawX[t * k + c] * root;
            yw[m] = ws.WeightedY[t * w + lane] / root;
            m++;
        }
        SmallSolver.LeastSquaresMinimumNorm(a, m, k, yw, beta, v);
        d.FromOriginal(beta);
    }

    /// <summary>
    /// ws.Gram (packed X'WX) and ws.Rhs (X'Wy) of every lane from ws.Weights (0 where y is NaN) and ws.WeightedY, which
    /// are written together (<see cref="SetUnitWeights"/>, <see cref="BisquareWeights"/>, the block loader).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Accumulate(Design d, BlockWorkspace ws)
    {
        int nv = ws.Width / Vector<double>.Count;
        WeightedSums(ws.Weights, d.OuterBlocked, d.BlockedQ, ws.Times, nv, ws.Gram);
        WeightedSums(ws.WeightedY, d.XBlocked, d.BlockedK, ws.Times, nv, ws.Rhs);
    }

    /// <summary>
    /// output[c][lane] = sum over t of weights[t][lane] * coefficients[t][c], c &lt; columns (a multiple of
    /// <see cref="Design.RegisterBlock"/>). Register-blocked: 4 coefficients x 2 lane vectors stay in registers over
    /// the whole time loop, so each step is 8 FMAs on 2 loads instead of a load and a store per FMA.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedSums(double[] weights, double[] coefficients, int columns, int times, int nv, double[] output)
    {
        ref var wBase = ref Unsafe.As<double, Vector<double>>(ref MemoryMarshal.GetArrayDataReference(weights));
        ref var outBase = ref Unsafe.As<double, Vector<double>>(ref MemoryMarshal.GetArrayDataReference(output));
        ref double cBase = ref MemoryMarshal.GetArrayDataReference(coefficients);
        for (int v = 0; v < nv; v += 2)
        {
            for (int c = 0; c < columns; c += Design.RegisterBlock)
            {
                Vector<double> a00 = default, a01 = default, a10 = default, a11 = default;
                Vector<double> a20 = default, a21 = default, a30 = default, a31 = default;
                for (int t = 0; t < times; t++)
                {
                    var w0 = Unsafe.Add(ref wBase, t * nv + v);
                    var w1 = Unsafe.Add(ref wBase, t * nv + v + 1);
                    ref double co = ref Unsafe.Add(ref cBase, t * columns + c);
                    var c0 = new Vector<double>(co);
                    var c1 = new Vector<double>(Unsafe.Add(ref co, 1));
                    var c2 = new Vector<double>(Unsafe.Add(ref co, 2));
                    var c3 = new Vector<double>(Unsafe.Add(ref co, 3));
                    a00 = Vector.FusedMultiplyAdd(w0, c0, a00);
                    a01 = Vector.FusedMultiplyAdd(w1, c0, a01);
                    a10 = Vector.FusedMultiplyAdd(w0, c1, a10);
                    a11 = Vector.FusedMultiplyAdd(w1, c1, a11);
                    a20 = Vector.FusedMultiplyAdd(w0, c2, a20);
                    a21 = Vector.FusedMultiplyAdd(w1, c2, a21);
                    a30 = Vector.FusedMultiplyAdd(w0, c3, a30);
                    a31 = Vector.FusedMultiplyAdd(w1, c3, a31);
                }
                Unsafe.Add(ref outBase, c * nv + v) = a00;
                Unsafe.Add(ref outBase, c * nv + v + 1) = a01;
                Unsafe.Add(ref outBase, (c + 1) * nv + v) = a10;
                Unsafe.Add(ref outBase, (c + 1) * nv + v + 1) = a11;
                Unsafe.Add(ref outBase, (c + 2) * nv + v) = a20;
                Unsafe.Add(ref outBase, (c + 2) * nv + v + 1) = a21;
                Unsafe.Add(ref outBase, (c + 3) * nv + v) = a30;
                Unsafe.Add(ref outBase, (c + 3) * nv + v + 1) = a31;
            }
        }
    }

    /// <summary>
    /// ws.Residuals = y - X*beta (or X*beta - y when <paramref name="predictionMinusObservation"/>) for every lane; NaN where y is NaN.
    /// If <paramref name="sums"/> (W) is given, each lane's non-NaN residuals are added to it in date order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Residuals(Design d, BlockWorkspace ws, double[] y, bool predictionMinusObservation, Span<double> sums = default)
    {
        int w = ws.Width, k = d.K, nv = w / Vector<double>.Count;
        bool summing = !sums.IsEmpty;
        ref var beta = ref Unsafe.As<double, Vector<double>>(ref MemoryMarshal.GetArrayDataReference(ws.Beta));
        ref var obs = ref Unsafe.As<double, Vector<double>>(ref MemoryMarshal.GetArrayDataReference(y));
        ref var res = ref Unsafe.As<double, Vector<double>>(ref MemoryMarshal.GetArrayDataReference(ws.Residuals));
        ref var sum = ref Unsafe.As<double, Vector<double>>(ref MemoryMarshal.GetReference(sums));
        ref double design = ref MemoryMarshal.GetArrayDataReference(d.X);
        // Bounds-check-free (y, Residuals: T x W; Beta: K x W; sums: W); the same operations in the same order as a
        // plain loop, so the residuals do not change.
        for (int t = 0; t < ws.Times; t++)
        {
            ref double x = ref Unsafe.Add(ref design, t * k);
            int row = t * nv;
            for (int v = 0; v < nv; v++)
            {
                var pred = Vector<double>.Zero;
                for (int a = 0; a < k; a++)
                    pred += new Vector<double>(Unsafe.Add(ref x, a)) * Unsafe.Add(ref beta, a * nv + v);
                var o = Unsafe.Add(ref obs, row + v);
                var r = predictionMinusObservation ? pred - o : o - pred;
                Unsafe.Add(ref res, row + v) = r;
                if (summing)
                    Unsafe.Add(ref sum, v) += Vector.ConditionalSelect(Vector.Equals(r, r), r, Vector<double>.Zero);
            }
        }
    }

    /// <summary>
    /// Tukey bisquare weights (|u| &lt; tune) * (1 - (u/tune)^2)^2 with u = r/scale for the iterating lanes, 0 elsewhere
    /// (a NaN residual, i.e. no observation, fails the comparison and weighs 0), and in the same pass the weighted
    /// observations ws.WeightedY that <see cref="Accumulate"/> takes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BisquareWeights(BlockWorkspace ws, double[] y, double tune)
    {
        int w = ws.Width, nv = w / Vector<double>.Count;
        // Per lane 1/(scale*tune), 0 for lanes not iterating, and a lane mask.
        var inverse = ws.LaneFactor.AsSpan();
        var laneMask = ws.LaneMask.AsSpan();
        for (int b = 0; b < w; b++)
        {
            inverse[b] = ws.Iterating[b] ? 1 / (ws.Scale[b] * tune) : 0;
            laneMask[b] = ws.Iterating[b] ? 1 : 0;
        }
        var inv = MemoryMarshal.Cast<double, Vector<double>>(inverse);
        var lanes = MemoryMarshal.Cast<double, Vector<double>>(laneMask);
        var one = Vector<double>.One;
        for (int t = 0; t < ws.Times; t++)
        {
            var res = MemoryMarshal.Cast<double, Vector<double>>(ws.Residuals.AsSpan(t * w, w));
            var weights = MemoryMarshal.Cast<double, Vector<double>>(ws.Weights.AsSpan(t * w, w));
            var obs = MemoryMarshal.Cast<double, Vector<double>>(y.AsSpan(t * w, w));
            var wy = MemoryMarshal.Cast<double, Vector<double>>(ws.WeightedY.AsSpan(t * w, w));
            for (int v = 0; v < nv; v++)
            {
                var z = res[v] * inv[v];
                var inside = Vector.LessThan(Vector.Abs(z), one);
                var b = one - z * z;
                var weight = Vector.ConditionalSelect(inside, b * b * lanes[v], Vector<double>.Zero);
                weights[v] = weight;
                // 0 * NaN is NaN: select instead of multiplying unobserved values.
                wy[v] = Vector.ConditionalSelect(Vector.GreaterThan(weight, Vector<double>.Zero), weight * obs[v], Vector<double>.Zero);
            }
        }
    }

    /// <summary>
    /// ws.LaneOffsets and ws.LaneValid: where each lane's observations are in the T x W block (fixed through the RIRLS
    /// iterations), so each MAD gathers them directly instead of scanning the whole block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void IndexObservations(BlockWorkspace ws, double[] y)
    {
        int w = ws.Width, times = ws.Times;
        ref double yBase = ref MemoryMarshal.GetArrayDataReference(y);
        ref int offsets = ref MemoryMarshal.GetArrayDataReference(ws.LaneOffsets);
        for (int b = 0; b < w; b++)
        {
            // Branch-free: always write, keep by advancing n (n <= t, so within the lane's T slots). Consecutive
            // lanes read the same cache lines, which stay in L1.
            ref int lane = ref Unsafe.Add(ref offsets, b * times);
            int n = 0;
            for (int t = 0; t < times; t++)
            {
                int offset = t * w + b;
                Unsafe.Add(ref lane, n) = offset;
                n += Unsafe.BitCast<bool, byte>(!double.IsNaN(Unsafe.Add(ref yBase, offset)));
            }
            ws.LaneValid[b] = n;
        }
    }

    /// <summary>
    /// MAD of each lane's non-NaN residuals into ws.Scale, for the lanes in <paramref name="lanes"/> (floored at
    /// <paramref name="floor"/>). Residuals are read at the lane's observations (<see cref="IndexObservations"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LaneMads(BlockWorkspace ws, bool[] lanes, double scaleConstant, double floor)
    {
        int times = ws.Times;
        ref double residuals = ref MemoryMarshal.GetArrayDataReference(ws.Residuals);
        ref int offsets = ref MemoryMarshal.GetArrayDataReference(ws.LaneOffsets);
        ref double series = ref MemoryMarshal.GetArrayDataReference(ws.LaneSeries);
        for (int b = 0; b < ws.Width; b++)
        {
            if (!lanes[b])
                continue;
            ref int lane = ref Unsafe.Add(ref offsets, b * times);
            int valid = ws.LaneValid[b], n = 0;
            // A residual is NaN where y is; the check also keeps out any from a non-finite fit.
            for (int i = 0; i < valid; i++)
            {
                double r = Unsafe.Add(ref residuals, Unsafe.Add(ref lane, i));
                Unsafe.Add(ref series, n) = r;
                n += Unsafe.BitCast<bool, byte>(!double.IsNaN(r));
            }
            ws.Scale[b] = Math.Max(floor, Selection.Mad(ws.LaneSeries.AsSpan(0, n), ws.SelectionA, ws.SelectionB, scaleConstant));
        }
    }

    /// <summary>
    /// Tukey-bisquare RIRLS (spec 3.4) for the lanes in <paramref name="lanes"/>: ws.Beta (shifted design) and
    /// ws.Residuals = y - X*beta (NaN where y is NaN). Rank-deficient systems get the minimum-norm solution.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rirls(Design d, BlockWorkspace ws, double[] y, bool[] lanes, FitOptions options)
    {
        int w = ws.Width, k = d.K;
        SetUnitWeights(ws, y, lanes);
        IndexObservations(ws, y);
        WeightedLeastSquares(d, ws, lanes, minimumNorm: true);
        Residuals(d, ws, y, predictionMinusObservation: false);
        bool any = false;
        for (int b = 0; b < w; b++)
            ws.Iterating[b] = lanes[b] && ws.Count[b] > 0;
        LaneMads(ws, ws.Iterating, options.ScaleConstant, double.NegativeInfinity);
        for (int b = 0; b < w; b++)
        {
            ws.Iterating[b] &= !(ws.Scale[b] < Float32Epsilon);
            any |= ws.Iterating[b];
        }
        Span<double> beta = stackalloc double[k];
        for (int iteration = 1; any && iteration < options.MaxIter; iteration++)
        {
            for (int b = 0; b < w; b++)
            {
                if (!ws.Iterating[b])
                    continue;
                for (int i = 0; i < k; i++)
                    beta[i] = ws.Beta[i * w + b];
                d.ToOriginal(beta);
                for (int i = 0; i < k; i++)
                    ws.PreviousBeta[i * w + b] = beta[i];
            }
            BisquareWeights(ws, y, options.Tune);
            WeightedLeastSquares(d, ws, ws.Iterating, minimumNorm: true);
            Residuals(d, ws, y, predictionMinusObservation: false);
            // The scale is only used by a next iteration: skip the medians after the last one.
            if (options.UpdateScale && iteration + 1 < options.MaxIter)
                LaneMads(ws, ws.Iterating, options.ScaleConstant, Float32Epsilon);
            any = false;
            for (int b = 0; b < w; b++)
            {
                if (!ws.Iterating[b])
                    continue;
                for (int i = 0; i < k; i++)
                    beta[i] = ws.Beta[i * w + b];
                d.ToOriginal(beta);
                // Reference quirk: only coefficient increases are tested against tol.
                bool increased = false;
                for (int i = 0; i < k; i++)
                    increased |= beta[i] - ws.PreviousBeta[i * w + b] > options.Tol;
                ws.Iterating[b] = increased;
                any |= increased;
            }
        }
    }
}
