using System.Globalization;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;
using NrtCluster.Actors.Config;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Logging;

/// <summary>
/// Akka logger (<c>akka.loggers</c>) writing every log event as one JSON line (<see cref="LogLine"/>) to the file
/// <c>nrtcluster.logging.file</c>, rotated by size and age (<c>nrtcluster.logging.rotate</c>, <see cref="LogRotation"/>), and those at <c>nrtcluster.logging.stdout-level</c> or above also to standard
/// output, where <c>docker logs</c> and journald pick them up. While the node's database is unreachable, the storage
/// errors that causes stay off stdout and are thinned out in the file (<see cref="LogRouting"/>): its outage
/// line says what is wrong instead. <see cref="Hocon"/> gives the settings that enable it.
/// </summary>
public sealed class StructuredLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly SharedLogFile _file;
    private readonly LogLevel? _stdoutLevel;
    private readonly LogRouting _routing;

    public StructuredLogger()
    {
        var config = Context.System.Settings.Config;
        string path = config.GetString("nrtcluster.logging.file", "");
        if (path.Length == 0)
            throw new ArgumentException("nrtcluster.logging.file is empty; set it to the log file path (StructuredLogger.Hocon does).");
        _stdoutLevel = ParseLevel(config.GetString("nrtcluster.logging.stdout-level", "WARNING"));
        _file = SharedLogFile.Acquire(path, notice => LogLine.Format(new Warning(nameof(StructuredLogger), typeof(StructuredLogger), notice)),
            LogRotation.From(config));
        _routing = LogRouting.Get(Context.System);
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Write);
    }

    /// <summary>
    /// The HOCON that makes <see cref="StructuredLogger"/> the node's only Akka logger, writing events of
    /// <paramref name="level"/> and above to <paramref name="logFile"/> and those of <paramref name="stdoutLevel"/> and
    /// above (DEBUG, INFO, WARNING, ERROR or OFF) also to standard output. Apply it over the profile's configuration.
    /// </summary>
    public static string Hocon(string logFile, string level = "INFO", string stdoutLevel = "WARNING")
    {
        // Fail here, with the bad value named, rather than in the logger while the actor system starts.
        Akka.Event.Logging.LogLevelFor(level);
        ParseLevel(stdoutLevel);
        return $"""
            akka.loggers = ["{typeof(StructuredLogger).FullName}, {typeof(StructuredLogger).Assembly.GetName().Name}"]
            akka.loglevel = {level}
            nrtcluster.logging.file = {Quote(Path.GetFullPath(logFile))}
            nrtcluster.logging.stdout-level = {stdoutLevel}
            """;
    }

    /// <summary>
    /// The node's log, <c>logs/</c> in the output folder: <c>embedded.jsonl</c>, or one per cluster node
    /// (<c>node1-4053.jsonl</c>; with port 0, the process id instead of the port), since cluster nodes share the output
    /// folder and appending from several processes to one file would interleave or overwrite lines. Its files carry a date
    /// (<see cref="LogRotation.Files"/>).
    /// </summary>
    public static string NodeLogPath(NodeOptions options)
    {
        string name = options.Profile == NodeProfile.Embedded
            ? "embedded"
            : $"{options.Hostname ?? "node"}-{(options.Port is > 0 ? options.Port.Value.ToString(CultureInfo.InvariantCulture) : $"pid{Environment.ProcessId}")}";
        return Path.Combine(options.OutputFolder, "logs", $"{name}.jsonl");
    }

    protected override void PostStop() => _file.Release();

    private void Write(LogEvent e)
    {
        var route = _routing.Route(e);
        if (route == LogRoute.Nowhere) return;
        string line = LogLine.Format(e);
        _file.WriteLine(line);
        if (route == LogRoute.Everywhere && _stdoutLevel is { } threshold && e.LogLevel() >= threshold) LogFile.WriteConsole(Console.Out, line);
    }

    /// <summary>An Akka level name, or OFF (null: nothing).</summary>
    private static LogLevel? ParseLevel(string name) =>
        string.Equals(name, "OFF", StringComparison.OrdinalIgnoreCase) ? null : Akka.Event.Logging.LogLevelFor(name);

    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
