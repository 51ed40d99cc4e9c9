using System.Diagnostics;
using System.Globalization;
using System.Text;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Bench;

/// <summary>One row of <c>nrtc bench haze</c>: a monitor on an archive with the haze gate off or on, scored as the demo scores.</summary>
public sealed record HazeBenchRow(string Archive, string Monitor, bool Gate, DemoAccuracy Accuracy, int GatedDays, int GatedTileDays, double Seconds);

/// <summary>
/// <c>nrtc bench haze</c>: a hazy and a clear synthetic archive (same seed, so the same clear-cuts), each monitor with its
/// defaults as a project would use them (IQR: the demo's recipe) run through the demo's pipeline with the haze gate off and
/// on (its project default), scored against the ground truth: F1, precision, recall, median detection lag.
/// </summary>
public static class HazeBench
{
    /// <summary>
    /// Each monitor's project blocks: no trend and order 2 as the example's alternatives, the monitor's own fit; IQR the demo's
    /// recipe; CCDC keeps its trend (its CCDC-stable fit tests the trend coefficient).
    /// </summary>
    public static IReadOnlyList<(string Monitor, string Recipe)> Monitors { get; } =
    [
        ("EWMA", Recipe("EWMA")),
        ("CuSum", Recipe("CuSum")),
        ("MoSum", Recipe("MoSum")),
        ("IQR", ProjectTemplate.DemoRecipe),
        ("CCDC", Recipe("CCDC", trend: true)),
    ];

    private static string Recipe(string monitor, bool trend = false) => $$"""
        monitor {
            name = {{monitor}}
            options {
              trend = {{(trend ? "true" : "false")}}
              harmonic_order = 2
            }
          }
        """;

    /// <summary>The recipe with the haze gate turned off (HOCON merges the path into the monitor block), or left at the project default.</summary>
    private static string WithGate(string recipe, bool gate) => gate ? recipe : recipe + "\n  monitor.haze-gate { enabled = false }";

    public static async Task<IReadOnlyList<HazeBenchRow>> RunAsync(string folder, SyntheticArchiveOptions hazy, IReadOnlyList<string> monitors,
        TextWriter output, CancellationToken ct)
    {
        var rows = new List<HazeBenchRow>();
        foreach (var (name, options) in new[] { ("hazy", hazy), ("clear", hazy with { HazeDays = 0 }) })
        {
            var archive = SyntheticArchive.Generate(Path.Combine(folder, name, "archive"), options);
            output.WriteLine($"bench haze: {name} archive, {options.GranuleSize} x {options.GranuleSize} px granules, {options.Start:yyyy-MM-dd} to {options.End:yyyy-MM-dd}" +
                             (archive.Scene.HazeDates.Count > 0 ? $", unflagged haze on {string.Join(", ", archive.Scene.HazeDates.Select(d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)))}" : ""));
            foreach (var (monitor, recipe) in Monitors.Where(m => monitors.Contains(m.Monitor)))
            {
                foreach (var gate in new[] { false, true })
                {
                    var clock = Stopwatch.StartNew();
                    // A folder per run: each run's node starts on fresh state next to the shared archive.
                    var outDir = Path.Combine(folder, name, $"{monitor}-gate-{(gate ? "on" : "off")}");
                    Directory.CreateDirectory(outDir);
                    var stacLine = DemoPipeline.CatalogLine(outDir, archive);
                    using var ownership = ProjectLock.Acquire(outDir);
                    var outcome = await DemoPipeline.RunAsync(outDir, archive, stacLine, ProjectTemplate.DemoBuffer, ownership, ct, WithGate(recipe, gate))
                        ?? throw new InvalidOperationException($"bench haze: {monitor} on the {name} archive failed; see {Path.Combine(outDir, "nrtc.log")}.");
                    var row = new HazeBenchRow(name, monitor, gate, outcome.Accuracy, outcome.HazeGated.Select(g => g.Day.Day).Distinct().Count(),
                        outcome.HazeGated.Length, clock.Elapsed.TotalSeconds);
                    rows.Add(row);
                    output.WriteLine(Line(row));
                }
            }
        }
        return rows;
    }

    public const string Header = "archive  monitor  gate      F1  precision  recall  lag (days)  gated days (tile-days)  seconds";

    public static string Line(HazeBenchRow r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Archive,-7}  {r.Monitor,-7}  {(r.Gate ? "on" : "off"),-4}  {r.Accuracy.F1,6:F3}  {r.Accuracy.Precision,9:F3}  {r.Accuracy.Recall,6:F3}  " +
        $"{(r.Accuracy.MedianLagDays is { } lag ? lag.ToString("F0", CultureInfo.InvariantCulture) : "n/a"),10}  {$"{r.GatedDays} ({r.GatedTileDays})",22}  {r.Seconds,7:F0}");

    public static string Format(IReadOnlyList<HazeBenchRow> rows)
    {
        var text = new StringBuilder().AppendLine(Header);
        foreach (var r in rows.OrderBy(r => r.Archive == "clear").ThenBy(r => r.Monitor).ThenBy(r => r.Gate)) text.AppendLine(Line(r));
        return text.ToString();
    }
}
