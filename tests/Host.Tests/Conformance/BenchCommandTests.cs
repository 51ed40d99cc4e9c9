using NrtCluster.Host.Bench;

namespace NrtCluster.Host.Tests.Conformance;

/// <summary>The <c>nrtc bench kernels</c> command runs every configuration end to end (figures are not asserted).</summary>
public class BenchCommandTests
{
    [Fact]
    public void PrintsEveryConfigurationOnASmallTile()
    {
        var (code, output) = Nrtc.Run("bench", "kernels", "--size", "20", "--dates", "80", "--monitoring-dates", "3");
        Assert.True(code == 0, output);
        Assert.Contains("simulated tile 20 x 20, 80 history dates, 3 monitoring dates", output);
        foreach (var config in KernelBench.Configurations)
        {
            Assert.Contains(config.Name, output);
        }
        Assert.Equal(KernelBench.Configurations.Count, output.Split('\n').Count(l => l.Contains("Mpx/s") && l.Contains("ms")));
    }

    [Fact]
    public void UnknownConfigurationFilterIsAClearError()
    {
        var (code, output) = Nrtc.Run("bench", "kernels", "--only", "BFAST");
        Assert.NotEqual(0, code);
        Assert.Contains("no configuration matches 'BFAST'", output);
    }

    [Fact]
    public void SimulatedTileIsDeterministicAndCloudy()
    {
        var a = new SimulatedTile(10, 30, 2).History();
        var b = new SimulatedTile(10, 30, 2).History();
        Assert.Equal(a, b);
        var clouds = a.Count(float.IsNaN) / (double)a.Length;
        Assert.InRange(clouds, 0.2, 0.4);
        Assert.All(a.Where(v => !float.IsNaN(v)), v => Assert.InRange(v, 0.2f, 1.0f));
    }
}
