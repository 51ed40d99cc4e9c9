using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Npgsql;
using NrtCluster.Host.Http;

using NrtCluster.Host.Logging;

namespace NrtCluster.Host.Node;

/// <summary>
/// Whether the node's PostgreSQL database (journal and snapshot store) answers. <see cref="Start"/> (called by
/// <see cref="ProjectNode.Start"/>) opens a fresh connection every <c>nrtcluster.storage.health.probe-interval</c>. While it fails, one warning a
/// <c>report-interval</c> names the database (without its password) and the reason, /readyz is 503
/// (<see cref="Http.NodeHealth"/>), and the storage errors the outage causes stay off stdout
/// (<see cref="Route"/>, set as the node's <see cref="LogRouting"/>); a warning says when it answers again.
/// A node on SQLite (embedded) has nothing to probe here: its readiness check opens the file.
/// </summary>
public sealed class DatabaseHealth : IExtension
{
    private readonly ActorSystem _system;
    private readonly Target[] _targets;
    private readonly ILoggingAdapter _log;
    private readonly TimeSpan _probeInterval;
    private readonly TimeSpan _probeTimeout;
    private readonly TimeSpan _reportInterval;
    private readonly HashSet<string> _keptThisInterval = new(StringComparer.Ordinal);
    private volatile DatabaseOutage? _outage;
    private long _leftOffStdout;
    private int _started;

    private DatabaseHealth(ExtendedActorSystem system)
    {
        _system = system;
        var config = system.Settings.Config;
        _probeInterval = config.GetTimeSpan("nrtcluster.storage.health.probe-interval", TimeSpan.FromSeconds(5));
        _probeTimeout = config.GetTimeSpan("nrtcluster.storage.health.probe-timeout", TimeSpan.FromSeconds(5));
        _reportInterval = config.GetTimeSpan("nrtcluster.storage.health.report-interval", TimeSpan.FromMinutes(1));
        _log = Akka.Event.Logging.GetLogger(system.EventStream, "database");
        // One target per distinct PostgreSQL database (the journal and snapshot store normally share one).
        _targets = [.. new[] { ("journal", "akka.persistence.journal.sql"), ("snapshot store", "akka.persistence.snapshot-store.sql") }
            .Where(p => config.GetString($"{p.Item2}.provider-name", "").StartsWith("PostgreSQL", StringComparison.OrdinalIgnoreCase))
            .Select(p => (What: p.Item1, ConnectionString: config.GetString($"{p.Item2}.connection-string", "")))
            .GroupBy(p => p.ConnectionString, StringComparer.Ordinal)
            .Select(g => new Target(string.Join(" and ", g.Select(p => p.What)), g.Key))];
        LogRouting.Get(system).RouteBy(Route);
    }

    public static DatabaseHealth Get(ActorSystem system) => system.WithExtension<DatabaseHealth, Provider>();

    /// <summary>The PostgreSQL databases probed (none on SQLite).</summary>
    public IReadOnlyList<Target> Targets => _targets;

    /// <summary>The current outage; null while every database answers (or before the first probe).</summary>
    public DatabaseOutage? Outage => _outage;

    /// <summary>
    /// Probes once, waiting for the answer (so storage errors of the node's first seconds are already recognised), then
    /// every probe interval until the actor system stops. Further calls do nothing.
    /// </summary>
    public DatabaseHealth Start()
    {
        if (_targets.Length == 0 || Interlocked.Exchange(ref _started, 1) == 1) return this;
        var stop = new CancellationTokenSource();
        _system.WhenTerminated.ContinueWith(_ => stop.Cancel(), TaskScheduler.Default);
        ProbeAsync(stop.Token).GetAwaiter().GetResult();
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(_probeInterval);
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false)) await ProbeAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { }
        });
        return this;
    }

    /// <summary>
    /// Where the structured logger puts an event: storage errors during an outage stay off stdout (counted in the next
    /// outage line) and the log file keeps one of each kind (source and message) per report interval.
    /// </summary>
    public LogRoute Route(LogEvent e)
    {
        if (_outage is null || !IsStorageFailure(e)) return LogRoute.Everywhere;
        Interlocked.Increment(ref _leftOffStdout);
        lock (_keptThisInterval) return _keptThisInterval.Add(e.LogSource + "\n" + e.GetTemplate()) ? LogRoute.FileOnly : LogRoute.Nowhere;
    }

    private async Task ProbeAsync(CancellationToken ct)
    {
        foreach (var target in _targets)
        {
            string? error = await target.ProbeAsync(_probeTimeout, ct).ConfigureAwait(false);
            if (error is not null)
            {
                Down(target, error);
                return;
            }
        }
        if (_outage is { } ended)
        {
            _outage = null;
            // At the outage lines' level, so whoever saw them (stdout) sees the end too.
            _log.Warning("{0} is reachable again after {1} (unreachable since {2:HH:mm:ss} UTC); the node's storage works again{3}.",
                ended.Target.Name, Duration(DateTime.UtcNow - ended.SinceUtc), ended.SinceUtc, HeldBack());
        }
    }

    private void Down(Target target, string error)
    {
        var now = DateTime.UtcNow;
        var outage = _outage is { } current ? current with { Target = target, Error = error } : new DatabaseOutage(target, error, now, DateTime.MinValue);
        if (now - outage.ReportedUtc >= _reportInterval)
        {
            _log.Warning("{0}; retrying every {1}{2}.", outage.Describe(now), Duration(_probeInterval), HeldBack());
            outage = outage with { ReportedUtc = now };
        }
        _outage = outage;
    }

    /// <summary>How many storage errors were left off stdout since the last outage line (then none; a new interval begins).</summary>
    private string HeldBack()
    {
        long count = Interlocked.Exchange(ref _leftOffStdout, 0);
        lock (_keptThisInterval) _keptThisInterval.Clear();
        return count > 0
            ? string.Create(CultureInfo.InvariantCulture, $"; {count} storage errors it caused since the last such line were left off stdout (the log file keeps one of each kind)")
            : "";
    }

    /// <summary>Errors of the journal, snapshot store or durable queues that an unreachable database explains.</summary>
    private static bool IsStorageFailure(LogEvent e)
    {
        if (e.LogLevel() < LogLevel.WarningLevel) return false;
        if (e.LogSource.Contains("/system/akka.persistence.", StringComparison.Ordinal)) return true;
        for (var cause = e.Cause; cause is not null; cause = cause.InnerException)
            // Not socket errors in general: those of remoting (another node gone) must still show.
            if (cause is DbException or Akka.Persistence.RecoveryTimedOutException) return true;
        string template = e.GetTemplate();
        return template.Contains("Persistence failure", StringComparison.Ordinal) || template.Contains("LoadState failed", StringComparison.Ordinal)
            || template.Contains("durable queue", StringComparison.Ordinal);
    }

    internal static string Duration(TimeSpan t) =>
        t.TotalMinutes >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalMinutes} min") : string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalSeconds} s");

    /// <summary>A database the node stores in: what it holds, its connection string, and how it is shown (no password).</summary>
    public sealed class Target
    {
        private readonly string _connectionString = "";
        private readonly string? _invalid;

        public Target(string what, string connectionString)
        {
            NpgsqlConnectionStringBuilder parsed;
            try
            {
                parsed = new NpgsqlConnectionStringBuilder(connectionString);
            }
            catch (ArgumentException e)
            {
                // Reported by every probe rather than thrown: the extension is created inside the logger while Akka starts.
                Name = $"the {what} database";
                _invalid = $"its connection string is not valid ({e.Message}); give e.g. \"Host=db;Database=nrtcluster;Username=nrt;Password=...\"";
                return;
            }
            var shown = new NpgsqlConnectionStringBuilder { Host = parsed.Host, Port = parsed.Port, Database = parsed.Database, Username = parsed.Username };
            Name = $"the {what} database {shown.ConnectionString}{(string.IsNullOrEmpty(parsed.Password) ? "" : " (password hidden)")}";
            // A connection of its own each time: a pooled one could hide that new connections are refused.
            parsed.Pooling = false;
            _connectionString = parsed.ConnectionString;
        }

        /// <summary>e.g. the journal database Host=db;Port=5432;Database=nrtcluster;Username=nrt (password hidden).</summary>
        public string Name { get; }

        /// <summary>Opens a connection and asks for one row; null when it answered, else why not (for an operator).</summary>
        public async Task<string?> ProbeAsync(TimeSpan timeout, CancellationToken ct)
        {
            if (_invalid is not null) return _invalid;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(timeout);
            try
            {
                await using var connection = new NpgsqlConnection(_connectionString);
                await connection.OpenAsync(deadline.Token).ConfigureAwait(false);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(deadline.Token).ConfigureAwait(false);
                return null;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return $"no answer within {Duration(timeout)}";
            }
            catch (Exception e) when (e is DbException or SocketException or TimeoutException or InvalidOperationException)
            {
                return Reason(e);
            }
        }

        private static string Reason(Exception e) => e switch
        {
            PostgresException p => p.MessageText,
            { InnerException: SocketException s } => Reason(s),
            SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connection refused",
            SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData } => "host not found",
            SocketException s => s.Message,
            { InnerException: TimeoutException } or TimeoutException => "no answer in time",
            _ => e.Message,
        };
    }

    private sealed class Provider : ExtensionIdProvider<DatabaseHealth>
    {
        public override DatabaseHealth CreateExtension(ExtendedActorSystem system) => new(system);
    }
}

/// <summary>A database that does not answer: which, why, since when, and when the last line about it was written.</summary>
public sealed record DatabaseOutage(DatabaseHealth.Target Target, string Error, DateTime SinceUtc, DateTime ReportedUtc)
{
    /// <summary>e.g. the journal database Host=db;... (password hidden) is unreachable: connection refused (since 12:01:03 UTC, 3 min)</summary>
    public string Describe(DateTime nowUtc) =>
        $"{Target.Name} is unreachable: {Error} (since {SinceUtc:HH:mm:ss} UTC, {DatabaseHealth.Duration(nowUtc - SinceUtc)})";
}
