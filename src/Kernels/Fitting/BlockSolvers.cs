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

    /// <summary>Unit weights on the valid observations of the lanes in <paramref name="lanes"/>; counts them into ws.Count.</summary>
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
            for (int v = 0; v < nv; v++)
            {
                var valid = Vector.ConditionalSelect(Vector.Equals(obs[v], obs[v]), maskV[v], Vector<double>.Zero);
                weights[v] = valid;
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
    public static void WeightedLeastSquares(Design d, BlockWorkspace ws, double[] y, bool[] lanes, bool minimumNorm)
    {
        Accumulate(d, ws, y);
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
                SmallSolver.SolveMinimumNorm(full, k, rhs, ws.SolverScratch);
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

    /// <summary>ws.Gram (packed X'WX) and ws.Rhs (X'Wy) of every lane from ws.Weights (0 where y is NaN).</summary>
    public static void Accumulate(Design d, BlockWorkspace ws, double[] y)
    {
        int w = ws.Width, nv = w / Vector<double>.Count;
        var weights = MemoryMarshal.Cast<double, Vector<double>>(ws.Weights.AsSpan());
        var obs = MemoryMarshal.Cast<double, Vector<double>>(y.AsSpan(0, ws.Times * w));
        var wy = MemoryMarshal.Cast<double, Vector<double>>(ws.WeightedY.AsSpan());
        for (int i = 0; i < weights.Length; i++)
        {
            // 0 * NaN is NaN: select instead of multiplying unobserved values.
            wy[i] = Vector.ConditionalSelect(Vector.GreaterThan(weights[i], Vector<double>.Zero), weights[i] * obs[i], Vector<double>.Zero);
        }
        WeightedSums(ws.Weights, d.OuterBlocked, d.BlockedQ, ws.Times, nv, ws.Gram);
        WeightedSums(ws.WeightedY, d.XBlocked, d.BlockedK, ws.Times, nv, ws.Rhs);
    }

    /// <summary>
    /// output[c][lane] = sum over t of weights[t][lane] * coefficients[t][c], c &lt; columns (a multiple of
    /// <see cref="Design.RegisterBlock"/>). Register-blocked: 4 coefficients x 2 lane vectors stay in registers over
    /// the whole time loop, so each step is 8 FMAs on 2 loads instead of a load and a store per FMA.
    /// </summary>
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
    /// </summary>
    public static void Residuals(Design d, BlockWorkspace ws, double[] y, bool predictionMinusObservation)
    {
        int w = ws.Width, k = d.K, nv = w / Vector<double>.Count;
        var beta = MemoryMarshal.Cast<double, Vector<double>>(ws.Beta.AsSpan());
        for (int t = 0; t < ws.Times; t++)
        {
            var obs = MemoryMarshal.Cast<double, Vector<double>>(y.AsSpan(t * w, w));
            var res = MemoryMarshal.Cast<double, Vector<double>>(ws.Residuals.AsSpan(t * w, w));
            var x = d.X.AsSpan(t * k, k);
            for (int v = 0; v < nv; v++)
            {
                var pred = Vector<double>.Zero;
                for (int a = 0; a < k; a++)
                    pred += new Vector<double>(x[a]) * beta[a * nv + v];
                res[v] = predictionMinusObservation ? pred - obs[v] : obs[v] - pred;
            }
        }
    }

    /// <summary>
    /// Tukey bisquare weights (|u| &lt; tune) * (1 - (u/tune)^2)^2 with u = r/scale for the iterating lanes, 0 elsewhere
    /// (a NaN residual, i.e. no observation, fails the comparison and weighs 0).
    /// </summary>
    private static void BisquareWeights(BlockWorkspace ws, double tune)
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
            for (int v = 0; v < nv; v++)
            {
                var z = res[v] * inv[v];
                var inside = Vector.LessThan(Vector.Abs(z), one);
                var b = one - z * z;
                weights[v] = Vector.ConditionalSelect(inside, b * b * lanes[v], Vector<double>.Zero);
            }
        }
    }

    /// <summary>
    /// MAD of each lane's residuals at its valid observations into ws.Scale, for the lanes in <paramref name="lanes"/>
    /// (floored at <paramref name="floor"/>). One pass over the block compacts every lane's residuals, so the block is
    /// read sequentially rather than once per lane with a stride.
    /// </summary>
    private static void LaneMads(BlockWorkspace ws, bool[] lanes, double scaleConstant, double floor)
    {
        int w = ws.Width, times = ws.Times;
        var counts = ws.LaneCount;
        Array.Clear(counts);
        // Residuals are NaN exactly where y is: compact the non-NaN ones of every lane (lanes not asked are skipped
        // by their medians, not here).
        ref double residuals = ref MemoryMarshal.GetArrayDataReference(ws.Residuals);
        ref double series = ref MemoryMarshal.GetArrayDataReference(ws.LaneSeries);
        ref int count = ref MemoryMarshal.GetArrayDataReference(counts);
        for (int t = 0; t < times; t++)
        {
            ref double row = ref Unsafe.Add(ref residuals, t * w);
            for (int b = 0; b < w; b++)
            {
                double r = Unsafe.Add(ref row, b);
                ref int c = ref Unsafe.Add(ref count, b);
                Unsafe.Add(ref series, b * times + c) = r;
                c += double.IsNaN(r) ? 0 : 1;
            }
        }
        for (int b = 0; b < w; b++)
        {
            if (lanes[b])
                ws.Scale[b] = Math.Max(floor, RobustStatistics.Mad(ws.LaneSeries.AsSpan(b * times, counts[b]), scaleConstant));
        }
    }

    /// <summary>
    /// Tukey-bisquare RIRLS (spec 3.4) for the lanes in <paramref name="lanes"/>: ws.Beta (shifted design) and
    /// ws.Residuals = y - X*beta (NaN where y is NaN). Rank-deficient systems get the minimum-norm solution.
    /// </summary>
    public static void Rirls(Design d, BlockWorkspace ws, double[] y, bool[] lanes, FitOptions options)
    {
        int w = ws.Width, k = d.K;
        SetUnitWeights(ws, y, lanes);
        WeightedLeastSquares(d, ws, y, lanes, minimumNorm: true);
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
            BisquareWeights(ws, options.Tune);
            WeightedLeastSquares(d, ws, y, ws.Iterating, minimumNorm: true);
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
