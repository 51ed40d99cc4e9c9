using System.Numerics;
using System.Runtime.CompilerServices;

namespace NrtCluster.Kernels;

/// <summary>
/// Order statistics over the non-NaN values of a scratch span, in place (the span is reordered) and without allocation.
/// Percentiles interpolate linearly between order statistics at fraction*(count-1), as NumPy's default.
/// </summary>
public static class RobustStatistics
{
    /// <summary>Moves the non-NaN values to the front of <paramref name="values"/> and returns their count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int CompactNonNaN<T>(Span<T> values) where T : struct, IFloatingPointIeee754<T>
    {
        int n = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (!T.IsNaN(values[i]))
                values[n++] = values[i];
        }
        return n;
    }

    /// <summary>Percentile at <paramref name="fraction"/> in [0, 1] of the non-NaN values (NaN when there are none). Reorders the span.</summary>
    public static double Percentile(Span<double> scratch, double fraction) => PercentileOf(scratch, fraction);

    /// <inheritdoc cref="Percentile(Span{double}, double)"/>
    public static double Percentile(Span<float> scratch, double fraction) => PercentileOf(scratch, fraction);

    /// <summary>Median of the non-NaN values (mean of the two middle values for an even count). Reorders the span.</summary>
    public static double Median(Span<double> scratch) => PercentileOf(scratch, 0.5);

    /// <summary>
    /// MAD as the reference's RIRLS: median(|x - median(x)|) / <paramref name="scaleConstant"/> over the non-NaN values.
    /// Overwrites the span.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Mad(Span<double> scratch, double scaleConstant = 0.6745)
    {
        int n = CompactNonNaN(scratch);
        if (n == 0)
            return double.NaN;
        var values = scratch[..n];
        double median = PercentileOfCompact(values, 0.5);
        for (int i = 0; i < values.Length; i++)
            values[i] = Math.Abs(values[i] - median);
        return PercentileOfCompact(values, 0.5) / scaleConstant;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double PercentileOf<T>(Span<T> scratch, double fraction) where T : struct, IFloatingPointIeee754<T>
    {
        if (!(fraction >= 0 && fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "Percentile fraction must be in [0, 1].");
        int n = CompactNonNaN(scratch);
        return n == 0 ? double.NaN : PercentileOfCompact(scratch[..n], fraction);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double PercentileOfCompact<T>(Span<T> values, double fraction) where T : struct, IFloatingPointIeee754<T>
    {
        double h = fraction * (values.Length - 1);
        int lo = (int)Math.Floor(h);
        double t = h - lo;
        double a = double.CreateTruncating(Select(values, lo));
        if (t == 0)
            return a;
        // After selection everything right of lo is >= values[lo]: the next order statistic is their minimum.
        T next = values[lo + 1];
        for (int i = lo + 2; i < values.Length; i++)
        {
            if (values[i] < next)
                next = values[i];
        }
        double b = double.CreateTruncating(next);
        // NumPy's lerp: symmetric form for accuracy near either end.
        double diff = b - a;
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
    }

    /// <summary>
    /// Quickselect: puts the k-th smallest at index k, smaller or equal ones left and larger or equal ones right.
    /// Branch-free Lomuto partitions (a data-dependent branch per element mispredicts half the time on residuals);
    /// falls back to a sort if the partitions keep degenerating (e.g. many ties).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T Select<T>(Span<T> a, int k) where T : struct, IFloatingPointIeee754<T>
    {
        int left = 0, right = a.Length - 1;
        int budget = 2 * (BitOperations.Log2((uint)a.Length) + 4);
        while (right > left)
        {
            if (--budget < 0)
            {
                a[left..(right + 1)].Sort();
                return a[k];
            }
            int mid = left + ((right - left) >> 1);
            // Median of three as pivot, moved to a[right].
            if (a[mid] < a[left]) (a[mid], a[left]) = (a[left], a[mid]);
            if (a[right] < a[left]) (a[right], a[left]) = (a[left], a[right]);
            if (a[mid] < a[right]) (a[right], a[mid]) = (a[mid], a[right]);
            T pivot = a[right];
            int store = left;
            for (int i = left; i < right; i++)
            {
                T v = a[i];
                a[i] = a[store];
                a[store] = v;
                store += v < pivot ? 1 : 0;
            }
            a[right] = a[store];
            a[store] = pivot;
            if (k == store)
                return pivot;
            if (k < store)
                right = store - 1;
            else
                left = store + 1;
        }
        return a[k];
    }
}
