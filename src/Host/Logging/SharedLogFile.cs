namespace NrtCluster.Host.Logging;

/// <summary>
/// One appending writer per log file in this process, shared by every actor system that logs there (tests run
/// several nodes in one process): separate streams on one file would each write at their own offset and overwrite
/// each other's lines.
/// </summary>
internal sealed class SharedLogFile
{
    private static readonly Dictionary<string, SharedLogFile> Opened = [];
    private static readonly Lock OpenedGate = new();

    private readonly LogFile _file;
    private int _users;

    private SharedLogFile(string path, Func<string, string> notice, LogRotation rotation) => _file = new LogFile(path, notice, rotation: rotation);

    /// <param name="notice">Makes a line of the file's format from the writer's own notice (see <see cref="LogFile"/>).</param>
    /// <param name="rotation">How the file rotates; the first to open it sets it.</param>
    public static SharedLogFile Acquire(string path, Func<string, string> notice, LogRotation rotation)
    {
        string full = Path.GetFullPath(path);
        lock (OpenedGate)
        {
            if (!Opened.TryGetValue(full, out var file)) Opened[full] = file = new SharedLogFile(full, notice, rotation);
            file._users++;
            return file;
        }
    }

    /// <summary>Appends the line, or drops and counts it while the file cannot be written (never throws).</summary>
    public void WriteLine(string line) => _file.WriteLine(line);

    public void Release()
    {
        lock (OpenedGate)
        {
            if (--_users > 0) return;
            Opened.Remove(_file.Path);
            _file.Dispose();
        }
    }
}
