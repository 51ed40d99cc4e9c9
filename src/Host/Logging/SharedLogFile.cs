using System.Text;

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

    private readonly string _path;
    private readonly StreamWriter _writer;
    private readonly Lock _gate = new();
    private int _users;

    private SharedLogFile(string path)
    {
        _path = path;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Shared read and write: operators tail the file while the node runs.
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), new UTF8Encoding(false)) { AutoFlush = true };
    }

    public static SharedLogFile Acquire(string path)
    {
        string full = Path.GetFullPath(path);
        lock (OpenedGate)
        {
            if (!Opened.TryGetValue(full, out var file)) Opened[full] = file = new SharedLogFile(full);
            file._users++;
            return file;
        }
    }

    public void WriteLine(string line)
    {
        lock (_gate) _writer.WriteLine(line);
    }

    public void Release()
    {
        lock (OpenedGate)
        {
            if (--_users > 0) return;
            Opened.Remove(_path);
            lock (_gate) _writer.Dispose();
        }
    }
}
