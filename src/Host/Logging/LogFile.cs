using System.Globalization;
using NrtCluster.Actors;
using Serilog;
using Serilog.Configuration;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace NrtCluster.Host.Logging;

/// <summary>
/// A log file appended one whole line at a time, that never throws and never holds lines back: when a line cannot be written
/// (a full disk, a read-only folder) it is dropped and counted, the cause is said once on standard error (again only after
/// <see cref="SayAgainAfter"/>: a nearly full disk may fail and recover every few lines), and the file is tried again at most
/// every <see cref="RetryInterval"/>. The first line written again is preceded by a notice in the file (and on standard error
/// when the failure was said there) of how many lines were lost since when and why. A line cut short by the failure is removed first, so every
/// line of the file stays whole. Serilog's file sink writes the lines, rotating them when given a <see cref="LogRotation"/>
/// (then the files are dated: <see cref="LogRotation.Files"/>); this class adds what a log must do when its disk fails.
/// </summary>
public sealed class LogFile : IDisposable, ILoggingFailureListener
{
    public static readonly TimeSpan DefaultRetryInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan SayAgainAfter = TimeSpan.FromHours(1);

    private readonly Func<string, string> _notice;
    private readonly Action<string> _stderr;
    private readonly TimeProvider _clock;
    private readonly LogRotation? _rotation;
    private readonly Lock _gate = new();
    /// <summary>Open while lines get written; null before the first line, after a failure and once disposed.</summary>
    private ILogEventSink? _sink;
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
    /// <param name="rotation">How the file rotates; null: never, it is <paramref name="path"/> itself.</param>
    public LogFile(string path, Func<string, string> notice, Action<string>? stderr = null, TimeProvider? clock = null, TimeSpan? retryInterval = null,
        LogRotation? rotation = null)
    {
        Path = System.IO.Path.GetFullPath(path);
        _rotation = rotation;
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
                _sink ??= Open();
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

    /// <summary>
    /// The sink that writes the file (or rotates the files). Opened anew after every failure, since a sink whose write failed
    /// may hold part of a line to write later.
    /// </summary>
    private ILogEventSink Open()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        // The file the sink appends to: the newest of a rotating log (if any yet), else the file itself, opened here so that a
        // folder that cannot be written fails with its cause.
        if (_rotation is null) DropCutLine(Path);
        else if (_rotation.Files(Path) is [.., var newest]) DropCutLine(newest);
        var sink = LoggerSinkConfiguration.CreateSink(to => to.File(LineFormatter.Instance, Path, fileSizeLimitBytes: _rotation?.SizeLimitBytes,
            buffered: false, rollingInterval: _rotation?.Interval ?? RollingInterval.Infinite, rollOnFileSizeLimit: _rotation is not null,
            retainedFileCountLimit: _rotation?.KeepFiles, retainedFileTimeLimit: _rotation?.KeepFor));
        (sink as ISetLoggingFailureListener)?.SetFailureListener(this);
        return sink;
    }

    /// <summary>
    /// The sink's failures that it does not throw (a file it could not open) are thrown here, to be counted as the others; its
    /// notes that lose no line (an old file it could not delete) are not.
    /// </summary>
    void ILoggingFailureListener.OnLoggingFailed(object sender, LoggingFailureKind kind, string message, IReadOnlyCollection<LogEvent>? events, Exception? exception)
    {
        if (events is { Count: > 0 }) throw new IOException($"the log file could not be written: {message}", exception);
    }

    /// <summary>
    /// Drops a last line cut short by a write that failed half-way (a full disk, in this process or an earlier one), so every
    /// line of the file stays whole; it was counted as lost.
    /// </summary>
    private static void DropCutLine(string path)
    {
        using var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
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

    private void Append(string line) =>
        _sink!.Emit(new LogEvent(DateTimeOffset.Now, LogEventLevel.Information, null, MessageTemplate.Empty, [new LogEventProperty(LineFormatter.Property, new ScalarValue(line))]));

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
            (_sink as IDisposable)?.Dispose();
        }
        catch (IOException)
        {
            // What the sink still held was counted as lost; the file is closed all the same.
        }
        _sink = null;
    }

    /// <summary>Writes the line an event carries, as it is: the lines come formatted (<see cref="LogLine"/>, the node log's own).</summary>
    private sealed class LineFormatter : ITextFormatter
    {
        public const string Property = "line";
        public static readonly LineFormatter Instance = new();

        public void Format(LogEvent logEvent, TextWriter output)
        {
            output.Write((string)((ScalarValue)logEvent.Properties[Property]).Value!);
            output.Write('\n');
        }
    }
}
