using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using NrtCluster.Host.Node;
using NrtCluster.Host.Tests.Cluster;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// One process at a time uses a project's embedded state: a second nrtc on the same output folder is refused at once,
/// naming the holder, and writes nothing; the lock of a killed process does not block. <c>nrtc</c> as real processes on a
/// tiny synthetic archive (real GDAL, SQLite, Akka).
/// </summary>
public sealed partial class ProjectLockTests
{
    private static readonly TimeSpan CommandTimeout = QuarantineTests.CommandTimeout;


    /// <summary>
    /// Beside a running embedded node, fast-forward, fit --replace and status each exit 1 within seconds naming the node's
    /// pid, command and URL, without writing state; once the node stopped, fast-forward runs.
    /// </summary>
    [Fact]
    public async Task SecondProcessIsRefusedNamingTheHolderAndWritesNothing()
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-lock-").FullName;
        try
        {
            var project = RerunTests.WriteProject(folder);
            var output = Path.GetDirectoryName(project)!;
            ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "fit", "--project", project), "fit");

            using var node = NrtcProcess.Start("run", "run", "--project", project, "--http-port", "0");
            var url = await node.WaitForHttpAddressAsync(CommandTimeout);
            await WaitForHolderAsync(output, node.Id, url);
            var state = Path.Combine(output, StateFingerprint.FileName);
            var stateBefore = (File.ReadAllText(state), File.GetLastWriteTimeUtc(state));
            var startsBefore = NodeStarts(output);

            foreach (var args in new[] { new[] { "fast-forward" }, ["fit", "--replace"], ["status"] })
            {
                var clock = Stopwatch.StartNew();
                var (code, refused) = Nrtc.RunWithin(CommandTimeout, [.. args, "--project", project]);
                Assert.True(code == 1, refused);
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"{clock.Elapsed}: {refused}");
                Assert.Contains($"{args[0]}: {project}: {output} is in use by process {node.Id} ('nrtc run --project {project} --http-port 0', since ", refused);
                Assert.Contains($"send the command to that node with --node {url}", refused);
                Assert.DoesNotContain("   at ", refused);
                Assert.Equal(stateBefore, (File.ReadAllText(state), File.GetLastWriteTimeUtc(state)));
                Assert.Equal(startsBefore, NodeStarts(output));
                await WaitForHolderAsync(output, node.Id, url);
            }

            node.Terminate();
            Assert.True(node.WaitForExit(CommandTimeout), node.Output);
            var (after, fastForward) = Nrtc.RunWithin(CommandTimeout, "fast-forward", "--project", project);
            Assert.True(after == 0, fastForward);
            Assert.Contains("tiles, 0 failed", fastForward);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// The lock of a node killed with SIGKILL is free: it is taken over and the holder file names the new holder; while
    /// held, it is refused (naming the holder) also within one process; disposed, it is free again.
    /// </summary>
    [Fact]
    public async Task LockOfAKilledProcessIsTakenOver()
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-lock-").FullName;
        try
        {
            var project = RerunTests.WriteProject(folder);
            var output = Path.GetDirectoryName(project)!;
            using (var node = NrtcProcess.Start("run", "run", "--project", project, "--http-port", "0"))
            {
                var url = await node.WaitForHttpAddressAsync(CommandTimeout);
                await WaitForHolderAsync(output, node.Id, url);
                Assert.Throws<ProjectLockedException>(() => ProjectLock.Acquire(output, "test"));
                node.Kill();
            }

            using (ProjectLock.Acquire(output, "test"))
            {
                var holder = Holder(output);
                Assert.Equal((Environment.ProcessId, "test", null), (holder.Pid, holder.Command, holder.Http));
                var refused = Assert.Throws<ProjectLockedException>(() => ProjectLock.Acquire(output, "other"));
                Assert.Equal((Environment.ProcessId, "test"), (refused.Holder?.Pid, refused.Holder?.Command));
                Assert.Contains($"{output} is in use by process {Environment.ProcessId} ('test', since ", refused.Message);
                Assert.Contains("wait for it to finish, or send the command to a running 'nrtc run' node with --node URL", refused.Message);
            }
            Assert.False(File.Exists(Path.Combine(output, ProjectLock.HolderFileName)));
            using (ProjectLock.Acquire(output, "again"))
                Assert.Equal("again", Holder(output).Command);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A demo aimed at a folder another process holds is refused before it generates or deletes anything there.</summary>
    [Fact]
    public void DemoIsRefusedOnAHeldFolderBeforeItWritesAnything()
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-lock-demo-").FullName;
        try
        {
            using (ProjectLock.Acquire(folder, "test"))
            {
                var (code, output) = Nrtc.RunWithin(CommandTimeout, "demo", "--out", folder, "--size", "40", "--end", "2022-02-28");
                Assert.True(code == 1, output);
                Assert.Contains($"{folder} is in use by process {Environment.ProcessId} ('test', since ", output);
                Assert.Equal([ProjectLock.HolderFileName, ProjectLock.FileName],
                    Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Waits until the holder file names <paramref name="pid"/> with its HTTP URL (written once the node serves).</summary>
    private static Task WaitForHolderAsync(string output, int pid, string url) =>
        Eventually.Until(() => Task.FromResult(Holder(output)), h => h.Pid == pid && h.Http == url, TimeSpan.FromSeconds(30),
            h => $"the holder file names {h} instead of pid {pid} with {url}");

    private static (int Pid, string? Command, string? Http) Holder(string output)
    {
        var path = Path.Combine(output, ProjectLock.HolderFileName);
        if (!File.Exists(path)) return (0, null, null);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        return (root.GetProperty("pid").GetInt32(), root.GetProperty("command").GetString(), root.GetProperty("http").GetString());
    }

    /// <summary>How many nodes have started on the output folder, by its node log.</summary>
    private static int NodeStarts(string output) =>
        File.ReadLines(Path.Combine(output, "nrtc.log")).Count(l => l.Contains(" node started ", StringComparison.Ordinal));
}
