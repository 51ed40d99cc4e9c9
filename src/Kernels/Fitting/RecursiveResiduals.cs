using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NrtCluster.Kernels.Fitting;

/// <summary>Recursive residuals of one series in the reference's float64 arithmetic, for the ROC stable-history test (spec 3.6).</summary>
internal static class RecursiveResiduals
{
    /// <summary>
    /// Recursive residuals (Brown-Durbin-Evans) of the observations in <paramref name="rows"/> (design rows, in the
    /// order given) with values <paramref name="y"/>: OLS on the first <paramref name="window"/> of them, then for each
    /// later one the standardised one-step forecast error, updating beta and (X'X)^-1 by Sherman-Morrison.
    /// Writes rows.Length - window values into <paramref name="w"/>. False when the initial window is singular.
    /// </summary>
    /// <remarks>
    /// With a trend column (day numbers ~2e4) the initial k+1-observation window is so badly conditioned that the
    /// reference's recursive residuals are mostly rounding error (often a negative 1 + x'Sx, hence NaN and no ROC
    /// detection), so its ROC starts follow its exact float64 arithmetic, not the mathematics: a well-conditioned
    /// computation disagrees with it on ~5% of the conformance pixels. This reproduces that arithmetic operation by
    /// operation: numba's np.dot as BLAS sums in index order from 0, np.linalg.inv as LAPACK dgetrf2 + dgetri
    /// (unblocked, reference BLAS), and the update expressions in the reference's evaluation order
    /// (f = 1 + x'd, S - (d d')/f, beta + (d e)/f). The outcome still depends on the reference's BLAS build: running
    /// the reference itself on reference BLAS/LAPACK or on OpenBLAS, 2 resp. 3 of cusum_roc's 482 fitted pixels
    /// differ from its expected output; this code matches the reference-BLAS run (the same 2 pixels differ).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Compute(Design d, ReadOnlySpan<int> rows, ReadOnlySpan<double> y, int window,
        Span<double> w, BlockWorkspace ws)
    {
        int k = d.K;
        var design = d.RawX.AsSpan();
        var inverse = ws.Matrix2.AsSpan();
        var gram = ws.Matrix.AsSpan();
        var beta = ws.Vector.AsSpan();
        var ax = ws.Vector2.AsSpan();
        gram[..(k * k)].Clear();
        ax[..k].Clear();
        for (int i = 0; i < window; i++)
        {
            var x = design.Slice(rows[i] * k, k);
            for (int a = 0; a < k; a++)
            {
                for (int b = 0; b < k; b++)
                    gram[a * k + b] += x[a] * x[b];
                ax[a] += x[a] * y[i];
            }
        }
        // gram is symmetric, so it is its own column-major copy; invert column-major, then store row-major.
        Span<int> pivots = stackalloc int[k];
        Span<double> work = stackalloc double[k];
        if (!LapackInverse(gram, k, pivots, work))
            return false;
        for (int a = 0; a < k; a++)
        {
            for (int b = 0; b < k; b++)
                inverse[a * k + b] = gram[b * k + a];
        }
        for (int i = 0; i < k; i++)
        {
            double s = 0;
            for (int j = 0; j < k; j++)
                s += inverse[i * k + j] * ax[j];
            beta[i] = s;
        }
        // Bounds-check-free inner loops.
        ref double inv = ref MemoryMarshal.GetReference(inverse);
        ref double bt = ref MemoryMarshal.GetReference(beta);
        ref double axr = ref MemoryMarshal.GetReference(ax);
        for (int j = window; j < rows.Length; j++)
        {
            ref double x = ref MemoryMarshal.GetReference(design.Slice(rows[j] * k, k));
            double pred = 0;
            for (int a = 0; a < k; a++)
                pred += Unsafe.Add(ref x, a) * Unsafe.Add(ref bt, a);
            double e = y[j] - pred;
            double xd = 0;
            for (int a = 0; a < k; a++)
            {
                ref double row = ref Unsafe.Add(ref inv, a * k);
                double s = 0;
                for (int b = 0; b < k; b++)
                    s += Unsafe.Add(ref row, b) * Unsafe.Add(ref x, b);
                Unsafe.Add(ref axr, a) = s;
            }
            for (int a = 0; a < k; a++)
                xd += Unsafe.Add(ref x, a) * Unsafe.Add(ref axr, a);
            double f = 1 + xd;
            w[j - window] = e / Math.Sqrt(f);
            for (int a = 0; a < k; a++)
            {
                double da = Unsafe.Add(ref axr, a);
                ref double row = ref Unsafe.Add(ref inv, a * k);
                for (int b = 0; b < k; b++)
                    Unsafe.Add(ref row, b) -= da * Unsafe.Add(ref axr, b) / f;
                Unsafe.Add(ref bt, a) += da * e / f;
            }
        }
        return true;
    }

    /// <summary>
    /// In-place inverse of the column-major k x k matrix <paramref name="a"/> with reference LAPACK's operation order:
    /// dgetrf2 (recursive LU with partial pivoting) then dgetri's unblocked path (dtrti2, then the dgemv column sweep
    /// and the column interchanges). False when a pivot is exactly zero (LAPACK's info &gt; 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool LapackInverse(Span<double> a, int k, Span<int> pivots, Span<double> work)
    {
        if (!Getrf2(a, k, 0, 0, k, k, pivots, 0))
            return false;
        // dtrti2, upper, non-unit: column j of inv(U) from the columns before it.
        for (int j = 0; j < k; j++)
        {
            a[j + j * k] = 1 / a[j + j * k];
            double ajj = -a[j + j * k];
            // dtrmv upper, no transpose, on x = a[0..j-1, j].
            for (int c = 0; c < j; c++)
            {
                double temp = a[c + j * k];
                if (temp != 0)
                {
                    for (int i = 0; i < c; i++)
                        a[i + j * k] += temp * a[i + c * k];
                    a[c + j * k] = temp * a[c + c * k];
                }
            }
            for (int i = 0; i < j; i++)
                a[i + j * k] = ajj * a[i + j * k];
        }
        for (int j = k - 1; j >= 0; j--)
        {
            for (int i = j + 1; i < k; i++)
            {
                work[i] = a[i + j * k];
                a[i + j * k] = 0;
            }
            // dgemv: a[:, j] += -work[c] * a[:, c] for c > j.
            for (int c = j + 1; c < k; c++)
            {
                double temp = -work[c];
                for (int i = 0; i < k; i++)
                    a[i + j * k] += temp * a[i + c * k];
            }
        }
        for (int j = k - 2; j >= 0; j--)
        {
            int jp = pivots[j];
            if (jp != j)
            {
                for (int i = 0; i < k; i++)
                    (a[i + j * k], a[i + jp * k]) = (a[i + jp * k], a[i + j * k]);
            }
        }
        return true;
    }

    /// <summary>
    /// LAPACK dgetrf2 on the m x n block at row <paramref name="r0"/>, column <paramref name="c0"/> of the column-major
    /// matrix with leading dimension <paramref name="lda"/>; its pivots (0-based, relative to row r0) go to
    /// <paramref name="pivots"/> from index <paramref name="p0"/>. False when a pivot is exactly zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Getrf2(Span<double> a, int lda, int r0, int c0, int m, int n, Span<int> pivots, int p0)
    {
        if (m == 1)
        {
            pivots[p0] = 0;
            return a[r0 + c0 * lda] != 0;
        }
        if (n == 1)
        {
            // idamax: the first largest |value|.
            int best = 0;
            double max = Math.Abs(a[r0 + c0 * lda]);
            for (int i = 1; i < m; i++)
            {
                double v = Math.Abs(a[r0 + i + c0 * lda]);
                if (v > max)
                {
                    max = v;
                    best = i;
                }
            }
            pivots[p0] = best;
            if (a[r0 + best + c0 * lda] == 0)
                return false;
            if (best != 0)
                (a[r0 + c0 * lda], a[r0 + best + c0 * lda]) = (a[r0 + best + c0 * lda], a[r0 + c0 * lda]);
            double pivot = a[r0 + c0 * lda];
            // dlamch('S'): below it LAPACK divides instead of scaling by the reciprocal.
            if (Math.Abs(pivot) >= 2.2250738585072014e-308)
            {
                double reciprocal = 1 / pivot;
                for (int i = 1; i < m; i++)
                    a[r0 + i + c0 * lda] = reciprocal * a[r0 + i + c0 * lda];
            }
            else
            {
                for (int i = 1; i < m; i++)
                    a[r0 + i + c0 * lda] /= pivot;
            }
            return true;
        }
        int n1 = Math.Min(m, n) / 2, n2 = n - n1;
        bool regular = Getrf2(a, lda, r0, c0, m, n1, pivots, p0);
        // dlaswp on [A12; A22].
        Swap(a, lda, r0, c0 + n1, n2, 0, n1, pivots, p0);
        // dtrsm left, lower, no transpose, unit: A12 = L11^-1 A12.
        for (int j = 0; j < n2; j++)
        {
            int cj = (c0 + n1 + j) * lda;
            for (int kk = 0; kk < n1; kk++)
            {
                double bkj = a[r0 + kk + cj];
                if (bkj != 0)
                {
                    for (int i = kk + 1; i < n1; i++)
                        a[r0 + i + cj] -= bkj * a[r0 + i + (c0 + kk) * lda];
                }
            }
        }
        // dgemm: A22 -= A21 * A12.
        for (int j = 0; j < n2; j++)
        {
            int cj = (c0 + n1 + j) * lda;
            for (int l = 0; l < n1; l++)
            {
                double temp = -a[r0 + l + cj];
                for (int i = n1; i < m; i++)
                    a[r0 + i + cj] += temp * a[r0 + i + (c0 + l) * lda];
            }
        }
        regular &= Getrf2(a, lda, r0 + n1, c0 + n1, m - n1, n2, pivots, p0 + n1);
        for (int i = n1; i < Math.Min(m, n); i++)
            pivots[p0 + i] += n1;
        // dlaswp on A21.
        Swap(a, lda, r0, c0, n1, n1, Math.Min(m, n), pivots, p0);
        return regular;
    }

    /// <summary>LAPACK dlaswp: row interchanges from..to-1 (pivots relative to row r0) on columns c0..c0+n-1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Swap(Span<double> a, int lda, int r0, int c0, int n, int from, int to, Span<int> pivots, int p0)
    {
        for (int i = from; i < to; i++)
        {
            int ip = pivots[p0 + i];
            if (ip == i)
                continue;
            for (int c = c0; c < c0 + n; c++)
                (a[r0 + i + c * lda], a[r0 + ip + c * lda]) = (a[r0 + ip + c * lda], a[r0 + i + c * lda]);
        }
    }
}
