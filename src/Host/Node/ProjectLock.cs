using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace NrtCluster.Host.Node;

/// <summary>
/// One process at a time owns an output folder's embedded state (SQLite, Akka persistence, reports): an OS lock on
/// <c>&lt;output&gt;/nrtcluster.lock</c>, held while the node lives. The OS releases it when the process dies, however it
/// dies, so a lock left by a killed process never blocks. Who holds it (pid, command, since when, HTTP URL of a
/// <c>run</c> node) is in <c>nrtcluster.holder.json</c> beside it while held: the locked file itself cannot be read by others.
/// </summary>
public sealed class ProjectLock : IDisposable
{
    public const string FileName = "nrtcluster.lock";
    public const string HolderFileName = "nrtcluster.holder.json";

    private readonly FileStream _lock;
    private readonly string _holderPath;
    private Holder _holder;
    private bool _released;

    private ProjectLock(FileStream lockStream, string holderPath, Holder holder)
    {
        _lock = lockStream;
        _holderPath = holderPath;
        _holder = holder;
        WriteHolder();
    }

    /// <summary>What a holder says about itself.</summary>
    public sealed record Holder(int Pid, string Command, DateTime SinceUtc, string? HttpUrl = null);

    /// <summary>
    /// Takes the lock of <paramref name="outputFolder"/> for this process, described by <paramref name="command"/> (default:
    /// its nrtc command line); throws <see cref="ProjectLockedException"/> naming the holder if another process has it.
    /// </summary>
    public static ProjectLock Acquire(string outputFolder, string? command = null)
    {
        Directory.CreateDirectory(outputFolder);
        var holderPath = Path.Combine(outputFolder, HolderFileName);
        FileStream stream;
        try
        {
            // FileShare.None is an exclusive flock on Unix (a share lock on Windows): refused to any other open, in any process.
            stream = new FileStream(Path.Combine(outputFolder, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(Path.Combine(outputFolder, FileName)))
        {
            throw new ProjectLockedException(outputFolder, ReadHolder(holderPath));
        }
        var self = new Holder(Environment.ProcessId, command ?? OwnCommand(), DateTime.UtcNow);
        try
        {
            return new ProjectLock(stream, holderPath, self);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Records the HTTP URL of this node, so a refused command can point at it (<c>--node URL</c>).</summary>
    public void AnnounceHttp(string url)
    {
        _holder = _holder with { HttpUrl = url };
        WriteHolder();
    }

    /// <summary>Releases the lock; the holder file goes first, so it only ever describes a live holder or a killed one.</summary>
    public void Dispose()
    {
        // Twice is a no-op: the second would delete the holder file of whoever took the lock meanwhile.
        if (_released) return;
        _released = true;
        File.Delete(_holderPath);
        _lock.Dispose();
    }

    /// <summary>Written aside and renamed over, so a refused process never reads half of it.</summary>
    private void WriteHolder()
    {
        var temporary = _holderPath + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        File.WriteAllText(temporary, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["pid"] = _holder.Pid,
            ["command"] = _holder.Command,
            ["since"] = _holder.SinceUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["http"] = _holder.HttpUrl,
        }));
        File.Move(temporary, _holderPath, overwrite: true);
    }

    /// <summary>The holder's description; null if it is missing or unreadable (a holder that has only just taken the lock).</summary>
    private static Holder? ReadHolder(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            return new Holder(root.GetProperty("pid").GetInt32(), root.GetProperty("command").GetString() ?? "",
                DateTime.Parse(root.GetProperty("since").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal),
                root.TryGetProperty("http", out var http) ? http.GetString() : null);
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException
                                      or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>"nrtc VERB ARGS" of this process (its arguments after the program).</summary>
    private static string OwnCommand() => string.Join(' ', ["nrtc", .. Environment.GetCommandLineArgs().Skip(1)]);
}

/// <summary>Another process owns the output folder's embedded state; the message names it and what to do.</summary>
public sealed class ProjectLockedException(string outputFolder, ProjectLock.Holder? holder) : IOException(Describe(outputFolder, holder))
{
    public ProjectLock.Holder? Holder { get; } = holder;

    private static string Describe(string outputFolder, ProjectLock.Holder? holder)
    {
        var who = holder is null
            ? "another nrtc process"
            : string.Create(CultureInfo.InvariantCulture, $"process {holder.Pid} ('{holder.Command}', since {holder.SinceUtc:yyyy-MM-dd HH:mm:ss} UTC)");
        var what = holder?.HttpUrl is { } url
            ? $"send the command to that node with --node {url}, or stop it first"
            : "wait for it to finish, or send the command to a running 'nrtc run' node with --node URL";
        return $"{outputFolder} is in use by {who}: one process at a time may use a project's embedded state; {what}.";
    }
}
