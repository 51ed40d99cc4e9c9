using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace NrtCluster.Host.Tests.Cluster;

/// <summary>
/// Three node processes on loopback sharing a real PostgreSQL (see <see cref="ClusterFixture"/>), driven only through the
/// command line and the nodes' HTTP control endpoints, compared with a single-node SQLite run over the same archive.
/// </summary>
public sealed class ThreeNodeClusterTests(ClusterFixture cluster, ITestOutputHelper output) : IClassFixture<ClusterFixture>
{
    private string Url1 => cluster.NodeUrl(0);

    [Fact]
    public Task A_node_stopped_mid_fast_forward_hands_its_tiles_over_and_every_report_equals_the_single_node_run() => FastForwardLosingANodeAsync(kill: false);

    /// <summary>
    /// SIGKILL: the node's in-flight days are lost; the split-brain resolver downs it after stable-after (5 s here), its
    /// shards restart elsewhere from PostgreSQL, and the job sends the unanswered days again.
    /// </summary>
    [Fact]
    public Task A_node_killed_mid_fast_forward_is_downed_and_its_tiles_resume_elsewhere_with_identical_reports() => FastForwardLosingANodeAsync(kill: true);

    /// <summary>
    /// Refits every tile (monitoring restarts), fast-forwards through node 1 with the images of one day a fifth of the way held
    /// by the archive, and once a tile of another node has applied the days before it and waits on that day, stops (SIGTERM)
    /// or kills (SIGKILL) that node and lets the archive answer; then checks every tile's days and report against the single-node run, and restarts the node.
    /// </summary>
    private async Task FastForwardLosingANodeAsync(bool kill)
    {
        await cluster.WaitForMembersAsync(3, TimeSpan.FromSeconds(90));
        ClusterFixture.Succeed(Nrtc.RunWithin(ClusterFixture.CommandTimeout, "fit", "--replace", "--node", Url1), "refit through node 1");
        var placement = await cluster.GetJsonAsync(Url1, "/api/cluster");
        var holders = placement["shards"]!.AsArray().Select(s => s!["node"]!.ToString()).ToHashSet();
        Assert.True(holders.Count > 1, $"the shards are not spread over the nodes: {placement}");

        var days = cluster.MonitoringDays;
        int gate = days.Count / 5;
        var gateImages = $"_MSIL2A_{days[gate]:yyyyMMdd}T";
        using var hold = cluster.ArchiveFiles.Hold(path => path.EndsWith(".tif", StringComparison.Ordinal) && path.Contains(gateImages, StringComparison.Ordinal));
        var clock = Stopwatch.StartNew();
        using var fastForward = NrtcProcess.Start("fast-forward", "fast-forward", "--node", Url1, "--to", $"{ClusterFixture.Archive.End:yyyy-MM-dd}");

        // Tiles apply their days in order, so a node (not node 1, which runs the job) whose read of the held day's images
        // waits holds a tile that has applied exactly the days before it, and no tile gets past it: that node is stopped.
        // (A tile in the middle of a day does not answer status queries, so the archive, not the status, tells.)
        var victim = (await Eventually.Until(() => Task.FromResult(cluster.Nodes.Skip(1).Reverse().FirstOrDefault(n => cluster.ArchiveFiles.HasHeld(n.UserAgent))),
            node => node is not null, TimeSpan.FromSeconds(120),
            _ => $"no node but node 1 came to read the images of {days[gate]:yyyy-MM-dd} (day {gate + 1} of {days.Count}):\n{fastForward.Output}",
            () => fastForward.HasExited))!;
        var victimShards = (await cluster.GetJsonAsync(Url1, "/api/cluster"))["shards"]!.AsArray()
            .Where(s => s!["node"]!.ToString() == victim.Address).Select(s => s!["shard"]!.ToString()).ToList();
        if (kill)
        {
            victim.Process!.Kill();
            cluster.ArchiveFiles.Release();
        }
        else
        {
            // The node lets its tiles finish the day in hand before it leaves: the archive answers once it is told to stop.
            victim.Process!.Terminate();
            cluster.ArchiveFiles.Release();
            Assert.True(victim.Process.WaitForExit(TimeSpan.FromSeconds(90)), $"node {victim.Number} did not stop on SIGTERM: {victim.Process.Output}");
            Assert.True(victim.Process.ExitCode == 0, victim.Process.Output);
            Assert.Contains("run: stopped", victim.Process.Output);
        }
        output.WriteLine($"{(kill ? "killed" : "stopped")} node {victim.Number} ({string.Join(", ", victimShards)}) at day {gate + 1} of {days.Count} ({days[gate]:yyyy-MM-dd}), {clock.Elapsed.TotalSeconds:F0} s in");

        Assert.True(fastForward.WaitForExit(TimeSpan.FromMinutes(3)), fastForward.Output);
        Assert.True(fastForward.ExitCode == 0, fastForward.Output);
        output.WriteLine($"fast-forward finished in {clock.Elapsed.TotalSeconds:F0} s; reference (embedded, fit + fast-forward) {cluster.ReferenceRun.TotalSeconds:F0} s");
        foreach (var line in cluster.NodeLog(cluster.Nodes[0]).Where(l => l.Contains("attempt", StringComparison.Ordinal)).TakeLast(3))
            output.WriteLine("node 1 log: " + line);

        // Every tile applied every solar day after the history exactly once, in order, wherever it ran.
        var final = await cluster.GetJsonAsync(Url1, "/api/tiles/status?days=true");
        var finalTiles = final["tiles"]!.AsArray();
        Assert.Equal(4, finalTiles.Count);
        foreach (var t in finalTiles)
        {
            Assert.Equal(days, t!["days"]!.AsArray().Select(d => DateOnly.Parse(d!.ToString())));
            Assert.NotEqual(victim.Address, t["node"]?.ToString());
            Assert.Equal(0, t["lagDays"]!.GetValue<int>());
        }

        // The cluster's reports are byte for byte the single-node run's.
        foreach (var tile in finalTiles.Select(t => t!["tile"]!.ToString()))
        {
            var reference = File.ReadAllBytes(Path.Combine(cluster.ReferenceFolder, "tiles", tile, "report.tif"));
            var clustered = File.ReadAllBytes(Path.Combine(cluster.ClusterFolder, "tiles", tile, "report.tif"));
            Assert.True(reference.AsSpan().SequenceEqual(clustered), $"tile {tile}: the cluster's report differs from the single-node run's");
        }

        // The node comes back on the same address and rejoins (after a kill, once its old incarnation is downed).
        cluster.Start(victim);
        await cluster.WaitForMembersAsync(3, TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task Shards_and_status_show_the_cluster_and_a_move_or_a_drain_within_seconds()
    {
        await cluster.WaitForMembersAsync(3, TimeSpan.FromSeconds(90));
        var nodes = cluster.Nodes;

        // A node restarted by another test may still be receiving shards (a rebalance round every 2 s): the listing and the
        // view are read again until they were read between the same two rounds.
        var (shards, listing) = await Eventually.Until(async () =>
            {
                var view = await cluster.GetJsonAsync(Url1, "/api/cluster");
                List<(string Shard, string Node)> shards = [.. view["shards"]!.AsArray().Select(s => (Shard: s!["shard"]!.ToString(), Node: s["node"]!.ToString()))];
                var (code, listing) = Nrtc.RunWithin(ClusterFixture.CommandTimeout, "shards", "--node", cluster.NodeUrl(1));
                Assert.True(code == 0, listing);
                return (Shards: shards, Listing: listing);
            }, read => read.Shards.All(s => Regex.IsMatch(read.Listing, ShardRow(s.Shard, HostPort(s.Node)))), TimeSpan.FromSeconds(30),
            read => $"nrtc shards never showed the shards where /api/cluster has them:\n{read.Listing}");
        foreach (var n in nodes) Assert.Matches($@"{Regex.Escape(n.HostPort)}\s*│\s*Up\b", listing);
        Assert.Equal(["s0_0", "s0_1", "s1_0", "s1_1"], shards.Select(s => s.Shard));

        // Move a shard to another node.
        var (moved, from) = shards[0];
        var to = nodes.First(n => n.Address != from);
        var (moveCode, moveOutput) = Nrtc.RunWithin(ClusterFixture.CommandTimeout, "shards", "move", moved, "--to", to.HostPort, "--node", Url1);
        Assert.True(moveCode == 0, moveOutput);
        await ShardsShowAsync(o => Regex.IsMatch(o, ShardRow(moved, to.HostPort)), $"{moved} on {to.HostPort}");

        // Drain another node: its shards leave it; undrain it.
        var drained = nodes.First(n => n != to);
        var (drainCode, drainOutput) = Nrtc.RunWithin(ClusterFixture.CommandTimeout, "shards", "drain", drained.HostPort, "--node", Url1);
        Assert.True(drainCode == 0, drainOutput);
        await ShardsShowAsync(o => Regex.IsMatch(o, $@"{Regex.Escape(drained.HostPort)}\s*│\s*Up\s*│\s*yes\s*│\s*tiles\s*│\s*DRAINED\s*│\s*0\s")
                                   && !Regex.IsMatch(o, $@"s\d+_\d+\s*│\s*{Regex.Escape(drained.HostPort)}"), $"{drained.HostPort} drained and empty");
        // A drained node is not ready (a load balancer sends it nothing), saying why, and stays live.
        var (_, notReady) = await Node.DatabaseOutageTests.WaitForReadinessAsync(cluster.Http, drained.HttpUrl, HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(10), drained.Process!);
        Assert.Contains($"draining: {drained.Address} is drained", notReady);
        Assert.Equal(HttpStatusCode.OK, (await cluster.Http.GetAsync(drained.HttpUrl + "/healthz")).StatusCode);
        var (undrainCode, undrainOutput) = Nrtc.RunWithin(ClusterFixture.CommandTimeout, "shards", "undrain", drained.HostPort, "--node", Url1);
        Assert.True(undrainCode == 0, undrainOutput);
        await ShardsShowAsync(o => !o.Contains("DRAINED", StringComparison.Ordinal), "no drained node");
        await Node.DatabaseOutageTests.WaitForReadinessAsync(cluster.Http, drained.HttpUrl, HttpStatusCode.OK, TimeSpan.FromSeconds(10), drained.Process!);

        // status through a node: every tile, its holder and last day as the tiles report them.
        var tiles = (await cluster.GetJsonAsync(Url1, "/api/tiles/status"))["tiles"]!.AsArray();
        var (statusCode, status) = Nrtc.RunWithin(ClusterFixture.CommandTimeout, "status", "--node", cluster.NodeUrl(2));
        Assert.True(statusCode == 0, status);
        Assert.Equal(4, tiles.Count);
        foreach (var t in tiles)
            Assert.Matches($@"{Regex.Escape(t!["tile"]!.ToString())}\s*│\s*{t["shard"]}\s*│[^│]*│\s*#\d+[^│]*│\s*{Regex.Escape(t["lastDay"]?.ToString() ?? "-")}\s*│", status);

        // A node that is not there is named, with what to do.
        var (downCode, down) = Nrtc.RunWithin(ClusterFixture.CommandTimeout, "shards", "--node", "http://127.0.0.1:9");
        Assert.Equal(1, downCode);
        Assert.Contains("cannot reach the node at http://127.0.0.1:9", down);
        Assert.Contains("nrtc run", down);
    }

    private static string HostPort(string address) => address[(address.LastIndexOf('@') + 1)..];

    private static string ShardRow(string shard, string hostPort) => $@"{Regex.Escape(shard)}\s*│\s*{Regex.Escape(hostPort)}\s*│";

    /// <summary>Runs <c>nrtc shards</c> until its output shows what is expected (moves apply at the next rebalance round, every 2 s here).</summary>
    private async Task ShardsShowAsync(Func<string, bool> expected, string what)
    {
        var clock = Stopwatch.StartNew();
        await Eventually.Until(() => Task.FromResult(Nrtc.RunWithin(ClusterFixture.CommandTimeout, "shards", "--node", Url1)),
            run => run.ExitCode == 0 && expected(run.Output), TimeSpan.FromSeconds(30),
            run => $"'nrtc shards' did not show {what} within 30 s:\n{run.Output}");
        output.WriteLine($"shards showed {what} after {clock.Elapsed.TotalSeconds:F1} s");
    }
}
