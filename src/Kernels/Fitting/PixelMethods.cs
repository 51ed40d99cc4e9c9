using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NrtCluster.Kernels.Fitting;

/// <summary>Per-pixel history methods whose windows depend on the pixel's own data: recursive residuals, ROC, CCDC-stable.</summary>
internal static class PixelMethods
{
    /// <summary>Minimum span, in days, of a stable window (spec 3.5, 3.6).</summary>
    public const int MinimumSpanDays = 183;

    /// <summary>
    /// Recursive residuals (Brown-Durbin-Evans) of the observations in <paramref name="rows"/> (design rows, in the
    /// order given) with values <paramref name="y"/>: OLS on the first <paramref name="window"/> of them, then for each
    /// later one the standardised one-step forecast error, updating beta and (X'X)^-1 by Sherman-Morrison.
    /// Writes rows.Length - window values into <paramref name="w"/>. False when the initial window is singular.
    /// </summary>
    /// <remarks>
    /// Runs on the unshifted design with an LU inverse of the initial window, as the reference does. With a trend
    /// column (day numbers ~2e4) the initial k+1-observation window is badly conditioned and the reference's first
    /// residuals carry large rounding errors that inflate sigma and suppress ROC detections; a better-conditioned
    /// computation disagrees with the reference on ~5% of the conformance pixels, so the reference's rounding is
    /// reproduced here on purpose.
    /// </remarks>
    public static bool RecursiveResiduals(Design d, ReadOnlySpan<int> rows, ReadOnlySpan<double> y, int window,
        Span<double> w, BlockWorkspace ws)
    {
        int k = d.K;
        var design = d.RawX.AsSpan();
        var inverse = ws.Matrix2.AsSpan();
        var gram = ws.Matrix.AsSpan();
        var beta = ws.Vector.AsSpan();
        var ax = ws.Vector2.AsSpan();
        gram[..(k * k)].Clear();
        beta[..k].Clear();
        for (int i = 0; i < window; i++)
        {
            var x = design.Slice(rows[i] * k, k);
            for (int a = 0; a < k; a++)
            {
                for (int b = 0; b < k; b++)
                    gram[a * k + b] += x[a] * x[b];
                beta[a] += x[a] * y[i];
            }
        }
        if (!SmallSolver.LuInvert(gram, k, inverse, ws.SolverScratch))
            return false;
        // beta = (X'X)^-1 X'y, with X'y currently in beta.
        beta.CopyTo(ax);
        for (int i = 0; i < k; i++)
        {
            double s = 0;
            for (int j = 0; j < k; j++)
                s += inverse[i * k + j] * ax[j];
            beta[i] = s;
        }
        // Bounds-check-free inner loops (same operation order as the spans they replace).
        ref double inv = ref MemoryMarshal.GetReference(inverse);
        ref double bt = ref MemoryMarshal.GetReference(beta);
        ref double axr = ref MemoryMarshal.GetReference(ax);
        for (int j = window; j < rows.Length; j++)
        {
            ref double x = ref MemoryMarshal.GetReference(design.Slice(rows[j] * k, k));
            double f = 1, pred = 0;
            for (int a = 0; a < k; a++)
            {
                ref double row = ref Unsafe.Add(ref inv, a * k);
                double s = 0;
                for (int b = 0; b < k; b++)
                    s += Unsafe.Add(ref row, b) * Unsafe.Add(ref x, b);
                Unsafe.Add(ref axr, a) = s;
                double xa = Unsafe.Add(ref x, a);
                f += xa * s;
                pred += xa * Unsafe.Add(ref bt, a);
            }
            double e = y[j] - pred;
            w[j - window] = e / Math.Sqrt(f);
            for (int a = 0; a < k; a++)
            {
                double sa = Unsafe.Add(ref axr, a) / f;
                ref double row = ref Unsafe.Add(ref inv, a * k);
                for (int b = 0; b < k; b++)
                    Unsafe.Add(ref row, b) -= sa * Unsafe.Add(ref axr, b);
                Unsafe.Add(ref bt, a) += sa * e;
            }
        }
        return true;
    }

    /// <summary>
    /// ROC stable-history start (spec 3.6 steps 1-3): an index into the chronological valid observations, or -1 when
    /// the recursive residuals cannot start (singular initial window). <paramref name="process"/>, if not empty,
    /// receives P_1..P_{m-1} (length rows.Length - k - 1).
    /// </summary>
    public static int RocStableStart(Design d, ReadOnlySpan<int> rows, ReadOnlySpan<double> y, double alpha, double crit,
        BlockWorkspace ws, Span<double> process)
    {
        int n = rows.Length, p = d.K + 1;
        int count = n - p;
        if (count < 1)
            return 0;
        var reversedRows = ws.ReversedIndex.AsSpan(0, n);
        var reversedY = ws.Series2.AsSpan(0, n);
        for (int i = 0; i < n; i++)
        {
            reversedRows[i] = rows[n - 1 - i];
            reversedY[i] = y[n - 1 - i];
        }
        var w = ws.Series3.AsSpan(0, count);
        if (!RecursiveResiduals(d, reversedRows, reversedY, p, w, ws))
            return -1;
        double mean = 0;
        for (int i = 0; i < count; i++)
            mean += w[i];
        mean /= count;
        double variance = 0;
        for (int i = 0; i < count; i++)
            variance += (w[i] - mean) * (w[i] - mean);
        double sigma = Math.Sqrt(variance / count);
        double scale = sigma * Math.Sqrt(count);
        // m = count + 1 process values, P_0 = 0; w becomes P_1..P_count.
        double cumulative = 0, stat = double.NegativeInfinity;
        for (int i = 0; i < count; i++)
        {
            cumulative += w[i];
            w[i] = cumulative / scale;
            stat = Math.Max(stat, Math.Abs(w[i]) / (1 + 2.0 * (i + 1) / count));
        }
        if (!process.IsEmpty)
            w.CopyTo(process);
        int m = count + 1;
        // A NaN statistic (zero sigma) fails the test, as in the reference.
        if (!(CriticalValues.BrownianMotionPValue(stat) < alpha))
            return 0;
        for (int i = 1; i < m; i++)
        {
            if (Math.Abs(w[i - 1]) > crit + 2 * crit * i / (m - 1))
                return m - i;
        }
        // No crossing although the p-value says there is one (a value on the boundary): as the reference's argmax, i = 0.
        return m;
    }

    /// <summary>
    /// CCDC-stable (spec 3.5) on one pixel's chronological valid observations: coefficients (shifted design) into
    /// <paramref name="beta"/>, window residuals X*beta - y into <paramref name="residuals"/> (aligned with rows;
    /// NaN before the window). Returns the window's first index and whether it is stable. A singular window stops the
    /// search as unstable, with its minimum-norm coefficients.
    /// </summary>
    /// <param name="packed">The packed X'X of all the rows (modified: downdated).</param>
    /// <param name="xty">X'y of all the rows (modified: downdated).</param>
    public static (int Start, bool Stable) CcdcStable(Design d, ReadOnlySpan<int> rows, ReadOnlySpan<double> y,
        ReadOnlySpan<int> dayNumbers, double threshold, Span<double> packed, Span<double> xty, Span<double> beta,
        Span<double> residuals, BlockWorkspace ws)
    {
        int n = rows.Length, k = d.K, q = d.Q;
        int minObs = (int)Math.Floor(1.5 * k);
        var gram = ws.Matrix.AsSpan();
        int start = 0;
        bool stable = false;
        for (int length = n; length >= minObs; length -= 2)
        {
            if (length != n)
            {
                // Downdate: drop the two oldest observations of the previous window.
                for (int drop = start; drop < start + 2; drop++)
                {
                    var outer = d.Outer.AsSpan(rows[drop] * q, q);
                    for (int j = 0; j < q; j++)
                        packed[j] -= outer[j];
                    var x = d.X.AsSpan(rows[drop] * k, k);
                    for (int a = 0; a < k; a++)
                        xty[a] -= x[a] * y[drop];
                }
                start += 2;
            }
            d.Unpack(packed, gram);
            xty.CopyTo(beta);
            bool regular = SmallSolver.SolveMinimumNorm(gram, k, beta, ws.SolverScratch);
            double sumSquares = 0;
            for (int i = start; i < n; i++)
            {
                double e = d.Predict(rows[i], beta) - y[i];
                residuals[i] = e;
                sumSquares += e * e;
            }
            if (!regular)
                break;
            double rmse = Math.Sqrt(sumSquares / length);
            stable = Math.Abs(beta[1]) / rmse < threshold
                     && Math.Abs(residuals[start]) / rmse < threshold
                     && Math.Abs(residuals[n - 1]) / rmse < threshold;
            if (stable || dayNumbers[rows[n - 1]] - dayNumbers[rows[start]] < MinimumSpanDays)
                break;
        }
        residuals[..start].Fill(double.NaN);
        return (start, stable);
    }
}
