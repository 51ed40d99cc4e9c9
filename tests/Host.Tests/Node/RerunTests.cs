using System.Globalization;
using System.Text.RegularExpressions;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Tests.Cluster;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// What an operator sees when running the verbs again on the same output folder: true counts, progress in time order when
/// the output is a log, and state of another configuration refused. <c>nrtc</c> as real processes on a tiny synthetic
/// archive (real GDAL, SQLite, Akka).
/// </summary>
public sealed partial class RerunTests
{
    private static readonly SyntheticArchiveOptions Archive = QuarantineTests.Archive;
    private static readonly TimeSpan CommandTimeout = QuarantineTests.CommandTimeout;

    [GeneratedRegex(@"^fast-forward (\d{4}-\d{2}-\d{2}): (\d+)%$", RegexOptions.Multiline)]
    private static partial Regex ProgressLine();

    [GeneratedRegex(@"fast-forward: (\d+) tile-days applied, (\d+) repeated \(applied before\), (\d+) quarantined on (\d+) tiles, 0 failed")]
    private static partial Regex FastForwardSummary();

    [GeneratedRegex(@"poll: tiles settled; (\d+) tile-days applied, (\d+) repeated \(applied before\), (\d+) quarantined")]
    private static partial Regex PollSummary();

    /// <summary>
    /// A second fast-forward and a poll over days already applied say 0 applied and name the repeats; the first fast-forward's
    /// progress lines (output redirected, as under cron) never go back in time although tiles run in parallel.
    /// </summary>
    [Fact]
    public void RepeatsAreCountedApartAndRedirectedProgressGoesForwardInTime()
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-rerun-").FullName;
        try
        {
            var project = WriteProject(folder);
            ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "fit", "--project", project), "fit");

            var (code, first) = Nrtc.RunWithin(CommandTimeout, "fast-forward", "--project", project, "--to", $"{Archive.End:yyyy-MM-dd}");
            Assert.True(code == 0, first);
            var progress = ProgressLine().Matches(first).Select(m => (Day: DateOnly.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Percent: int.Parse(m.Groups[2].Value)))
                .ToList();
            Assert.True(progress.Count >= 3, first);
            for (int i = 1; i < progress.Count; i++)
                Assert.True(progress[i].Day >= progress[i - 1].Day && progress[i].Percent > progress[i - 1].Percent, first);
            Assert.Equal(100, progress[^1].Percent);
            var applied = FastForwardSummary().Match(first);
            Assert.True(applied.Success, first);
            int tileDays = int.Parse(applied.Groups[1].Value);
            Assert.True(tileDays > 0, first);
            Assert.Equal(("0", "0"), (applied.Groups[2].Value, applied.Groups[3].Value));

            (code, var second) = Nrtc.RunWithin(CommandTimeout, "fast-forward", "--project", project, "--to", $"{Archive.End:yyyy-MM-dd}");
            Assert.True(code == 0, second);
            var repeated = FastForwardSummary().Match(second);
            Assert.True(repeated.Success, second);
            Assert.Equal(("0", tileDays.ToString(CultureInfo.InvariantCulture), "0"), (repeated.Groups[1].Value, repeated.Groups[2].Value, repeated.Groups[3].Value));

            // The poller has never seen these items, but the tiles have every day already.
            (code, var poll) = Nrtc.RunWithin(CommandTimeout, "poll", "--once", "--no-settle", "--project", project);
            Assert.True(code == 0, poll);
            Assert.Contains($"tile-days ({tileDays} of them applied before)", poll);
            var polled = PollSummary().Match(poll);
            Assert.True(polled.Success, poll);
            Assert.Equal(("0", tileDays.ToString(CultureInfo.InvariantCulture), "0"), (polled.Groups[1].Value, polled.Groups[2].Value, polled.Groups[3].Value));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// State fitted with one monitor option is refused by fit and fast-forward once the option changes: the message names the
    /// key with both values and how to start fresh, and no file of the output folder changes; the old value works again.
    /// </summary>
    [Fact]
    public void StateOfAnotherConfigurationIsRefusedNamingTheKeyAndNothingIsWritten()
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-rerun-").FullName;
        try
        {
            var project = WriteProject(folder);
            var output = Path.GetDirectoryName(project)!;
            ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "fit", "--project", project), "fit");
            Assert.True(File.Exists(Path.Combine(output, "state.json")));

            var original = File.ReadAllText(project);
            Assert.Contains("harmonic_order = 2", original);
            File.WriteAllText(project, original.Replace("harmonic_order = 2", "harmonic_order = 3", StringComparison.Ordinal));
            var before = Snapshot(output);
            foreach (var verb in new[] { "fit", "fast-forward" })
            {
                var (code, refused) = Nrtc.RunWithin(CommandTimeout, verb, "--project", project);
                Assert.True(code == 1, refused);
                Assert.Contains($"{verb}: {project}: the state in {output} was made with another configuration", refused);
                Assert.Contains("project.monitor.options: harmonic_order=2, sensitivity=2.5, trend=false -> harmonic_order=3, sensitivity=2.5, trend=false", refused);
                Assert.Contains($"move or delete {Path.Combine(output, "nrtcluster.db")}* and {Path.Combine(output, "tiles")}/, or set project.output.folder to a new folder", refused);
                Assert.DoesNotContain("   at ", refused);
                Assert.Equal(before, Snapshot(output));
            }

            File.WriteAllText(project, original);
            var (again, fit) = Nrtc.RunWithin(CommandTimeout, "fit", "--project", project);
            Assert.True(again == 0, fit);
            Assert.Contains("fit: 4 tiles fitted", fit);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The demo's project on a tiny archive (2 x 2 tiles), in <c>folder/project</c>; returns the project file.</summary>
    internal static string WriteProject(string folder)
    {
        var archiveFolder = Path.Combine(folder, "archive");
        var archive = SyntheticArchive.Generate(archiveFolder, Archive);
        var projectFolder = Path.Combine(folder, "project");
        ClusterFixture.WriteProject(projectFolder, archiveFolder, archive);
        return Path.Combine(projectFolder, "project.conf");
    }

    /// <summary>Every file of the output folder but the project file, with its size and last write time.</summary>
    private static string Snapshot(string folder) => string.Join("\n", Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
        .Where(f => Path.GetFileName(f) != "project.conf")
        .Order(StringComparer.Ordinal)
        .Select(f => $"{f} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f):O}"));
}
