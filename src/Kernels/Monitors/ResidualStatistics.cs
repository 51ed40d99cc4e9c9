using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// Per-pixel statistics of float32 fit residuals, NaN-skipping as numpy's nan* functions. Vectorised and branch-free
/// over NaN (clouds fall at random: branching on them would mispredict often).
/// </summary>
internal static class ResidualStatistics
{
    /// <summary>Number and float64 sum of the non-NaN values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (int Count, double Sum) CountAndSum(ReadOnlySpan<float> e)
    {
        int i = 0, count = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && e.Length >= Vector<float>.Count)
        {
            var counts = Vector<int>.Zero;
            var sums = Vector<double>.Zero;
            for (; i <= e.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(e[i..]);
                var valid = Vector.Equals(v, v);
                counts -= valid;
                Vector.Widen(Vector.ConditionalSelect(valid, v, Vector<float>.Zero), out var low, out var high);
                sums += low + high;
            }
            count = Vector.Sum(counts);
            sum = Vector.Sum(sums);
        }
        for (; i < e.Length; i++)
        {
            var v = e[i];
            if (!float.IsNaN(v))
            {
                count++;
                sum += v;
            }
        }
        return (count, sum);
    }

    /// <summary>float64 sum of (e - center)^2 over the non-NaN values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SumOfSquares(ReadOnlySpan<float> e, double center)
    {
        int i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && e.Length >= Vector<float>.Count)
        {
            var c = new Vector<double>(center);
            var sums = Vector<double>.Zero;
            for (; i <= e.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(e[i..]);
                var valid = Vector.Equals(v, v);
                Vector.Widen(v, out var low, out var high);
                Vector.Widen(valid, out var validLow, out var validHigh);
                var dl = Vector.ConditionalSelect(Vector.AsVectorInt64(validLow), low - c, Vector<double>.Zero);
                var dh = Vector.ConditionalSelect(Vector.AsVectorInt64(validHigh), high - c, Vector<double>.Zero);
                sums += dl * dl + dh * dh;
            }
            sum = Vector.Sum(sums);
        }
        for (; i < e.Length; i++)
        {
            var v = e[i];
            if (!float.IsNaN(v))
            {
                var d = v - center;
                sum += d * d;
            }
        }
        return sum;
    }

    public static int Count(ReadOnlySpan<float> e) => CountAndSum(e).Count;

    /// <summary>Standard deviation with divisor count - ddof, float32 result; NaN when count - ddof &lt;= 0 (numpy nanstd).</summary>
    public static float Std(ReadOnlySpan<float> e, int ddof)
    {
        var (n, sum) = CountAndSum(e);
        if (n - ddof <= 0) return float.NaN;
        return (float)Math.Sqrt(SumOfSquares(e, sum / n) / (n - ddof));
    }

    /// <summary>sqrt(mean(e^2)) over non-NaN values, float32; NaN when there are none.</summary>
    public static float RootMeanSquare(ReadOnlySpan<float> e)
    {
        var n = Count(e);
        return n == 0 ? float.NaN : (float)Math.Sqrt(SumOfSquares(e, 0) / n);
    }

    /// <summary>
    /// Sum of e/scale over the values where that quotient is not NaN (numpy's nansum of the normalised residuals):
    /// for a finite non-zero scale, sum(non-NaN e)/scale.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double NormalisedSum(ReadOnlySpan<float> e, float scale)
    {
        if (float.IsFinite(scale) && scale != 0) return CountAndSum(e).Sum / scale;
        double sum = 0;
        foreach (var v in e)
        {
            var q = v / scale;
            if (!float.IsNaN(q)) sum += q;
        }
        return sum;
    }

    /// <summary>
    /// Exponentially weighted moving average z = keep*z + weight*e from 0, skipping NaN, in float32 arithmetic as
    /// the reference's update of a float32 array. <paramref name="scratch"/> must hold 2*e.Length values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Ewma(ReadOnlySpan<float> e, float keep, float weight, Span<float> scratch)
    {
        // Per date: factor 1 and increment 0 where e is NaN, so the recursion runs without branches.
        var factor = scratch[..e.Length];
        var increment = scratch.Slice(e.Length, e.Length);
        for (int t = 0; t < e.Length; t++)
        {
            var v = e[t];
            var valid = !float.IsNaN(v);
            factor[t] = valid ? keep : 1f;
            increment[t] = valid ? weight * v : 0f;
        }
        float z = 0;
        for (int t = 0; t < e.Length; t++)
        {
            z = factor[t] * z + increment[t];
        }
        return z;
    }

    /// <summary>
    /// Percentiles <paramref name="p1"/> &lt;= <paramref name="p2"/> (in [0, 1]) of the non-NaN values, linear
    /// interpolation between order statistics at p*(count-1); NaN when there are none. One selection finds all four
    /// order statistics needed: O(count). <paramref name="scratch"/> must hold e.Length values.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double Low, double High) Percentiles(ReadOnlySpan<float> e, double p1, double p2, Span<float> scratch)
    {
        int n = Compact(e, scratch);
        if (n == 0) return (double.NaN, double.NaN);
        // The partition passes write from one buffer into the other; short rows (the usual case) keep both on the stack.
        Span<float> spare = n <= 1024 ? stackalloc float[n] : new float[n];
        var positionLow = p1 * (n - 1);
        var positionHigh = p2 * (n - 1);
        int k1 = (int)Math.Floor(positionLow), k2 = (int)Math.Floor(positionHigh);
        Select(scratch[..n], spare, 0, n - 1, k1, k2, float.PositiveInfinity, out var a1, out var b1, out var a2, out var b2);
        return (Lerp(a1, b1, positionLow - k1), Lerp(a2, b2, positionHigh - k2));
    }

    /// <summary>NumPy's lerp from order statistic a towards the next one b: the symmetric form, exact at either end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Lerp(float a, float b, double frac)
    {
        if (frac == 0) return a;
        var diff = b - (double)a;
        return frac >= 0.5 ? b - diff * (1 - frac) : a + diff * frac;
    }

    /// <summary>Writes the non-NaN values of e, in order, to the front of target; returns their count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Compact(ReadOnlySpan<float> e, Span<float> target)
    {
        ref float from = ref MemoryMarshal.GetReference(e);
        ref float to = ref MemoryMarshal.GetReference(target[..e.Length]);
        int n = 0, i = 0;
        if (Avx2.IsSupported)
        {
            var permutations = Partitioning.Float32Lanes;
            // Each store writes 8 lanes at n <= i: within target, which is as long as e.
            for (; i + 8 <= e.Length; i += 8)
            {
                var x = Vector256.LoadUnsafe(ref from, (nuint)i);
                int mask = Avx.MoveMask(Avx.CompareEqual(x, x));
                Avx2.PermuteVar8x32(x, permutations[mask]).StoreUnsafe(ref to, (nuint)n);
                n += BitOperations.PopCount((uint)mask);
            }
        }
        for (; i < e.Length; i++)
        {
            // Branch-free: clouds fall at random.
            var v = Unsafe.Add(ref from, i);
            Unsafe.Add(ref to, n) = v;
            n += Unsafe.BitCast<bool, byte>(!float.IsNaN(v));
        }
        return n;
    }

    /// <summary>Ranges this short (four vectors) are finished by ranking.</summary>
    private const int RankCutoff = 32;

    /// <summary>
    /// The k1-th and k2-th smallest (k1 &lt;= k2, both in [left, right]) of source[left..right] (NaN-free), each with
    /// the order statistic after it; <paramref name="next"/> is the one after the range (+inf when none). Quickselect
    /// down to the range holding both, then one per side; each pass partitions from one buffer into the other
    /// (branch-free, AVX2 eight values at a time), both buffers overwritten.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Select(Span<float> source, Span<float> target, int left, int right, int k1, int k2, float next,
        out float low, out float lowNext, out float high, out float highNext)
    {
        int budget = 2 * (BitOperations.Log2((uint)(right - left + 1)) + 4);
        while (right - left >= RankCutoff && --budget >= 0)
        {
            var pivot = Partitioning.MedianOfThree(source[left], source[left + ((right - left) >> 1)], source[right]);
            int split = Partitioning.Partition<float>(source, target, left, right, pivot, orEqual: false);
            if (split == left)
            {
                // Nothing below the pivot: it is the minimum. Split off its ties instead, so the range always shrinks.
                split = Partitioning.Partition<float>(source, target, left, right, pivot, orEqual: true);
                if (k1 < split)
                {
                    var after = split <= right ? Partitioning.Minimum<float>(target[split..(right + 1)]) : next;
                    low = pivot;
                    lowNext = k1 + 1 < split ? pivot : after;
                    if (k2 < split)
                    {
                        high = pivot;
                        highNext = k2 + 1 < split ? pivot : after;
                    }
                    else
                    {
                        Select(target, source, split, right, k2, k2, next, out high, out highNext, out _, out _);
                    }
                    return;
                }
                left = split;
            }
            else if (k2 < split)
            {
                // Everything from split on is >= the pivot, which is among them: the pivot is their minimum.
                next = pivot;
                right = split - 1;
            }
            else if (k1 >= split)
            {
                left = split;
            }
            else
            {
                // The two order statistics fall on either side: one selection each, in disjoint ranges.
                Select(target, source, left, split - 1, k1, k1, pivot, out low, out lowNext, out _, out _);
                Select(target, source, split, right, k2, k2, next, out high, out highNext, out _, out _);
                return;
            }
            var written = target;
            target = source;
            source = written;
        }
        var range = source[left..(right + 1)];
        if (range.Length <= RankCutoff && Vector256.IsHardwareAccelerated)
        {
            Rank(range, k1 - left, k2 - left, next, out low, out lowNext, out high, out highNext);
            return;
        }
        range.Sort();
        low = source[k1];
        lowNext = k1 < right ? source[k1 + 1] : next;
        high = source[k2];
        highNext = k2 < right ? source[k2 + 1] : next;
    }

    /// <summary>
    /// The r1-th and r2-th smallest of up to 32 values, each with the next one (<paramref name="next"/> past the end).
    /// Without branches (sorting a short random range mispredicts most comparisons): c_i = #{j: x_j &lt;= x_i}, and
    /// the r-th smallest is the least x_i with c_i &gt; r.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rank(ReadOnlySpan<float> range, int r1, int r2, float next,
        out float low, out float lowNext, out float high, out float highNext)
    {
        // Padding with +inf only adds candidates at +inf, which never beat a real value (or equal one at +inf).
        Span<float> padded = stackalloc float[RankCutoff];
        Spans.Fill(padded, float.PositiveInfinity);
        range.CopyTo(padded);
        ref float x = ref MemoryMarshal.GetReference(padded);
        var x0 = Vector256.LoadUnsafe(ref x, 0);
        var x1 = Vector256.LoadUnsafe(ref x, 8);
        var x2 = Vector256.LoadUnsafe(ref x, 16);
        var x3 = Vector256.LoadUnsafe(ref x, 24);
        Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default;
        foreach (var v in range)
        {
            var b = Vector256.Create(v);
            c0 -= Vector256.LessThanOrEqual(b, x0).AsInt32();
            c1 -= Vector256.LessThanOrEqual(b, x1).AsInt32();
            c2 -= Vector256.LessThanOrEqual(b, x2).AsInt32();
            c3 -= Vector256.LessThanOrEqual(b, x3).AsInt32();
        }
        var last = range.Length - 1;
        low = Least(r1);
        lowNext = r1 < last ? Least(r1 + 1) : next;
        high = Least(r2);
        highNext = r2 < last ? Least(r2 + 1) : next;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        float Least(int r)
        {
            var above = Vector256.Create(r);
            var infinity = Vector256.Create(float.PositiveInfinity);
            var m = Vector256.Min(
                Vector256.Min(Vector256.ConditionalSelect(Vector256.GreaterThan(c0, above).AsSingle(), x0, infinity),
                    Vector256.ConditionalSelect(Vector256.GreaterThan(c1, above).AsSingle(), x1, infinity)),
                Vector256.Min(Vector256.ConditionalSelect(Vector256.GreaterThan(c2, above).AsSingle(), x2, infinity),
                    Vector256.ConditionalSelect(Vector256.GreaterThan(c3, above).AsSingle(), x3, infinity)));
            var h = Vector128.Min(m.GetLower(), m.GetUpper());
            h = Vector128.Min(h, Vector128.Shuffle(h, Vector128.Create(2, 3, 0, 1)));
            h = Vector128.Min(h, Vector128.Shuffle(h, Vector128.Create(1, 0, 3, 2)));
            return h.ToScalar();
        }
    }
}
