namespace NrtCluster.Kernels.Fitting;

/// <summary>
/// The history solvers on one series with an arbitrary design matrix (n x k, row-major): the same code the tile
/// fits run, exposed for checks against published results (R strucchange, statsmodels). Allocates per call:
/// not for hot loops.
/// </summary>
public static class PixelSolvers
{
    /// <summary>
    /// Recursive residuals of (x, y) in the given order: OLS on the first <paramref name="initialWindow"/>
    /// observations, then the standardised one-step forecast errors of the others, into
    /// <paramref name="residuals"/> (length n - initialWindow). R's <c>recresid</c> uses initialWindow = k.
    /// </summary>
    public static void RecursiveResiduals(ReadOnlySpan<double> x, int k, ReadOnlySpan<double> y, int initialWindow, Span<double> residuals)
    {
        var (design, rows, ws) = Prepare(x, k, y);
        if (initialWindow < k || initialWindow > y.Length)
            throw new ArgumentOutOfRangeException(nameof(initialWindow), initialWindow, $"Initial window must be in [{k}, {y.Length}].");
        if (residuals.Length < y.Length - initialWindow)
            throw new ArgumentException($"Residual span needs {y.Length - initialWindow} slots.", nameof(residuals));
        if (!Fitting.RecursiveResiduals.Compute(design, rows, y, initialWindow, residuals, ws))
            throw new ArgumentException("The initial window of the recursive residuals is singular.", nameof(x));
    }

    /// <summary>
    /// ROC stable-history start (spec 3.6 steps 1-3) of chronological observations: an index into them, or -1 when the
    /// initial recursive window is singular. <paramref name="process"/>, if not empty, receives the reverse-ordered
    /// recursive CUSUM process P_1..P_{m-1} (length n - k - 1).
    /// </summary>
    public static int RocStableStart(ReadOnlySpan<double> x, int k, ReadOnlySpan<double> y, double alpha, Span<double> process)
    {
        var (design, rows, ws) = Prepare(x, k, y);
        if (!process.IsEmpty && process.Length < y.Length - k - 1)
            throw new ArgumentException($"Process span needs {y.Length - k - 1} slots.", nameof(process));
        return RocFit.StableStart(design, rows, y, alpha, CriticalValues.Roc(alpha), ws, process);
    }

    /// <summary>
    /// Tukey-bisquare RIRLS (spec 3.4) of one series; NaN in <paramref name="y"/> = no observation.
    /// <paramref name="residuals"/> (length n) receives y - X*beta, NaN where y is NaN.
    /// </summary>
    public static void Rirls(ReadOnlySpan<double> x, int k, ReadOnlySpan<double> y, FitOptions options, Span<double> beta, Span<double> residuals)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (design, _, ws) = Prepare(x, k, y);
        for (int t = 0; t < y.Length; t++)
        {
            ws.Y[t * ws.Width] = y[t];
            for (int b = 1; b < ws.Width; b++)
                ws.Y[t * ws.Width + b] = double.NaN;
        }
        ws.Active[0] = true;
        BlockSolvers.Rirls(design, ws, ws.Y, ws.Active, options);
        for (int c = 0; c < k; c++)
            beta[c] = ws.Beta[c * ws.Width];
        design.ToOriginal(beta);
        for (int t = 0; t < y.Length; t++)
            residuals[t] = ws.Residuals[t * ws.Width];
    }

    private static (Design Design, int[] Rows, BlockWorkspace Workspace) Prepare(ReadOnlySpan<double> x, int k, ReadOnlySpan<double> y)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (x.Length != y.Length * k)
            throw new ArgumentException($"Design has {x.Length} values; {y.Length} observations x {k} regressors need {y.Length * k}.", nameof(x));
        var rows = new int[y.Length];
        for (int i = 0; i < rows.Length; i++)
            rows[i] = i;
        return (new Design(x, y.Length, k, trendColumn: -1), rows,
            new BlockWorkspace(2 * System.Numerics.Vector<double>.Count, y.Length, k));
    }
}
