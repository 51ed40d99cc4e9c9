using System.Text.RegularExpressions;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// <c>nrtc bench haze</c> at a small size, one monitor: the table's four rows (hazy and clear archive, gate off and on), the
/// gated days logged by the tiles and listed by <c>nrtc status</c> (figures are not asserted).
/// </summary>
public class HazeBenchTests
{
    [Fact]
    public void Bench_haze_prints_each_archive_and_gate_and_the_tiles_log_and_list_the_gated_days()
    {
        using var folder = new TempFolder();
        var (code, output) = Nrtc.Run("bench", "haze", "--size", "40", "--end", "2022-07-31", "--haze-days", "2", "--only", "IQR", "--out", folder.Path);
        Assert.True(code == 0, output);
        var table = output[output.LastIndexOf("archive  monitor  gate", StringComparison.Ordinal)..].Split('\n');
        var rows = table.Skip(1).Where(l => l.Trim().Length > 0).ToList();
        Assert.Equal(4, rows.Count);
        var row = new Regex(@"^(hazy|clear)\s+IQR\s+(off|on)\s+\d\.\d{3}\s+\d\.\d{3}\s+\d\.\d{3}\s+(\d+|n/a)\s+(\d+) \((\d+)\)\s+\d+$");
        var parsed = rows.Select(r => row.Match(r.TrimEnd())).ToList();
        Assert.All(parsed, m => Assert.True(m.Success, string.Join("\n", rows)));
        Assert.Equal(["hazy off", "hazy on", "clear off", "clear on"], parsed.Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value}"));
        int Gated(string archive, string gate) => int.Parse(parsed.Single(m => m.Groups[1].Value == archive && m.Groups[2].Value == gate).Groups[4].Value);
        Assert.True(Gated("hazy", "on") > 0, output);
        Assert.Equal([0, 0, 0], new[] { Gated("hazy", "off"), Gated("clear", "off"), Gated("clear", "on") });

        var run = Path.Combine(folder.Path, "hazy", "IQR-gate-on");
        // The node's log (logs/embedded*.jsonl): the tile's warning.
        var log = string.Concat(Directory.GetFiles(Path.Combine(run, "logs")).Select(File.ReadAllText));
        Assert.Matches(@"Tile x\d+_y\d+: haze gate: 2022-\d\d-\d\d set aside [\d,]+ of [\d,]+ observed monitored pixels \(\d+%\)", log);
        var (statusCode, status) = Nrtc.Run("status", "--project", Path.Combine(run, "project.conf"));
        Assert.True(statusCode == 0, status);
        Assert.Matches(@"haze-gated days: \d+ \(", status);
        Assert.Matches(@"tile x\d+_y\d+ 2022-\d\d-\d\d: set aside [\d,]+ of [\d,]+ observed monitored pixels", status);
    }
}
