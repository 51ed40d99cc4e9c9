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
    }
}

/// <summary>Runs the built nrtc CLI as a real process.</summary>
public static class Nrtc
{
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "nrtc.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
