using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NrtCluster.Kernels.Fitting;

/// <summary>
/// Medians of NaN-free float64 values for the RIRLS scale, the hot loop of robust fits. Same values as
/// <see cref="RobustStatistics"/> (an order statistic does not depend on how it is found), found faster: each
/// quickselect pass partitions from one buffer into another with branch-free writes at both ends, with AVX2 four values
/// at a time (compare, then a table permutation puts the values below the pivot first); the input is read once and
/// the next order statistic (for an even count) comes out of the same selection.
/// </summary>
internal static class Selection
{
    /// <summary>
    /// For each 4-bit compare mask (bit j: double lane j is below the pivot), the float32-lane permutation that puts the
    /// lanes below first and the others after, each group in order.
    /// </summary>
    private static readonly Vector256<int>[] PartitionPermutations = BuildPermutations();

    /// <summary>Ranges this short are finished by insertion sort.</summary>
    private const int SortCutoff = 16;

    /// <summary>
    /// median(|x - median(x)|) / <paramref name="scaleConstant"/> of <paramref name="values"/> (NaN when empty).
    /// Overwrites values with the absolute deviations; <paramref name="a"/> and <paramref name="b"/> are scratch of at
    /// least values.Length.
    /// </summary>
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
    private static double Select(ReadOnlySpan<double> values, Span<double> a, Span<double> b, int k, out double next)
    {
        int left = 0, right = values.Length - 1;
        next = double.PositiveInfinity;
        ReadOnlySpan<double> source = values;
        Span<double> target = a, spare = b;
        int budget = 2 * (BitOperations.Log2((uint)values.Length) + 4);
        while (right - left >= SortCutoff && --budget >= 0)
        {
            double pivot = MedianOfThree(source[left], source[left + ((right - left) >> 1)], source[right]);
            int split = Partition(source, target, left, right, pivot, orEqual: false);
            if (split == left)
            {
                // Nothing below the pivot: it is the minimum. Split off its ties instead, so the range always shrinks.
                split = Partition(source, target, left, right, pivot, orEqual: true);
                if (k < split)
                {
                    if (k + 1 < split)
                        next = pivot;
                    else if (split <= right)
                        next = Minimum(target[split..(right + 1)]);
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

    /// <summary>
    /// Writes source[left..right] into target[left..right]: values below the pivot (or equal, with
    /// <paramref name="orEqual"/>) first, the others after. Returns the index of the first of the others.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Partition(ReadOnlySpan<double> source, Span<double> target, int left, int right, double pivot, bool orEqual)
    {
        ref double from = ref MemoryMarshal.GetReference(source);
        ref double to = ref MemoryMarshal.GetReference(target);
        // Each value is written at both ends; only the end whose cursor moves keeps it. lo and hi stay within
        // [left, right] because together they have moved by the number of values read.
        int lo = left, hi = right, i = left;
        if (Avx2.IsSupported)
        {
            var pivots = Vector256.Create(pivot);
            var permutations = PartitionPermutations;
            // Store the permuted vector at both ends: its first popcount lanes are kept at lo, its last 4 - popcount at
            // hi. Each store's other lanes fall in the free slots between the cursors (as many as values left to read)
            // without reaching the other store's kept lanes while at least 8 values are left.
            for (; i + 7 <= right; i += 4)
            {
                var x = Vector256.LoadUnsafe(ref from, (nuint)i);
                var below = orEqual ? Avx.CompareLessThanOrEqual(x, pivots) : Avx.CompareLessThan(x, pivots);
                int mask = Avx.MoveMask(below);
                var permuted = Avx2.PermuteVar8x32(x.AsSingle(), permutations[mask]).AsDouble();
                permuted.StoreUnsafe(ref to, (nuint)lo);
                permuted.StoreUnsafe(ref to, (nuint)(hi - 3));
                int count = BitOperations.PopCount((uint)mask);
                lo += count;
                hi -= 4 - count;
            }
        }
        if (orEqual)
        {
            for (; i <= right; i++)
            {
                double x = Unsafe.Add(ref from, i);
                Unsafe.Add(ref to, lo) = x;
                Unsafe.Add(ref to, hi) = x;
                int below = Unsafe.BitCast<bool, byte>(x <= pivot);
                lo += below;
                hi += below - 1;
            }
        }
        else
        {
            for (; i <= right; i++)
            {
                double x = Unsafe.Add(ref from, i);
                Unsafe.Add(ref to, lo) = x;
                Unsafe.Add(ref to, hi) = x;
                int below = Unsafe.BitCast<bool, byte>(x < pivot);
                lo += below;
                hi += below - 1;
            }
        }
        return lo;
    }

    private static Vector256<int>[] BuildPermutations()
    {
        var table = new Vector256<int>[16];
        Span<int> order = stackalloc int[8];
        for (int mask = 0; mask < 16; mask++)
        {
            int slot = 0;
            for (int pass = 0; pass < 2; pass++)
            {
                for (int lane = 0; lane < 4; lane++)
                {
                    bool below = (mask >> lane & 1) == 1;
                    if (below == (pass == 0))
                    {
                        order[slot++] = 2 * lane;
                        order[slot++] = 2 * lane + 1;
                    }
                }
            }
            table[mask] = Vector256.Create<int>(order);
        }
        return table;
    }

    /// <summary>Sorts a short span (no NaN) without the call overhead of the general sort.</summary>
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

    private static double MedianOfThree(double a, double b, double c)
        => a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);

    private static double Minimum(ReadOnlySpan<double> values)
    {
        double min = values[0];
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] < min)
                min = values[i];
        }
        return min;
    }
}
