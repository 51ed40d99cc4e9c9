using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NrtCluster.Kernels;

/// <summary>
/// The quickselect steps shared by the float64 medians of robust fits and the float32 residual quantiles of monitors:
/// a branch-free partition from one buffer into another, with AVX2 one vector at a time (compare, then a table
/// permutation puts the lanes below the pivot first).
/// </summary>
internal static class Partitioning
{
    /// <summary>
    /// For each 8-bit mask (bit j: float32 lane j is selected), the permutation that puts the selected lanes first and the
    /// others after, each group in order.
    /// </summary>
    public static readonly Vector256<int>[] Float32Lanes = BuildPermutations(lanes: 8);

    /// <summary>The same for 4-bit masks over float64 lanes, as float32-lane (pair) permutations.</summary>
    private static readonly Vector256<int>[] Float64Lanes = BuildPermutations(lanes: 4);

    /// <summary>
    /// Writes source[left..right] into target[left..right]: values below the pivot (or equal, with
    /// <paramref name="orEqual"/>) first, the others after. Returns the index of the first of the others.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Partition<T>(ReadOnlySpan<T> source, Span<T> target, int left, int right, T pivot, bool orEqual)
        where T : unmanaged, INumber<T>
    {
        ref T from = ref MemoryMarshal.GetReference(source);
        ref T to = ref MemoryMarshal.GetReference(target);
        // Each value is written at both ends; only the end whose cursor moves keeps it. lo and hi stay within
        // [left, right] because together they have moved by the number of values read.
        int lo = left, hi = right, i = left;
        if (Avx2.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double)))
        {
            int lanes = Vector256<T>.Count;
            var pivots = Vector256.Create(pivot);
            var permutations = typeof(T) == typeof(double) ? Float64Lanes : Float32Lanes;
            // Store the permuted vector at both ends: its first popcount lanes are kept at lo, its last lanes - popcount at
            // hi. Each store's other lanes fall in the free slots between the cursors (as many as values left to read)
            // without reaching the other store's kept lanes while at least two vectors of values are left.
            for (; i + 2 * lanes - 1 <= right; i += lanes)
            {
                var x = Vector256.LoadUnsafe(ref from, (nuint)i);
                var below = orEqual ? Vector256.LessThanOrEqual(x, pivots) : Vector256.LessThan(x, pivots);
                int mask = (int)below.ExtractMostSignificantBits();
                var permuted = Avx2.PermuteVar8x32(x.AsSingle(), permutations[mask]).As<float, T>();
                permuted.StoreUnsafe(ref to, (nuint)lo);
                permuted.StoreUnsafe(ref to, (nuint)(hi - lanes + 1));
                int count = BitOperations.PopCount((uint)mask);
                lo += count;
                hi -= lanes - count;
            }
        }
        for (; i <= right; i++)
        {
            var x = Unsafe.Add(ref from, i);
            Unsafe.Add(ref to, lo) = x;
            Unsafe.Add(ref to, hi) = x;
            int below = Unsafe.BitCast<bool, byte>(orEqual ? x <= pivot : x < pivot);
            lo += below;
            hi += below - 1;
        }
        return lo;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MedianOfThree<T>(T a, T b, T c) where T : INumber<T>
        => a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T Minimum<T>(ReadOnlySpan<T> values) where T : INumber<T>
    {
        var min = values[0];
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] < min) min = values[i];
        }
        return min;
    }

    private static Vector256<int>[] BuildPermutations(int lanes)
    {
        int width = 8 / lanes;
        var table = new Vector256<int>[1 << lanes];
        Span<int> order = stackalloc int[8];
        for (int mask = 0; mask < table.Length; mask++)
        {
            int slot = 0;
            for (int pass = 0; pass < 2; pass++)
            {
                for (int lane = 0; lane < lanes; lane++)
                {
                    bool selected = (mask >> lane & 1) == 1;
                    if (selected != (pass == 0)) continue;
                    for (int w = 0; w < width; w++) order[slot++] = width * lane + w;
                }
            }
            table[mask] = Vector256.Create<int>(order);
        }
        return table;
    }
}
