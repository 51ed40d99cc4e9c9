using System.Globalization;
using System.Text.RegularExpressions;

namespace NrtCluster.Host.Tests.Cluster;

/// <summary>
/// <c>nrtc bench cluster</c> end to end on a small configuration: real node processes, a real PostgreSQL, the loopback STAC
/// server. The lines and their counts are asserted (tile-days = tiles x days, no day applied twice), never the timings.
/// </summary>
public class ClusterBenchTests
{
    private const string Seconds = @"-?[\d.]+ s";

    [Fact]
    public void SmallConfigurationPrintsEveryLineWithTileDaysEqualToTilesTimesDays()
    {
        using var folder = new TempFolder();
        var hocon = folder.File("bench.conf");
        // One tile a shard so that 3 nodes share the few tiles; the survivors down a killed node 5 s after it went silent.
        File.WriteAllText(hocon, "nrtcluster.tiles.shard-block-size = 1\nakka.cluster.split-brain-resolver.stable-after = 5s\n");
        var (code, output) = Nrtc.RunWithin(TimeSpan.FromMinutes(10), "bench", "cluster", "--tiles", "8", "--tile-size", "20", "--days", "3",
            "--nodes", "1,3", "--large-size", "40", "--large-days", "2", "--hocon", hocon);
        Assert.True(code == 0, output);

        int fitted = Int(Line(output, @"^fit: (\d+) tiles of 20 x 20 px on 1 node in "), 1);
        Assert.InRange(fitted, 6, 16);
        foreach (var (nodes, noun) in new[] { (1, "node"), (3, "nodes") })
        {
            var run = Line(output, $@"^small tiles \(20 x 20 px\), {nodes} {noun}: (\d+) tiles x 3 days = (\d+) tile-days in {Seconds}: \d+ tile-days/min, overhead -?[\d.]+ ms per tile-day");
            Assert.Equal(fitted, Int(run, 1));
            Assert.Equal(fitted * 3, Int(run, 2));
        }
        Assert.True(Int(Line(output, @"^database: (\d+) bytes per tile-day"), 1) > 0, output);
        var memory = Line(output, @"^memory: .*");
        Assert.Equal(3, Regex.Matches(memory.Value, @"node \d peak [1-9]\d* MB, now [1-9]\d* MB with \d+ idle tiles").Count);

        var kill = Line(output, $@"^kill: node [23] holding (\d+) tiles killed with SIGKILL: every one answers status on another node after {Seconds}; " +
                                @"no day applied twice \((\d+) tiles, (\d+) tile-days, 3 days each\)");
        Assert.InRange(Int(kill, 1), 1, fitted);
        Assert.Equal(fitted, Int(kill, 2));
        Assert.Equal(fitted * 3, Int(kill, 3));

        var join = Line(output, $@"^join: node 4 Up {Seconds} after starting; shards balanced \(([\d/]+) per node\)");
        var shards = join.Groups[1].Value.Split('/').Select(int.Parse).ToList();
        Assert.Equal(3, shards.Count);
        Assert.True(shards.Max() - shards.Min() <= 1, join.Value);

        // The large part: a 2 x 2 block of whole tiles on its own archive of 16 history + 2 monitoring dates, all of them fitted and monitored.
        Line(output, @"^large archive: 2 granules of \d+ x \d+ px holding 2 x 2 whole tiles of 40 px, 18 dates every 10 days repeating 4 rendered scenes");
        Assert.Equal(4, Int(Line(output, @"^fit: (\d+) tiles of 40 x 40 px on 1 node in "), 1));
        Line(output, $@"^large tiles \(40 x 40 px\), 1 node: 4 tiles x 2 days = 8 tile-days in {Seconds}: \d+ tile-days/min, overhead -?[\d.]+ ms per tile-day; 0\.01 Mpx with data;");

        var last = output.TrimEnd().Split('\n')[^1].Trim();
        var summary = Regex.Match(last, @"^cluster: (\d+) tiles, 3 nodes, (\d+) tile-days in [\d.]+ s: \d+ tile-days/min, overhead -?[\d.]+ ms per tile-day$");
        Assert.True(summary.Success, output);
        Assert.Equal(fitted, Int(summary, 1));
        Assert.Equal(fitted * 3, Int(summary, 2));
    }

    [Fact]
    public void KillingWithOneNodeIsAClearError()
    {
        var (code, output) = Nrtc.Run("bench", "cluster", "--nodes", "1", "--parts", "small,kill");
        Assert.Equal(2, code);
        Assert.Contains("--parts kill needs the last --nodes count to be at least 3", output);
    }

    private static Match Line(string output, string pattern)
    {
        var m = Regex.Match(output, pattern, RegexOptions.Multiline);
        Assert.True(m.Success, $"no line matches {pattern}:\n{output}");
        return m;
    }

    private static int Int(Match m, int group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
}
