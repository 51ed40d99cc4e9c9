using System.Text.RegularExpressions;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Tests.Cluster;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// <c>nrtc run --profile cluster</c> (real processes) takes its PostgreSQL connection string, password included, from a file
/// (--postgres-file, e.g. a compose secret) or NRTC_POSTGRES instead of its command line, where `ps` shows it. Each node
/// here points at a closed port, so the database it uses shows in the outage line it prints (password hidden).
/// </summary>
public sealed class PostgresSecretTests
{
    private const string Password = "hunter2-not-in-ps";

    [Fact]
    public async Task A_cluster_node_reads_the_connection_string_from_its_file_before_NRTC_POSTGRES_and_never_shows_the_password()
    {
        using var folder = new TempFolder();
        var archiveFolder = Path.Combine(folder.Path, "archive");
        var options = new SyntheticArchiveOptions
        {
            GranuleSize = 40, Start = new DateOnly(2021, 1, 1), HistoryEnd = new DateOnly(2021, 6, 30), End = new DateOnly(2021, 7, 31),
        };
        ClusterFixture.WriteProject(folder.Path, archiveFolder, SyntheticArchive.Generate(archiveFolder, options));
        string project = folder.File("project.conf");
        int filePort = Loopback.FreePort(), envPort = Loopback.FreePort();
        string Connection(int port) => $"Host=127.0.0.1;Port={port};Database=nrtcluster;Username=nrt;Password={Password}";
        File.WriteAllText(folder.File("postgres"), Connection(filePort) + "\n");
        string[] Run(params string[] extra) =>
            ["run", "--project", project, "--profile", "cluster", "--hostname", "127.0.0.1", "--port", "0", "--http-port", "0", .. extra];

        // The file wins over the environment; the environment serves when no file is given.
        using var fromFile = NrtcProcess.Start("from-file", new Dictionary<string, string> { ["NRTC_POSTGRES"] = Connection(envPort) },
            Run("--postgres-file", folder.File("postgres")));
        using var fromEnvironment = NrtcProcess.Start("from-environment", new Dictionary<string, string> { ["NRTC_POSTGRES"] = Connection(envPort) }, Run());
        foreach (var (node, port) in new[] { (fromFile, filePort), (fromEnvironment, envPort) })
        {
            await node.WaitForOutputAsync(new Regex($@"database Host=127\.0\.0\.1;Port={port};Database=nrtcluster;Username=nrt \(password hidden\) is unreachable"),
                TimeSpan.FromSeconds(90));
            Assert.DoesNotContain(Password, File.ReadAllText($"/proc/{node.Id}/cmdline"));
            Assert.DoesNotContain(Password, node.Output);
        }

        // Bad files and giving both options are refused before anything starts, naming the file and what it must hold.
        File.WriteAllText(folder.File("empty"), "\n");
        var (code, output) = Nrtc.RunWithin(TimeSpan.FromMinutes(1), Run("--postgres-file", folder.File("empty")));
        Assert.Equal(1, code);
        Assert.Contains($"run: --postgres-file {folder.File("empty")} is empty; its first line must be the PostgreSQL connection string.", output);
        (code, output) = Nrtc.RunWithin(TimeSpan.FromMinutes(1), Run("--postgres-file", folder.File("missing")));
        Assert.Equal(1, code);
        Assert.Contains($"run: --postgres-file {folder.File("missing")} does not exist; give a file whose first line is the PostgreSQL connection string.", output);
        (code, output) = Nrtc.RunWithin(TimeSpan.FromMinutes(1), Run("--postgres-file", folder.File("postgres"), "--postgres", Connection(filePort)));
        Assert.Equal(1, code);
        Assert.Contains("run: give the PostgreSQL connection string once: --postgres or --postgres-file, not both.", output);
    }
}
