using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Synthetic;

namespace NrtCluster.Host.Cli;

/// <summary><c>nrtc simulate-archive --out DIR [--seed N] ...</c>: writes a synthetic Sentinel-2 L2A archive.</summary>
public static class SimulateArchiveCommand
{
    public static Command Create()
    {
        var defaults = new SyntheticArchiveOptions();
        var outOption = new Option<DirectoryInfo>("--out") { Description = "Output folder (new, empty, or an earlier synthetic archive to replace)", Required = true };
        var seedOption = new Option<int>("--seed") { Description = "Random seed; the same seed gives the same archive", DefaultValueFactory = _ => defaults.Seed };
        var sizeOption = new Option<int>("--size") { Description = "Granule window width and height in 20 m pixels", DefaultValueFactory = _ => defaults.GranuleSize };
        var startOption = new Option<string>("--start") { Description = "First acquisition date (yyyy-MM-dd)", DefaultValueFactory = _ => Format(defaults.Start) };
        var endOption = new Option<string>("--end") { Description = "Last acquisition date (yyyy-MM-dd)", DefaultValueFactory = _ => Format(defaults.End) };
        var historyEndOption = new Option<string>("--history-end") { Description = "Last day of the stable history (yyyy-MM-dd)", DefaultValueFactory = _ => Format(defaults.HistoryEnd) };
        var revisitOption = new Option<int>("--revisit-days") { Description = "Days between acquisitions", DefaultValueFactory = _ => defaults.RevisitDays };
        var monitoringOption = new Option<int>("--disturbances") { Description = "Clear-cuts in the monitoring period", DefaultValueFactory = _ => defaults.MonitoringDisturbances };
        var historyOption = new Option<int>("--history-disturbances") { Description = "Clear-cuts in the history period", DefaultValueFactory = _ => defaults.HistoryDisturbances };
        var hazeOption = HazeDaysOption();

        var command = new Command("simulate-archive",
            "Write a synthetic Sentinel-2 L2A archive: two granules across the UTM 32/33 boundary, uint16 COGs (B03, B04, B8A, B11, B12, SCL), "
            + "a STAC static catalog, a forest mask and the ground truth of its clear-cuts.");
        foreach (var o in new Option[] { outOption, seedOption, sizeOption, startOption, endOption, historyEndOption, revisitOption, monitoringOption, historyOption, hazeOption })
            command.Options.Add(o);
        command.SetAction(parseResult =>
        {
            var outDir = parseResult.GetValue(outOption)!;
            try
            {
                var options = new SyntheticArchiveOptions
                {
                    Seed = parseResult.GetValue(seedOption),
                    GranuleSize = parseResult.GetValue(sizeOption),
                    Start = ParseDate(parseResult.GetValue(startOption)!, "--start"),
                    End = ParseDate(parseResult.GetValue(endOption)!, "--end"),
                    HistoryEnd = ParseDate(parseResult.GetValue(historyEndOption)!, "--history-end"),
                    RevisitDays = parseResult.GetValue(revisitOption),
                    MonitoringDisturbances = parseResult.GetValue(monitoringOption),
                    HistoryDisturbances = parseResult.GetValue(historyOption),
                    HazeDays = parseResult.GetValue(hazeOption),
                };
                options.Validate();
                var watch = Stopwatch.StartNew();
                var total = Acquisition.Schedule(options).Count;
                var result = SyntheticArchive.Generate(outDir.FullName, options, new TenPercentSteps(total));
                var scene = result.Scene;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"wrote {result.ItemCount} items ({scene.Acquisitions.Count} dates x {scene.Geometry.Granules.Count} granules: {string.Join(", ", scene.Geometry.Granules.Select(g => $"T{g.Tile} EPSG:{g.Epsg}"))}), "
                    + $"{result.FileCount} files, {result.Bytes / 1e6:F1} MB in {watch.Elapsed.TotalSeconds:F1} s to {result.Directory}"));
                Console.WriteLine($"catalog: {Path.Combine(result.Directory, SyntheticArchiveLayout.Catalog)}");
                Console.WriteLine($"forest mask: {SyntheticArchiveLayout.ForestMask}; ground truth: {SyntheticArchiveLayout.TruthGeoJson}, {SyntheticArchiveLayout.TruthRaster} "
                    + $"({scene.Geometry.Reference.Width} x {scene.Geometry.Reference.Height} px, {SceneGeometry.ReferenceCrs}, 20 m)");
                if (scene.HazeDates.Count > 0)
                    Console.WriteLine($"unflagged haze (SCL says vegetation) on {string.Join(", ", scene.HazeDates.Select(Format))}");
                foreach (var d in scene.Disturbances)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {d.Id} {d.Date:yyyy-MM-dd} ({(d.IsHistory ? "history" : "monitoring")}) {d.AreaSquareMetres / 10_000:F1} ha"));
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or GdalException)
            {
                Console.Error.WriteLine($"simulate-archive: {outDir.FullName}: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>--haze-days, shared by simulate-archive, demo and bench haze.</summary>
    public static Option<int> HazeDaysOption(int fallback = 0) => new("--haze-days")
    {
        Description = "Days of thin haze in the monitoring period that SCL does not flag (NDVI drops 0.1-0.3 for the day); 0..100",
        DefaultValueFactory = _ => fallback,
    };

    /// <summary>Prints progress every 10% on stderr, synchronously (so the summary always comes last).</summary>
    private sealed class TenPercentSteps(int total) : IProgress<int>
    {
        private readonly Lock _gate = new();
        private int _lastPercent = -1;

        public void Report(int value)
        {
            var percent = 100 * value / total / 10 * 10;
            lock (_gate)
            {
                if (percent <= _lastPercent) return;
                _lastPercent = percent;
                Console.Error.WriteLine($"simulate-archive: {percent}% ({value}/{total} dates)");
            }
        }
    }

    private static string Format(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateOnly ParseDate(string text, string option) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d
            : throw new ArgumentException($"{option} '{text}' is not a date; give it as yyyy-MM-dd, e.g. 2022-01-25.");
}
