using NrtCluster.Host.Cli;
using NrtCluster.Host.Tests.Http;

namespace NrtCluster.Host.Tests.Deploy;

/// <summary>docker-compose.cluster.yml: validated by the compose tool, and each node's command by the real `nrtc` parser.</summary>
public sealed class ComposeFileTests
{
    private static readonly string[] Nodes = ["node1", "node2", "node3"];
    private static readonly string[] Seeds = [.. Nodes.Select(n => $"akka.tcp://nrtcluster@{n}:4053")];

    [Fact]
    public void Every_node_command_parses_with_the_real_nrtc_parser()
    {
        var blocks = DeployFiles.ServiceBlocks(File.ReadAllText(DeployFiles.ComposePath));
        foreach (var node in Nodes)
        {
            Assert.True(blocks.ContainsKey(node), $"docker-compose.cluster.yml has no service {node}.");
            var args = DeployFiles.Command(blocks[node]);
            Assert.True(args is not null, $"{node}: no `command: [...]` on one line in docker-compose.cluster.yml.");

            var result = Verbs.Root().Parse(args);
            Assert.True(result.Errors.Count == 0, $"{node}: nrtc {string.Join(' ', args)}\n{string.Join('\n', result.Errors.Select(e => e.Message))}");
            Assert.Equal("run", result.CommandResult.Command.Name);
            Assert.Equal("Cluster", result.GetValue<Actors.Config.NodeProfile>("--profile").ToString());
            Assert.Equal(node, result.GetValue<string>("--hostname"));
            Assert.Equal(4053, result.GetValue<int?>("--port"));
            Assert.Equal(Seeds, result.GetValue<string[]>("--seed"));
            // Secrets come from files compose mounts, never the command line (`ps`, `docker inspect`).
            Assert.Null(result.GetValue<string>("--postgres"));
            Assert.Equal("/run/secrets/postgres_connection", result.GetValue<FileInfo>("--postgres-file")!.ToString());
            Assert.Equal("/run/secrets/api_token", result.GetValue<FileInfo>("--api-token-file")!.ToString());
            Assert.Equal("0.0.0.0", result.GetValue<string>("--http-host"));
            Assert.Equal(8080, result.GetValue<int>("--http-port"));
            Assert.Equal("/project/project.conf", result.GetValue<FileInfo>("--project")!.ToString());
        }
    }

    [Fact]
    public void The_compose_tool_accepts_the_file_with_the_database_three_nodes_health_checks_and_shared_output()
    {
        var tool = DeployFiles.ComposeTool();
        Assert.True(tool is not null,
            "Neither docker-compose nor `docker compose` is installed, so docker-compose.cluster.yml cannot be validated: " +
            "install Debian's docker-compose package (scripts/ensure-deps does with NRTC_TEST_DEPS=1; no Docker engine is needed).");

        var (code, yaml, stderr) = DeployFiles.Run(tool, "-f", DeployFiles.ComposePath, "config");
        Assert.True(code == 0, $"{string.Join(' ', tool)} config rejected docker-compose.cluster.yml:\n{stderr}");
        Assert.Equal(["db", "node1", "node2", "node3"], Lines(DeployFiles.Run(tool, "-f", DeployFiles.ComposePath, "config", "--services").Stdout).Order());
        Assert.Equal(["output", "pgdata"], Lines(DeployFiles.Run(tool, "-f", DeployFiles.ComposePath, "config", "--volumes").Stdout).Order());

        var services = DeployFiles.ServiceBlocks(yaml);
        Assert.Contains("image: postgres:15", services["db"]);
        Assert.Contains("pg_isready", services["db"]);
        Assert.Contains("/var/lib/postgresql/data", services["db"]);
        for (int i = 0; i < Nodes.Length; i++)
        {
            string block = services[Nodes[i]];
            // Published on loopback only unless the operator says otherwise.
            Assert.Contains($"127.0.0.1:808{i + 1}:8080", block);
            Assert.Contains("healthcheck:", block);
            Assert.Contains("http://127.0.0.1:8080/readyz", block);
            Assert.Contains("service_healthy", block);
            Assert.Contains("/output", block);
            Assert.Contains("/project", block);
            Assert.All(Seeds, seed => Assert.Contains(seed, block));
            Assert.Contains("- source: postgres_connection", block);
            Assert.Contains("- source: api_token", block);
            Assert.DoesNotContain("${", block);
        }
    }

    [Fact]
    public void Secrets_are_files_with_no_default_password_and_the_database_reads_its_password_from_one()
    {
        var tool = DeployFiles.ComposeTool();
        Assert.True(tool is not null, "docker-compose is not installed (scripts/ensure-deps installs it with NRTC_TEST_DEPS=1).");
        using var secrets = new TempFolder();
        var (code, yaml, stderr) = DeployFiles.Run(tool, TimeSpan.FromMinutes(1), new Dictionary<string, string> { ["NRTC_SECRETS_DIR"] = secrets.Path },
            "-f", DeployFiles.ComposePath, "config");
        Assert.True(code == 0, stderr);

        // Each secret is a file in NRTC_SECRETS_DIR; nothing in the file is a password.
        foreach (var name in new[] { "postgres_password", "postgres_connection", "api_token" })
            Assert.Contains($"  {name}:\n    file: {Path.Combine(secrets.Path, name)}\n", yaml);
        string file = File.ReadAllText(DeployFiles.ComposePath);
        Assert.DoesNotContain("Password=", file);
        Assert.DoesNotContain("POSTGRES_PASSWORD:", file);
        var db = DeployFiles.ServiceBlocks(yaml)["db"];
        Assert.Contains("POSTGRES_PASSWORD_FILE: /run/secrets/postgres_password", db);
        Assert.Contains("- source: postgres_password", db);

        // scripts/cluster-secrets writes them: a random password, the nodes' connection string with it, a random token.
        var (written, output) = Processes.Run(Path.Combine(DeployFiles.Root, "scripts", "cluster-secrets"), secrets.Path);
        Assert.True(written == 0, output);
        string password = File.ReadAllText(Path.Combine(secrets.Path, "postgres_password")).Trim();
        Assert.Matches("^[0-9a-f]{48}$", password);
        Assert.Equal($"Host=db;Port=5432;Database=nrtcluster;Username=nrt;Password={password}", File.ReadAllText(Path.Combine(secrets.Path, "postgres_connection")).Trim());
        Assert.Matches("^[0-9a-f]{48}$", File.ReadAllText(Path.Combine(secrets.Path, "api_token")).Trim());
        Assert.NotEqual(password, File.ReadAllText(Path.Combine(secrets.Path, "api_token")).Trim());
        // A second run keeps them.
        var before = Directory.GetFiles(secrets.Path).Order().Select(File.ReadAllText).ToArray();
        Assert.Equal(0, Processes.Run(Path.Combine(DeployFiles.Root, "scripts", "cluster-secrets"), secrets.Path).ExitCode);
        Assert.Equal(before, Directory.GetFiles(secrets.Path).Order().Select(File.ReadAllText));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
