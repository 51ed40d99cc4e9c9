using System.Collections.Immutable;
using System.Globalization;
using Akka.Actor;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Jobs;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Synthetic;

namespace NrtCluster.Host.Node;

/// <summary>What one run of the demo's pipeline gave: the project, the jobs, the accuracy against the ground truth.</summary>
public sealed record DemoOutcome(ProjectConfig Config, string ProjectFile, ImmutableArray<TileId> Tiles, JobProgress FastForward, string Mosaic,
    DemoAccuracy Accuracy, string LogPath, ImmutableArray<(TileId Tile, AppliedDay Day)> HazeGated);

/// <summary>
/// The demo's pipeline on a synthetic archive already written (the project names it relative to its folder): write the project (the demo's recipe,
/// or another monitor's), fit and fast-forward every tile on an embedded node, wait for the reports and the mosaic, and
/// score the alerts against the archive's ground truth. Used by <c>nrtc demo</c> and <c>nrtc bench haze</c>.
/// </summary>
public static class DemoPipeline
{
    /// <param name="stacLine">The project's <c>stac</c> source line: <see cref="CatalogLine"/>, or a STAC API serving it.</param>
    /// <returns>null when the fit or the fast-forward failed (the job console named the tiles and causes).</returns>
    public static async Task<DemoOutcome?> RunAsync(string outDir, SyntheticArchiveResult archive, string stacLine, int buffer, ProjectLock ownership,
        CancellationToken ct, string recipe = ProjectTemplate.DemoRecipe)
    {
        var options = archive.Scene.Options;
        var archiveDir = archive.Directory;
        var relative = Path.GetRelativePath(outDir, archiveDir);
        // The grid shares the archive's EPSG:3035 reference grid origin; about four tiles cover it.
        var reference = archive.Scene.Geometry.Reference;
        int tileSize = (int)Math.Ceiling(Math.Max(reference.Width, reference.Height) / 2.0);
        var projectFile = Path.Combine(outDir, "project.conf");
        await File.WriteAllTextAsync(projectFile, ProjectTemplate.Demo(stacLine, reference.Transform.X0, reference.Transform.Y0, tileSize,
            archive.Scene.Geometry.BboxLonLat, Path.Combine(relative, SyntheticArchiveLayout.ForestMask), options.Start, options.HistoryEnd, buffer, recipe), ct);
        var config = ProjectConfigLoader.Load(projectFile);
        var fitText = config.Monitor.Fit.Count == 0 ? $"the {config.Monitor.Name} default" : Describe(config.Monitor.Fit);
        Console.WriteLine($"demo: project {projectFile}: {config.Monitor.Name} {Describe(config.Monitor.Options)}, fit {fitText}, {config.Index}, " +
                          $"buffer {config.ScreeningBuffer} px, {config.Monitor.HazeGate}");

        // The archive was just generated again: state made from another one (size, period, seed) is as foreign as another grid.
        var fingerprint = StateFingerprint.Of(config)
            .With("demo.archive.size", options.GranuleSize.ToString(CultureInfo.InvariantCulture))
            .With("demo.archive.start", options.Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
            .With("demo.archive.end", options.End.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
            .With("demo.archive.seed", options.Seed.ToString(CultureInfo.InvariantCulture))
            .With("demo.archive.haze-days", options.HazeDays.ToString(CultureInfo.InvariantCulture))
            .With("demo.haze-gate", config.Monitor.HazeGate.ToString());
        var stored = StateFingerprint.Read(config.OutputFolder);
        IReadOnlyList<string> changes = stored is null ? [] : fingerprint.ChangesFrom(stored);
        if (changes.Count > 0 || (stored is null && File.Exists(Path.Combine(config.OutputFolder, "nrtcluster.db"))))
        {
            Console.WriteLine($"demo: {config.OutputFolder} held the state of another configuration " +
                              $"({(changes.Count > 0 ? string.Join("; ", changes) : "not recorded")}); starting fresh");
            StateFingerprint.DeleteEmbeddedState(config.OutputFolder);
        }
        await using var node = ProjectNode.Start(config, fingerprint: fingerprint, ownership: ownership);
        var tiles = await node.TilesWithDataAsync(ct);
        Console.WriteLine($"demo: {tiles.Length} tiles of {tileSize} x {tileSize} px: {string.Join(", ", tiles)}");
        var fit = await JobConsole.FitAsync(node, tiles, replace: false, ct);
        if (fit.TilesFailed > 0 || fit.Error is not null) return null;
        var endUtc = options.End.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc);
        var ff = await JobConsole.FastForwardAsync(node, tiles, endUtc, ct);
        if (ff.TilesFailed > 0 || ff.Error is not null) return null;

        var reports = tiles.Select(t => (Tile: t, Report: Path.Combine(config.OutputFolder, "tiles", t.ToString(), "report.tif"))).ToList();
        var mosaic = await WaitForMosaicAsync(node, reports.Select(r => r.Report).ToList(), ct);
        var accuracy = DemoAccuracy.Evaluate(config.Grid, reports, Path.Combine(archiveDir, SyntheticArchiveLayout.TruthRaster),
            Path.Combine(archiveDir, SyntheticArchiveLayout.ForestMask), options.HistoryEnd);
        var overview = await TileOverview.ReadAsync(node, ct);
        int daysApplied = ff.Tiles.Sum(t => t.DaysApplied);
        node.Log.Write("demo", string.Create(CultureInfo.InvariantCulture,
            $"tiles={tiles.Length} days={daysApplied} breaks={accuracy.Breaks} recall={accuracy.Recall:F3} precision={accuracy.Precision:F3} f1={accuracy.F1:F3} lag={accuracy.MedianLagDays} edge_false_alarms={accuracy.EdgeFalseAlarms}"));
        return new DemoOutcome(config, projectFile, tiles, ff, mosaic, accuracy, node.Log.Path, [.. overview.HazeGated]);
    }

    /// <summary>The project's <c>stac</c> line reading the archive's static catalog, relative to the project's folder <paramref name="outDir"/>.</summary>
    public static string CatalogLine(string outDir, SyntheticArchiveResult archive) =>
        $"catalog = {ProjectTemplate.Quote(Path.Combine(Path.GetRelativePath(outDir, archive.Directory), SyntheticArchiveLayout.Catalog))}";

    public static string Describe(IReadOnlyDictionary<string, System.Text.Json.JsonElement> options) =>
        string.Join(", ", options.Select(o => $"{o.Key}={(o.Value.ValueKind == System.Text.Json.JsonValueKind.String ? o.Value.GetString() : o.Value.GetRawText())}"));

    /// <summary>The report aggregator rebuilds the mosaic when the set of reports changes; waits until it covers every tile.</summary>
    private static async Task<string> WaitForMosaicAsync(ProjectNode node, IReadOnlyList<string> reports, CancellationToken ct)
    {
        var path = ProjectNode.MosaicPathOf(node.Config);
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (DateTime.UtcNow < deadline)
        {
            var stats = await node.Reports.Ask<Actors.Reports.AlertStatistics>(Actors.Reports.GetAlertStatistics.Instance, TimeSpan.FromSeconds(30), ct);
            if (stats.MosaicPath is not null && File.Exists(path) && reports.All(r => stats.MosaicSources.Contains(Path.GetFullPath(r)) || stats.MosaicSources.Contains(r)))
                return path;
            await Task.Delay(200, ct);
        }
        throw new InvalidOperationException($"The report aggregator did not build {path} over all {reports.Count} tile reports within a minute; see {node.Log.Path}.");
    }
}
