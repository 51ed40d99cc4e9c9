using System.Runtime.InteropServices;

namespace NrtCluster.Geo.Gdal;

/// <summary>
/// Which GDAL shared library is loaded: the first present of <see cref="Candidates"/>, from GDAL 3.6 (Debian 12's
/// libgdal32, <c>libgdal.so.32</c>) to GDAL 3.10 (Debian 13's libgdal36, <c>libgdal.so.36</c>); the C API that
/// NrtCluster calls is the same in all of them.
/// </summary>
public static class GdalLibrary
{
    /// <summary>The sonames tried, in this order.</summary>
    public static IReadOnlyList<string> Candidates { get; } = [.. Enumerable.Range(32, 5).Select(v => $"libgdal.so.{v}")];

    private static readonly Lazy<(string Name, IntPtr Handle)> Library = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The soname loaded; loads it on first use (<see cref="DllNotFoundException"/> saying what to install when none is present).</summary>
    public static string Loaded => Library.Value.Name;

    internal static IntPtr Handle => Library.Value.Handle;

    private static (string, IntPtr) Load()
    {
        foreach (var name in Candidates)
            if (NativeLibrary.TryLoad(name, typeof(GdalLibrary).Assembly, null, out var handle)) return (name, handle);
        throw new DllNotFoundException(
            $"GDAL 3.6 to 3.10 ({Candidates[0]} to {Candidates[^1]}) is not installed or not on the library path: install Debian's gdal-bin " +
            "(apt-get install gdal-bin), which brings the release's libgdal (libgdal32 on Debian 12, libgdal36 on Debian 13).");
    }
}
