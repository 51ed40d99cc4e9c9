using System.Collections.Immutable;
using System.Text.Json.Nodes;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Jobs;
using NrtCluster.Actors.Tiles;
using NrtCluster.Host.Node;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Tests.Node;

/// <summary>The configuration stored with a project's state (state.json) and the check every node start makes against it.</summary>
public sealed class StateFingerprintTests
{
    private static ProjectConfig Config(string folder, string replace = "", string by = "")
    {
        var text = ProjectTemplate.Example("t");
        if (replace.Length > 0)
        {
            Assert.Contains(replace, text);
            text = text.Replace(replace, by, StringComparison.Ordinal);
        }
        return ProjectConfigLoader.Parse(text, folder);
    }

    [Fact]
    public void ClaimRecordsTheConfigurationThenRefusesAnotherNamingEachChangedKey()
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-fingerprint-").FullName;
        try
        {
            var config = Config(folder);
            var fingerprint = StateFingerprint.Of(config);
            fingerprint.Claim(folder, NodeProfile.Embedded);
            var file = Path.Combine(folder, StateFingerprint.FileName);
            var json = JsonNode.Parse(File.ReadAllText(file))!;
            Assert.Equal(fingerprint.Hash, json["fingerprint"]!.GetValue<string>());
            Assert.Equal("IQR", json["config"]!["project.monitor.name"]!.GetValue<string>());
            Assert.Equal("maxiter=5, method=RIRLS", json["config"]!["project.fit"]!.GetValue<string>());
            Assert.Contains("\"project.fit\": \"maxiter=5, method=RIRLS\"", File.ReadAllText(file));
            Assert.Equal("2021-12-31", json["config"]!["project.history.end"]!.GetValue<string>());
            Assert.Single(Directory.GetFiles(folder));

            // The same configuration, read again: accepted.
            StateFingerprint.Of(Config(folder)).Claim(folder, NodeProfile.Embedded);

            var written = File.ReadAllText(file);
            var other = StateFingerprint.Of(Config(folder, "sensitivity = 2.5", "sensitivity = 3"));
            Assert.NotEqual(fingerprint.Hash, other.Hash);
            var refused = Assert.Throws<StateMismatchException>(() => other.Claim(folder, NodeProfile.Embedded));
            Assert.Contains("project.monitor.options: harmonic_order=2, sensitivity=2.5, trend=false -> harmonic_order=2, sensitivity=3, trend=false",
                refused.Message);
            Assert.Contains($"move or delete {Path.Combine(folder, "nrtcluster.db")}* and {Path.Combine(folder, "tiles")}/, or set project.output.folder to a new folder",
                refused.Message);
            Assert.Equal(written, File.ReadAllText(file));

            var grid = Assert.Throws<StateMismatchException>(() =>
                StateFingerprint.Of(Config(folder, "tile-size = 1000", "tile-size = 500")).Claim(folder, NodeProfile.Embedded));
            Assert.Contains("project.grid.tile-size: 1000 -> 500", grid.Message);
            Assert.DoesNotContain("project.monitor", grid.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Keys only one side knows are not compared: state stored before a key was added stays usable, and a verb that does
    /// not know the demo's archive keys opens the demo's state.
    /// </summary>
    [Fact]
    public void OnlyKeysBothSidesKnowAreCompared()
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-fingerprint-").FullName;
        try
        {
            var plain = StateFingerprint.Of(Config(folder));
            var demo = plain.With("demo.archive.size", "40");
            Assert.Empty(plain.ChangesFrom(demo));
            Assert.Empty(demo.ChangesFrom(plain));
            Assert.Equal(["demo.archive.size: 40 -> 32"], plain.With("demo.archive.size", "32").ChangesFrom(demo));

            demo.Write(folder);
            Assert.Equal(demo.Values, StateFingerprint.Read(folder)!.Values);
            plain.Claim(folder, NodeProfile.Embedded);

            File.WriteAllText(Path.Combine(folder, StateFingerprint.FileName), "{ not json");
            var unreadable = Assert.Throws<InvalidOperationException>(() => StateFingerprint.Read(folder));
            Assert.Contains(Path.Combine(folder, StateFingerprint.FileName), unreadable.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary>What the job console makes of successive progress reports.</summary>
public sealed class JobConsoleTests
{
    private static readonly TileId A = new(0, 0), B = new(1, 0);

    [Fact]
    public void TheShownDayNeverGoesBackAndRetriesAndQuarantinesGetALineEach()
    {
        var d = new DateOnly(2022, 1, 10);
        var state = JobState.Start("ff", JobKind.FastForward, [new(A, 3), new(B, 3)]).Apply(new JobEvent.TileStarted(A));
        var view = new JobConsole.ProgressView("fast-forward");
        var shown = new List<string>();
        var lines = new List<string>();
        var reported = new List<DateOnly?>();
        void Report(JobEvent e)
        {
            state = state.Apply(e);
            lines.AddRange(view.Next(state.Progress()));
            shown.Add(view.Description);
            reported.Add(state.Progress().CurrentDay);
        }

        Report(new JobEvent.DayDone(A, d, AckOutcome.Applied));
        Report(new JobEvent.DayDone(A, d.AddDays(30), AckOutcome.Applied));
        // B starts late: the slowest running tile is at an earlier day than shown before.
        Report(new JobEvent.TileStarted(B));
        Report(new JobEvent.DayDone(B, d, AckOutcome.Applied));
        Report(new JobEvent.Retrying(B, "attempt 2 of 2 after: day 2022-01-15 failed: cannot read B04.tif"));
        Report(new JobEvent.DayQuarantined(B, d.AddDays(5), "failed 2 attempts: day 2022-01-15 failed: cannot read B04.tif"));

        // The job's own day goes back when B starts; the shown one does not.
        Assert.Equal([d, d.AddDays(30), d.AddDays(30), d, d, d.AddDays(5)], reported);
        Assert.Equal(["fast-forward 2022-01-10", "fast-forward 2022-02-09", "fast-forward 2022-02-09", "fast-forward 2022-02-09", "fast-forward 2022-02-09",
            "fast-forward 2022-02-09"], shown);
        Assert.Equal([
            "fast-forward: tile x1_y0: retrying, attempt 2 of 2 after: day 2022-01-15 failed: cannot read B04.tif",
            "fast-forward: tile x1_y0: 2022-01-15 quarantined: failed 2 attempts: day 2022-01-15 failed: cannot read B04.tif",
        ], lines);
        Assert.Equal((6.0, 4.0), (view.Total, view.Done));
    }

    [Fact]
    public void TheSummarySaysAppliedRepeatedAndQuarantinedApart()
    {
        var progress = new JobProgress("ff", JobKind.FastForward, 2, 0, 2,
            [new TileProgress(A, TileJobStatus.Done, null, 5, 5, null, DaysQuarantined: 1, DaysRepeated: 3), new TileProgress(B, TileJobStatus.Done, null, 4, 4, null)],
            true, null);
        Assert.Equal("5 tile-days applied, 3 repeated (applied before), 1 quarantined", JobConsole.DaysSummary(progress));
    }
}
