using System.CommandLine;
using System.Runtime.InteropServices;
using NrtCluster.Actors.Config;
using NrtCluster.Host.Http;
using NrtCluster.Host.Node;
using NrtCluster.Host.Http.Reports;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc run [--project FILE] [--profile embedded|cluster] [--hostname H] [--port P] [--seed URL]... [--postgres-file FILE] [--hocon FILE] [--http-port P]
/// [--api-token-file FILE] [--insecure] [--allowed-host NAME]...</c>:
/// a long-running node: cluster per the profile, tile shards, the STAC poller and report aggregator singletons, and HTTP
/// (WMS, alert feed, status, and the control endpoints the fit, fast-forward, status and shards verbs use with --node).
/// Ctrl+C or SIGTERM stops it gracefully: the node leaves the cluster and hands its shards over first. A cluster node probes
/// its PostgreSQL (<see cref="DatabaseHealth"/>): one line a minute says why while it is unreachable. /readyz is 503 while the
/// database is unreachable, the node is not an Up member, it is drained, or the poller or the report aggregator is not running
/// (<see cref="SingletonWatch"/>), e.g. restarting after its journal failed; /healthz is 503 once its actor system stopped
/// (<see cref="NodeHealth"/>).
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var project = NodeCli.ProjectOption();
        var profile = new Option<NodeProfile>("--profile") { Description = "embedded (one node, SQLite in the output folder) or cluster (PostgreSQL)", DefaultValueFactory = _ => NodeProfile.Embedded };
        var hostname = new Option<string?>("--hostname") { Description = "Address other nodes reach this one at (cluster)" };
        var port = new Option<int?>("--port") { Description = "Akka remoting port (cluster; 0 picks a free one)" };
        var seeds = new Option<string[]>("--seed") { Description = "Seed node address, e.g. akka.tcp://nrtcluster@10.0.0.1:4053 (repeat for several)", AllowMultipleArgumentsPerToken = true };
        var postgres = NodeCli.PostgresOptions.Create();
        var hocon = new Option<FileInfo?>("--hocon") { Description = "Extra Akka settings (HOCON file) applied over the profile, e.g. split-brain or rebalance timings" };
        var httpHost = new Option<string>("--http-host") { Description = "Address the HTTP server listens on", DefaultValueFactory = _ => "127.0.0.1" };
        var httpPort = new Option<int>("--http-port") { Description = "HTTP port (0 picks a free one)", DefaultValueFactory = _ => 8080 };
        var command = new Command("run", "Run a node: tile shards, STAC poller and report aggregator singletons, HTTP (WMS, alert feed, status). Ctrl+C stops.");
        foreach (var o in new Option[] { project, profile, hostname, port, seeds, postgres.Inline, postgres.File, hocon, httpHost, httpPort }) command.Options.Add(o);
        foreach (var o in new Option[] { NodeCli.ApiTokenFileOption(), NodeCli.InsecureOption(), NodeCli.AllowedHostOption() }) command.Options.Add(o);
        var tls = NodeCli.AddTlsOptions(command);
        command.SetAction(async (parseResult, ct) =>
        {
            var file = parseResult.GetValue(project)!;
            if (NodeCli.NodeApiAccess("run", parseResult, parseResult.GetValue(httpHost)!) is not { } access) return 1;
            if (NodeCli.Load("run", file) is not { } config) return 1;
            string? extra = null;
            if (parseResult.GetValue(hocon) is { } hoconFile && (extra = NodeCli.ReadHocon("run", hoconFile)) is null) return 1;
            if (!postgres.TryGet("run", parseResult, out var connection)) return 1;
            return await NodeCli.GuardAsync("run", file, async () =>
            {
                var seedList = parseResult.GetValue(seeds);
                var options = new NodeOptions(parseResult.GetValue(profile), config.OutputFolder)
                {
                    Hostname = parseResult.GetValue(hostname) ?? "127.0.0.1",
                    Port = parseResult.GetValue(port) ?? 0,
                    SeedNodes = seedList is { Length: > 0 } ? seedList : null,
                    PostgresConnectionString = connection,
                    // Job retries and member changes are worth seeing on a long-running node's stdout (docker logs); the file may change it.
                    ExtraHocon = "nrtcluster.logging.stdout-level = WARNING\n" + extra,
                };
                options = NodeCli.WithTls(options, parseResult, tls);
                // Ctrl+C and SIGTERM stop the node gracefully. The handler holds the signal until the node has left, so neither the
                // command-line library (which ends the process 2 s after a signal) nor the web host's console lifetime cuts the
                // hand-off short; handlers registered later run first.
                var signalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                void Graceful(PosixSignalContext context)
                {
                    context.Cancel = true;
                    signalled.TrySetResult();
                    stopped.Task.Wait(TimeSpan.FromMinutes(3));
                }
                using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Graceful);
                using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Graceful);
                var node = ProjectNode.Start(config, options);
                try
                {
                    var poller = node.StartPoller();
                    var singletons = SingletonWatch.Start(node.System,
                        (Actors.Poller.StacPollerSingleton.Name, poller), (Actors.Reports.ReportAggregatorSingleton.Name, node.Reports));
                    var folder = new ReportFolder(config.OutputFolder);
                    var control = new ClusterControl(node, singletons);
                    await using var server = await NodeServer.StartAsync(new NodeServerOptions(folder, new FileAlertFeed(folder),
                        new ClusterNodeStatus(control, new FileNodeStatus(folder)), parseResult.GetValue(httpHost)!, parseResult.GetValue(httpPort),
                        NodeServer.LocateWebRoot(), control, Renders: Http.Wms.RenderLimits.FromConfig(node.System.Settings.Config),
                        Health: NodeHealth.ForNode(node.System, singletons), Access: access,
                        TileCacheBytes: Http.Tiles.TileCache.BytesFromConfig(node.System.Settings.Config)), ct);
                    Console.WriteLine($"run: node {Akka.Cluster.Cluster.Get(node.System).SelfAddress} for project '{config.Name}', polling every {config.PollInterval}; " +
                                      $"HTTP {server.BaseUrl} (WMS {server.WmsUrl}); log {node.Log.Path}; Ctrl+C stops");
                    node.Log.Write("run", $"http={server.BaseUrl} poll_interval={config.PollInterval}");
                    // A verb refused for this node's output folder points at it.
                    node.Ownership?.AnnounceHttp(server.BaseUrl);
                    using (ct.Register(() => signalled.TrySetResult()))
                        await Task.WhenAny(signalled.Task, node.System.WhenTerminated);
                    // Akka stopped the node by itself (a failed TLS handshake, downed by the split-brain resolver): end, saying why.
                    if (!signalled.Task.IsCompleted)
                    {
                        Console.Error.WriteLine($"run: the node stopped: {Akka.Actor.CoordinatedShutdown.Get(node.System).ShutdownReason}; see its log {node.Log.Path}");
                        return 1;
                    }
                    Console.WriteLine("run: stopping (leaving the cluster, handing off shards)");
                    node.Log.Write("run", "stopping");
                }
                finally
                {
                    // Akka's coordinated shutdown: the node leaves and its shards are handed off to the other nodes.
                    await node.DisposeAsync();
                    Console.WriteLine("run: stopped");
                    stopped.TrySetResult();
                }
                return 0;
            });
        });
        return command;
    }
}
