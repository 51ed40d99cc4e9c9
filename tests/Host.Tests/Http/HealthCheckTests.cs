using System.Net;
using System.Text.Json.Nodes;
using NrtCluster.Actors.Config;
using NrtCluster.Host.Http;
using NrtCluster.Host.Http.Reports;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Tests.Http;

/// <summary>
/// /healthz and /readyz of a running node's checks (<see cref="NodeHealth.ForNode"/>) over a real embedded actor system
/// (its single-node cluster, its SQLite file) and a real HTTP server on 127.0.0.1.
/// </summary>
public sealed class HealthCheckTests
{
    /// <summary>
    /// Ready, every check listed with its reason, while the SQLite file opens; not ready, naming the file, while it cannot be
    /// opened, and ready again once it is back; live until the actor system stops, then 503 saying so.
    /// </summary>
    [Fact]
    public async Task Readiness_follows_the_SQLite_file_and_liveness_the_actor_system()
    {
        using var folder = new TempFolder();
        var system = AkkaProfiles.Start(new NodeOptions(NodeProfile.Embedded, folder.Path) { Hostname = "127.0.0.1", Port = 0 });
        try
        {
            var reports = new ReportFolder(folder.Path);
            await using var server = await NodeServer.StartAsync(new NodeServerOptions(reports, new FileAlertFeed(reports), new FileNodeStatus(reports),
                "127.0.0.1", 0, null, Health: NodeHealth.ForNode(system, SingletonWatch.Start(system))));
            using var http = new HttpClient();

            // Degraded (also 200) until the journal, started by the first check, answers Akka's health check.
            var ready = await Eventually.Until(() => Read(http, server.BaseUrl + "/readyz"), r => (string?)r.Body["status"] == "Healthy", TimeSpan.FromSeconds(30),
                r => $"/readyz answered {(int)r.Status} {r.Body.ToJsonString()}");
            Assert.Equal(HttpStatusCode.OK, ready.Status);
            var checks = ready.Body["checks"]!.AsArray().ToDictionary(c => (string)c!["name"]!, c => (Status: (string)c!["status"]!, Reason: (string)c["reason"]!));
            Assert.Equal(["database", "draining", "member", "singletons"], checks.Keys.Order());
            var db = Path.Combine(folder.Path, "nrtcluster.db");
            Assert.Equal(("Healthy", $"the SQLite file {db} answers"), checks["database"]);
            Assert.Matches(@"^member akka\.tcp://nrtcluster@127\.0\.0\.1:\d+ is Up$", checks["member"].Reason);
            Assert.EndsWith("is not drained", checks["draining"].Reason);

            File.Move(db, db + ".away");
            var gone = await Read(http, server.BaseUrl + "/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, gone.Status);
            var reason = (string)gone.Body["checks"]!.AsArray().Single(c => (string)c!["name"]! == "database")!["reason"]!;
            Assert.StartsWith($"the SQLite file {db} cannot be opened: ", reason);
            File.Move(db + ".away", db);
            Assert.Equal(HttpStatusCode.OK, (await Read(http, server.BaseUrl + "/readyz")).Status);

            var live = await Read(http, server.BaseUrl + "/healthz");
            Assert.Equal(HttpStatusCode.OK, live.Status);
            Assert.Equal("actor-system", (string)live.Body["checks"]![0]!["name"]!);
            await system.Terminate();
            var dead = await Read(http, server.BaseUrl + "/healthz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, dead.Status);
            Assert.Contains("has stopped", (string)dead.Body["checks"]![0]!["reason"]!);
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static async Task<(HttpStatusCode Status, JsonNode Body)> Read(HttpClient http, string url)
    {
        using var response = await http.GetAsync(url);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }
}
