using System.Globalization;

namespace NrtCluster.Host.Bench;

/// <summary>Cold and warm figures of one configuration, both measured in one fresh process.</summary>
public sealed record ColdWarmResult(BenchConfiguration Configuration, BenchResult Cold, BenchResult Warm)
{
    public double FitRatio => Cold.FitSeconds / Warm.FitSeconds;
    public double StepRatio => Cold.StepMilliseconds / Warm.StepMilliseconds;
}

/// <summary>
/// <c>nrtc bench kernels --cold</c>: each configuration runs in a fresh process of this program (its first kernel call
/// is timed, as a fresh <c>nrtc fit</c> or a node's first tiles pay it), then again after a warm-up in the same process.
/// The child prints one machine-readable line that the parent reads back.
/// </summary>
public static class ColdKernelBench
{
    private const string LinePrefix = "cold-warm";

    /// <summary>The hidden option that makes a process measure one configuration (an index into <see cref="KernelBench.Configurations"/>).</summary>
    public const string ChildOption = "--cold-child";

    /// <summary>The child's part: cold then warm figures of configuration <paramref name="index"/>, as one line.</summary>
    public static string RunChild(SimulatedTile tile, int index)
    {
        var (cold, warm) = KernelBench.RunColdThenWarm(tile, KernelBench.Configurations[index]);
        return string.Join(' ', new[] { cold, warm }.SelectMany(r => new[] { r.FitSeconds, r.FitCpuSeconds, r.StepMilliseconds, r.StepCpuMilliseconds })
            .Select(v => v.ToString("R", CultureInfo.InvariantCulture)).Prepend(index.ToString(CultureInfo.InvariantCulture)).Prepend(LinePrefix));
    }

    /// <summary>Runs each configuration in its own fresh process; throws with the child's output when one fails.</summary>
    public static IEnumerable<ColdWarmResult> Run(int size, int dates, int monitoringDates, IEnumerable<BenchConfiguration> configurations)
    {
        foreach (var config in configurations)
        {
            var index = KernelBench.Configurations.ToList().IndexOf(config);
            var output = NrtcChild.RunAsync(config.Name, TimeSpan.FromHours(1), CancellationToken.None, "bench", "kernels", "--size", Invariant(size), "--dates", Invariant(dates),
                "--monitoring-dates", Invariant(monitoringDates), ChildOption, Invariant(index)).GetAwaiter().GetResult();
            var line = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(LinePrefix + " ", StringComparison.Ordinal));
            if (line is null)
            {
                throw new InvalidOperationException($"the fresh process for '{config.Name}' printed no '{LinePrefix}' line:{Environment.NewLine}{output}");
            }
            var v = line.Split(' ').Skip(2).Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            BenchResult Figures(int at) => new(config.Name, size * size, dates, v[at], v[at + 1], v[at + 2], v[at + 3], 0, 0, 0, 0);
            yield return new ColdWarmResult(config, Figures(0), Figures(4));
        }
    }

    public static bool AtReferenceSize(int size, int dates, int monitoringDates) =>
        (size, dates, monitoringDates) == KernelBench.ReferenceSize;

    public static string Format(ColdWarmResult r, bool atReferenceSize)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{r.Configuration.Name,-30} cold fit {r.Cold.FitSeconds,7:F3} s (cpu {r.Cold.FitCpuSeconds,7:F3} s) step {r.Cold.StepMilliseconds,7:F2} ms (cpu {r.Cold.StepCpuMilliseconds,7:F2} ms) | warm fit {r.Warm.FitSeconds,7:F3} s (cpu {r.Warm.FitCpuSeconds,7:F3} s) step {r.Warm.StepMilliseconds,7:F2} ms (cpu {r.Warm.StepCpuMilliseconds,7:F2} ms) | cold/warm fit {r.FitRatio,5:F2} step {r.StepRatio,5:F2}");
        if (atReferenceSize && r.Configuration.Reference is { } reference)
        {
            line += string.Create(CultureInfo.InvariantCulture,
                $" | speed-up vs reference (warm) fit {reference.FitSeconds / r.Warm.FitSeconds,5:F1}x step {reference.StepMilliseconds / r.Warm.StepMilliseconds,5:F1}x");
        }
        return line;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
