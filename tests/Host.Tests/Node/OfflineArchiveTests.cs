using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Archive;
using NrtCluster.Host.Tests.Cluster;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// The node verbs when the project's STAC API cannot be reached, as real <c>nrtc</c> processes: an expected failure is one
/// line naming the URL, never a stack trace, and <c>status</c> still shows the stored state.
/// </summary>
public sealed class OfflineArchiveTests
{
    private static readonly SyntheticArchiveOptions Archive = new()
    {
        GranuleSize = 20, Start = new DateOnly(2021, 3, 1), HistoryEnd = new DateOnly(2021, 12, 31), End = new DateOnly(2022, 1, 31),
    };

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    /// <summary>
    /// A STAC API that refuses connections, and one that answers HTTP 500 to everything: fit and fast-forward fail in one
    /// line naming the URL and what to check; so does status, which has no stored tile to show instead.
    /// </summary>
    [Fact]
    public void Fit_fast_forward_and_status_name_an_archive_that_refuses_or_fails_in_one_line()
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-offline-").FullName;
        try
        {
            var archive = SyntheticArchive.Generate(Path.Combine(folder, "archive"), Archive);
            var project = Path.Combine(folder, "project.conf");
            using var failing = new FailingServer(500);
            foreach (var (api, cause) in new[] { ($"http://127.0.0.1:{Loopback.FreePort()}", "refused"), (failing.BaseUrl, "500") })
            {
                ClusterFixture.WriteProject(folder, archive.Directory, archive, stacApi: api);
                foreach (var verb in new[] { "fit", "fast-forward", "status" })
                {
                    var (code, output) = Nrtc.RunWithin(CommandTimeout, verb, "--project", project);
                    var line = Assert.Single(output.Split('\n'), l => l.StartsWith($"{verb}: the archive could not be searched", StringComparison.Ordinal));
                    Assert.Contains(api, line);
                    Assert.Contains(cause, line);
                    Assert.Contains($"check project.stac in {project} and that the archive answers", line);
                    AssertNoStackTrace(output);
                    Assert.True(code == 1, output);
                    if (verb == "status") Assert.Empty(Rows(output));
                }
            }
            Assert.True(failing.Requests > 0);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>An HTTP server on 127.0.0.1 that answers every request with one status.</summary>
    private sealed class FailingServer : IDisposable
    {
        private readonly LoopbackServer _server;
        private int _requests;

        public FailingServer(int status) => _server = new LoopbackServer(context =>
        {
            Interlocked.Increment(ref _requests);
            context.Response.StatusCode = status;
            context.Response.Close();
            return Task.CompletedTask;
        });

        public string BaseUrl => _server.BaseUrl;
        public int Requests => Volatile.Read(ref _requests);

        public void Dispose() => _server.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
    }

    /// <summary>
    /// Fitted on a served archive that is then stopped: status lists the fitted tiles from the stored state, lag unknown,
    /// with one line saying why.
    /// </summary>
    [Fact]
    public async Task Status_shows_the_stored_tiles_when_the_archive_cannot_be_searched()
    {
        var folder = Directory.CreateTempSubdirectory("nrtc-offline-").FullName;
        try
        {
            var archive = SyntheticArchive.Generate(Path.Combine(folder, "archive"), Archive);
            var project = Path.Combine(folder, "project.conf");
            string online;
            string api;
            await using (var server = await ArchiveServer.StartAsync(archive.Directory, 0))
            {
                api = server.BaseUrl;
                ClusterFixture.WriteProject(folder, archive.Directory, archive, stacApi: api);
                ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "fit", "--project", project), "fit");
                int code;
                (code, online) = Nrtc.RunWithin(CommandTimeout, "status", "--project", project);
                Assert.True(code == 0, online);
            }

            var (offlineCode, offline) = Nrtc.RunWithin(CommandTimeout, "status", "--project", project);
            Assert.True(offlineCode == 0, offline);
            AssertNoStackTrace(offline);
            var line = Assert.Single(offline.Split('\n'), l => l.StartsWith("status: the archive could not be searched (", StringComparison.Ordinal));
            Assert.Contains(api, line);
            Assert.EndsWith($"lag unknown, tiles listed from the stored state; check project.stac in {project} and that the archive answers", line.TrimEnd());
            var tiles = Rows(online).Keys.Order().ToArray();
            Assert.NotEmpty(tiles);
            Assert.Equal(tiles, Rows(offline).Keys.Order());
            foreach (var (_, cells) in Rows(offline))
            {
                // tile, fit, last day, days applied, breaks, newest in archive, lag, quarantined
                Assert.StartsWith("#1", cells[1]);
                Assert.Equal(("unknown", "unknown"), (cells[5], cells[6]));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void AssertNoStackTrace(string output) =>
        Assert.DoesNotContain(output.Split('\n'), l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && l.StartsWith("   "));

    /// <summary>The embedded status table's body rows by tile.</summary>
    private static Dictionary<string, string[]> Rows(string status) => QuarantineTests.TableRows(status, 8);
}
