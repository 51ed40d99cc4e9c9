using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace NrtCluster.Host.Tests.Deploy;

/// <summary>
/// The deployment files at the repository root, read as text. The compose file is read by its layout (services at two
/// spaces, a node's command as a JSON array on one line, as the file promises), which is all the tests need; the
/// compose tool itself validates the full syntax.
/// </summary>
internal static partial class DeployFiles
{
    public static string Root => RepoRoot.Path;
    public static string ComposePath => Path.Combine(Root, "docker-compose.cluster.yml");
    public static string DockerfilePath => Path.Combine(Root, "Dockerfile");

    /// <summary>The blocks under <c>services:</c> of a compose document (the file or the tool's normalized output), by service.</summary>
    public static Dictionary<string, string> ServiceBlocks(string yaml)
    {
        var blocks = new Dictionary<string, List<string>>();
        bool inServices = false;
        List<string>? current = null;
        foreach (var line in yaml.Split('\n').Select(l => l.TrimEnd('\r')))
        {
            if (line.Length > 0 && !char.IsWhiteSpace(line[0]) && !line.StartsWith('#'))
            {
                inServices = line.StartsWith("services:", StringComparison.Ordinal);
                current = null;
                continue;
            }
            if (!inServices) continue;
            if (ServiceKey().Match(line) is { Success: true } m) blocks[m.Groups[1].Value] = current = [];
            else current?.Add(line);
        }
        return blocks.ToDictionary(b => b.Key, b => string.Join('\n', b.Value));
    }

    /// <summary>A node's command line from its block, with <c>${VAR:-default}</c> replaced by the default as compose would.</summary>
    public static string[]? Command(string block)
    {
        var m = CommandLine().Match(block);
        if (!m.Success) return null;
        string json = Interpolation().Replace(m.Groups[1].Value, d => d.Groups[1].Value);
        return JsonSerializer.Deserialize<string[]>(json);
    }

    /// <summary>The compose tool: Debian's docker-compose, or the docker CLI's compose plugin; null when neither works.</summary>
    public static string[]? ComposeTool()
    {
        foreach (string[] tool in (string[][])[["docker-compose"], ["docker", "compose"]])
        {
            try
            {
                if (Run(tool, "version").ExitCode == 0) return tool;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed: try the next.
            }
        }
        return null;
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(string[] tool, params string[] args) =>
        Run(tool, TimeSpan.FromMinutes(1), new Dictionary<string, string>(), args);

    /// <summary>
    /// Runs a tool in the repository root with <paramref name="environment"/> added; one still running after
    /// <paramref name="timeout"/> is killed and reported as a <see cref="TimeoutException"/>.
    /// </summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string[] tool, TimeSpan timeout, IReadOnlyDictionary<string, string> environment,
        params string[] args)
    {
        var psi = new ProcessStartInfo(tool[0]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        foreach (var a in tool.Skip(1).Concat(args)) psi.ArgumentList.Add(a);
        // The file's defaults, not whatever the developer's shell sets.
        foreach (var name in new[] { "NRTC_PROJECT_DIR", "NRTC_SECRETS_DIR", "NRTC_PUBLISH_ADDRESS" }) psi.Environment.Remove(name);
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"{string.Join(' ', tool.Concat(args))} did not finish within {timeout}: {stdout.Result}{stderr.Result}");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [GeneratedRegex(@"^  ([A-Za-z0-9_.-]+):\s*$")]
    private static partial Regex ServiceKey();

    [GeneratedRegex(@"^    command:\s*(\[.*\])\s*$", RegexOptions.Multiline)]
    private static partial Regex CommandLine();

    [GeneratedRegex(@"\$\{\w+:-([^}]*)\}")]
    private static partial Regex Interpolation();
}
