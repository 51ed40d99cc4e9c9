using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Logging;
using NrtCluster.Host.Tests.Cluster;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// A fast-forward whose reports and node log live on a disk that is full, then read-only, then writable again (a real tmpfs
/// holding <c>tiles/</c> and <c>logs/</c> of the output folder; the SQLite state stays on its own disk). <c>nrtc</c> as real
/// processes on a tiny synthetic archive (real GDAL, SQLite, Akka).
/// </summary>
public sealed partial class FullDiskTests : IDisposable
{
    private static readonly SyntheticArchiveOptions Archive = QuarantineTests.Archive;
    private static readonly TimeSpan CommandTimeout = QuarantineTests.CommandTimeout;
    private readonly string _folder = Directory.CreateTempSubdirectory("nrtc-disk-").FullName;

    [GeneratedRegex(@"fast-forward: (\d+) tile-days applied, (\d+) repeated \(applied before\), 0 quarantined on (\d+) tiles, (\d+) failed")]
    private static partial Regex Summary();

    /// <summary>
    /// Reports that cannot be written fail the command (exit 1) with one line naming the folder, the cause and the free space,
    /// the log's failure is said once, and the applied days stay stored: run again once the disk is writable, the command writes
    /// the missing reports and applies the remaining days, none twice, and every report is byte-identical to an undisturbed
    /// run's. Temporary files left by report writes that were killed are removed when the next command starts.
    /// </summary>
    [Fact]
    public void Reports_that_cannot_be_written_fail_the_command_once_per_cause_and_the_next_run_writes_them_without_applying_a_day_twice()
    {
        var archiveFolder = Path.Combine(_folder, "archive");
        var archive = SyntheticArchive.Generate(archiveFolder, Archive);
        var to = Archive.End.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var straight = Project("straight", archiveFolder, archive);
        var (code, output) = Nrtc.RunWithin(CommandTimeout, "fast-forward", "--project", straight, "--to", to);
        Assert.True(code == 0, output);
        int total = int.Parse(Summary().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);

        // The reports and the node log each on a small disk of their own (so the free space each run sees is its own), through
        // links from the output folder.
        var projectFolder = Path.Combine(_folder, "faulty");
        Directory.CreateDirectory(projectFolder);
        using var reportDisk = Tmpfs.Mount(Path.Combine(_folder, "report-disk"), 1024);
        using var logDisk = Tmpfs.Mount(Path.Combine(_folder, "log-disk"), 1024);
        Tmpfs[] disks = [reportDisk, logDisk];
        File.CreateSymbolicLink(Path.Combine(projectFolder, "tiles"), reportDisk.Folder);
        File.CreateSymbolicLink(Path.Combine(projectFolder, "logs"), logDisk.Folder);
        var faulty = Project("faulty", archiveFolder, archive);
        string tiles = Path.Combine(projectFolder, "tiles");
        string logs = Path.Combine(projectFolder, "logs");

        // Full: each tile applies its days (each stored as it comes), cannot write its report after the last and fails.
        foreach (var disk in disks) disk.Fill();
        var full = Fails(faulty, to);
        Contains(full.Output, $"fast-forward: tiles x0_y0, x1_y0, x0_y1, x1_y1 failed: cannot write reports to {tiles}: no space left on device (0 B free); " +
                              "the days applied are stored: make room (or make the folder writable) and run the same command again to write the missing reports");
        Contains(full.Output, $"nrtc: cannot write the log embedded.jsonl to {logs}: no space left on device (0 B free); its lines are dropped and counted");
        Assert.Equal((total, 0, 0, 4), (full.Applied, full.Repeated, full.Done, full.Failed));

        // Read-only: the days applied are answered as repeats; the last one's report cannot be written either.
        foreach (var disk in disks)
        {
            disk.Free();
            disk.ReadOnly(true);
        }
        var readOnly = Fails(faulty, to);
        Contains(readOnly.Output, $"fast-forward: tiles x0_y0, x1_y0, x0_y1, x1_y1 failed: cannot write reports to {tiles}: read-only file system (");
        Contains(readOnly.Output, $"nrtc: cannot write the log embedded.jsonl to {logs}: read-only file system (");
        Assert.Equal((0, total, 0, 4), (readOnly.Applied, readOnly.Repeated, readOnly.Done, readOnly.Failed));
        // nrtc report, the verb that rewrites lost reports, fails alike.
        (code, output) = Nrtc.RunWithin(CommandTimeout, "report", "--project", faulty);
        Assert.True(code == 1, output);
        Contains(output, $"report: 4 tile report(s) not written (x0_y0, x1_y0, x0_y1, x1_y1): cannot write reports to {tiles}: read-only file system (");
        Assert.Matches(@"report: 0 of \d+ tile reports rewritten", output);
        Assert.DoesNotContain("   at ", output);

        // Writable again, with temporary files of report writes killed mid-way: they go, and the reports are written.
        foreach (var disk in disks) disk.ReadOnly(false);
        var orphans = new[]
        {
            Path.Combine(tiles, "x0_y0", $".report.tif.{Guid.NewGuid():N}.tmp"),
            Path.Combine(tiles, "x1_y1", $".report.tif.{Guid.NewGuid():N}.tmp"),
            Path.Combine(projectFolder, $".mosaic.vrt.{Guid.NewGuid():N}.tmp.vrt"),
        };
        foreach (var orphan in orphans)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
            File.WriteAllBytes(orphan, new byte[1000]);
        }
        (code, output) = Nrtc.RunWithin(CommandTimeout, "fast-forward", "--project", faulty, "--to", to);
        Assert.True(code == 0, output);
        var summary = Summary().Match(output);
        Assert.True(summary.Success, output);
        // Nothing applied twice: every day was applied by the first failed run and is a repeat now, as the undisturbed run's.
        Assert.Equal(total, int.Parse(summary.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.Equal(0, int.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.DoesNotContain("cannot write", output);
        Assert.All(orphans, orphan => Assert.False(File.Exists(orphan), orphan));
        Assert.Contains("removed 3 temporary file(s) left by interrupted report or mosaic writes", File.ReadAllText(Path.Combine(projectFolder, "nrtc.log")));

        Assert.Equal(StopSignalTests.TileRows(straight), StopSignalTests.TileRows(faulty));
        // Per tile its report and its patches (patches.geojson).
        var reports = Directory.GetFiles(Path.Combine(Path.GetDirectoryName(straight)!, "tiles"), "*", SearchOption.AllDirectories);
        Assert.Equal(8, reports.Length);
        foreach (var report in reports)
        {
            var other = Path.Combine(tiles, Path.GetFileName(Path.GetDirectoryName(report))!, Path.GetFileName(report));
            Assert.True(File.ReadAllBytes(report).SequenceEqual(File.ReadAllBytes(other)), $"{other} differs from {report}");
        }
        Assert.Equal(8, Directory.GetFiles(tiles, "*", SearchOption.AllDirectories).Length);
        // Every line of the node log is whole, including around the writes the full disk cut short.
        var logFiles = LogRotation.Default.Files(Path.Combine(logs, "embedded.jsonl"));
        Assert.NotEmpty(logFiles);
        foreach (var line in logFiles.SelectMany(File.ReadAllLines).Where(l => l.Length > 0))
            JsonDocument.Parse(line).Dispose();
    }

    private (string Output, int Applied, int Repeated, int Done, int Failed) Fails(string project, string to)
    {
        var (code, output) = Nrtc.RunWithin(CommandTimeout, "fast-forward", "--project", project, "--to", to);
        Assert.True(code == 1, output);
        Assert.DoesNotContain("   at ", output);
        var summary = Summary().Match(output);
        Assert.True(summary.Success, output);
        int Group(int i) => int.Parse(summary.Groups[i].Value, CultureInfo.InvariantCulture);
        return (output, Group(1), Group(2), Group(3), Group(4));
    }

    /// <summary>Asserts <paramref name="output"/> says <paramref name="line"/> exactly once, as each cause is said once.</summary>
    private static void Contains(string output, string line) =>
        Assert.True(output.Split(line).Length == 2, $"expected once: {line}\n{output}");

    /// <summary>A fitted project (the demo's, 2 x 2 tiles) in <c>folder/name</c>; returns the project file.</summary>
    private string Project(string name, string archiveFolder, SyntheticArchiveResult archive)
    {
        var projectFolder = Path.Combine(_folder, name);
        ClusterFixture.WriteProject(projectFolder, archiveFolder, archive);
        var project = Path.Combine(projectFolder, "project.conf");
        ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "fit", "--project", project), "fit");
        return project;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
