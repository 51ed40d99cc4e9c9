using System.Runtime.CompilerServices;

namespace NrtCluster.Kernels.Fitting;

/// <summary>
/// ROC fit (spec 3.6; reference <c>nrt.fit_methods.roc_stable_fit</c>): the stable history is the end of the series after
/// the last structural change the reverse-ordered recursive CUSUM finds; OLS on it.
/// </summary>
internal static class RocFit
{
    /// <summary>
    /// Fits lane b of the block (its normal equations accumulated in ws, spec 3.6): coefficients (shifted design) into
    /// ws.Beta, NaN when unstable; residuals X*beta - y of every valid observation into its row of ws.Rows, NaN where
    /// there is none and throughout when unstable. <paramref name="startDay"/>: the day number of the stable period's
    /// first observation (0 when unstable). False when there is no stable period of k+1 observations over
    /// <see cref="HistoryFitter.MinimumStableSpanDays"/> days, or its system is singular.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool FitLane(Design design, BlockWorkspace ws, int b, double alpha, double crit, ReadOnlySpan<int> days, out int startDay)
    {
        int w = ws.Width, k = design.K;
        int n = ws.Gather(b);
        var rows = ws.Index.AsSpan(0, n);
        var y = ws.Series.AsSpan(0, n);
        int start = StableStart(design, rows, y, alpha, crit, ws, []);
        bool stable = start >= 0 && n - start >= k + 1 && days[rows[n - 1]] - days[rows[start]] >= HistoryFitter.MinimumStableSpanDays;
        if (stable)
        {
            // The stable period's normal equations: all observations' less those before the start.
            Span<double> packed = stackalloc double[design.Q];
            var xty = ws.Vector.AsSpan(0, k);
            ws.LaneNormalEquations(b, packed, xty);
            for (int i = 0; i < start; i++)
            {
                var outer = design.Outer.AsSpan(rows[i] * design.Q, design.Q);
                for (int j = 0; j < packed.Length; j++)
                    packed[j] -= outer[j];
                var x = design.X.AsSpan(rows[i] * k, k);
                for (int a = 0; a < k; a++)
                    xty[a] -= x[a] * y[i];
            }
            design.Unpack(packed, ws.Matrix);
            stable = SmallSolver.TrySolve(ws.Matrix, k, xty, ws.SolverScratch);
        }
        for (int c = 0; c < k; c++)
            ws.Beta[c * w + b] = stable ? ws.Vector[c] : double.NaN;
        startDay = stable ? days[rows[start]] : 0;
        // Straight into the pixel's float32 row handed to the sink.
        var residuals = ws.Rows.AsSpan(b * ws.Times, ws.Times);
        Spans.Fill(residuals, float.NaN);
        if (stable)
        {
            for (int i = 0; i < n; i++)
                residuals[rows[i]] = (float)(design.Predict(rows[i], ws.Vector) - y[i]);
        }
        return stable;
    }

    /// <summary>
    /// ROC stable-history start (spec 3.6 steps 1-3): an index into the chronological valid observations, or -1 when
    /// the recursive residuals cannot start (singular initial window). <paramref name="process"/>, if not empty,
    /// receives P_1..P_{m-1} (length rows.Length - k - 1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int StableStart(Design d, ReadOnlySpan<int> rows, ReadOnlySpan<double> y, double alpha, double crit,
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
        if (!RecursiveResiduals.Compute(d, reversedRows, reversedY, p, w, ws))
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
        // The statistic's weights as the reference's linspace(0, 1, m): i * (1/count), the last exactly 1.
        double cumulative = 0, stat = double.NegativeInfinity, step = 1.0 / count;
        for (int i = 0; i < count; i++)
        {
            cumulative += w[i];
            w[i] = cumulative / scale;
            double t = i + 1 == count ? 1 : (i + 1) * step;
            stat = Math.Max(stat, Math.Abs(w[i]) / (1 + 2 * t));
        }
        if (!process.IsEmpty)
            w.CopyTo(process);
        int m = count + 1;
        // A NaN statistic (zero sigma) fails the test, as in the reference. The p-value falls as the statistic grows
        // (monotone above 0.3) and equals alpha at crit, so well below crit it is above alpha: the p-value (four normal
        // CDFs per pixel, and not precompiled) is only computed near and above crit.
        bool clearlyBelow = crit > 0.31 && stat < crit * (1 - 1e-6);
        if (clearlyBelow || !(CriticalValues.BrownianMotionPValue(stat) < alpha))
            return 0;
        for (int i = 1; i < m; i++)
        {
            if (Math.Abs(w[i - 1]) > crit + 2 * crit * i / (m - 1))
                return m - i;
        }
        // No crossing although the p-value says there is one (a value on the boundary): as the reference's argmax, i = 0.
        return m;
    }
}
