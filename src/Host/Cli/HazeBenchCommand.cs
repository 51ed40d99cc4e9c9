using System.CommandLine;
using System.Globalization;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Bench;
using NrtCluster.Actors.Config;

namespace NrtCluster.Host.Cli;

/// <summary><c>nrtc bench haze [--size N] [--haze-days N] [--end DATE] [--only MONITOR]</c>: each monitor's accuracy with the haze gate off and on.</summary>
public static class HazeBenchCommand
{
    public static Command Create()
    {
        var size = new Option<int>("--size") { Description = "Granule size of the synthetic archives in 20 m pixels (two granules each)", DefaultValueFactory = _ => 60 };
        var haze = SimulateArchiveCommand.HazeDaysOption(fallback: 3);
        var end = new Option<string?>("--end") { Description = "Last acquisition date of the archives, YYYY-MM-DD, after 2021-12-31 (default 2023-06-30); earlier is faster" };
        var only = new Option<string[]>("--only") { Description = "Monitors to run (default all): EWMA, CuSum, MoSum, IQR, CCDC", AllowMultipleArgumentsPerToken = true };
        var keep = new Option<DirectoryInfo?>("--out") { Description = "Keep the archives, projects and reports in this folder (default: a temporary folder, deleted)" };
        var command = new Command("haze",
            "Run each monitor through the demo's pipeline on a synthetic archive with unflagged haze days and on the same archive without, " +
            "with the haze gate off and on; print F1, precision, recall and median detection lag against the ground truth.");
        foreach (var o in new Option[] { size, haze, end, only, keep }) command.Options.Add(o);
        command.SetAction(async (parseResult, ct) =>
        {
            var options = new SyntheticArchiveOptions { GranuleSize = parseResult.GetValue(size), HazeDays = parseResult.GetValue(haze) };
            string[] monitors = parseResult.GetValue(only) is { Length: > 0 } named ? named : [.. HazeBench.Monitors.Select(m => m.Monitor)];
            var folder = parseResult.GetValue(keep)?.FullName ?? Path.Combine(Path.GetTempPath(), "nrtc-bench-haze-" + Guid.NewGuid().ToString("N"));
            try
            {
                if (parseResult.GetValue(end) is { } endText)
                {
                    if (!DateOnly.TryParseExact(endText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var last))
                        throw new ArgumentException($"--end '{endText}' is not a date; give YYYY-MM-DD.");
                    options = options with { End = last };
                }
                options.Validate();
                var unknown = monitors.Where(m => HazeBench.Monitors.All(k => k.Monitor != m)).ToList();
                if (unknown.Count > 0)
                    throw new ArgumentException($"--only {string.Join(", ", unknown)}: unknown monitor; give some of {string.Join(", ", HazeBench.Monitors.Select(m => m.Monitor))}.");
                var rows = await HazeBench.RunAsync(folder, options, monitors, Console.Out, ct);
                Console.WriteLine();
                Console.Write(HazeBench.Format(rows));
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or ProjectConfigException or IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"bench haze: {e.Message}");
                return 1;
            }
            finally
            {
                if (parseResult.GetValue(keep) is null && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            }
        });
        return command;
    }
}
