using System.Diagnostics;
using System.Text.Json.Nodes;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Tests.Cluster;
using Xunit.Abstractions;

namespace NrtCluster.Host.Tests.Deploy;

/// <summary>
/// The image and docker-compose.cluster.yml for real: the base images from scripts/offline-images (kept between runs), the
/// image from the Dockerfile (Docker's layer cache keeps a rebuild of unchanged sources short), PostgreSQL and three
/// nodes brought up with the file's secrets on a synthetic archive in the mounted project folder, driven from the host
/// through node 1's published port with the API token, one node container killed mid fast-forward, and the reports
/// compared with an embedded single-node run of the same archive on the host.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ComposeClusterTests(ITestOutputHelper output)
{
    /// <summary>Compose projects of this test are named with this prefix, so that a run can remove an aborted one's.</summary>
    private const string ProjectPrefix = "nrtctest";
    private const string Node1 = "http://127.0.0.1:8081";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);

    [DockerFact]
    public async Task The_compose_cluster_survives_a_killed_node_container_with_reports_identical_to_a_single_node_run()
    {
        var total = Stopwatch.StartNew();
        using var folder = new TempFolder();
        string composeProject = $"{ProjectPrefix}{Environment.ProcessId}";
        var environment = new Dictionary<string, string>
        {
            ["NRTC_PROJECT_DIR"] = Path.Combine(folder.Path, "project"),
            ["NRTC_SECRETS_DIR"] = Path.Combine(folder.Path, "secrets"),
        };
        var tool = DeployFiles.ComposeTool()!;
        (int, string, string) Compose(TimeSpan timeout, params string[] args) =>
            DeployFiles.Run(tool, timeout, environment, ["-p", composeProject, "-f", DeployFiles.ComposePath, .. args]);

        RemoveAbortedRuns(Compose);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
        Task reference = Task.CompletedTask;
        try
        {
            Step("scripts/offline-images", () => Shell(TimeSpan.FromMinutes(30), Path.Combine(DeployFiles.Root, "scripts", "offline-images")));
            Step("docker build (nrtcluster)", () => Shell(TimeSpan.FromMinutes(40), "docker", "build", "--network", "host", "-t", "nrtcluster", DeployFiles.Root));

            // The archive and two projects over it: the containers' (in the mounted folder, output in the shared volume) and the host's reference.
            var archiveFolder = Path.Combine(folder.Path, "project", "archive");
            var archive = SyntheticArchive.Generate(archiveFolder, ClusterFixture.Archive);
            ClusterFixture.WriteProject(Path.Combine(folder.Path, "reference"), archiveFolder, archive);
            ClusterFixture.WriteProject(Path.Combine(folder.Path, "project"), archiveFolder, archive);
            string containerProject = Path.Combine(folder.Path, "project", "project.conf");
            File.WriteAllText(containerProject, File.ReadAllText(containerProject)
                .Replace(archiveFolder, "/project/archive", StringComparison.Ordinal)
                .Replace("folder = \".\"", "folder = \"/output\"", StringComparison.Ordinal));
            // The nodes run as their own user: the project must be readable by others (temp folders are private).
            foreach (var dir in Directory.GetDirectories(folder.Path, "*", SearchOption.AllDirectories).Append(folder.Path))
                File.SetUnixFileMode(dir, File.GetUnixFileMode(dir) | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            // No secrets, no cluster: there is no default password to fall back on.
            var (refused, refusedOut, refusedErr) = Compose(CommandTimeout, "up", "-d", "--no-build");
            Assert.True(refused != 0 && (refusedOut + refusedErr).Contains(Path.Combine(environment["NRTC_SECRETS_DIR"], "postgres_password"), StringComparison.Ordinal),
                $"docker-compose up without the secret files: {refused}\n{refusedOut}{refusedErr}");
            Shell(TimeSpan.FromMinutes(1), Path.Combine(DeployFiles.Root, "scripts", "cluster-secrets"), environment["NRTC_SECRETS_DIR"]);
            string token = Path.Combine(environment["NRTC_SECRETS_DIR"], "api_token");

            var referenceProject = Path.Combine(folder.Path, "reference", "project.conf");
            reference = Task.Run(() =>
            {
                ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "fit", "--project", referenceProject), "reference fit");
                ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "fast-forward", "--project", referenceProject, "--to", $"{ClusterFixture.Archive.End:yyyy-MM-dd}"),
                    "reference fast-forward");
            });

            // up waits for the database and node 1 to be healthy (/readyz) before it starts nodes 2 and 3.
            Step("docker-compose up", () =>
            {
                var (code, stdout, stderr) = Compose(CommandTimeout, "up", "-d", "--no-build");
                Assert.True(code == 0, $"docker-compose up failed ({code}):\n{stdout}{stderr}\n{Logs(Compose)}");
            });
            await Eventually.Until(async () => await UpMembersAsync(http), n => n == 3, TimeSpan.FromMinutes(3),
                n => $"the cluster has {n} Up members, not 3:\n{Logs(Compose)}");
            output.WriteLine($"cluster up with 3 members after {total.Elapsed.TotalSeconds:F0} s");
            await reference;

            // The 2 x 2 tiles make one shard (nrtcluster.tiles.shard-block-size), first placed on node 1, which runs the jobs:
            // an operator's move (with the token) puts it on node 3, whose container is then killed.
            ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "shards", "move", "s0_0", "--to", "node3:4053", "--node", Node1, "--api-token-file", token),
                "shards move through node 1");
            await Eventually.Until(() => GetJsonAsync(http, "/api/cluster"), c => c["shards"]!.AsArray().All(s => ServiceOf(s!["node"]!.ToString()) == "node3"),
                TimeSpan.FromMinutes(2), c => $"the shards did not move to node3: {c}");
            var clock = Stopwatch.StartNew();
            ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "fit", "--node", Node1, "--api-token-file", token), "fit through node 1");
            using var fastForward = NrtcProcess.Start("fast-forward", "fast-forward", "--node", Node1, "--api-token-file", token,
                "--to", $"{ClusterFixture.Archive.End:yyyy-MM-dd}");

            // Once the tiles are under way (days applied, not all), node 3's container is killed.
            var days = archive.Scene.Acquisitions.Select(a => a.Date).Where(d => d > ClusterFixture.Archive.HistoryEnd).Distinct().Order().ToList();
            var status = await Eventually.Until(() => GetJsonAsync(http, "/api/tiles/status?days=true"),
                s => Applied(s) > 0, TimeSpan.FromMinutes(3), s => $"no tile applied a day: {s}\n{fastForward.Output}", () => fastForward.HasExited);
            const string victim = "node3";
            var (_, container, _) = Compose(TimeSpan.FromMinutes(1), "ps", "-q", victim);
            Shell(TimeSpan.FromMinutes(1), "docker", "kill", container.Trim());
            int appliedAtKill = Applied(status);
            Assert.True(appliedAtKill < 4 * days.Count && !fastForward.HasExited, $"the fast-forward had finished before {victim} was killed: {status}");
            output.WriteLine($"killed {victim} after {clock.Elapsed.TotalSeconds:F0} s, {appliedAtKill} of {4 * days.Count} tile-days applied");

            Assert.True(fastForward.WaitForExit(CommandTimeout), fastForward.Output);
            Assert.True(fastForward.ExitCode == 0, $"{fastForward.Output}\n{Logs(Compose)}");
            output.WriteLine($"fit + fast-forward through the cluster took {clock.Elapsed.TotalSeconds:F0} s");

            // Every tile applied every day after the history exactly once, in order, and none lags.
            var tiles = (await GetJsonAsync(http, "/api/tiles/status?days=true"))["tiles"]!.AsArray();
            Assert.Equal(4, tiles.Count);
            foreach (var t in tiles)
            {
                Assert.Equal(days, t!["days"]!.AsArray().Select(d => DateOnly.Parse(d!.ToString())));
                Assert.Equal(0, t["lagDays"]!.GetValue<int>());
            }

            // The reports in the shared volume are byte for byte the single-node run's.
            var copied = Path.Combine(folder.Path, "cluster-tiles");
            var (_, node1, _) = Compose(TimeSpan.FromMinutes(1), "ps", "-q", "node1");
            Shell(TimeSpan.FromMinutes(1), "docker", "cp", $"{node1.Trim()}:/output/tiles", copied);
            foreach (var tile in tiles.Select(t => t!["tile"]!.ToString()))
            {
                var expected = File.ReadAllBytes(Path.Combine(folder.Path, "reference", "tiles", tile, "report.tif"));
                var actual = File.ReadAllBytes(Path.Combine(copied, tile, "report.tif"));
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"tile {tile}: the compose cluster's report differs from the single-node run's");
            }
        }
        finally
        {
            await reference.ContinueWith(_ => { }, TaskScheduler.Default);
            Step("docker-compose down -v", () => Check(Compose(TimeSpan.FromMinutes(3), "down", "-v", "--remove-orphans"), "docker-compose down"));
            output.WriteLine($"whole test: {total.Elapsed.TotalSeconds:F0} s");
        }
    }

    /// <summary>Takes down the compose projects an aborted earlier run left (containers, network, volumes; they also hold the ports).</summary>
    private void RemoveAbortedRuns(Func<TimeSpan, string[], (int, string, string)> compose)
    {
        var (_, projects, _) = DeployFiles.Run(["docker"], TimeSpan.FromMinutes(1), new Dictionary<string, string>(),
            "ps", "-a", "--filter", "label=com.docker.compose.project", "--format", "{{.Label \"com.docker.compose.project\"}}");
        foreach (var stale in projects.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct()
                     .Where(p => p.StartsWith(ProjectPrefix, StringComparison.Ordinal)))
        {
            output.WriteLine($"removing {stale}, left by an aborted run");
            Check(DeployFiles.Run(DeployFiles.ComposeTool()!, TimeSpan.FromMinutes(3), new Dictionary<string, string>(),
                "-p", stale, "-f", DeployFiles.ComposePath, "down", "-v", "--remove-orphans"), $"docker-compose -p {stale} down");
        }
    }

    private void Step(string what, Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        output.WriteLine($"{what}: {clock.Elapsed.TotalSeconds:F0} s");
    }

    private static void Shell(TimeSpan timeout, string file, params string[] args) =>
        Check(DeployFiles.Run([file], timeout, new Dictionary<string, string>(), args), $"{file} {string.Join(' ', args)}");

    private static void Check((int ExitCode, string Stdout, string Stderr) run, string what) =>
        Assert.True(run.ExitCode == 0, $"{what} failed ({run.ExitCode}):\n{run.Stdout}\n{run.Stderr}");

    private static string Logs(Func<TimeSpan, string[], (int, string, string)> compose)
    {
        var (_, stdout, stderr) = compose(TimeSpan.FromMinutes(1), ["logs", "--no-color", "--tail", "40"]);
        return stdout + stderr;
    }

    private static async Task<int> UpMembersAsync(HttpClient http)
    {
        try
        {
            var cluster = await GetJsonAsync(http, "/api/cluster");
            return cluster["members"]!.AsArray().Count(m => m!["status"]!.ToString() == "Up");
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    private static async Task<JsonObject> GetJsonAsync(HttpClient http, string path) => JsonNode.Parse(await http.GetStringAsync(Node1 + path))!.AsObject();

    private static int Applied(JsonObject status) => status["tiles"]!.AsArray().Sum(t => t!["days"]!.AsArray().Count);

    /// <summary>The compose service of a node's Akka address (akka.tcp://nrtcluster@node2:4053 is node2).</summary>
    private static string ServiceOf(string address) => address[(address.LastIndexOf('@') + 1)..address.LastIndexOf(':')];
}
