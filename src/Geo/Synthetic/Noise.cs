using System.Runtime.CompilerServices;

namespace NrtCluster.Geo.Synthetic;

/// <summary>
/// Stateless, seedable randomness: every value is a hash of (seed, channel, coordinates), so any pixel of any date
/// can be generated independently, in parallel, and the same ground location gets the same value in both granules.
/// </summary>
internal static class Noise
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ulong seed, long a, long b = 0, long c = 0)
    {
        // SplitMix64 finaliser over a simple combination: good avalanche, no allocation.
        var h = seed * 0x9E3779B97F4A7C15UL;
        h ^= unchecked((ulong)a) * 0xBF58476D1CE4E5B9UL;
        h = Mix(h);
        h ^= unchecked((ulong)b) * 0x94D049BB133111EBUL;
        h = Mix(h);
        h ^= unchecked((ulong)c) * 0xD6E8FEB86659FD93UL;
        return Mix(h);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Uniform(ulong seed, long a, long b = 0, long c = 0) => (Hash(seed, a, b, c) >> 11) * (1.0 / (1UL << 53));

    /// <summary>
    /// Approximately standard normal (sum of four uniforms from one hash, rescaled to unit variance): cheap enough for
    /// every band of every pixel of every date, and bounded (|z| &lt; 3.5), which keeps DNs away from 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Gaussian(ulong seed, long a, long b = 0, long c = 0)
    {
        var h = Hash(seed, a, b, c);
        var sum = (double)(h & 0xFFFF) + ((h >> 16) & 0xFFFF) + ((h >> 32) & 0xFFFF) + (h >> 48);
        // Four U(0,1): mean 2, variance 4/12.
        return (sum / 65536.0 - 2.0) * 1.7320508075688772;
    }

    /// <summary>Smooth value noise in [0, 1] with unit lattice spacing.</summary>
    public static double Value(ulong seed, double x, double y)
    {
        var fx = Math.Floor(x);
        var fy = Math.Floor(y);
        var ix = (long)fx;
        var iy = (long)fy;
        var tx = Smooth(x - fx);
        var ty = Smooth(y - fy);
        var v00 = Uniform(seed, ix, iy);
        var v10 = Uniform(seed, ix + 1, iy);
        var v01 = Uniform(seed, ix, iy + 1);
        var v11 = Uniform(seed, ix + 1, iy + 1);
        var a = v00 + (v10 - v00) * tx;
        var b = v01 + (v11 - v01) * tx;
        return a + (b - a) * ty;
    }

    /// <summary>Fractal value noise in [0, 1]: <paramref name="octaves"/> layers, each half the scale and half the weight.</summary>
    public static double Fractal(ulong seed, double x, double y, double scale, int octaves)
    {
        double sum = 0, weight = 1, total = 0, f = 1 / scale;
        for (var o = 0; o < octaves; o++)
        {
            sum += weight * Value(seed + (ulong)o * 7919UL, x * f, y * f);
            total += weight;
            weight *= 0.5;
            f *= 2;
        }
        return sum / total;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Smooth(double t) => t * t * (3 - 2 * t);

    /// <summary>0 below <paramref name="lo"/>, 1 above <paramref name="hi"/>, smooth between.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SmoothStep(double lo, double hi, double v) => v <= lo ? 0 : v >= hi ? 1 : Smooth((v - lo) / (hi - lo));
}
