using NrtCluster.Host.Tests.Http;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// A small real file system (tmpfs) mounted on a folder, to fill or make read-only under a running process; unmounted on
/// dispose. Mounting needs root (CI and the build machine run as root); without it the test fails saying so.
/// </summary>
public sealed class Tmpfs : IDisposable
{
    private const string Filler = ".filler";

    private Tmpfs(string folder) => Folder = folder;

    public string Folder { get; }

    public static Tmpfs Mount(string folder, int kilobytes)
    {
        Directory.CreateDirectory(folder);
        var (code, output) = Processes.Run("mount", "-t", "tmpfs", "-o", $"size={kilobytes}k", "tmpfs", folder);
        if (code != 0)
            throw new InvalidOperationException(
                $"This test needs a small file system of its own to fill: 'mount -t tmpfs -o size={kilobytes}k tmpfs {folder}' failed ({code}): {output.Trim()}. " +
                "Run the tests as root (CI does).");
        return new Tmpfs(folder);
    }

    /// <summary>Takes every free byte with a file of its own, so the next write fails with "no space left on device".</summary>
    public void Fill()
    {
        using var stream = new FileStream(Path.Combine(Folder, Filler), FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
        var block = new byte[4096];
        try
        {
            while (true) stream.Write(block);
        }
        catch (IOException)
        {
            // Full.
        }
    }

    /// <summary>Gives back what <see cref="Fill"/> took.</summary>
    public void Free() => File.Delete(Path.Combine(Folder, Filler));

    public void ReadOnly(bool readOnly) => Run("mount", "-o", readOnly ? "remount,ro" : "remount,rw", Folder);

    public void Dispose() => Run("umount", Folder);

    private static void Run(string command, params string[] args)
    {
        var (code, output) = Processes.Run(command, args);
        if (code != 0) throw new InvalidOperationException($"{command} {string.Join(' ', args)} failed ({code}): {output}");
    }
}
