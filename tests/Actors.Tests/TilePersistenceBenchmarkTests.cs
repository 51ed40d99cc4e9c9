using NrtCluster.Actors.Bench;
using NrtCluster.Actors.Tests.Support;
using Xunit.Abstractions;

namespace NrtCluster.Actors.Tests;

public sealed class TilePersistenceBenchmarkTests(ITestOutputHelper output)
{
    /// <summary>The benchmark on a small tile: its figures are consistent (sizes, not times, are asserted).</summary>
    [Fact]
    public async Task Benchmark_measures_stored_bytes_and_the_parts_of_a_day()
    {
        using var temp = new TempFolder();
        var figures = await TilePersistenceBenchmark.RunAsync(temp.Path, RepoPaths.HoconFolder, size: 64, historyDates: 40, days: 5);
        output.WriteLine(figures.ToString());
        Assert.InRange(figures.ModelBytes, 1, figures.ModelRawBytes + 1024);
        // The state is written once per day, in the snapshot; the events are small records.
        Assert.InRange(figures.DaySnapshotBytes, 1, figures.StateRawBytes + 1024);
        Assert.InRange(figures.FitSnapshotBytes, 1, figures.StateRawBytes + 1024);
        Assert.InRange(figures.DayEventBytes, 1, 200);
        Assert.InRange(figures.FitEventBytes, 1, 200);
        Assert.All([figures.ObservationLoad, figures.Step, figures.Report, figures.Recovery], t => Assert.True(t > TimeSpan.Zero));
        Assert.Equal(figures.ObservationLoad + figures.Step + figures.Report, figures.DayWork);
        // The tile actor timed each day's stages on the node's meter (no report writer in the actor here).
        Assert.Equal(["load", "monitor", "persist"], figures.StageMedians.Keys.Order());
        // CuSum state: mask, detection_date, process, n, boundary, confidence, magnitude (26 bytes per pixel) and the step count.
        Assert.Equal(64 * 64 * 26 + 4, figures.StateRawBytes);
    }
}
