using System.Diagnostics;

namespace NrtCluster.Host.Tests.Deploy;

/// <summary>
/// A test that needs a Docker engine and docker-compose: skipped, with the reason printed, where no engine answers
/// <c>docker info</c> (scripts/ensure-deps starts one when run as root with NRTC_TEST_DEPS=1).
/// </summary>
public sealed class DockerFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Missing = new(FindMissing);

    public DockerFactAttribute()
    {
        if (Missing.Value is { } reason) Skip = reason;
    }

    private static string? FindMissing()
    {
        if (DeployFiles.ComposeTool() is null) return "docker-compose is not installed (scripts/ensure-deps installs it with NRTC_TEST_DEPS=1)";
        try
        {
            using var p = Process.Start(new ProcessStartInfo("docker", "info") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var stderr = p.StandardError.ReadToEndAsync();
            _ = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                p.Kill();
                return "no Docker engine answers ('docker info' did not return within 30 s)";
            }
            return p.ExitCode == 0 ? null
                : $"no Docker engine answers ('docker info': {stderr.Result.Trim().Split('\n').LastOrDefault()}); run ./run-tests as root so scripts/ensure-deps starts dockerd";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "the docker command is not installed (scripts/ensure-deps installs docker.io with NRTC_TEST_DEPS=1)";
        }
    }
}
