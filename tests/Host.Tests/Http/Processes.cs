using System.Diagnostics;

namespace NrtCluster.Host.Tests.Http;

/// <summary>Runs command-line tools (gdalinfo, gdal_translate) as real processes.</summary>
public static class Processes
{
    public static (int ExitCode, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // GDAL's WMS driver would otherwise keep a tile cache in the working folder.
        psi.Environment["GDAL_ENABLE_WMS_CACHE"] = "NO";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill();
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within 2 minutes.");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
