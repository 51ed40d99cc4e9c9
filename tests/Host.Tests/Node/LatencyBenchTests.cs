using System.Text.RegularExpressions;

namespace NrtCluster.Host.Tests.Node;

/// <summary><c>nrtc bench latency</c> runs end to end on a small archive and prints both latencies (the figures are not asserted).</summary>
public sealed class LatencyBenchTests
{
    [Fact]
    public void PrintsThePolledAndThePushedLatencyWithTheSettings()
    {
        var (code, output) = Nrtc.RunWithin(TimeSpan.FromMinutes(10), "bench", "latency", "--size", "40", "--poll-interval", "5", "--settle-delay", "1");
        Assert.True(code == 0, output);
        Assert.Contains("latency: 2 granules of 40 x 40 px, 1 tile, 73 history and 4 monitoring dates; poll interval 5 s, settle delay 1 s", output);
        Assert.Matches(Latency("polled", @"published", "poll interval \\+ 60 s = 65 s"), output);
        Assert.Matches(Latency("pushed", @"published and pushed \(2 of 2 items accepted, 0 duplicate\)", "settle delay \\+ 60 s = 61 s"), output);
    }

    private static Regex Latency(string how, string published, string goal) => new(
        $@"latency {how}: \d{{4}}-\d\d-\d\d {published} -> alert in /api/alerts after \d+\.\d s, on the WMS after \d+\.\d s " +
        $@"\(goal <= {goal}: (met|missed)\); node processor time \d+\.\d s; load [\d.]+ [\d.]+ [\d.]+");
}
