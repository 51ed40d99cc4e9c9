using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Cluster;
using Akka.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using NrtCluster.Actors.Cluster;
using NrtCluster.Actors.Tiles;
using NrtCluster.Host.Http.Reports;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Http;

/// <summary>
/// The node's liveness (<c>/healthz</c>) and readiness (<c>/readyz</c>) as ASP.NET Core health checks: each path runs the
/// checks tagged for it and answers 200 while none is Unhealthy, else 503, with a JSON body naming every check, its status
/// and the reason (<c>{"status":"Unhealthy","checks":[{"name":"database","status":"Unhealthy","reason":"..."}]}</c>).
/// A running node (<see cref="ForNode"/>) is live while its actor system runs, and ready while its journal and snapshot
/// store database answers, it is an Up member, it is not drained, and its poller and report aggregator run; a node that
/// serves a folder (<see cref="ForFolder"/>) is ready once the folder holds tile reports.
/// </summary>
public static class NodeHealth
{
    public const string Live = "live";
    public const string Ready = "ready";

    /// <summary>Longest a check may take before it counts as failed (a database that does not answer is reported sooner, by its own timeout).</summary>
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Registers <paramref name="checks"/> with the web app's services.</summary>
    public static void AddTo(IServiceCollection services, IEnumerable<HealthCheckRegistration> checks)
    {
        var builder = services.AddHealthChecks();
        foreach (var check in checks) builder.Add(check);
    }

    /// <summary>Maps <c>/healthz</c> (the checks tagged <see cref="Live"/>) and <c>/readyz</c> (tagged <see cref="Ready"/>).</summary>
    public static void Map(WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = r => r.Tags.Contains(Live), ResponseWriter = WriteJson });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = r => r.Tags.Contains(Ready), ResponseWriter = WriteJson });
    }

    /// <summary>The checks of a node that only serves an output folder (<c>nrtc serve</c>): ready once it holds tile reports.</summary>
    public static IReadOnlyList<HealthCheckRegistration> ForFolder(ReportFolder folder) => [Check("reports", Ready, new ReportsCheck(folder))];

    /// <summary>The checks of a running node (<c>nrtc run</c>, either profile).</summary>
    public static IReadOnlyList<HealthCheckRegistration> ForNode(ActorSystem system, SingletonWatch singletons) =>
    [
        Check("actor-system", Live, new ActorSystemCheck(system)),
        Check("database", Ready, new DatabaseCheck(system)),
        Check("member", Ready, new MemberCheck(system)),
        Check("draining", Ready, new DrainCheck(system)),
        Check("singletons", Ready, new SingletonsCheck(singletons)),
    ];

    private static HealthCheckRegistration Check(string name, string tag, IHealthCheck check) =>
        new(name, check, HealthStatus.Unhealthy, [tag], CheckTimeout);

    private static Task WriteJson(HttpContext context, HealthReport report)
    {
        var checks = new JsonArray([.. report.Entries.Select(e => (JsonNode)new JsonObject
        {
            ["name"] = e.Key,
            ["status"] = e.Value.Status.ToString(),
            ["reason"] = e.Value.Description ?? e.Value.Exception?.Message,
        })]);
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(new JsonObject { ["status"] = report.Status.ToString(), ["checks"] = checks }.ToJsonString());
    }

    private sealed class ReportsCheck(ReportFolder folder) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var s = folder.Current();
            return Task.FromResult(s.Tiles.Count > 0
                ? HealthCheckResult.Healthy($"{s.Tiles.Count} tile reports")
                : HealthCheckResult.Unhealthy($"No tile reports (GeoTIFFs with bands '{ReportFolder.MaskBandName}' and '{ReportFolder.DateBandName}') in '{Path.Combine(s.Folder, ReportFolder.TilesFolder)}' yet."));
        }
    }

    /// <summary>Live while the actor system runs: once it has stopped (the node was downed, or left) the process serves only stale answers.</summary>
    private sealed class ActorSystemCheck(ActorSystem system) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(system.WhenTerminated.IsCompleted
                ? HealthCheckResult.Unhealthy($"the actor system {system.Name} has stopped (the node left the cluster or was downed); restart the node")
                : HealthCheckResult.Healthy($"the actor system {system.Name} runs"));
    }

    /// <summary>
    /// The journal and snapshot store database. PostgreSQL: what <see cref="DatabaseHealth"/> last found (it probes with a
    /// fresh connection every probe-interval and logs the outages). SQLite (embedded): the file is opened now. Then Akka's
    /// own journal and snapshot-store health checks, which report their circuit breakers (open after repeated failures: writes
    /// are refused for a while) as Degraded. Akka.Persistence.Sql.Hosting offers these checks only for an actor system started
    /// by Akka.Hosting from the web app's services; this node starts its own, so they are asked through the same
    /// Akka.Persistence calls directly. They alone would not do: a breaker stays closed while an idle node's database is down.
    /// </summary>
    private sealed class DatabaseCheck(ActorSystem system) : IHealthCheck
    {
        private static readonly TimeSpan AkkaTimeout = TimeSpan.FromSeconds(3);

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var health = DatabaseHealth.Get(system);
            if (health.Outage is { } outage) return HealthCheckResult.Unhealthy(outage.Describe(DateTime.UtcNow));
            string database = health.Targets.Count > 0 ? string.Join("; ", health.Targets.Select(t => t.Name)) : "the node's database";
            if (SqliteFile() is { } file)
            {
                database = $"the SQLite file {file}";
                if (await OpenSqliteAsync(file, cancellationToken).ConfigureAwait(false) is { } error)
                    return HealthCheckResult.Unhealthy($"{database} cannot be opened: {error}; check that it exists and is writable (nrtcluster.storage.sqlite-file, else the output folder)");
            }
            var persistence = Persistence.Instance.Apply(system);
            var journal = await AskAsync("journal", ct => persistence.CheckJournalHealthAsync("", ct), cancellationToken).ConfigureAwait(false);
            var snapshots = await AskAsync("snapshot store", ct => persistence.CheckSnapshotStoreHealthAsync("", ct), cancellationToken).ConfigureAwait(false);
            var degraded = new[] { journal, snapshots }.OfType<string>().ToArray();
            return degraded.Length > 0
                ? HealthCheckResult.Degraded($"{database} answers, but {string.Join("; ", degraded)}")
                : HealthCheckResult.Healthy($"{database} answers");
        }

        /// <summary>The SQLite file of an embedded node's journal; null on PostgreSQL.</summary>
        private string? SqliteFile()
        {
            var config = system.Settings.Config;
            if (!config.GetString("akka.persistence.journal.sql.provider-name", "").StartsWith("SQLite", StringComparison.OrdinalIgnoreCase)) return null;
            return new SqliteConnectionStringBuilder(config.GetString("akka.persistence.journal.sql.connection-string", "")).DataSource;
        }

        /// <summary>Opens the file (without creating it) and reads its schema; null when that worked, else why not.</summary>
        private static async Task<string?> OpenSqliteAsync(string file, CancellationToken ct)
        {
            var builder = new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadWrite, Pooling = false };
            try
            {
                await using var connection = new SqliteConnection(builder.ConnectionString);
                await connection.OpenAsync(ct).ConfigureAwait(false);
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT count(*) FROM sqlite_master";
                await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
                return null;
            }
            catch (SqliteException e)
            {
                return e.Message;
            }
        }

        /// <summary>Akka's health check of one plugin: null when Healthy, else what it says.</summary>
        private static async Task<string?> AskAsync(string plugin, Func<CancellationToken, Task<PersistenceHealthCheckResult>> check, CancellationToken ct)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(AkkaTimeout);
            try
            {
                var result = await check(deadline.Token).ConfigureAwait(false);
                return result.Status == PersistenceHealthStatus.Healthy ? null : $"the {plugin} reports {result.Status}: {result.Description}";
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return $"the {plugin} did not answer its health check within {DatabaseHealth.Duration(AkkaTimeout)}";
            }
        }
    }

    /// <summary>Ready once this node is an Up member: it then hosts shards and answers the control endpoints (embedded: its one-node cluster is Up).</summary>
    private sealed class MemberCheck(ActorSystem system) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var self = Cluster.Get(system).SelfMember;
            return Task.FromResult(self.Status == MemberStatus.Up
                ? HealthCheckResult.Healthy($"member {self.Address} is Up")
                : HealthCheckResult.Unhealthy($"member {self.Address} is {self.Status}, not Up (joining the seed nodes, or leaving)"));
        }
    }

    /// <summary>
    /// Not ready while drained (<c>nrtc shards drain</c>): the shard placement, replicated to every node, then moves this
    /// node's tile shards away and places none on it, so a load balancer should send it no work either.
    /// </summary>
    private sealed class DrainCheck(ActorSystem system) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var self = Cluster.Get(system).SelfAddress;
            return Task.FromResult(ShardPlacement.Get(system).Current(TileSharding.TypeName).IsDrained(self.ToString())
                ? HealthCheckResult.Unhealthy($"draining: {self} is drained, its tile shards move to the other nodes; 'nrtc shards undrain {self.Host}:{self.Port} --node URL' takes it back")
                : HealthCheckResult.Healthy($"{self} is not drained"));
        }
    }

    /// <summary>Ready while the poller and the report aggregator run (not while starting, restarting or not answering).</summary>
    private sealed class SingletonsCheck(SingletonWatch watch) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var down = watch.States.Where(s => !s.Running).Select(s => s.Text).ToArray();
            return Task.FromResult(down.Length > 0
                ? HealthCheckResult.Unhealthy(string.Join("; ", down))
                : HealthCheckResult.Healthy(string.Join("; ", watch.States.Select(s => s.Text))));
        }
    }
}
