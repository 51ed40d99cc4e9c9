using System.Diagnostics;
using System.Text.Json;
using NrtCluster.Kernels;
using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Host.Conformance;

/// <summary>Wall times of one conformance run (README: timings.json).</summary>
public sealed record ConformanceTimings(int Pixels, int HistoryDates, double FitSeconds, int MonitoringDates, double MonitorSeconds)
{
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["pixels"] = Pixels,
        ["history_dates"] = HistoryDates,
        ["fit_seconds"] = FitSeconds,
        ["monitoring_dates"] = MonitoringDates,
        ["monitor_seconds"] = MonitorSeconds,
    });
}

/// <summary>What a conformance run produced.</summary>
/// <param name="Fit">State after fit as the reference's dump holds it (see <see cref="ConformanceRunner.LayersDumpedByReference"/>).</param>
/// <param name="Fitted">State exactly as it was right after fit.</param>
/// <param name="Final">State after every monitoring date.</param>
public sealed record ConformanceResult(
    BaseMonitor Monitor,
    IReadOnlyList<ReferenceLayer> Fit,
    IReadOnlyList<ReferenceLayer> Fitted,
    IReadOnlyList<ReferenceLayer> Final,
    ConformanceTimings Timings);

/// <summary>
/// Runs a conformance case (the <c>conformance</c> command and the case tests share it): build the monitor from
/// case.json, warm up on an 8 x 8 slice, fit (timed), export, monitor every date (timed), export.
/// </summary>
public static class ConformanceRunner
{
    /// <summary>
    /// Layers the reference updates in place while monitoring, so its dump taken after fit shows their final
    /// contents (the expected/fit files of every case have mask == final mask, and MoSum's window == final window).
    /// The fit/ output carries the same, so that it compares with the reference's fit dump.
    /// </summary>
    public static IReadOnlySet<string> LayersDumpedByReference { get; } = new HashSet<string> { "mask", "window" };

    private const int WarmUpSize = 8;

    public static ConformanceResult Run(string caseDirectory)
    {
        var data = ConformanceCase.Load(caseDirectory);
        WarmUp(data.Slice(WarmUpSize, WarmUpSize));
        var monitor = Build(data);
        var fitOptions = MonitorFactory.FitOptionsFor(monitor, data.Fit);
        var clock = Stopwatch.StartNew();
        monitor.Fit(data.History, fitOptions, data.Green, data.Swir);
        var fitSeconds = clock.Elapsed.TotalSeconds;
        var fitted = monitor.ExportState();
        var monitorSeconds = MonitorAll(monitor, data);
        var final = monitor.ExportState();
        var fit = fitted.Select(l => LayersDumpedByReference.Contains(l.Name) ? final.Single(f => f.Name == l.Name) : l).ToList();
        var timings = new ConformanceTimings(data.Pixels, data.History.Times, fitSeconds, data.MonitoringDates.Length, monitorSeconds);
        return new ConformanceResult(monitor, fit, fitted, final, timings);
    }

    /// <summary>Runs <paramref name="caseDirectory"/> and writes OUT/fit/NAME.npy, OUT/final/NAME.npy and OUT/timings.json.</summary>
    public static ConformanceResult RunAndWrite(string caseDirectory, string outDirectory)
    {
        var result = Run(caseDirectory);
        Write(Path.Combine(outDirectory, "fit"), result.Fit);
        Write(Path.Combine(outDirectory, "final"), result.Final);
        File.WriteAllText(Path.Combine(outDirectory, "timings.json"), result.Timings.ToJson());
        return result;
    }

    private static void Write(string directory, IReadOnlyList<ReferenceLayer> layers)
    {
        Directory.CreateDirectory(directory);
        foreach (var layer in layers) NpyFile.Write(Path.Combine(directory, layer.Name + ".npy"), layer);
    }

    private static BaseMonitor Build(ConformanceCase data)
    {
        var monitor = MonitorFactory.Create(data.Monitor, data.Init, data.Mask);
        monitor.X = data.X;
        monitor.Y = data.Y;
        return monitor;
    }

    private static double MonitorAll(BaseMonitor monitor, ConformanceCase data)
    {
        var p = data.Pixels;
        var clock = Stopwatch.StartNew();
        for (int t = 0; t < data.MonitoringDates.Length; t++)
        {
            monitor.Monitor(data.Monitoring.AsMemory(t * p, p), data.MonitoringDates[t]);
        }
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Compiles and touches every code path once, as the reference is warmed up before it is timed.</summary>
    private static void WarmUp(ConformanceCase slice)
    {
        var monitor = Build(slice);
        var fitOptions = MonitorFactory.FitOptionsFor(monitor, slice.Fit);
        try
        {
            monitor.Fit(slice.History, fitOptions, slice.Green, slice.Swir);
        }
        catch (ArgumentException)
        {
            // The slice may hold no pixel worth fitting (all masked or too few observations); any real problem of the
            // case surfaces again, reported, in the timed run on the whole case.
            return;
        }
        MonitorAll(monitor, slice);
        monitor.ExportState();
    }
}
