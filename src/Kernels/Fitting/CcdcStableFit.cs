using System.Runtime.CompilerServices;

namespace NrtCluster.Kernels.Fitting;

/// <summary>
/// CCDC-stable fit (spec 3.5; reference <c>nrt.fit_methods.ccdc_stable_fit</c>): OLS on windows shortened two
/// observations at a time from the start until trend, first and last residuals are small against the RMSE.
/// </summary>
internal static class CcdcStableFit
{
    /// <summary>
    /// Fits lane b of the block (its normal equations accumulated in ws): coefficients (shifted design) into ws.Beta,
    /// window residuals X*beta - y into its row of ws.Rows at the window's dates (NaN elsewhere), and the day number of
    /// the window's first observation into <paramref name="startDay"/>. False when no window is stable.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool FitLane(Design design, BlockWorkspace ws, int b, double threshold, ReadOnlySpan<int> days, out int startDay)
    {
        int w = ws.Width, k = design.K;
        int n = ws.Gather(b);
        var rows = ws.Index.AsSpan(0, n);
        var windowResiduals = ws.Series2.AsSpan(0, n);
        var beta = ws.Vector.AsSpan();
        Span<double> packed = stackalloc double[design.Q];
        Span<double> xty = stackalloc double[k];
        ws.LaneNormalEquations(b, packed, xty);
        var (start, stable) = Window(design, rows, ws.Series.AsSpan(0, n), days, threshold, packed, xty, beta, windowResiduals, ws);
        for (int c = 0; c < k; c++)
            ws.Beta[c * w + b] = beta[c];
        startDay = days[rows[start]];
        // Straight into the pixel's float32 row handed to the sink.
        var residuals = ws.Rows.AsSpan(b * ws.Times, ws.Times);
        Spans.Fill(residuals, float.NaN);
        for (int i = start; i < n; i++)
            residuals[rows[i]] = (float)windowResiduals[i];
        return stable;
    }

    /// <summary>
    /// CCDC-stable (spec 3.5) on one pixel's chronological valid observations: coefficients (shifted design) into
    /// <paramref name="beta"/>, window residuals X*beta - y into <paramref name="residuals"/> (aligned with rows;
    /// NaN before the window). Returns the window's first index and whether it is stable. A singular window stops the
    /// search as unstable, with its minimum-norm coefficients.
    /// </summary>
    /// <param name="packed">The packed X'X of all the rows (modified: downdated).</param>
    /// <param name="xty">X'y of all the rows (modified: downdated).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (int Start, bool Stable) Window(Design d, ReadOnlySpan<int> rows, ReadOnlySpan<double> y,
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
            if (stable || dayNumbers[rows[n - 1]] - dayNumbers[rows[start]] < HistoryFitter.MinimumStableSpanDays)
                break;
        }
        Spans.Fill(residuals[..start], double.NaN);
        return (start, stable);
    }
}
