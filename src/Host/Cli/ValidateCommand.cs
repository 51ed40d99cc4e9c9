using System.CommandLine;
using System.Globalization;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Sources;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Stac;
using NrtCluster.Geo.Tiles;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc validate FILE</c>: checks a project file (every key), that its archive answers with items of the history
/// period, and that its forest mask raster gives forest pixels on every tile with data. Each problem names its key.
/// </summary>
public static class ValidateCommand
{
    public static Command Create()
    {
        var fileArgument = new Argument<FileInfo>("FILE") { Description = "Project file (see 'nrtc init')" };
        var command = new Command("validate", "Check a project file, its STAC archive and its forest mask; every problem names its key.");
        command.Arguments.Add(fileArgument);
        command.SetAction(async (parseResult, ct) => await RunAsync(parseResult.GetValue(fileArgument)!, ct));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo file, CancellationToken ct)
    {
        ProjectConfig config;
        try
        {
            config = ProjectConfigLoader.Load(file.FullName);
        }
        catch (Exception e) when (e is ProjectConfigException or FileNotFoundException)
        {
            Console.Error.WriteLine($"validate: {e.Message}");
            return 1;
        }
        var problems = new List<string>();
        var footprints = ProjectArchive.Footprints(config);
        var tiles = footprints.ProjectTiles;
        if (tiles.Count == 0) problems.Add("project.area-of-interest: covers no tile of project.grid; check the area and the grid's CRS and origin");
        Console.WriteLine($"validate: {file.FullName}: project '{config.Name}', {tiles.Count} tiles of {config.Grid.TileSize} px, {config.Monitor.Name} on {config.Index}");

        using var http = new HttpClient();
        string key = config.Stac.ApiUrl is not null ? "project.stac.api" : "project.stac.catalog";
        var tilesWithData = new List<TileId>();
        try
        {
            var archive = ProjectArchive.Create(config, http);
            var from = config.HistoryStart.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
            var items = await archive.SearchAsync(from, from.AddDays(31), ct);
            foreach (var r in items.Rejected) Console.WriteLine($"validate: {key}: warning: {r}");
            if (items.Count == 0)
                problems.Add($"{key}: the archive answers but has no items of collection '{config.Stac.Collection}' over the area in the first month of the history ({config.HistoryStart:yyyy-MM-dd}); check project.stac.collection, project.history.start and the area");
            else
            {
                var profile = ProviderProfiles.ByName(config.Stac.Provider, http);
                var missing = new[] { LogicalBand.Red, LogicalBand.Nir, LogicalBand.Scl }.Where(b => profile.FindAsset(items[0], b) is null).ToList();
                if (missing.Count > 0)
                    problems.Add($"project.stac.provider: profile '{config.Stac.Provider}' finds no asset for {string.Join(", ", missing)} in item '{items[0].Id}' (assets: {string.Join(", ", items[0].Assets.Keys)})");
                Console.WriteLine($"validate: {key}: reachable, {items.Count} items in the first month of the history");
                var touched = items.SelectMany(i => footprints.TilesTouching(i.Footprint)).ToHashSet();
                tilesWithData.AddRange(tiles.Where(touched.Contains));
            }
        }
        catch (Exception e) when (e is StacException or IOException or HttpRequestException or ArgumentException or TaskCanceledException)
        {
            problems.Add($"{key}: cannot search the archive: {e.Message}");
        }

        if (config.ForestMask.Source == ForestMaskSource.Raster && tiles.Count > 0)
            problems.AddRange(CheckForestMask(config, tilesWithData.Count > 0 ? tilesWithData : [tiles[0]]));

        foreach (var p in problems) Console.Error.WriteLine($"validate: {p}");
        if (problems.Count > 0) return 1;
        Console.WriteLine("validate: OK");
        return 0;
    }

    /// <summary>
    /// Reads the forest mask onto each tile (those with data in the history's first month): a tile with data but no forest
    /// pixel would be fitted and monitored for nothing, most often because the threshold does not suit the raster.
    /// </summary>
    private static List<string> CheckForestMask(ProjectConfig config, IReadOnlyList<TileId> tiles)
    {
        var raster = config.ForestMask.RasterPath!;
        var problems = new List<string>();
        try
        {
            double threshold = config.ForestMask.RasterThreshold ?? TileRasters.DefaultForestThreshold(raster);
            string above = threshold.ToString(CultureInfo.InvariantCulture);
            string rule = config.ForestMask.RasterThreshold is null
                ? threshold == 0 ? "a 0/1 mask, forest where 1" : $"percent tree cover, forest above {above} (no threshold set)"
                : $"forest above project.forest-mask.threshold = {above}";
            var empty = new List<TileId>();
            long forest = 0, pixels = 0;
            foreach (var tile in tiles)
            {
                var mask = TileRasters.ReadForestMask(raster, config.Grid.TileGeoBox(tile), threshold);
                var count = mask.Count(m => m == 1);
                if (count == 0) empty.Add(tile);
                forest += count;
                pixels += mask.Length;
            }
            Console.WriteLine($"validate: project.forest-mask.raster: {rule}; {forest} of {pixels} pixels forest on {tiles.Count} tile(s) with data");
            if (empty.Count > 0)
                problems.Add($"project.forest-mask.threshold: tile(s) {string.Join(", ", empty)} have data but no forest pixel in {raster} ({rule}); " +
                    "lower project.forest-mask.threshold (or remove it for a 0/1 mask), check project.forest-mask.raster covers the area, " +
                    "or leave those tiles out of project.area-of-interest");
        }
        catch (Exception e) when (e is GdalException or IOException or ArgumentException)
        {
            problems.Add($"project.forest-mask.raster: cannot read {raster} onto the project's tiles: {e.Message}");
        }
        return problems;
    }
}
