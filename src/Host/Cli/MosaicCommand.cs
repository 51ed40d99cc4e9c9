using System.CommandLine;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Reports;
using NrtCluster.Actors.Sources;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Gdal;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc mosaic [--project FILE]</c>: rebuilds <c>OUTPUT/mosaic.vrt</c> from the tile reports present in the output
/// folder, with the report aggregator's builder (written under a temporary name and renamed), without a node.
/// </summary>
public static class MosaicCommand
{
    public static Command Create()
    {
        var project = NodeCli.ProjectOption();
        var command = new Command("mosaic",
            "Rebuild the output folder's mosaic.vrt from the tile reports present there (unreadable reports are skipped with a warning).");
        command.Options.Add(project);
        command.SetAction(parseResult =>
        {
            var file = parseResult.GetValue(project)!;
            if (NodeCli.Load("mosaic", file) is not { } config) return 1;
            return Rebuild("mosaic", config);
        });
        return command;
    }

    /// <summary>
    /// Builds the mosaic over every readable tile report of the project (in the aggregator's order, by row then column);
    /// prints the tile count and path and returns 0, or 1 with a message when there is no readable report or GDAL fails.
    /// </summary>
    public static int Rebuild(string verb, ProjectConfig config)
    {
        var writer = new GeoTiffTileReportWriter(config.Grid, config.OutputFolder, config.ReportLayers, config.CreateEngine());
        var sources = new List<string>();
        foreach (var tile in ProjectArchive.Footprints(config).ProjectTiles)
        {
            string path = writer.PathFor(tile);
            if (!File.Exists(path)) continue;
            try
            {
                using var report = RasterDataset.Open(path);
                sources.Add(path);
            }
            catch (GdalException e)
            {
                Console.Error.WriteLine($"{verb}: warning: skipping the unreadable report of tile {tile}, {path}: {e.Message} (rewrite it with 'nrtc report --tile {tile}')");
            }
        }
        string mosaic = ProjectNode.MosaicPathOf(config);
        if (sources.Count == 0)
        {
            Console.Error.WriteLine($"{verb}: no readable tile report under {Path.Combine(config.OutputFolder, "tiles")}; " +
                                    "write them from the tiles' state with 'nrtc report', or fit and fast-forward the project first.");
            return 1;
        }
        try
        {
            new GdalVrtMosaicBuilder().Build(mosaic, sources);
        }
        catch (Exception e) when (e is GdalException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"{verb}: cannot write the mosaic {mosaic}: {e.Message}");
            return 1;
        }
        Console.WriteLine($"{verb}: mosaic of {sources.Count} tile reports written to {mosaic}");
        return 0;
    }
}
