using System.CommandLine;
using System.Globalization;
using NrtCluster.Host.Bench;

namespace NrtCluster.Host.Cli;

/// <summary><c>nrtc bench kernels</c>: throughput of the fits and monitoring steps on a simulated tile.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var size = new Option<int>("--size") { Description = "Tile side in pixels (N x N)", DefaultValueFactory = _ => 1000 };
        var dates = new Option<int>("--dates") { Description = "History dates", DefaultValueFactory = _ => 220 };
        var monitoring = new Option<int>("--monitoring-dates") { Description = "Monitoring dates", DefaultValueFactory = _ => 70 };
        var only = new Option<string?>("--only") { Description = "Run only configurations whose name contains this text (e.g. CuSum)" };
        var kernels = new Command("kernels", "Fit each monitor configuration on a simulated tile; print Mpx/s, ms per monitoring step and fit peak memory.");
        kernels.Options.Add(size);
        kernels.Options.Add(dates);
        kernels.Options.Add(monitoring);
        kernels.Options.Add(only);
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
            var configs = KernelBench.Configurations.Where(c => filter is null || c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToList();
            if (configs.Count == 0)
            {
                Console.Error.WriteLine($"bench kernels: no configuration matches '{filter}'; configurations: {string.Join("; ", KernelBench.Configurations.Select(c => c.Name))}.");
                return 2;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"simulated tile {n} x {n}, {t} history dates, {m} monitoring dates, {Environment.ProcessorCount} cores"));
            var tile = new SimulatedTile(n, t, m);
            foreach (var result in KernelBench.Run(tile, configs))
            {
                Console.WriteLine(KernelBench.Format(result));
            }
            return 0;
        });
        var command = new Command("bench", "Benchmarks.");
        command.Subcommands.Add(kernels);
        return command;
    }
}
