using System.Runtime.CompilerServices;

namespace NrtCluster.Kernels;

/// <summary>
/// Span.Fill for the kernels' per-pixel rows. The runtime has no precompiled float or double Span.Fill, so in a fresh
/// process every pixel ran it unoptimised until tiered compilation replaced it mid-fit; this loop is inlined into its
/// (fully optimised) caller.
/// </summary>
internal static class Spans
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Fill<T>(Span<T> span, T value)
    {
        for (int i = 0; i < span.Length; i++)
            span[i] = value;
    }
}
