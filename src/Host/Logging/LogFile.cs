using System.Globalization;
using System.Text;
using NrtCluster.Actors;

namespace NrtCluster.Host.Logging;

/// <summary>
/// A log file appended one whole line at a time, that never throws and never holds lines back: when a line cannot be written
/// (a full disk, a read-only folder) it is dropped and counted, the cause is said once on standard error (again only after
/// <see cref="SayAgainAfter"/>: a nearly full disk may fail and recover every few lines), and the file is tried again at most
/// every <see cref="RetryInterval"/>. The first line written again is preceded by a notice in the file (and on standard error
/// when the failure was said there) of how many lines were lost since when and why. A line cut short by the failure is removed first, so every
/// line of the file stays whole.
/// </summary>
public sealed class LogFile : IDisposable
{
    public static readonly TimeSpan DefaultRetryInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan SayAgainAfter = TimeSpan.FromHours(1);

    private readonly Func<string, string> _notice;
    private readonly Action<string> _stderr;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    /// <summary>Open while lines get written; null before the first line, after a failure and once disposed.</summary>
    private FileStream? _stream;
    private bool _disposed;
    /// <summary>The cause while lines are being dropped, null while the file is written.</summary>
    private string? _failure;
    private DateTimeOffset _failingSince;
    /// <summary>Whether the current failure was said on standard error (then so is its end).</summary>
    private bool _failureSaid;
    /// <summary>When each cause was last said on standard error.</summary>
    private readonly Dictionary<string, DateTimeOffset> _said = new(StringComparer.Ordinal);
    private DateTimeOffset _nextAttempt;

    /// <param name="notice">Makes a line of the file's format from this writer's own notice (the lines lost).</param>
    /// <param name="stderr">Where the failure and the recovery are said (standard error by default).</param>
    /// <param name="clock">The time, for the retry interval (the system's by default).</param>
    public LogFile(string path, Func<string, string> notice, Action<string>? stderr = null, TimeProvider? clock = null, TimeSpan? retryInterval = null)
    {
        Path = System.IO.Path.GetFullPath(path);
        _notice = notice;
        _stderr = stderr ?? (line => WriteConsole(Console.Error, line));
        _clock = clock ?? TimeProvider.System;
        RetryInterval = retryInterval ?? DefaultRetryInterval;
    }

    public string Path { get; }
    public TimeSpan RetryInterval { get; }
    /// <summary>Lines dropped since the file last failed (0 while it is written).</summary>
    public long LinesLost { get; private set; }

    public void WriteLine(string line)
    {
        lock (_gate)
        {
            if (_disposed) return;
            var now = _clock.GetUtcNow();
            if (_failure is not null && now < _nextAttempt)
            {
                LinesLost++;
                return;
            }
            try
            {
                _stream ??= Open();
                if (_failure is not null)
                {
                    string recovered = string.Create(CultureInfo.InvariantCulture,
                        $"{LinesLost} log lines were lost from {_failingSince:yyyy-MM-dd HH:mm:ss} UTC to {now:HH:mm:ss} UTC: {_failure}");
                    Append(_notice(recovered));
                    if (_failureSaid) _stderr($"nrtc: the log {Path} is written again; {recovered}");
                    _failure = null;
                    _failureSaid = false;
                    LinesLost = 0;
                }
                Append(line);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Failed(e, now);
            }
        }
    }

    /// <summary>
    /// Writes a line to standard output or error, or drops it when that cannot be written: redirected to a file on a full disk
    /// (cron's <c>&gt;&gt; poll.log 2&gt;&amp;1</c>), the console throws, and a logger that threw would be restarted in a loop.
    /// </summary>
    public static void WriteConsole(TextWriter console, string line)
    {
        try
        {
            console.WriteLine(line);
        }
        catch (IOException)
        {
            // Dropped, as a log line is while its file cannot be written.
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Close();
        }
    }

    private FileStream Open()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        DropCutLine();
        // Shared read and write: operators tail the file while the node runs. No buffer: a line is on its way to the file
        // when WriteLine returns, and a failed write leaves nothing behind to retry.
        return new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
    }

    /// <summary>
    /// Drops a last line cut short by a write that failed half-way (a full disk, in this process or an earlier one), so every
    /// line of the file stays whole; it was counted as lost.
    /// </summary>
    private void DropCutLine()
    {
        using var file = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        long end = file.Length;
        var buffer = new byte[4096];
        for (long position = end; position > 0;)
        {
            int count = (int)Math.Min(buffer.Length, position);
            position -= count;
            file.Position = position;
            file.ReadExactly(buffer, 0, count);
            int newline = Array.LastIndexOf(buffer, (byte)'\n', count - 1, count);
            if (newline < 0) continue;
            if (position + newline + 1 < end) file.SetLength(position + newline + 1);
            return;
        }
        file.SetLength(0);
    }

    private void Append(string line) => _stream!.Write(Encoding.UTF8.GetBytes(line + "\n"));

    private void Failed(Exception error, DateTimeOffset now)
    {
        Close();
        LinesLost++;
        _nextAttempt = now + RetryInterval;
        string cause = WriteFailure.Cause(error);
        if (cause == _failure) return;
        if (_failure is null) _failingSince = now;
        _failure = cause;
        if (_said.TryGetValue(cause, out var said) && now - said < SayAgainAfter) return;
        _said[cause] = now;
        _failureSaid = true;
        string folder = System.IO.Path.GetDirectoryName(Path)!;
        _stderr($"nrtc: {WriteFailure.Describe($"the log {System.IO.Path.GetFileName(Path)}", folder, error)}; its lines are dropped and counted, " +
                $"and the file is tried again every {RetryInterval.TotalSeconds:0} s");
    }

    private void Close()
    {
        try
        {
            _stream?.Dispose();
        }
        catch (IOException)
        {
            // Nothing is buffered; a close that fails loses nothing.
        }
        _stream = null;
    }
}
