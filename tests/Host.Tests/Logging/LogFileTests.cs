using NrtCluster.Host.Logging;
using NrtCluster.Host.Tests.Node;

namespace NrtCluster.Host.Tests.Logging;

/// <summary>
/// <see cref="LogFile"/> on a real file system that fills up and turns read-only (a tmpfs of 64 KB); the clock is the
/// test's, so the retry interval is stepped over rather than waited for.
/// </summary>
public sealed class LogFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nrtc-logfile-").FullName;

    [Fact]
    public void A_full_or_read_only_disk_drops_and_counts_lines_says_each_cause_once_and_notes_the_loss_when_writable_again()
    {
        using var disk = Tmpfs.Mount(Path.Combine(_dir, "disk"), 64);
        var clock = new ManualClock();
        var stderr = new List<string>();
        string path = Path.Combine(disk.Folder, "logs", "node.jsonl");
        using var log = new LogFile(path, notice => $"NOTICE {notice}", stderr.Add, clock, TimeSpan.FromSeconds(10));

        log.WriteLine("first");
        disk.Fill();
        // A line longer than what is left of the file's page: the write stops part-way through it.
        log.WriteLine("cut " + new string('x', 8000));
        // As many lines as a logger in a loop would try: none is kept for later, none throws.
        for (int i = 0; i < 100_000; i++) log.WriteLine($"line {i} " + new string('y', 200));
        Assert.Equal(100_001, log.LinesLost);
        var failure = Assert.Single(stderr);
        Assert.Equal($"nrtc: cannot write the log node.jsonl to {Path.Combine(disk.Folder, "logs")}: no space left on device (0 B free); " +
                     "its lines are dropped and counted, and the file is tried again every 10 s", failure);

        string cut = File.ReadAllText(path);
        Assert.True(cut.StartsWith("first\ncut xxx", StringComparison.Ordinal) && !cut.EndsWith('\n'), "the long line was not cut short: " + cut.Length);

        // Space is back, but the file is tried again only after the interval.
        disk.Free();
        log.WriteLine("too early");
        Assert.Equal(100_002, log.LinesLost);
        clock.Advance(TimeSpan.FromSeconds(10));
        log.WriteLine("back");
        Assert.Equal(0, log.LinesLost);
        var lines = File.ReadAllLines(path);
        // The line the full disk cut short is gone: every line is whole.
        Assert.Equal("first", lines[0]);
        Assert.Matches(@"^NOTICE 100002 log lines were lost from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC to \d\d:\d\d:\d\d UTC: no space left on device$", lines[1]);
        Assert.Equal("back", lines[2]);
        Assert.Equal(3, lines.Length);
        // The lost lines did not come back to fill the disk again.
        Assert.True(new FileInfo(path).Length < 1000, $"{new FileInfo(path).Length} bytes");
        Assert.Equal(2, stderr.Count);
        Assert.StartsWith($"nrtc: the log {path} is written again; 100002 log lines were lost from ", stderr[1]);

        // A nearly full disk fails and recovers by turns: within the hour the cause is not said again, the file notes the loss.
        disk.Fill();
        log.WriteLine("flap " + new string('z', 8000));
        disk.Free();
        clock.Advance(TimeSpan.FromSeconds(10));
        log.WriteLine("after the flap");
        Assert.Equal(2, stderr.Count);
        Assert.Matches(@"^NOTICE 1 log lines were lost from .+: no space left on device$", File.ReadAllLines(path)[^2]);

        // Later it is said again; a change of cause is said once more (a folder turned read-only: the remount needs the file
        // closed, which the failure did).
        clock.Advance(LogFile.SayAgainAfter);
        disk.Fill();
        log.WriteLine("full again " + new string('z', 8000));
        Assert.Equal(3, stderr.Count);
        Assert.Contains("no space left on device", stderr[2]);
        disk.ReadOnly(true);
        for (int i = 0; i < 1000; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            log.WriteLine($"read-only {i}");
        }
        Assert.Equal(4, stderr.Count);
        Assert.Matches(@"^nrtc: cannot write the log node\.jsonl to .+: read-only file system \(0 B free\); its lines are dropped and counted", stderr[3]);
        disk.ReadOnly(false);
        disk.Free();
        clock.Advance(TimeSpan.FromSeconds(10));
        log.WriteLine("writable");
        Assert.Equal(5, stderr.Count);
        lines = File.ReadAllLines(path);
        Assert.Matches(@"^NOTICE 1001 log lines were lost from .+: read-only file system$", lines[^2]);
        Assert.Equal("writable", lines[^1]);
        Assert.DoesNotContain(lines, l => l.Contains("zzz", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
