using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NrtCluster.Kernels.Fitting;

/// <summary>
/// Medians of NaN-free float64 values for the RIRLS scale, the hot loop of robust fits. Same values as
/// <see cref="RobustStatistics"/> (an order statistic does not depend on how it is found), found faster: each
/// quickselect pass partitions from one buffer into another (<see cref="Partitioning"/>); the input is read once and
/// the next order statistic (for an even count) comes out of the same selection.
/// </summary>
internal static class Selection
{
    /// <summary>Ranges this short are finished by insertion sort.</summary>
    private const int SortCutoff = 16;

    /// <summary>
    /// median(|x - median(x)|) / <paramref name="scaleConstant"/> of <paramref name="values"/> (NaN when empty).
    /// Overwrites values with the absolute deviations; <paramref name="a"/> and <paramref name="b"/> are scratch of at
    /// least values.Length.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Mad(Span<double> values, Span<double> a, Span<double> b, double scaleConstant)
    {
        if (values.IsEmpty)
            return double.NaN;
        double median = Median(values, a, b);
        var medianV = new Vector<double>(median);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vectors = MemoryMarshal.Cast<double, Vector<double>>(values);
            for (int v = 0; v < vectors.Length; v++)
                vectors[v] = Vector.Abs(vectors[v] - medianV);
            i = vectors.Length * Vector<double>.Count;
        }
        for (; i < values.Length; i++)
            values[i] = Math.Abs(values[i] - median);
        return Median(values, a, b) / scaleConstant;
    }

    /// <summary>Median of non-empty <paramref name="values"/> (left intact), the mean of the two middle ones for an even count as NumPy's lerp.</summary>
    public static double Median(ReadOnlySpan<double> values, Span<double> a, Span<double> b)
    {
        int n = values.Length;
        double lower = Select(values, a, b, (n - 1) >> 1, out double upper);
        if ((n & 1) == 1)
            return lower;
        // NumPy's lerp at t = 0.5 (the symmetric form's upper branch), for bit-identical results.
        return upper - (upper - lower) * 0.5;
    }

    /// <summary>
    /// The <paramref name="k"/>-th smallest of <paramref name="values"/> (read once, left intact) and, in
    /// <paramref name="next"/>, the (k+1)-th (+inf when k is the last). <paramref name="a"/> and <paramref name="b"/>
    /// take turns as partition targets.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Select(ReadOnlySpan<double> values, Span<double> a, Span<double> b, int k, out double next)
    {
        int left = 0, right = values.Length - 1;
        next = double.PositiveInfinity;
        ReadOnlySpan<double> source = values;
        Span<double> target = a, spare = b;
        int budget = 2 * (BitOperations.Log2((uint)values.Length) + 4);
        while (right - left >= SortCutoff && --budget >= 0)
        {
            double pivot = Partitioning.MedianOfThree(source[left], source[left + ((right - left) >> 1)], source[right]);
            int split = Partitioning.Partition(source, target, left, right, pivot, orEqual: false);
            if (split == left)
            {
                // Nothing below the pivot: it is the minimum. Split off its ties instead, so the range always shrinks.
                split = Partitioning.Partition(source, target, left, right, pivot, orEqual: true);
                if (k < split)
                {
                    if (k + 1 < split)
                        next = pivot;
                    else if (split <= right)
                        next = Partitioning.Minimum<double>(target[split..(right + 1)]);
                    return pivot;
                }
                left = split;
            }
            else if (k < split)
            {
                // Everything from split on is >= the pivot, which is among them: the pivot is their minimum.
                next = pivot;
                right = split - 1;
            }
            else
            {
                left = split;
            }
            source = target;
            var used = target;
            target = spare;
            spare = used;
        }
        var range = target[left..(right + 1)];
        source[left..(right + 1)].CopyTo(range);
        if (range.Length <= SortCutoff)
            InsertionSort(range);
        else
            range.Sort();
        if (k < right)
            next = target[k + 1];
        return target[k];
    }

    /// <summary>Sorts a short span (no NaN) without the call overhead of the general sort.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InsertionSort(Span<double> values)
    {
        for (int i = 1; i < values.Length; i++)
        {
            double x = values[i];
            int j = i - 1;
            while (j >= 0 && values[j] > x)
            {
                values[j + 1] = values[j];
                j--;
            }
            values[j + 1] = x;
        }
    }
}
