using System.Diagnostics;

namespace NrtCluster.Host.Tests;

public class CliTests
{
    [Fact]
    public void HelpListsTheVerbs()
    {
        var (code, output) = Nrtc.Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("demo", output);
        Assert.Contains("shards", output);
    }

    /// <summary>The verbs that drive a running node name it when it is not there, and say how to start one.</summary>
    [Theory]
    [InlineData("fit")]
    [InlineData("fast-forward")]
    [InlineData("requeue")]
    [InlineData("status")]
    [InlineData("shards")]
    public void NodeVerbsNameAnUnreachableNode(string verb)
    {
        var (code, output) = Nrtc.Run(verb, "--node", "http://127.0.0.1:9");
        Assert.Equal(1, code);
        Assert.Contains("cannot reach the node at http://127.0.0.1:9", output);
        Assert.Contains("nrtc run", output);
    }

    [Fact]
    public void BadNodeInputIsNamed()
    {
        var (code, output) = Nrtc.Run("fast-forward", "--node", "http://127.0.0.1:9", "--to", "2022-13-01");
        Assert.Equal(1, code);
        Assert.Contains("--to '2022-13-01' is not a date", output);

        (code, output) = Nrtc.Run("shards", "--node", "127.0.0.1:8080");
        Assert.Equal(1, code);
        Assert.Contains("--node '127.0.0.1:8080' is not an http(s) URL", output);

        (code, output) = Nrtc.Run("shards", "move", "s0_0", "--node", "http://127.0.0.1:9");
        Assert.NotEqual(0, code);
        Assert.Contains("--to", output);
    }
}

/// <summary>Runs the built nrtc CLI as a real process.</summary>
public static class Nrtc
{
    public static (int ExitCode, string Output) Run(params string[] args) => RunWithin(Timeout.InfiniteTimeSpan, args);

    /// <summary>Runs nrtc; one still running after <paramref name="timeout"/> is killed and reported as a <see cref="TimeoutException"/>.</summary>
    public static (int ExitCode, string Output) RunWithin(TimeSpan timeout, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "nrtc.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"nrtc {string.Join(' ', args)} did not finish within {timeout}: {stdout.Result}{stderr.Result}");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
