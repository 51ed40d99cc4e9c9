using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace NrtCluster.Host.Tests.Deploy;

/// <summary>
/// The Dockerfile, read instruction by instruction (no Docker engine here to build it): the runtime is Debian 12 with
/// GDAL 3.6, what it copies exists, and the program it starts is what the Host build produces.
/// </summary>
public sealed class DockerfileTests
{
    private static readonly List<(string Op, string Args)> Instructions = Parse(File.ReadAllText(DeployFiles.DockerfilePath));

    private static IEnumerable<string> RuntimeStage => Instructions.SkipWhile(i => i != Instructions.Last(j => j.Op == "FROM")).Select(i => $"{i.Op} {i.Args}");

    [Fact]
    public void The_runtime_is_debian_bookworm_with_libgdal32_and_the_aspnet_runtime_the_program_needs()
    {
        Assert.StartsWith("FROM debian:bookworm", RuntimeStage.First());
        Assert.Contains(RuntimeStage, i => i.StartsWith("RUN apt-get update") && Regex.IsMatch(i, @"apt-get install[^&]*\blibgdal32\b"));

        // nrtc runs on ASP.NET Core (the HTTP server), so the runtime copied in must be the aspnet one, of the same version.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(HostOutput, "nrtc.runtimeconfig.json")))!;
        var frameworks = config["runtimeOptions"]!["frameworks"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()).ToArray();
        Assert.Contains("Microsoft.AspNetCore.App", frameworks);
        string tfm = config["runtimeOptions"]!["tfm"]!.GetValue<string>();
        Assert.Contains(Instructions, i => i.Op == "FROM" && i.Args.StartsWith($"mcr.microsoft.com/dotnet/aspnet:{tfm["net".Length..]}"));
        Assert.Contains(Instructions, i => i.Op == "FROM" && i.Args.StartsWith($"mcr.microsoft.com/dotnet/sdk:{tfm["net".Length..]}"));
    }

    [Fact]
    public void The_image_starts_the_built_program_as_a_non_root_user_with_its_ports_and_health_check()
    {
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"nrtc.dll\"]", RuntimeStage);
        var user = Assert.Single(RuntimeStage, i => i.StartsWith("USER "));
        Assert.NotEqual("USER root", user);
        Assert.Contains(RuntimeStage, i => i.StartsWith("HEALTHCHECK") && i.Contains("http://127.0.0.1:8080/healthz"));
        // The compose file's --port and --http-port.
        Assert.Contains(RuntimeStage, i => i == "EXPOSE 4053 8080");

        // The program and what it reads beside itself (hocon/ profiles, the web map), as the Host build lays them out.
        foreach (var file in new[] { "nrtc.dll", "hocon/base.conf", "hocon/cluster.conf", "wwwroot/index.html" })
            Assert.True(File.Exists(Path.Combine(HostOutput, file)), $"{file} is not in the Host output {HostOutput}; the image would miss it.");
    }

    [Fact]
    public void Everything_the_build_copies_from_the_context_exists_and_is_not_ignored()
    {
        var ignored = File.ReadAllLines(Path.Combine(DeployFiles.Root, ".dockerignore"))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        var copies = Instructions.Where(i => i.Op == "COPY" && !i.Args.StartsWith("--from")).ToList();
        Assert.NotEmpty(copies);
        foreach (var (_, args) in copies)
        {
            var parts = args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            foreach (var source in parts[..^1])
            {
                string path = Path.Combine(DeployFiles.Root, source.TrimEnd('/'));
                Assert.True(File.Exists(path) || Directory.Exists(path), $"Dockerfile copies {source}, which is not in the repository.");
                Assert.DoesNotContain(source.TrimEnd('/') + "/", ignored);
            }
        }
        // The Host project and the hocon profiles it links are inside what is copied.
        Assert.Contains(copies, c => c.Args.StartsWith("src/ "));
        Assert.Contains(copies, c => c.Args.StartsWith("hocon/ "));
    }

    private static string HostOutput => Path.Combine(DeployFiles.Root, "src", "Host", "bin", "Release", "net10.0");

    /// <summary>Instructions with continuation lines joined and comments dropped.</summary>
    private static List<(string Op, string Args)> Parse(string text)
    {
        var result = new List<(string, string)>();
        string pending = "";
        foreach (var raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith('#') || (line.Length == 0 && pending.Length == 0)) continue;
            if (line.EndsWith('\\'))
            {
                pending += line[..^1].Trim() + " ";
                continue;
            }
            string whole = (pending + line).Trim();
            pending = "";
            if (whole.Length == 0) continue;
            int space = whole.IndexOf(' ');
            result.Add((whole[..space].ToUpperInvariant(), Regex.Replace(whole[(space + 1)..], @"\s+", " ")));
        }
        return result;
    }
}
