using System.Numerics;
using System.Runtime.CompilerServices;

namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// Per-pixel statistics of float32 fit residuals, NaN-skipping as numpy's nan* functions. Vectorised and branch-free
/// over NaN (clouds fall at random: branching on them would mispredict often).
/// </summary>
internal static class ResidualStatistics
{
    /// <summary>Number and float64 sum of the non-NaN values.</summary>
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
    /// interpolation between order statistics at p*(count-1); NaN when there are none. Selection, not a sort:
    /// O(count). <paramref name="scratch"/> must hold e.Length values.
    /// </summary>
    public static (double Low, double High) Percentiles(ReadOnlySpan<float> e, double p1, double p2, Span<float> scratch)
    {
        int n = 0;
        foreach (var v in e)
        {
            // Branch-free compaction of the non-NaN values.
            scratch[n] = v;
            n += Unsafe.BitCast<bool, byte>(!float.IsNaN(v));
        }
        if (n == 0) return (double.NaN, double.NaN);
        var values = scratch[..n];
        var low = Interpolate(values, 0, p1);
        // Selection left every order statistic up to the first position in place: the second searches beyond it.
        var high = Interpolate(values, (int)Math.Floor(p1 * (n - 1)), p2);
        return (low, high);
    }

    /// <summary>The p-percentile of <paramref name="values"/>, whose order statistics before <paramref name="from"/> are already in place.</summary>
    private static double Interpolate(Span<float> values, int from, double p)
    {
        var position = p * (values.Length - 1);
        var lo = (int)Math.Floor(position);
        var frac = position - lo;
        var a = Select(values, from, lo);
        if (frac == 0 || lo + 1 >= values.Length) return a;
        // After selection everything right of lo is >= values[lo]: the next order statistic is their minimum.
        var rest = values[(lo + 1)..];
        var b = rest[0];
        foreach (var v in rest)
        {
            b = MathF.Min(b, v);
        }
        // NumPy's lerp: the symmetric form, exact at either end.
        var diff = b - (double)a;
        return frac >= 0.5 ? b - diff * (1 - frac) : a + diff * frac;
    }

    /// <summary>Quickselect: places the k-th smallest at values[k] with smaller ones before and larger after; searches [from, end).</summary>
    private static float Select(Span<float> values, int from, int k)
    {
        int left = from, right = values.Length - 1;
        while (right > left)
        {
            // Median-of-three pivot.
            int mid = left + (right - left) / 2;
            if (values[mid] < values[left]) (values[mid], values[left]) = (values[left], values[mid]);
            if (values[right] < values[left]) (values[right], values[left]) = (values[left], values[right]);
            if (values[right] < values[mid]) (values[right], values[mid]) = (values[mid], values[right]);
            var pivot = values[mid];
            int i = left, j = right;
            while (i <= j)
            {
                while (values[i] < pivot) i++;
                while (values[j] > pivot) j--;
                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }
            if (k <= j) right = j;
            else if (k >= i) left = i;
            else break;
        }
        return values[k];
    }
}
