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

    /// <summary>--cold runs each configuration in a fresh process and prints its cold and warm figures and their ratio.</summary>
    [Fact]
    public void ColdPrintsColdAndWarmFiguresOfEveryConfiguration()
    {
        var (code, output) = Nrtc.Run("bench", "kernels", "--cold", "--size", "16", "--dates", "40", "--monitoring-dates", "4");
        Assert.True(code == 0, output);
        Assert.Contains("the reference figures are for 300 x 300, 220 history dates, 70 monitoring dates", output);
        var number = @"\s+\d+\.\d+";
        foreach (var config in KernelBench.Configurations)
        {
            var line = Assert.Single(output.Split('\n'), l => l.StartsWith(config.Name, StringComparison.Ordinal));
            Assert.Matches($@"cold fit{number} s \(cpu{number} s\) step{number} ms \(cpu{number} ms\) \| warm fit{number} s \(cpu{number} s\) step{number} ms \(cpu{number} ms\) \| cold/warm fit{number} step{number}$", line.TrimEnd());
            Assert.DoesNotContain("reference", line);
        }
    }

    /// <summary>At the reference's tile size the line adds the speed-up against the reference's figures.</summary>
    [Fact]
    public void ColdLineComparesWithTheReferenceOnlyAtItsSize()
    {
        var config = KernelBench.Configurations[0];
        BenchResult Figures(double fitSeconds) => new(config.Name, 90000, 220, fitSeconds, fitSeconds, 0.5, 0.5, 0, 0, 0, 0);
        var result = new ColdWarmResult(config, Figures(0.2), Figures(0.1));
        Assert.True(ColdKernelBench.AtReferenceSize(300, 220, 70));
        Assert.False(ColdKernelBench.AtReferenceSize(300, 220, 4));
        Assert.Contains("cold/warm fit  2.00 step  1.00 | speed-up vs reference (warm) fit  20.8x step   7.0x", ColdKernelBench.Format(result, atReferenceSize: true));
        Assert.DoesNotContain("reference", ColdKernelBench.Format(result, atReferenceSize: false));
    }

    /// <summary>
    /// <c>bench tileday</c> on a small tile: per source (disk, HTTP) and report mode, every stage's line, one load, step and
    /// stored state per day, the report after every day or once, and one search.
    /// </summary>
    [Fact]
    public void TileDayPrintsEveryStageOfEachSourceWithTheReportOnceOrDaily()
    {
        var (code, output) = Nrtc.Run("bench", "tileday", "--size", "60", "--days", "3");
        Assert.True(code == 0, output);
        Assert.Contains("tile-day 60 x 60 px, 2 granules", output);
        foreach (var source in new[] { "disk", "http" })
        {
            foreach (var (mode, reports) in new[] { ("report daily", 3), ("report once", 1) })
            {
                var run = $"{source}, {mode}";
                // "disk, report once   load   3   ...": the run's three words, the stage, its count.
                int Count(string stage) => output.Split('\n').Where(l => l.StartsWith(run))
                    .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(t => t.Length > 4 && t[3] == stage).Select(t => int.Parse(t[4])).Single();
                Assert.Equal((1, 3, 3, 3, reports), (Count("search"), Count("load"), Count("monitor"), Count("persist"), Count("report")));
                Assert.Contains($"{run}: 3 of 3 days applied in ", output);
            }
        }
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
