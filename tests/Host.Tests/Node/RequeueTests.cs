using System.Text.RegularExpressions;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Archive;
using NrtCluster.Host.Tests.Cluster;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// A synthetic archive served on 127.0.0.1 and run undisturbed once (<c>fit</c>, <c>fast-forward</c>, <c>status</c>), the
/// reference of <see cref="RequeueTests"/>: the same archive behind a <see cref="FaultyAssetHost"/> must end with the same
/// tile reports, byte for byte, and the same status.
/// </summary>
public sealed class UndisturbedRun : IAsyncLifetime
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("nrtc-requeue-").FullName;
    public SyntheticArchiveResult Archive { get; private set; } = null!;
    public ArchiveServer Server { get; private set; } = null!;
    public string Project { get; private set; } = "";
    public string Status { get; private set; } = "";

    /// <summary>The item of the west granule on the second monitoring day: the one whose asset host goes down.</summary>
    public (DateOnly Day, string ItemId) Down { get; private set; }

    public async Task InitializeAsync()
    {
        Archive = SyntheticArchive.Generate(Path.Combine(Folder, "archive"), QuarantineTests.Archive);
        Server = await ArchiveServer.StartAsync(Archive.Directory, 0);
        var scene = Archive.Scene;
        var day = scene.Acquisitions.Select(a => a.Date).Where(d => d > QuarantineTests.Archive.HistoryEnd).Distinct().Order().ElementAt(1);
        Down = (day, SyntheticArchive.ItemId(scene.Acquisitions.First(a => a.Date == day), scene.Geometry.Granules[0]));
        Project = WriteProject("undisturbed", Server.BaseUrl);
        RequeueTests.Succeed("fit", "--project", Project);
        RequeueTests.Succeed("fast-forward", "--project", Project, "--to", $"{QuarantineTests.Archive.End:yyyy-MM-dd}");
        Status = RequeueTests.Succeed("status", "--project", Project);
    }

    /// <summary>A project on the archive served at <paramref name="api"/>, 4 x 4 tiles, so that some tiles see only the west granule.</summary>
    public string WriteProject(string name, string api)
    {
        var folder = Path.Combine(Folder, name);
        ClusterFixture.WriteProject(folder, Archive.Directory, Archive, tilesAcross: 4, stacApi: api);
        return Path.Combine(folder, "project.conf");
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}

/// <summary>
/// An asset host that goes down during a fast-forward (503 on one granule's COGs, real GDAL over loopback HTTP, SQLite,
/// <c>nrtc</c> as real processes), with the retry window and backoff set short through <c>--hocon</c>: an outage shorter
/// than the window costs nothing; a longer one quarantines the day, and once the host is back <c>nrtc requeue</c> applies it
/// again. Either way every tile's report ends byte-identical to the undisturbed run's, and its status the same.
/// </summary>
public sealed partial class RequeueTests(UndisturbedRun undisturbed) : IClassFixture<UndisturbedRun>
{
    [GeneratedRegex(@"fast-forward: tile x\d+_y\d+: retrying, attempt 3 at \d\d:\d\d:\d\d UTC \(quarantined if still failing at [-\d: ]+ UTC\) after: ")]
    private static partial Regex Retrying();

    [GeneratedRegex(@"fast-forward: tile (x\d+_y\d+): (\d{4}-\d{2}-\d{2}) quarantined: failing since ")]
    private static partial Regex QuarantinedLine();


    [Fact]
    public async Task An_outage_shorter_than_the_retry_window_costs_nothing()
    {
        await using var host = await FaultyAssetHost.StartAsync(undisturbed.Server.BaseUrl);
        var project = undisturbed.WriteProject("short-outage", host.BaseUrl);
        // Only the window keeps the failing day from being quarantined; the job reads the tiles often enough to show each retry.
        var hocon = Hocon(project, window: "10m", "nrtcluster.jobs.status-interval = 100ms");
        Succeed("fit", "--project", project);

        host.TakeDown(undisturbed.Down.ItemId);
        using (var ff = NrtcProcess.Start("fast-forward", "fast-forward", "--project", project, "--to", $"{QuarantineTests.Archive.End:yyyy-MM-dd}", "--hocon", hocon))
        {
            // The delivery has retried the day twice and the job shows it: the host comes back.
            await ff.WaitForOutputAsync(Retrying(), QuarantineTests.CommandTimeout);
            host.BringBack();
            Assert.True(ff.WaitForExit(QuarantineTests.CommandTimeout), ff.Output);
            Assert.True(ff.ExitCode == 0, ff.Output);
            Assert.Matches(@"fast-forward: \d+ tile-days applied, 0 repeated \(applied before\), 0 quarantined on \d+ tiles, 0 failed", ff.Output);
        }
        Assert.True(host.Refused > 0);
        AssertAsUndisturbed(project);
    }

    [Fact]
    public async Task A_day_quarantined_after_its_retry_window_is_requeued_once_the_host_is_back_and_ends_as_if_it_never_failed()
    {
        await using var host = await FaultyAssetHost.StartAsync(undisturbed.Server.BaseUrl);
        var project = undisturbed.WriteProject("long-outage", host.BaseUrl);
        var hocon = Hocon(project, window: "2s");
        Succeed("fit", "--project", project);

        host.TakeDown(undisturbed.Down.ItemId);
        var ff = Succeed("fast-forward", "--project", project, "--to", $"{QuarantineTests.Archive.End:yyyy-MM-dd}", "--hocon", hocon);
        var down = QuarantinedLine().Matches(ff).Select(m => (Tile: m.Groups[1].Value, Day: m.Groups[2].Value)).ToList();
        Assert.NotEmpty(down);
        Assert.All(down, d => Assert.Equal($"{undisturbed.Down.Day:yyyy-MM-dd}", d.Day));
        Assert.Contains("within the retry window of 2s, nrtcluster.tiles.retry-window", ff);
        var status = Succeed("status", "--project", project);
        var rows = QuarantineTests.TableRows(status, 8);
        Assert.All(rows, r => Assert.Equal(down.Any(d => d.Tile == r.Key) ? "1" : "0", r.Value[7]));

        host.BringBack();
        // One tile through a running node (its poller delivers the same days meanwhile: the tile applies each once), the
        // others on an embedded node.
        Assert.True(down.Count >= 2, ff);
        using (var node = NrtcProcess.Start("run", "run", "--project", project, "--http-port", "0", "--hocon", hocon))
        {
            var url = await node.WaitForHttpAddressAsync(TimeSpan.FromSeconds(60));
            var remote = Succeed("requeue", "--node", url, "--tile", down[0].Tile);
            Assert.Contains($"requeue: tile {down[0].Tile}: {down[0].Day} requeued, failing since ", remote);
            Assert.Contains($"requeue: 1 of 1 requeued tile-day(s) applied; the fast-forward to {QuarantineTests.Archive.End:yyyy-MM-dd}: ", remote);
            node.Terminate();
            Assert.True(node.WaitForExit(TimeSpan.FromSeconds(60)), node.Output);
        }
        var requeue = Succeed("requeue", "--project", project, "--hocon", hocon);
        foreach (var (tile, day) in down.Skip(1))
            Assert.Contains($"requeue: tile {tile}: {day} requeued, failing since ", requeue);
        Assert.DoesNotContain($"requeue: tile {down[0].Tile}:", requeue);
        Assert.Contains($"requeue: {down.Count - 1} of {down.Count - 1} requeued tile-day(s) applied; the fast-forward to {QuarantineTests.Archive.End:yyyy-MM-dd}: ", requeue);
        Assert.Matches(@"\d+ tile-days applied, \d+ repeated \(applied before\), 0 quarantined on \d+ tiles, 0 failed", requeue);
        AssertAsUndisturbed(project);

        // Nothing left to requeue: said, and nothing changes.
        var again = Succeed("requeue", "--project", project);
        Assert.Contains("requeue: no tile has a day quarantined; nothing to requeue", again);
        var (code, named) = Nrtc.RunWithin(QuarantineTests.CommandTimeout, "requeue", "--project", project, "--tile", down[0].Tile, "--day", down[0].Day);
        Assert.True(code == 1, named);
        Assert.Contains($"requeue: tile {down[0].Tile}: tile {down[0].Tile} has no quarantined day; nothing to requeue", named);
        (code, named) = Nrtc.RunWithin(QuarantineTests.CommandTimeout, "requeue", "--project", project, "--day", "2022-13-01");
        Assert.True(code == 1, named);
        Assert.Contains("requeue: --day '2022-13-01' is not a date; give YYYY-MM-DD", named);
        AssertAsUndisturbed(project);
    }

    /// <summary>Every tile's report is byte-identical to the undisturbed run's, and status shows the same days, breaks and no quarantine.</summary>
    private void AssertAsUndisturbed(string project)
    {
        var expected = QuarantineTests.TableRows(undisturbed.Status, 8);
        var actual = QuarantineTests.TableRows(Succeed("status", "--project", project), 8);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (tile, cells) in expected)
        {
            // last day, days applied, breaks, newest in archive, lag, quarantined
            Assert.Equal(cells[2..], actual[tile][2..]);
            var reference = File.ReadAllBytes(Path.Combine(Path.GetDirectoryName(undisturbed.Project)!, "tiles", tile, "report.tif"));
            var report = File.ReadAllBytes(Path.Combine(Path.GetDirectoryName(project)!, "tiles", tile, "report.tif"));
            Assert.True(reference.AsSpan().SequenceEqual(report), $"tile {tile}: the report differs from the undisturbed run's");
        }
    }

    /// <summary>A --hocon file with the given retry window and a short backoff, so that the test takes seconds.</summary>
    private static string Hocon(string project, string window, string more = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(project)!, "retry.conf");
        File.WriteAllText(path, $"nrtcluster.tiles {{ retry-window = {window}, retry-min-backoff = 200ms, retry-max-backoff = 1s }}\n{more}\n");
        return path;
    }

    internal static string Succeed(params string[] args)
    {
        var (code, output) = Nrtc.RunWithin(QuarantineTests.CommandTimeout, args);
        Assert.True(code == 0, $"nrtc {string.Join(' ', args)} exited {code}: {output}");
        return output;
    }
}
