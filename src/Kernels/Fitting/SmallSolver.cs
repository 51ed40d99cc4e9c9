using System.Runtime.CompilerServices;

namespace NrtCluster.Kernels.Fitting;

/// <summary>Hand-written solvers for the small (k x k, k &lt;= ~10) symmetric normal equations of one pixel.</summary>
internal static class SmallSolver
{
    /// <summary>A pivot below this fraction of its diagonal entry means the system is (numerically) rank deficient.</summary>
    private const double RelativePivotFloor = 1e-10;

    /// <summary>Eigenvalues below this fraction of the largest are treated as zero by the minimum-norm solve.</summary>
    private const double RelativeEigenFloor = 1e-12;

    /// <summary>Scratch doubles needed by the solvers here for k regressors.</summary>
    public static int ScratchLength(int k) => 3 * k * k + 2 * k;

    /// <summary>
    /// In-place Cholesky factorisation of the full symmetric k x k matrix <paramref name="a"/> (lower triangle written).
    /// False when a pivot is not clearly positive (rank deficient or not positive definite).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Cholesky(Span<double> a, int k)
    {
        for (int j = 0; j < k; j++)
        {
            double diag = a[j * k + j];
            double d = diag;
            for (int m = 0; m < j; m++)
                d -= a[j * k + m] * a[j * k + m];
            if (!(d > RelativePivotFloor * diag) || !(diag > 0))
                return false;
            double l = Math.Sqrt(d);
            a[j * k + j] = l;
            for (int i = j + 1; i < k; i++)
            {
                double s = a[i * k + j];
                for (int m = 0; m < j; m++)
                    s -= a[i * k + m] * a[j * k + m];
                a[i * k + j] = s / l;
            }
        }
        return true;
    }

    /// <summary>Solves L L' x = b in place, L the lower triangle written by <see cref="Cholesky"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CholeskySolve(ReadOnlySpan<double> l, int k, Span<double> b)
    {
        for (int i = 0; i < k; i++)
        {
            double s = b[i];
            for (int m = 0; m < i; m++)
                s -= l[i * k + m] * b[m];
            b[i] = s / l[i * k + i];
        }
        for (int i = k - 1; i >= 0; i--)
        {
            double s = b[i];
            for (int m = i + 1; m < k; m++)
                s -= l[m * k + i] * b[m];
            b[i] = s / l[i * k + i];
        }
    }

    /// <summary>
    /// Solves the normal equations g x = b (g full symmetric k x k, left intact) into <paramref name="b"/> by Cholesky.
    /// False (b undefined) when g is rank deficient.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TrySolve(ReadOnlySpan<double> g, int k, Span<double> b, Span<double> scratch)
    {
        var l = scratch[..(k * k)];
        g[..(k * k)].CopyTo(l);
        if (!Cholesky(l, k))
            return false;
        CholeskySolve(l, k, b);
        return true;
    }

    /// <summary>
    /// As <see cref="TrySolve"/>, falling back to the minimum-norm least-squares solution pinv(g) b (which is pinv(X) y
    /// for g = X'X, b = X'y) when g is rank deficient. Returns whether g was regular.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool SolveMinimumNorm(ReadOnlySpan<double> g, int k, Span<double> b, Span<double> scratch)
    {
        var l = scratch[..(k * k)];
        g[..(k * k)].CopyTo(l);
        if (Cholesky(l, k))
        {
            CholeskySolve(l, k, b);
            return true;
        }
        MinimumNormSolve(g, k, b, scratch);
        return false;
    }

    /// <summary>
    /// Minimum-norm least-squares solution x of a x = b, a m x k row-major (overwritten), by one-sided Jacobi SVD on a
    /// itself, as numpy's lstsq does: forming a'a squares the condition number (a day-number column next to an
    /// intercept), and then the rank decision is lost when the weights leave fewer than k observations.
    /// Singular values up to machine epsilon times the largest count as zero (lstsq's rcond = -1).
    /// <paramref name="v"/> takes k x k.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LeastSquaresMinimumNorm(Span<double> a, int m, int k, ReadOnlySpan<double> b, Span<double> x, Span<double> v)
    {
        v[..(k * k)].Clear();
        for (int i = 0; i < k; i++)
            v[i * k + i] = 1;
        for (int sweep = 0; sweep < 60; sweep++)
        {
            bool rotated = false;
            for (int p = 0; p < k - 1; p++)
            {
                for (int q = p + 1; q < k; q++)
                {
                    double alpha = 0, beta = 0, gamma = 0;
                    for (int r = 0; r < m; r++)
                    {
                        double ap = a[r * k + p], aq = a[r * k + q];
                        alpha += ap * ap;
                        beta += aq * aq;
                        gamma += ap * aq;
                    }
                    if (gamma == 0 || Math.Abs(gamma) <= 1e-15 * Math.Sqrt(alpha * beta))
                        continue;
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.Sign(zeta == 0 ? 1 : zeta) / (Math.Abs(zeta) + Math.Sqrt(1 + zeta * zeta));
                    double c = 1 / Math.Sqrt(1 + t * t), s = c * t;
                    for (int r = 0; r < m; r++)
                    {
                        double ap = a[r * k + p], aq = a[r * k + q];
                        a[r * k + p] = c * ap - s * aq;
                        a[r * k + q] = s * ap + c * aq;
                    }
                    for (int r = 0; r < k; r++)
                    {
                        double vp = v[r * k + p], vq = v[r * k + q];
                        v[r * k + p] = c * vp - s * vq;
                        v[r * k + q] = s * vp + c * vq;
                    }
                }
            }
            if (!rotated)
                break;
        }
        // Columns of a are now U_j s_j; x = sum over kept j of V_j (a_j . b) / s_j^2.
        double largest = 0;
        for (int j = 0; j < k; j++)
            largest = Math.Max(largest, ColumnSquare(a, m, k, j));
        x[..k].Clear();
        for (int j = 0; j < k; j++)
        {
            double square = ColumnSquare(a, m, k, j);
            if (!(square > MachineEpsilon * MachineEpsilon * largest))
                continue;
            double projection = 0;
            for (int r = 0; r < m; r++)
                projection += a[r * k + j] * b[r];
            projection /= square;
            for (int i = 0; i < k; i++)
                x[i] += v[i * k + j] * projection;
        }
    }

    private const double MachineEpsilon = 2.220446049250313e-16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double ColumnSquare(ReadOnlySpan<double> a, int m, int k, int j)
    {
        double s = 0;
        for (int r = 0; r < m; r++)
            s += a[r * k + j] * a[r * k + j];
        return s;
    }

    /// <summary>pinv(g) b by cyclic Jacobi eigen-decomposition of g.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MinimumNormSolve(ReadOnlySpan<double> g, int k, Span<double> b, Span<double> scratch)
    {
        var a = scratch[..(k * k)];
        var v = scratch.Slice(k * k, k * k);
        var coefficients = scratch.Slice(2 * k * k, k);
        g[..(k * k)].CopyTo(a);
        v.Clear();
        for (int i = 0; i < k; i++)
            v[i * k + i] = 1;
        for (int sweep = 0; sweep < 60; sweep++)
        {
            double off = 0, total = 0;
            for (int p = 0; p < k; p++)
            {
                for (int q = 0; q < k; q++)
                {
                    double s = a[p * k + q] * a[p * k + q];
                    total += s;
                    if (p != q)
                        off += s;
                }
            }
            if (off <= 1e-30 * total || total == 0)
                break;
            for (int p = 0; p < k - 1; p++)
            {
                for (int q = p + 1; q < k; q++)
                {
                    double apq = a[p * k + q];
                    if (apq == 0)
                        continue;
                    double theta = (a[q * k + q] - a[p * k + p]) / (2 * apq);
                    double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    double c = 1 / Math.Sqrt(t * t + 1);
                    double s = t * c;
                    for (int m = 0; m < k; m++)
                    {
                        double amp = a[m * k + p], amq = a[m * k + q];
                        a[m * k + p] = c * amp - s * amq;
                        a[m * k + q] = s * amp + c * amq;
                    }
                    for (int m = 0; m < k; m++)
                    {
                        double apm = a[p * k + m], aqm = a[q * k + m];
                        a[p * k + m] = c * apm - s * aqm;
                        a[q * k + m] = s * apm + c * aqm;
                    }
                    for (int m = 0; m < k; m++)
                    {
                        double vmp = v[m * k + p], vmq = v[m * k + q];
                        v[m * k + p] = c * vmp - s * vmq;
                        v[m * k + q] = s * vmp + c * vmq;
                    }
                }
            }
        }
        double max = 0;
        for (int i = 0; i < k; i++)
            max = Math.Max(max, a[i * k + i]);
        for (int i = 0; i < k; i++)
        {
            double lambda = a[i * k + i];
            double proj = 0;
            if (max > 0 && lambda > RelativeEigenFloor * max)
            {
                for (int m = 0; m < k; m++)
                    proj += v[m * k + i] * b[m];
                proj /= lambda;
            }
            coefficients[i] = proj;
        }
        for (int m = 0; m < k; m++)
        {
            double s = 0;
            for (int i = 0; i < k; i++)
                s += v[m * k + i] * coefficients[i];
            b[m] = s;
        }
    }
}
