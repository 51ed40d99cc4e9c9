using System.Diagnostics;
using System.Globalization;
using NrtCluster.Kernels;
using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Host.Bench;

/// <summary>One fit configuration of the kernel benchmark.</summary>
/// <param name="Reference">The Python reference <c>nrt</c>'s figures for the same configuration at <see cref="KernelBench.ReferenceSize"/>, if measured.</param>
public sealed record BenchConfiguration(string Name, Func<BaseMonitor> Create, FitOptions Fit, ReferenceFigures? Reference = null);

/// <summary>Fit seconds and milliseconds per monitoring step of the Python reference <c>nrt</c> (session 1, see the closing notes' "Benchmark:").</summary>
public sealed record ReferenceFigures(double FitSeconds, double StepMilliseconds);

/// <summary>Measured figures of one configuration.</summary>
/// <param name="FitCpuSeconds">Processor time of the fit over all threads: on a loaded machine, the figure that does not depend on the load.</param>
/// <param name="PeakFitBytes">Peak working set of the process during the fit (includes the history cube).</param>
/// <param name="PeakFitManagedBytes">Peak managed heap during the fit (includes the history cube).</param>
public sealed record BenchResult(
    string Name, int Pixels, int HistoryDates, double FitSeconds, double FitCpuSeconds, double StepMilliseconds, double StepCpuMilliseconds,
    long PeakFitBytes, long PeakFitManagedBytes, long ModelBytes, long StateBytes)
{
    public double FitMegapixelsPerSecond => Pixels / FitSeconds / 1e6;
}

/// <summary>
/// <c>nrtc bench kernels</c>: fits each configuration on a simulated tile and monitors every monitoring date,
/// reporting fit throughput, time per monitoring step and peak process memory during the fit.
/// </summary>
public static class KernelBench
{
    /// <summary>The tile the reference figures were measured on: side in pixels, history dates, monitoring dates.</summary>
    public static (int Size, int Dates, int MonitoringDates) ReferenceSize { get; } = (300, 220, 70);

    public static IReadOnlyList<BenchConfiguration> Configurations { get; } =
    [
        new("IQR + OLS (no trend, order 2)", () => new Iqr(new IqrOptions { Trend = false, HarmonicOrder = 2 }), new FitOptions { Method = FitMethod.Ols }, new(2.08, 3.5)),
        new("IQR + RIRLS (maxiter 5)", () => new Iqr(new IqrOptions { Trend = false, HarmonicOrder = 2 }), new FitOptions { Method = FitMethod.Rirls, MaxIter = 5 }, new(12.3, 5.1)),
        new("EWMA OLS + Shewhart", () => new Ewma(), new FitOptions { Method = FitMethod.Ols, Screening = OutlierScreening.Shewhart }, new(4.5, 5.0)),
        new("CuSum ROC", () => new CuSum(), new FitOptions { Method = FitMethod.Roc }, new(20.2, 5.2)),
        new("MoSum ROC", () => new MoSum(), new FitOptions { Method = FitMethod.Roc }, new(19.9, 19.3)),
        new("CCDC CCDC-stable", () => new Ccdc(), new FitOptions { Method = FitMethod.CcdcStable }, new(2.7, 3.8)),
    ];

    /// <param name="samplePeakMemory">Sample the process's peak memory during each fit (a thread reading the process
    /// figures every 10 ms: in a fresh process its own unoptimised code would be timed with the cold fit).</param>
    public static IEnumerable<BenchResult> Run(SimulatedTile tile, IEnumerable<BenchConfiguration> configurations, bool samplePeakMemory = true)
    {
        var list = configurations.ToList();
        // Compile every code path to its optimised tier first, so the first configuration is not timed while jitting:
        // tiered compilation promotes hot methods only after a quiet delay and in the background, so warm up for a
        // while and then give the background compiler time to install the optimised code.
        var small = new SimulatedTile(64, tile.HistoryDates.Length, 8);
        var warmUp = Stopwatch.StartNew();
        for (int i = 0; i < 3 || warmUp.Elapsed < TimeSpan.FromSeconds(2); i++)
        {
            foreach (var _ in Measured(small, list, samplePeakMemory)) { }
        }
        Thread.Sleep(500);
        return Measured(tile, list, samplePeakMemory);
    }

    /// <summary>
    /// The figures of a fresh process: <paramref name="configuration"/> measured without any warm-up, as the first kernel
    /// work of the process (call it before anything else has run a kernel), then measured again after <see cref="Run"/>'s warm-up.
    /// Peak memory is not sampled.
    /// </summary>
    public static (BenchResult Cold, BenchResult Warm) RunColdThenWarm(SimulatedTile tile, BenchConfiguration configuration)
    {
        var cold = Measured(tile, [configuration], samplePeakMemory: false).Single();
        return (cold, Run(tile, [configuration], samplePeakMemory: false).Single());
    }

    private static IEnumerable<BenchResult> Measured(SimulatedTile tile, IEnumerable<BenchConfiguration> configurations, bool samplePeakMemory)
    {
        var cube = new HistoryCube(tile.History(), tile.HistoryDates, tile.Size, tile.Size);
        var frame = new float[tile.Pixels];
        foreach (var config in configurations)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var monitor = config.Create();
            var fit = Measure(() => monitor.Fit(cube, config.Fit), samplePeakMemory);
            double stepSeconds = 0, stepCpu = 0;
            for (int t = 0; t < tile.MonitoringDates.Length; t++)
            {
                tile.Monitoring(t, frame);
                var cpu = CpuSeconds();
                var clock = Stopwatch.StartNew();
                monitor.Monitor(frame, tile.MonitoringDates[t]);
                stepSeconds += clock.Elapsed.TotalSeconds;
                stepCpu += CpuSeconds() - cpu;
            }
            var steps = Math.Max(1, tile.MonitoringDates.Length);
            yield return new BenchResult(config.Name, tile.Pixels, cube.Times, fit.Seconds, fit.CpuSeconds, 1000 * stepSeconds / steps,
                1000 * stepCpu / steps, fit.PeakBytes, fit.PeakManagedBytes, Bytes(monitor.Model), Bytes(monitor.State));
        }
    }

    private static double CpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    /// <summary>
    /// Wall and processor time of <paramref name="action"/>, and (with <paramref name="samplePeakMemory"/>, else 0) the
    /// peak working set and managed heap of the process while it ran (sampled every 10 ms).
    /// </summary>
    private static (double Seconds, double CpuSeconds, long PeakBytes, long PeakManagedBytes) Measure(Action action, bool samplePeakMemory)
    {
        long peak = 0, peakManaged = 0;
        using var done = new ManualResetEventSlim();
        var sampler = new Thread(() =>
        {
            using var self = Process.GetCurrentProcess();
            do
            {
                self.Refresh();
                peak = Math.Max(peak, self.WorkingSet64);
                peakManaged = Math.Max(peakManaged, GC.GetTotalMemory(false));
            }
            while (!done.Wait(10));
        }) { IsBackground = true };
        if (samplePeakMemory)
            sampler.Start();
        var cpu = CpuSeconds();
        var clock = Stopwatch.StartNew();
        action();
        var seconds = clock.Elapsed.TotalSeconds;
        cpu = CpuSeconds() - cpu;
        done.Set();
        if (samplePeakMemory)
            sampler.Join();
        return (seconds, cpu, peak, peakManaged);
    }

    private static long Bytes(FittedModel m) =>
        Size(m.Beta) + Size(m.Sigma) + Size(m.EwmaBoundary) + Size(m.Q25) + Size(m.Q75) + Size(m.Rmse)
        + Size(m.HistSize) + Size(m.WinSize) + Size(m.FitStart);

    private static long Bytes(MonitoringState s) =>
        Size(s.Mask) + Size(s.DetectionDate) + Size(s.Process) + Size(s.Counter) + Size(s.N) + Size(s.Boundary) + Size(s.Window)
        + Size(s.Confidence) + Size(s.Magnitude);

    private static long Size<T>(T[]? a) where T : unmanaged => a is null ? 0 : (long)a.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    public static string Format(BenchResult r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Name,-30} fit {r.FitSeconds,7:F2} s {r.FitMegapixelsPerSecond,7:F3} Mpx/s (cpu {r.FitCpuSeconds,7:F2} s) | step {r.StepMilliseconds,7:F2} ms (cpu {r.StepCpuMilliseconds,7:F2} ms) | fit peak {r.PeakFitManagedBytes / 1048576.0,5:F0} MiB managed, {r.PeakFitBytes / 1048576.0,5:F0} MiB working set | model {r.ModelBytes / 1048576.0,5:F1} MiB, state {r.StateBytes / 1048576.0,5:F1} MiB");
}
