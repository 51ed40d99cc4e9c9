namespace NrtCluster.Geo.Gdal;

/// <summary>
/// The GDAL work in flight (open datasets), so that the process can end without tearing GDAL down under it: when a process
/// ends, the native libraries' global objects (GDAL's drivers and caches, curl, PROJ) are destroyed, and a thread-pool thread
/// still reading a granule (a tile's history load when a fit is stopped) then crashes the process with a segmentation fault.
/// </summary>
public static class GdalWork
{
    private static int _open;
    private static volatile bool _ending;

    /// <summary>How long <see cref="EndAndWait"/> waits at most: the reads in flight finish, none start.</summary>
    public static readonly TimeSpan EndTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Datasets open now.</summary>
    public static int Open => Volatile.Read(ref _open);

    /// <summary>
    /// A GDAL call that opens or creates a dataset, counted from before the call until the handle is closed (or at once when
    /// the call fails); refused once the process is ending.
    /// </summary>
    internal static DatasetHandle Track(Func<IntPtr> open)
    {
        Opening();
        var h = IntPtr.Zero;
        try
        {
            h = open();
        }
        finally
        {
            if (h == IntPtr.Zero) Closed();
        }
        return new DatasetHandle(h);
    }

    /// <summary>A GDAL call that opens and closes its datasets itself, counted while it runs; refused once the process is ending.</summary>
    internal static T Run<T>(Func<T> call)
    {
        Opening();
        try
        {
            return call();
        }
        finally
        {
            Closed();
        }
    }

    private static void Opening()
    {
        Interlocked.Increment(ref _open);
        if (!_ending) return;
        Closed();
        throw new OperationCanceledException("GDAL opens no more rasters: the process is ending");
    }

    /// <summary>A dataset counted by <see cref="Track"/> was closed.</summary>
    internal static void Closed() => Interlocked.Decrement(ref _open);

    /// <summary>
    /// Refuses new GDAL work and waits (at most <paramref name="timeout"/>) until the datasets open now are closed; true when
    /// they were. Called once the command is done, just before the process ends.
    /// </summary>
    public static bool EndAndWait(TimeSpan timeout)
    {
        _ending = true;
        return SpinWait.SpinUntil(() => Open == 0, timeout);
    }
}
