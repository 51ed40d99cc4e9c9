using System.CommandLine;
using System.Globalization;
using NrtCluster.Host.Conformance;

namespace NrtCluster.Host.Cli;

/// <summary><c>nrtc conformance --case DIR --out DIR</c>: runs one conformance case (conformance/README.md).</summary>
public static class ConformanceCommand
{
    public static Command Create()
    {
        var caseOption = new Option<DirectoryInfo>("--case") { Description = "Conformance case folder (case.json, history.npy, monitoring.npy, ...)", Required = true };
        var outOption = new Option<DirectoryInfo>("--out") { Description = "Output folder: fit/NAME.npy, final/NAME.npy, timings.json", Required = true };
        var command = new Command("conformance", "Fit and monitor one conformance case and write the monitor state as .npy files.");
        command.Options.Add(caseOption);
        command.Options.Add(outOption);
        command.SetAction(parseResult =>
        {
            var caseDir = parseResult.GetValue(caseOption)!;
            var outDir = parseResult.GetValue(outOption)!;
            if (!caseDir.Exists)
            {
                Console.Error.WriteLine($"conformance: case folder {caseDir.FullName} does not exist.");
                return 2;
            }
            try
            {
                Directory.CreateDirectory(outDir.FullName);
                var result = ConformanceRunner.RunAndWrite(caseDir.FullName, outDir.FullName);
                var t = result.Timings;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{result.Monitor.Name} on {t.Pixels} pixels: fit {t.HistoryDates} dates in {t.FitSeconds:F3} s, monitored {t.MonitoringDates} dates in {t.MonitorSeconds:F3} s"));
                Console.WriteLine($"wrote {result.Fit.Count} fit and {result.Final.Count} final layers, timings.json to {outDir.FullName}");
                foreach (var warning in result.Monitor.FitWarnings) Console.Error.WriteLine($"warning: {warning}");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or InvalidOperationException)
            {
                Console.Error.WriteLine($"conformance: {caseDir.FullName}: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
