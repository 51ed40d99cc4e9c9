using System.Runtime.CompilerServices;

namespace NrtCluster.Kernels.Fitting;

/// <summary>
/// The design matrix as the solvers use it: the trend column (if any) shifted by a constant so the normal equations
/// stay well conditioned (day numbers ~2e4 next to an intercept of 1), plus each row's outer product.
/// The shift is a reparametrisation: slopes, predictions and residuals are unchanged, only the intercept moves,
/// and <see cref="ToOriginal"/> moves it back.
/// </summary>
internal sealed class Design
{
    public int Times { get; }
    public int K { get; }
    /// <summary>Entries of the upper triangle of a k x k matrix.</summary>
    public int Q { get; }
    /// <summary>T x K, row-major, trend column shifted by <see cref="TrendCentre"/>.</summary>
    public double[] X { get; }
    /// <summary>T x K, row-major, as given (trend column not shifted).</summary>
    public double[] RawX { get; }
    /// <summary>T x Q: upper triangle (row by row) of x_t x_t'.</summary>
    public double[] Outer { get; }
    /// <summary>T x <see cref="BlockedQ"/>: <see cref="Outer"/> zero-padded to whole register blocks.</summary>
    public double[] OuterBlocked { get; }
    /// <summary>T x <see cref="BlockedK"/>: <see cref="X"/> zero-padded to whole register blocks.</summary>
    public double[] XBlocked { get; }
    public int BlockedQ { get; }
    public int BlockedK { get; }
    public int TrendColumn { get; }
    public double TrendCentre { get; }

    /// <param name="x">T x k row-major, column 0 the intercept.</param>
    /// <param name="trendColumn">Column to centre, or -1.</param>
    public Design(ReadOnlySpan<double> x, int times, int k, int trendColumn)
    {
        Times = times;
        K = k;
        Q = k * (k + 1) / 2;
        X = x[..(times * k)].ToArray();
        RawX = trendColumn >= 0 ? x[..(times * k)].ToArray() : X;
        TrendColumn = trendColumn;
        if (trendColumn >= 0 && times > 0)
        {
            double sum = 0;
            for (int t = 0; t < times; t++)
                sum += X[t * k + trendColumn];
            TrendCentre = Math.Floor(sum / times);
            for (int t = 0; t < times; t++)
                X[t * k + trendColumn] -= TrendCentre;
        }
        Outer = new double[times * Q];
        BlockedQ = RoundUp(Q);
        BlockedK = RoundUp(k);
        OuterBlocked = new double[times * BlockedQ];
        XBlocked = new double[times * BlockedK];
        for (int t = 0; t < times; t++)
        {
            int q = 0;
            for (int a = 0; a < k; a++)
            {
                for (int b = a; b < k; b++)
                {
                    Outer[t * Q + q] = X[t * k + a] * X[t * k + b];
                    OuterBlocked[t * BlockedQ + q] = Outer[t * Q + q];
                    q++;
                }
                XBlocked[t * BlockedK + a] = X[t * k + a];
            }
        }
    }

    /// <summary>Coefficients per register block of the accumulation kernel.</summary>
    public const int RegisterBlock = 4;

    private static int RoundUp(int n) => (n + RegisterBlock - 1) / RegisterBlock * RegisterBlock;

    public static Design FromDates(IReadOnlyList<DateTime> dates, bool trend, int order)
        => new(Regressors.Matrix(dates, trend, order), dates.Count, Regressors.Columns(trend, order), trend ? 1 : -1);

    /// <summary>Intercept of the unshifted parametrisation.</summary>
    public double OriginalIntercept(ReadOnlySpan<double> beta) => TrendColumn >= 0 ? beta[0] - beta[TrendColumn] * TrendCentre : beta[0];

    /// <summary>Converts coefficients of the shifted design to those of the original design, in place.</summary>
    public void ToOriginal(Span<double> beta) => beta[0] = OriginalIntercept(beta);

    /// <summary>Converts coefficients of the original design to those of the shifted design, in place.</summary>
    public void FromOriginal(Span<double> beta)
    {
        if (TrendColumn >= 0)
            beta[0] += beta[TrendColumn] * TrendCentre;
    }

    /// <summary>Expands a packed upper triangle into a full symmetric k x k matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Unpack(ReadOnlySpan<double> packed, Span<double> full)
    {
        int q = 0;
        for (int a = 0; a < K; a++)
        {
            for (int b = a; b < K; b++)
            {
                full[a * K + b] = packed[q];
                full[b * K + a] = packed[q];
                q++;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Predict(int t, ReadOnlySpan<double> beta)
    {
        var row = X.AsSpan(t * K, K);
        double s = 0;
        for (int a = 0; a < row.Length; a++)
            s += row[a] * beta[a];
        return s;
    }
}
