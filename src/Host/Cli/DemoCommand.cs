using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using NrtCluster.Actors.Config;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Patches;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Archive;
using NrtCluster.Host.Http.Reports;
using NrtCluster.Host.Node;
using NrtCluster.Kernels;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc demo [--out DIR] [--size PX] [--end DATE] [--buffer PX] [--haze-days N] [--api]</c>: the whole pipeline on a synthetic archive, on one embedded node:
/// generate the archive, write the project, fit, fast-forward, write the reports and the mosaic, and score the alerts
/// against the archive's ground truth.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var outOption = new Option<DirectoryInfo>("--out") { Description = "Output folder (archive, project.conf, reports, mosaic.vrt, nrtcluster.db, nrtc.log)", DefaultValueFactory = _ => new DirectoryInfo("demo-out") };
        var sizeOption = new Option<int>("--size") { Description = "Granule size of the synthetic archive in 20 m pixels (two granules)", DefaultValueFactory = _ => 150 };
        var endOption = new Option<string?>("--end") { Description = "Last acquisition date of the archive, YYYY-MM-DD, after 2021-12-31 (default 2023-06-30); earlier is faster" };
        var bufferOption = new Option<int>("--buffer")
        {
            Description = "SCL screening buffer of the demo project (project.buffer): pixels masked around clouds, shadows and snow, 0..10; 0 = off",
            DefaultValueFactory = _ => ProjectTemplate.DemoBuffer,
        };
        var hazeOption = SimulateArchiveCommand.HazeDaysOption();
        var apiOption = new Option<bool>("--api") { Description = "Serve the archive as a STAC API on 127.0.0.1 and search it there (default: read the static catalog)" };
        var command = new Command("demo",
            "Run the whole pipeline on a synthetic Sentinel-2 archive (embedded SQLite, one node): fit, fast-forward, reports, mosaic, accuracy.");
        command.Options.Add(outOption);
        command.Options.Add(sizeOption);
        command.Options.Add(apiOption);
        command.Options.Add(endOption);
        command.Options.Add(bufferOption);
        command.Options.Add(hazeOption);
        command.SetAction(async (parseResult, ct) =>
        {
            var outDir = parseResult.GetValue(outOption)!.FullName;
            try
            {
                var options = new SyntheticArchiveOptions { GranuleSize = parseResult.GetValue(sizeOption), HazeDays = parseResult.GetValue(hazeOption) };
                if (parseResult.GetValue(endOption) is { } endText)
                {
                    if (!DateOnly.TryParseExact(endText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var end))
                        throw new ArgumentException($"--end '{endText}' is not a date; give YYYY-MM-DD.");
                    options = options with { End = end };
                }
                options.Validate();
                var buffer = parseResult.GetValue(bufferOption);
                if (buffer is < 0 or > ProjectConfigLoader.MaxScreeningBuffer)
                    throw new ArgumentException($"--buffer {buffer}: give 0 to {ProjectConfigLoader.MaxScreeningBuffer} pixels (0 = off).");
                return await StopSignals.RunAsync("demo", ct, stop => RunAsync(outDir, options, buffer, parseResult.GetValue(apiOption), stop));
            }
            catch (Exception e) when (e is IOException or ArgumentException or ProjectConfigException or InvalidOperationException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"demo: {outDir}: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(string outDir, SyntheticArchiveOptions options, int buffer, bool api, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        // The archive and the state in the folder are rewritten below: the folder is taken first, so a demo never overwrites what
        // another process (a node, another demo) is using. The node releases it; releasing twice is harmless.
        using var ownership = ProjectLock.Acquire(outDir);
        var archiveDir = Path.Combine(outDir, "archive");
        Console.WriteLine($"demo: generating the synthetic archive ({options.GranuleSize} x {options.GranuleSize} px granules, {options.Start:yyyy-MM-dd} to {options.End:yyyy-MM-dd}) in {archiveDir}");
        var archive = SyntheticArchive.Generate(archiveDir, options);
        Console.WriteLine($"demo: {archive.ItemCount} items, {archive.FileCount} files, {archive.Bytes / 1e6:F1} MB in {clock.Elapsed.TotalSeconds:F0} s");

        await using var server = api ? await ArchiveServer.StartAsync(archiveDir, 0, ct) : null;
        string stacLine = server is null ? DemoPipeline.CatalogLine(outDir, archive) : $"api = {ProjectTemplate.Quote(server.BaseUrl)}";
        if (server is not null) Console.WriteLine($"demo: serving the archive as a STAC API at {server.SearchUrl}");

        if (await DemoPipeline.RunAsync(outDir, archive, stacLine, buffer, ownership, ct) is not { } outcome) return 1;
        var (config, projectFile, tiles, ff, mosaic, accuracy) = (outcome.Config, outcome.ProjectFile, outcome.Tiles, outcome.FastForward, outcome.Mosaic, outcome.Accuracy);

        Console.WriteLine();
        Console.WriteLine("demo: summary");
        Console.WriteLine($"  tiles:          {tiles.Length} fitted on {options.Start:yyyy-MM-dd}..{options.HistoryEnd:yyyy-MM-dd}");
        Console.WriteLine($"  days applied:   {JobConsole.DaysSummary(ff)} (solar days after {options.HistoryEnd:yyyy-MM-dd} up to {options.End:yyyy-MM-dd})");
        Console.WriteLine($"  alerts:         {AlertsByConfidence(tiles.Select(t => Path.Combine(config.OutputFolder, "tiles", t.ToString(), "report.tif")))}");
        ShowHazeGate(outcome, options);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  accuracy:       recall {accuracy.Recall:F3} ({accuracy.Detected} of {accuracy.Disturbed} cleared forest pixels detected), " +
            $"precision {accuracy.Precision:F3} ({accuracy.FalseAlarms} false alarms; {accuracy.StableFalseAlarmRate * 100:F2}% of stable forest pixels), F1 {accuracy.F1:F3}, " +
            $"median detection lag {(accuracy.MedianLagDays is { } lag ? lag.ToString("F0", CultureInfo.InvariantCulture) + " days" : "n/a")} " +
            $"over {accuracy.MonitoredPixels} monitored forest pixels"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  clearing edges: {accuracy.EdgeFalseAlarms} of the false alarms are next to a clearing and dated after it (mixed pixels); " +
            $"not counting them: precision {accuracy.PrecisionWithoutEdges:F3}, F1 {accuracy.F1WithoutEdges:F3}"));
        PrintPatches(config.OutputFolder);
        Console.WriteLine($"  outputs:        reports {Path.Combine(config.OutputFolder, "tiles")}, mosaic {mosaic}, project {projectFile}, log {outcome.LogPath}, state {Path.Combine(config.OutputFolder, "nrtcluster.db")}");
        Console.WriteLine($"  runtime:        {clock.Elapsed.TotalSeconds:F0} s");
        Console.WriteLine($"  next:           ./nrtc serve --out {config.OutputFolder}   (WMS and alert feed)");
        return 0;
    }

    /// <summary>
    /// Break pixels by confidence, and the pixels whose low alert is not a break yet (IQR and CCDC: an outlier run short
    /// of the boundary), from the reports' mask and confidence bands.
    /// </summary>
    private static string AlertsByConfidence(IEnumerable<string> reports)
    {
        long low = 0, high = 0, breaks = 0, pending = 0;
        var withConfidence = true;
        foreach (var path in reports)
        {
            using var ds = RasterDataset.Open(path);
            var bands = Enumerable.Range(1, ds.BandCount).ToDictionary(ds.Description, StringComparer.OrdinalIgnoreCase);
            var mask = ds.ReadBand<ushort>(bands[ReportFolder.MaskBandName]);
            ushort[]? confidence = bands.TryGetValue(ReportFolder.ConfidenceBandName, out var b) ? ds.ReadBand<ushort>(b) : null;
            withConfidence &= confidence is not null;
            for (var i = 0; i < mask.Length; i++)
            {
                var c = confidence?[i] ?? ConfidenceCodes.None;
                if (mask[i] == MaskCodes.Break)
                {
                    breaks++;
                    if (c == ConfidenceCodes.Low) low++;
                    else if (c == ConfidenceCodes.High) high++;
                }
                else if (c == ConfidenceCodes.Low) pending++;
            }
        }
        if (!withConfidence) return $"{breaks} break pixels (the reports have no confidence band)";
        return $"{breaks} break pixels: {low} low, {high} high confidence" + (pending > 0 ? $"; {pending} more pixels low, not yet a break" : "");
    }

    /// <summary>The alert patches the reports were grouped into (tiles/TILE/patches.geojson): how many, and how large.</summary>
    private static void PrintPatches(string outputFolder)
    {
        var patches = PatchFile.FilesUnder(outputFolder).SelectMany(PatchFile.Read).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  patches:        {patches.Count} ({patches.Sum(p => p.AreaHa):F1} ha; by area: {string.Join(", ", PatchSummary.AreaHistogram(patches).Select(b => $"{b.Bin} {b.Count}"))})"));
    }

    /// <summary>The haze gate's line of the summary: the days it set aside, over how many tiles.</summary>
    private static void ShowHazeGate(DemoOutcome outcome, SyntheticArchiveOptions options)
    {
        var gated = outcome.HazeGated;
        var hazy = options.HazeDays > 0 ? $"; the archive has {options.HazeDays} unflagged haze days" : "";
        Console.WriteLine(gated.IsEmpty
            ? $"  haze gate:      no day set aside ({outcome.Config.Monitor.HazeGate}{hazy})"
            : string.Create(CultureInfo.InvariantCulture,
                $"  haze gate:      {gated.Select(g => g.Day.Day).Distinct().Count()} days set aside on {gated.Length} tile-days, " +
                $"{gated.Sum(g => g.Day.HazeSetAside):N0} pixel observations ({outcome.Config.Monitor.HazeGate}{hazy})"));
    }
}
