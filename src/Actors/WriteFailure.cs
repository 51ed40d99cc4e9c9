using System.Globalization;

namespace NrtCluster.Actors;

/// <summary>
/// Says why a file could not be written to a folder in the operator's words, e.g. "cannot write reports to /out/tiles: no
/// space left on device (0 B free)": the cause named by the system (GDAL and .NET quote its error text) and the space left.
/// </summary>
public static class WriteFailure
{
    // The system's own texts (strerror) that GDAL and .NET put in their messages, and GDAL's check before it writes a GeoTIFF.
    private static readonly (string Text, string Cause)[] Causes =
    [
        ("No space left on device", "no space left on device"),
        ("Free disk space available is", "no space left on device"),
        ("Disk quota exceeded", "disk quota exceeded"),
        ("Read-only file system", "read-only file system"),
        ("Permission denied", "permission denied"),
        ("Access to the path", "permission denied"),
    ];

    /// <summary>Below this much free space an error that names no cause is taken for a full disk (GDAL often reports only its own last step).</summary>
    private const long NearlyFull = 1 << 20;

    /// <param name="what">What was written, e.g. "reports" or "the log".</param>
    public static string Describe(string what, string folder, Exception error)
    {
        long? free = FreeBytes(folder);
        string cause = Known(error) ?? (free < NearlyFull ? "no space left on device" : Innermost(error));
        return $"cannot write {what} to {folder}: {cause} ({(free is { } bytes ? Bytes(bytes) : "unknown space")} free)";
    }

    /// <summary>The cause of <paramref name="error"/> in a few words: a known system error, else the innermost message.</summary>
    public static string Cause(Exception error) => Known(error) ?? Innermost(error);

    private static string? Known(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
            foreach (var (text, cause) in Causes)
                if (e.Message.Contains(text, StringComparison.OrdinalIgnoreCase)) return cause;
        return null;
    }

    private static string Innermost(Exception error)
    {
        while (error.InnerException is not null) error = error.InnerException;
        return error.Message.TrimEnd('.');
    }

    /// <summary>The bytes left to this process on the file system holding <paramref name="folder"/> (its nearest existing parent); null when unknown.</summary>
    private static long? FreeBytes(string folder)
    {
        try
        {
            var existing = Path.GetFullPath(folder);
            while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent) existing = parent;
            return new DriveInfo(existing).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>A byte count in B, KB, MB, GB (powers of 1024), e.g. "0 B", "60 KB", "1.5 GB".</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return (unit == 0 || value >= 10 ? value.ToString("F0", CultureInfo.InvariantCulture) : value.ToString("F1", CultureInfo.InvariantCulture)) + " " + units[unit];
    }
}
