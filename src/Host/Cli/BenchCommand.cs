using System.CommandLine;
using System.Globalization;
using NrtCluster.Actors.Bench;
using NrtCluster.Geo.Bench;
using NrtCluster.Host.Bench;

namespace NrtCluster.Host.Cli;

/// <summary><c>nrtc bench kernels|geo|persistence</c>: throughput figures printed, never asserted.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var size = new Option<int>("--size") { Description = "Tile side in pixels (N x N)", DefaultValueFactory = _ => 1000 };
        var dates = new Option<int>("--dates") { Description = "History dates", DefaultValueFactory = _ => 220 };
        var monitoring = new Option<int>("--monitoring-dates") { Description = "Monitoring dates", DefaultValueFactory = _ => 70 };
        var only = new Option<string?>("--only") { Description = "Run only configurations whose name contains this text (e.g. CuSum)" };
        var cold = new Option<bool>("--cold") { Description = "Run each configuration in a fresh process: print its cold (first call) and warm fit and step times, their ratio, and the speed-up against the reference at 300 x 300, 220 + 70 dates" };
        var coldChild = new Option<int?>(ColdKernelBench.ChildOption) { Hidden = true };
        var kernels = new Command("kernels", "Fit each monitor configuration on a simulated tile; print Mpx/s, ms per monitoring step and fit peak memory.");
        kernels.Options.Add(size);
        kernels.Options.Add(dates);
        kernels.Options.Add(monitoring);
        kernels.Options.Add(only);
        kernels.Options.Add(cold);
        kernels.Options.Add(coldChild);
        kernels.SetAction(parseResult =>
        {
            var n = parseResult.GetValue(size);
            var t = parseResult.GetValue(dates);
            var m = parseResult.GetValue(monitoring);
            var filter = parseResult.GetValue(only);
            if (n < 1 || t < 1 || m < 0)
            {
                Console.Error.WriteLine("bench kernels: --size and --dates must be at least 1, --monitoring-dates at least 0.");
                return 2;
            }
            if (parseResult.GetValue(coldChild) is { } child)
            {
                if (child < 0 || child >= KernelBench.Configurations.Count)
                {
                    Console.Error.WriteLine($"bench kernels: {ColdKernelBench.ChildOption} must be between 0 and {KernelBench.Configurations.Count - 1}.");
                    return 2;
                }
                Console.WriteLine(ColdKernelBench.RunChild(new SimulatedTile(n, t, m), child));
                return 0;
            }
            var configs = KernelBench.Configurations.Where(c => filter is null || c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToList();
            if (configs.Count == 0)
            {
                Console.Error.WriteLine($"bench kernels: no configuration matches '{filter}'; configurations: {string.Join("; ", KernelBench.Configurations.Select(c => c.Name))}.");
                return 2;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"simulated tile {n} x {n}, {t} history dates, {m} monitoring dates, {Environment.ProcessorCount} cores"));
            if (parseResult.GetValue(cold))
            {
                var atReference = ColdKernelBench.AtReferenceSize(n, t, m);
                if (!atReference)
                {
                    var (rn, rt, rm) = KernelBench.ReferenceSize;
                    Console.WriteLine($"(the reference figures are for {rn} x {rn}, {rt} history dates, {rm} monitoring dates: run with those to compare)");
                }
                try
                {
                    foreach (var result in ColdKernelBench.Run(n, t, m, configs))
                    {
                        Console.WriteLine(ColdKernelBench.Format(result, atReference));
                    }
                }
                catch (InvalidOperationException e)
                {
                    Console.Error.WriteLine($"bench kernels: {e.Message}");
                    return 1;
                }
                return 0;
            }
            var tile = new SimulatedTile(n, t, m);
            foreach (var result in KernelBench.Run(tile, configs))
            {
                Console.WriteLine(KernelBench.Format(result));
            }
            return 0;
        });
        var command = new Command("bench", "Benchmarks: print throughput figures for this machine.");
        command.Subcommands.Add(kernels);
        command.Subcommands.Add(Geo());
        command.Subcommands.Add(Persistence());
        command.Subcommands.Add(LatencyBenchCommand.Create());
        command.Subcommands.Add(ClusterBenchCommand.Create());
        command.Subcommands.Add(TileDayBenchCommand.Create());
        command.Subcommands.Add(HazeBenchCommand.Create());
        return command;
    }

    private static Command Geo()
    {
        var size = new Option<int>("--size") { Description = "Tile side in pixels (N x N)", DefaultValueFactory = _ => 1000 };
        var repeats = new Option<int>("--repeats") { Description = "Timed single-observation loads", DefaultValueFactory = _ => 10 };
        var cube = new Option<int>("--cube") { Description = "Observations in the history cube (0 skips it)", DefaultValueFactory = _ => 220 };
        var geo = new Command("geo", "Load one observation (red, nir, SCL) from two overlapping UTM COGs warped onto an EPSG:3035 tile, then a history cube.");
        geo.Options.Add(size);
        geo.Options.Add(repeats);
        geo.Options.Add(cube);
        geo.SetAction(parseResult =>
        {
            var result = ObservationBenchmark.Run(parseResult.GetValue(size), parseResult.GetValue(repeats), parseResult.GetValue(cube), output: Console.Out);
            Console.WriteLine(result);
            return 0;
        });
        return geo;
    }

    private static Command Persistence()
    {
        var size = new Option<int>("--size") { Description = "Tile side in pixels (N x N)", DefaultValueFactory = _ => 1000 };
        var dates = new Option<int>("--dates") { Description = "History dates", DefaultValueFactory = _ => 40 };
        var days = new Option<int>("--days") { Description = "Days applied through the tile actor", DefaultValueFactory = _ => 5 };
        var persistence = new Command("persistence", "Fit and monitor one synthetic tile through the persistent tile actor on SQLite; print bytes and times per fit and per day, and recovery time.");
        persistence.Options.Add(size);
        persistence.Options.Add(dates);
        persistence.Options.Add(days);
        persistence.SetAction(async (parseResult, _) =>
        {
            var folder = Path.Combine(Path.GetTempPath(), "nrtc-bench-persistence-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            try
            {
                var figures = await TilePersistenceBenchmark.RunAsync(folder, Actors.Config.AkkaProfiles.DefaultHoconFolder,
                    parseResult.GetValue(size), parseResult.GetValue(dates), parseResult.GetValue(days));
                Console.WriteLine(figures);
                return 0;
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        });
        return persistence;
    }
}
