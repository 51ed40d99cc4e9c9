using System.Text.RegularExpressions;

namespace NrtCluster.Geo.Gdal;

/// <summary>
/// The temporary files of writes that appear atomically (<see cref="GeoTiffWriter"/>, <see cref="VrtMosaic"/>): written
/// beside the target under a hidden unique name, then renamed into place. A process killed mid-write leaves one behind;
/// whoever owns the folder removes those at start (<see cref="RemoveOrphans"/>).
/// </summary>
public static partial class TemporaryFiles
{
    [GeneratedRegex(@"^\..+\.[0-9a-f]{32}\.tmp(\.[a-z]+)?$")]
    private static partial Regex Name();

    /// <summary>A new temporary name beside <paramref name="fullPath"/>, ending in <paramref name="extension"/> (e.g. ".vrt") when a driver needs one.</summary>
    public static string For(string fullPath, string extension = "") =>
        Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp{extension}");

    public static bool IsTemporary(string path) => Name().IsMatch(Path.GetFileName(path));

    /// <summary>
    /// Deletes the temporary files in <paramref name="folder"/> (and its subfolders with <paramref name="recursive"/>) not
    /// written to for <paramref name="minAge"/>; returns those deleted. Files that cannot be deleted are left.
    /// </summary>
    public static IReadOnlyList<string> RemoveOrphans(string folder, bool recursive, TimeSpan minAge)
    {
        if (!Directory.Exists(folder)) return [];
        var removed = new List<string>();
        var before = DateTime.UtcNow - minAge;
        foreach (var file in Directory.EnumerateFiles(folder, ".*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly))
        {
            if (!IsTemporary(file) || File.GetLastWriteTimeUtc(file) > before) continue;
            try
            {
                File.Delete(file);
                removed.Add(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A read-only folder: the file stays, harmless (never read) until the folder is writable again.
            }
        }
        return removed;
    }
}
