using NrtCluster.Actors.Bench;
using NrtCluster.Actors.Tests.Support;
using Xunit.Abstractions;

namespace NrtCluster.Actors.Tests;

public sealed class TilePersistenceBenchmarkTests(ITestOutputHelper output)
{
    /// <summary>The benchmark on a small tile: its figures are consistent (sizes, not times, are asserted).</summary>
    [Fact]
    public async Task Benchmark_measures_stored_bytes_per_fit_and_per_day()
    {
        using var temp = new TempFolder();
        var figures = await TilePersistenceBenchmark.RunAsync(temp.Path, RepoPaths.HoconFolder, size: 64, historyDates: 40, days: 5);
        output.WriteLine(figures.ToString());
        Assert.InRange(figures.ModelBytes, 1, figures.ModelRawBytes + 1024);
        Assert.InRange(figures.DayEventBytes, 1, figures.StateRawBytes + 1024);
        Assert.InRange(figures.DaySnapshotBytes, figures.DayEventBytes, figures.DayEventBytes + 4096);
        // CuSum state: mask, detection_date, process, n, boundary (21 bytes per pixel) and the step count.
        Assert.Equal(64 * 64 * 21 + 4, figures.StateRawBytes);
    }
}
