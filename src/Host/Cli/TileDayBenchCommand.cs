using System.CommandLine;
using NrtCluster.Host.Bench;

namespace NrtCluster.Host.Cli;

/// <summary><c>nrtc bench tileday</c>: the per-stage cost of a tile-day through the real pipeline, from disk and over HTTP.</summary>
public static class TileDayBenchCommand
{
    public static Command Create()
    {
        var size = new Option<int>("--size") { Description = "Tile side in pixels (N x N)", DefaultValueFactory = _ => 1000 };
        var days = new Option<int>("--days") { Description = "Monitoring days fast-forwarded (one every 5 days)", DefaultValueFactory = _ => 10 };
        var every = new Option<int>("--report-every-days")
        {
            Description = "nrtcluster.tiles.report-every-days: 0 writes the report once after the last day (each source also runs with 1, a report after every day, to compare)",
            DefaultValueFactory = _ => 0,
        };
        var diskOnly = new Option<bool>("--disk-only") { Description = "Leave out the run over HTTP range requests" };
        var command = new Command("tileday",
            "Fit one tile of a synthetic two-granule archive and fast-forward it on an embedded node, from the static catalog on disk and " +
            "through the loopback STAC API; print per stage (search, load, monitor, persist, report) count, median and total, and " +
            "wall and processor time per tile-day. For one-core figures run it with DOTNET_PROCESSOR_COUNT=1 GDAL_NUM_THREADS=1.");
        command.Options.Add(size);
        command.Options.Add(days);
        command.Options.Add(every);
        command.Options.Add(diskOnly);
        command.SetAction(async (parseResult, ct) =>
        {
            int n = parseResult.GetValue(size), d = parseResult.GetValue(days), e = parseResult.GetValue(every);
            if (n < 50 || d < 1 || e < 0)
            {
                Console.Error.WriteLine("bench tileday: --size must be at least 50, --days at least 1 and --report-every-days at least 0.");
                return 2;
            }
            var folder = Path.Combine(Path.GetTempPath(), "nrtc-bench-tileday-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            try
            {
                var runs = await TileDayBench.RunAsync(folder, n, d, e, !parseResult.GetValue(diskOnly), Console.Out, ct);
                Console.WriteLine(TileDayBench.Format(runs, n));
                return 0;
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        });
        return command;
    }
}
