using NrtCluster.Geo.Bench;

namespace NrtCluster.Geo.Tests;

public class BenchmarkSmokeTests
{
    [Fact]
    public void The_observation_benchmark_runs_end_to_end_on_a_small_tile_and_cleans_up()
    {
        using var tmp = new TempFolder();
        var output = new StringWriter();
        var result = ObservationBenchmark.Run(tileSize: 64, repeats: 2, cubeObservations: 3, distinctDays: 2, output: output, workFolder: tmp.Path);

        Assert.Equal((64, 2, 3), (result.TileSize, result.Repeats, result.CubeObservations));
        Assert.True(result.ObservationMedianMs > 0 && result.CubeSeconds > 0);
        Assert.Contains("history cube of 3 observations", output.ToString());
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));
    }
}
