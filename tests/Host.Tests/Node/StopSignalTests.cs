using System.Globalization;
using System.Text.RegularExpressions;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Tests.Cluster;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// SIGTERM and SIGINT during a fast-forward: the job stops between days within seconds, the command says what was done and
/// how to resume and exits 143 or 130, and running it again completes the same state as a run never interrupted.
/// <c>nrtc</c> as real processes on a tiny synthetic archive (real GDAL, SQLite, Akka).
/// </summary>
public sealed partial class StopSignalTests
{
    // Five months of monitoring on 2 x 2 tiles: a fast-forward long enough that a signal after its first percent lands mid-run.
    private static readonly SyntheticArchiveOptions Archive = QuarantineTests.Archive with { End = new DateOnly(2022, 5, 31) };
    private static readonly TimeSpan CommandTimeout = QuarantineTests.CommandTimeout;

    [GeneratedRegex(@"^fast-forward \d{4}-\d{2}-\d{2}: [1-9]\d?%$", RegexOptions.Multiline)]
    private static partial Regex UnderWay();

    [GeneratedRegex(@"fast-forward: stopped by (SIGTERM|SIGINT) after (\d+) of (\d+) tile-days \((\d+) applied, (\d+) repeated, 0 quarantined\); state is consistent; run the same command again to resume")]
    private static partial Regex StoppedLine();

    [GeneratedRegex(@"fast-forward: (\d+) tile-days applied, (\d+) repeated \(applied before\), 0 quarantined on 4 tiles, 0 failed")]
    private static partial Regex Summary();

    [Fact]
    public async Task SigtermAndSigintStopAFastForwardBetweenDaysAndRunningItAgainCompletesTheSameState()
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-signals-").FullName;
        try
        {
            var archiveFolder = Path.Combine(folder, "archive");
            var archive = SyntheticArchive.Generate(archiveFolder, Archive);
            var to = Archive.End.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var straight = Project(folder, "straight", archiveFolder, archive);
            var stopped = Project(folder, "stopped", archiveFolder, archive);

            var (code, output) = Nrtc.RunWithin(CommandTimeout, "fast-forward", "--project", straight, "--to", to);
            Assert.True(code == 0, output);
            var summary = Summary().Match(output);
            Assert.True(summary.Success, output);
            int total = int.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture);

            foreach (var (signal, exitCode) in new[] { ("SIGTERM", 143), ("SIGINT", 130) })
            {
                using var run = NrtcProcess.Start($"fast-forward ({signal})", "fast-forward", "--project", stopped, "--to", to);
                await run.WaitForOutputAsync(UnderWay(), CommandTimeout);
                if (signal == "SIGTERM") run.Terminate();
                else run.Interrupt();
                Assert.True(run.WaitForExit(TimeSpan.FromSeconds(20)), run.Output);
                Assert.True(run.ExitCode == exitCode, run.Output);
                var line = StoppedLine().Match(run.Output);
                Assert.True(line.Success, run.Output);
                Assert.Equal(signal, line.Groups[1].Value);
                Assert.Equal(total, int.Parse(line.Groups[3].Value, CultureInfo.InvariantCulture));
                Assert.True(int.Parse(line.Groups[2].Value, CultureInfo.InvariantCulture) < total, run.Output);
                Assert.DoesNotContain("   at ", run.Output);
            }

            (code, output) = Nrtc.RunWithin(CommandTimeout, "fast-forward", "--project", stopped, "--to", to);
            Assert.True(code == 0, output);
            summary = Summary().Match(output);
            Assert.True(summary.Success, output);
            // Days applied before (including one a tile finished after the stop) are acknowledged as repeats, not applied again.
            Assert.Equal(total, int.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture) + int.Parse(summary.Groups[2].Value, CultureInfo.InvariantCulture));
            Assert.True(int.Parse(summary.Groups[2].Value, CultureInfo.InvariantCulture) > 0, output);

            // Every tile holds the same days (last day, days applied, breaks) and writes the same report as the run never stopped.
            Assert.Equal(TileRows(straight), TileRows(stopped));
            foreach (var report in Directory.GetFiles(Path.Combine(Path.GetDirectoryName(straight)!, "tiles"), "report.tif", SearchOption.AllDirectories))
            {
                var other = Path.Combine(Path.GetDirectoryName(stopped)!, "tiles", Path.GetFileName(Path.GetDirectoryName(report))!, "report.tif");
                Assert.True(File.ReadAllBytes(report).SequenceEqual(File.ReadAllBytes(other)), $"{other} differs from {report}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [GeneratedRegex(@"^fit: 0%$", RegexOptions.Multiline)]
    private static partial Regex FitStarted();

    /// <summary>
    /// SIGTERM and SIGINT while the tiles load their histories (GDAL reading granules on the thread pool): the fit stops and
    /// exits 143 or 130, three times over. Before, the process often ended with a segmentation fault (139): it exited while
    /// those reads ran, and GDAL's global objects were destroyed under them.
    /// </summary>
    [Fact]
    public async Task A_fit_stopped_while_the_tiles_load_their_histories_exits_with_the_signals_code()
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-signals-").FullName;
        try
        {
            // Two years of history on 100 px granules: the history loads take tens of seconds on two cores.
            var options = Archive with { GranuleSize = 100, Start = new DateOnly(2020, 1, 1), End = new DateOnly(2022, 1, 31) };
            var archiveFolder = Path.Combine(folder, "archive");
            var archive = SyntheticArchive.Generate(archiveFolder, options);
            ClusterFixture.WriteProject(folder, archiveFolder, archive);
            var project = Path.Combine(folder, "project.conf");
            foreach (var (signal, exitCode) in new[] { ("SIGTERM", 143), ("SIGINT", 130), ("SIGTERM", 143) })
            {
                using var run = NrtcProcess.Start($"fit ({signal})", "fit", "--project", project, "--replace");
                await run.WaitForOutputAsync(FitStarted(), CommandTimeout);
                // The job has sent the tiles their fits; give their history loads a moment to be under way.
                await Task.Delay(TimeSpan.FromSeconds(3));
                if (signal == "SIGTERM") run.Terminate();
                else run.Interrupt();
                Assert.True(run.WaitForExit(TimeSpan.FromSeconds(60)), run.Output);
                Assert.True(run.ExitCode == exitCode, $"exit code {run.ExitCode}: {run.Output}");
                Assert.Contains($"fit: stopped by {signal} after ", run.Output);
                Assert.DoesNotContain("   at ", run.Output);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A fitted project (the demo's, 2 x 2 tiles) on the archive in <c>folder/name</c>; returns the project file.</summary>
    private static string Project(string folder, string name, string archiveFolder, SyntheticArchiveResult archive)
    {
        var projectFolder = Path.Combine(folder, name);
        ClusterFixture.WriteProject(projectFolder, archiveFolder, archive);
        var project = Path.Combine(projectFolder, "project.conf");
        ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "fit", "--project", project), "fit");
        return project;
    }

    /// <summary>The tile rows of <c>nrtc status</c>.</summary>
    internal static List<string> TileRows(string project)
    {
        var (code, status) = Nrtc.RunWithin(CommandTimeout, "status", "--project", project);
        Assert.True(code == 0, status);
        var rows = status.Split('\n').Where(l => l.StartsWith("│ x", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, rows.Count);
        return rows;
    }
}
