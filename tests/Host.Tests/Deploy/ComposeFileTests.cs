using NrtCluster.Host.Cli;

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
            Assert.StartsWith("Host=db;", result.GetValue<string>("--postgres"));
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
            Assert.Contains($"808{i + 1}", block);
            Assert.Contains("healthcheck:", block);
            Assert.Contains("http://127.0.0.1:8080/healthz", block);
            Assert.Contains("service_healthy", block);
            Assert.Contains("/output", block);
            Assert.Contains("/project", block);
            Assert.All(Seeds, seed => Assert.Contains(seed, block));
            // The tool interpolated the password default into the connection string.
            Assert.DoesNotContain("${", block);
        }
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
