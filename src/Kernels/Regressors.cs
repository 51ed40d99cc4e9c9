namespace NrtCluster.Kernels;

/// <summary>Design matrix rows (spec 2): intercept, optional trend, cosines then sines of the decimal year.</summary>
public static class Regressors
{
    private static readonly DateTime Epoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The reference's trend origin is 1970 ns after the epoch (spec 2 quirk).</summary>
    private const long TrendOriginNanoseconds = 1970;

    /// <summary>k = 1 + trend + 2*order.</summary>
    public static int Columns(bool trend, int order)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(order);
        return 1 + (trend ? 1 : 0) + 2 * order;
    }

    /// <summary>Days since 1970-01-01, floored.</summary>
    public static int DayNumber(DateTime t) => checked((int)FloorDays(t.Ticks - Epoch.Ticks, out _));

    /// <summary>The trend regressor: the day number, one less for a timestamp at exactly 00:00:00 (reference quirk).</summary>
    public static double TrendValue(DateTime t)
    {
        // Nanoseconds since the epoch overflow a long after 2262: work in days and the sub-day remainder.
        long day = FloorDays(t.Ticks - Epoch.Ticks, out long remainderTicks);
        return remainderTicks * 100 < TrendOriginNanoseconds ? day - 1 : day;
    }

    private static long FloorDays(long ticks, out long remainder)
    {
        long day = Math.DivRem(ticks, TimeSpan.TicksPerDay, out remainder);
        if (remainder < 0)
        {
            day--;
            remainder += TimeSpan.TicksPerDay;
        }
        return day;
    }

    /// <summary>Y + (t - Jan 1 of Y) / (Dec 31 of Y - Jan 1 of Y): the reference's 364 (or 365) day denominator.</summary>
    public static double DecimalYear(DateTime t)
    {
        var jan1 = new DateTime(t.Year, 1, 1);
        var dec31 = new DateTime(t.Year, 12, 31);
        return t.Year + (t.Ticks - jan1.Ticks) / (double)(dec31.Ticks - jan1.Ticks);
    }

    /// <summary>Writes the k regressors of date <paramref name="t"/> into <paramref name="row"/>.</summary>
    public static void Row(DateTime t, bool trend, int order, Span<double> row)
    {
        int k = Columns(trend, order);
        if (row.Length < k)
            throw new ArgumentException($"Row span has {row.Length} slots; trend={trend}, order={order} needs {k}.", nameof(row));
        row[0] = 1;
        int c = 1;
        if (trend)
            row[c++] = TrendValue(t);
        if (order > 0)
        {
            double d = DecimalYear(t);
            for (int i = 1; i <= order; i++)
                row[c + i - 1] = Math.Cos(2 * Math.PI * i * d);
            for (int i = 1; i <= order; i++)
                row[c + order + i - 1] = Math.Sin(2 * Math.PI * i * d);
        }
    }

    /// <summary>T x k design matrix, row-major.</summary>
    public static double[] Matrix(IReadOnlyList<DateTime> dates, bool trend, int order)
    {
        ArgumentNullException.ThrowIfNull(dates);
        int k = Columns(trend, order);
        var x = new double[dates.Count * k];
        for (int t = 0; t < dates.Count; t++)
            Row(dates[t], trend, order, x.AsSpan(t * k, k));
        return x;
    }
}
