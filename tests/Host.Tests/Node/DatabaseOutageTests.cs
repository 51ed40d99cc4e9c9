using System.Net;
using System.Text.RegularExpressions;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Node;
using NrtCluster.Host.Tests.Cluster;
using Xunit.Abstractions;
using NrtCluster.Host.Logging;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// A cluster node (<c>nrtc run --profile cluster</c>, a real process) whose PostgreSQL is stopped and started again:
/// what its stdout, /readyz and /healthz say, and that it works again on its own, also under a fast-forward (real PostgreSQL,
/// Akka, GDAL, HTTP).
/// </summary>
public sealed partial class DatabaseOutageTests(ITestOutputHelper output)
{
    private static readonly SyntheticArchiveOptions Archive = new()
    {
        GranuleSize = 40, Start = new DateOnly(2021, 1, 1), HistoryEnd = new DateOnly(2021, 12, 31), End = new DateOnly(2022, 2, 28),
    };

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);
    private const string Password = "not-for-logs";
    private const string UserAgent = "nrtc-outage-node";

    /// <summary>How long the database stays down under the fast-forward.</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(15);


    [GeneratedRegex(@"""level"":""ERROR""")]
    private static partial Regex ErrorLine();

    /// <summary>
    /// The node starts while its database is down: /readyz is 503 naming the database, stdout has one line saying so (no
    /// password) instead of a flood of storage errors; the database starts: ready again, a line says so, the poller singleton
    /// recovers, and a fit through the node works. Then the database stops under the node while a fast-forward runs (a tile
    /// waiting on a day's images, held by the archive server): not ready within seconds, naming the database, while /healthz
    /// stays 200; it starts again: ready again, the fast-forward finishes, and every tile's report is byte for byte that of
    /// an undisturbed embedded run of the same project.
    /// </summary>
    [Fact]
    public async Task ANodeSaysItsDatabaseIsUnreachableIsNotReadyAndRecoversWhenItReturns()
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-outage-").FullName;
        using var postgres = new TempPostgres();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        Task? reference = null;
        RangeFileServer? files = null;
        try
        {
            // The reference (embedded) runs while the node waits for its database; the node reads the archive over HTTP.
            var archiveFolder = Path.Combine(folder, "archive");
            var archive = SyntheticArchive.Generate(archiveFolder, Archive);
            var referenceFolder = Path.Combine(folder, "reference");
            ClusterFixture.WriteProject(referenceFolder, archiveFolder, archive);
            var referenceProject = Path.Combine(referenceFolder, "project.conf");
            reference = Task.Run(() =>
            {
                ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "fit", "--project", referenceProject), "reference fit");
                ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "fast-forward", "--project", referenceProject, "--to", $"{Archive.End:yyyy-MM-dd}"), "reference fast-forward");
            });
            files = new RangeFileServer(archiveFolder);
            var projectFolder = Path.Combine(folder, "project");
            ClusterFixture.WriteProject(projectFolder, archiveFolder, archive, catalog: files.BaseUrl + SyntheticArchiveLayout.Catalog);
            var project = Path.Combine(projectFolder, "project.conf");
            // A quick probe and an outage line every 15 s instead of every minute, so the test sees it repeat; quick singleton
            // restarts, circuit breakers closed again after 5 s; tiles retry the days an outage fails and never quarantine one.
            var hocon = Path.Combine(projectFolder, "test.conf");
            File.WriteAllText(hocon, """
                nrtcluster.storage.health.probe-interval = 1s
                nrtcluster.storage.health.report-interval = 15s
                nrtcluster.singletons { min-backoff = 1s, max-backoff = 4s, health-interval = 1s }
                nrtcluster.tiles { retry-window = 1h, retry-min-backoff = 1s, retry-max-backoff = 4s }
                akka.persistence.journal.sql.circuit-breaker.reset-timeout = 5s
                akka.persistence.snapshot-store.sql.circuit-breaker.reset-timeout = 5s
                """);

            postgres.Stop();
            using var node = NrtcProcess.Start("node", new Dictionary<string, string> { ["GDAL_HTTP_USERAGENT"] = UserAgent },
                "run", "--project", project, "--profile", "cluster", "--hostname", "127.0.0.1", "--port", "0",
                "--postgres", postgres.ConnectionString + $";Password={Password};Maximum Pool Size=20", "--hocon", hocon, "--http-port", "0");
            var url = await node.WaitForHttpAddressAsync(TimeSpan.FromSeconds(90));

            var (status, reason) = await WaitForReadinessAsync(http, url, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), node);
            Assert.Contains($"Database=nrtcluster", reason);
            Assert.Contains("is unreachable: connection refused", reason);
            var unreachable = new Regex($@"the journal and snapshot store database Host=127\.0\.0\.1;Port={postgres.Port};Database=nrtcluster;Username=nrt \(password hidden\) is unreachable: connection refused");
            await node.WaitForOutputAsync(unreachable, TimeSpan.FromSeconds(10));

            // Half a minute down: the outage line repeats, saying how many storage errors it kept off stdout; hardly any reach it.
            await Task.Delay(TimeSpan.FromSeconds(30));
            var down = node.Output;
            output.WriteLine(down);
            Assert.True(unreachable.Matches(down).Count >= 2, down);
            Assert.Matches(@"\d+ storage errors it caused since the last such line were left off stdout", down);
            Assert.True(ErrorLine().Matches(down).Count < 10, $"{ErrorLine().Matches(down).Count} error lines on stdout:\n{down}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await WaitForReadinessAsync(http, url, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(1), node)).Status);

            postgres.Start();
            var returned = DateTime.UtcNow;
            await WaitForReadinessAsync(http, url, HttpStatusCode.OK, TimeSpan.FromSeconds(60), node);
            await node.WaitForOutputAsync(new Regex("is reachable again after"), TimeSpan.FromSeconds(10));
            output.WriteLine($"ready {(DateTime.UtcNow - returned).TotalSeconds:F0} s after the database returned");

            ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "fit", "--node", url), "fit through the node");
            await reference;

            // Down under a fast-forward: a tile reads the images of a day a third of the way in (held), the database stops.
            DateOnly[] days = [.. archive.Scene.Acquisitions.Select(a => a.Date).Where(d => d > Archive.HistoryEnd).Distinct().Order()];
            var gate = $"_MSIL2A_{days[days.Length / 3]:yyyyMMdd}T";
            using var hold = files.Hold(path => path.EndsWith(".tif", StringComparison.Ordinal) && path.Contains(gate, StringComparison.Ordinal));
            using var fastForward = NrtcProcess.Start("fast-forward", "fast-forward", "--node", url, "--to", $"{Archive.End:yyyy-MM-dd}");
            await WaitUntilAsync(() => files.HasHeld(UserAgent), TimeSpan.FromSeconds(120), $"no tile came to read the images of {gate}:\n{fastForward.Output}");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            postgres.Stop();
            var stopped = clock.Elapsed;
            (_, reason) = await WaitForReadinessAsync(http, url, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20), node);
            var unready = clock.Elapsed - stopped;
            Assert.Contains($"Port={postgres.Port};Database=nrtcluster", reason);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(url + "/healthz")).StatusCode);
            // The held day is read now and its tile tries to store it while the database is down.
            files.Release();
            await Task.Delay(Outage);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(url + "/healthz")).StatusCode);
            postgres.Start();
            var started = clock.Elapsed;
            await WaitForReadinessAsync(http, url, HttpStatusCode.OK, TimeSpan.FromSeconds(90), node);
            output.WriteLine($"pg_ctl stop took {stopped.TotalSeconds:F1} s, /readyz answered 503 {unready.TotalSeconds:F1} s after; " +
                             $"ready again {(clock.Elapsed - started).TotalSeconds:F1} s after pg_ctl start returned");

            Assert.True(fastForward.WaitForExit(CommandTimeout), fastForward.Output);
            Assert.True(fastForward.ExitCode == 0, fastForward.Output);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(url + "/healthz")).StatusCode);
            foreach (var tile in Directory.GetDirectories(Path.Combine(referenceFolder, "tiles")).Select(Path.GetFileName))
                Assert.True(File.ReadAllBytes(Path.Combine(referenceFolder, "tiles", tile!, "report.tif")).AsSpan()
                        .SequenceEqual(File.ReadAllBytes(Path.Combine(projectFolder, "tiles", tile!, "report.tif"))),
                    $"tile {tile}: the report differs from the undisturbed run's");

            // The report aggregator builds the mosaic, the poller singleton is back, no password anywhere.
            var mosaic = Path.Combine(projectFolder, "mosaic.vrt");
            await WaitUntilAsync(() => File.Exists(mosaic) && File.GetLastWriteTimeUtc(mosaic) > returned, TimeSpan.FromSeconds(60), $"{mosaic} was not written");
            var log = ReadAll(Path.Combine(projectFolder, "logs", $"127.0.0.1-pid{node.Id}.jsonl"));
            Assert.Contains("STAC poller recovered", log);
            Assert.DoesNotContain(Password, log);
            Assert.DoesNotContain(Password, node.Output);

            node.Terminate();
            Assert.True(node.WaitForExit(TimeSpan.FromSeconds(60)), node.Output);
        }
        finally
        {
            if (reference is not null) await reference.ContinueWith(_ => { }, TaskScheduler.Default);
            files?.Dispose();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// While the database is down (a real connection to a closed port), storage errors go to the log file once per kind and
    /// never to stdout; an unrelated error still goes everywhere. The outage names the database without its password.
    /// </summary>
    [Fact]
    public async Task OnlyStorageErrorsAreHeldBackWhileTheDatabaseIsDown()
    {
        int closed = Loopback.FreePort();
        var system = Akka.Actor.ActorSystem.Create("outage", $$"""
            akka.persistence.journal.sql { provider-name = "PostgreSQL.15", connection-string = "Host=127.0.0.1;Port={{closed}};Database=nrt;Username=nrt;Password={{Password}}" }
            akka.persistence.snapshot-store.sql { provider-name = "PostgreSQL.15", connection-string = "Host=127.0.0.1;Port={{closed}};Database=nrt;Username=nrt;Password={{Password}}" }
            """);
        try
        {
            var health = DatabaseHealth.Get(system).Start();
            var outage = Assert.IsType<DatabaseOutage>(health.Outage);
            Assert.StartsWith($"the journal and snapshot store database Host=127.0.0.1;Port={closed};Database=nrt;Username=nrt (password hidden) is unreachable: connection refused (since ",
                outage.Describe(DateTime.UtcNow));

            var refused = new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused);
            var journal = new Akka.Event.Error(refused, "akka://outage/system/akka.persistence.journal.sql", typeof(object), "Failure during SQL Journal initialization.");
            Assert.Equal(LogRoute.FileOnly, health.Route(journal));
            Assert.Equal(LogRoute.Nowhere, health.Route(journal));
            var replay = new Akka.Event.Error(new Akka.Persistence.RecoveryTimedOutException("Recovery timed out"), "akka://outage/user/report-aggregator", typeof(object),
                "Persistence failure when replaying events for persistenceId [report-aggregator].");
            Assert.Equal(LogRoute.FileOnly, health.Route(replay));
            var unrelated = new Akka.Event.Error(new IOException("disk full"), "akka://outage/user/tile", typeof(object), "Tile x1_y2: writing the report failed");
            Assert.Equal(LogRoute.Everywhere, health.Route(unrelated));
            Assert.Equal(LogRoute.Everywhere, health.Route(unrelated));
            var remoting = new Akka.Event.Warning(refused, "akka://outage/system/endpointManager", typeof(object), "Association with remote system failed");
            Assert.Equal(LogRoute.Everywhere, health.Route(remoting));
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>Polls /readyz until it answers <paramref name="expected"/>; returns the status and reason.</summary>
    internal static async Task<(HttpStatusCode Status, string Reason)> WaitForReadinessAsync(HttpClient http, string url, HttpStatusCode expected, TimeSpan timeout,
        NrtcProcess node)
    {
        return await Eventually.Until(async () =>
            {
                using var response = await http.GetAsync(url + "/readyz");
                return (Status: response.StatusCode, Reason: await response.Content.ReadAsStringAsync());
            }, r => r.Status == expected, timeout,
            r => $"/readyz answered {(int)r.Status} {r.Reason}, not {(int)expected}, within {timeout}:\n{node.Output}", () => node.HasExited);
    }

    private static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what) => Eventually.Until(condition, timeout, what);

    /// <summary>Every file of the node log <paramref name="path"/> (it rotates: <see cref="LogRotation.Files"/>), oldest first.</summary>
    private static string ReadAll(string path) => string.Concat(LogRotation.Default.Files(path).Select(file =>
    {
        using var reader = new StreamReader(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return reader.ReadToEnd();
    }));
}
