using System.CommandLine;
using Akka.Actor;
using NrtCluster.Actors.Tiles;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc report [--project FILE] [--tile ID]...</c>: on an embedded node, each tile (or the given ones) writes its report
/// again from its persisted state (nothing is refitted or applied), then the mosaic is rebuilt as <c>nrtc mosaic</c> does.
/// </summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var project = NodeCli.ProjectOption();
        var tiles = NodeCli.TileOption("every tile of the project");
        var command = new Command("report",
            "Rewrite the tiles' report GeoTIFFs from their stored state (after lost or corrupted outputs), then rebuild mosaic.vrt.");
        command.Options.Add(project);
        command.Options.Add(tiles);
        command.SetAction(async (parseResult, ct) =>
        {
            var file = parseResult.GetValue(project)!;
            if (NodeCli.Load("report", file) is not { } config) return 1;
            if (NodeCli.SelectTiles("report", config, file, parseResult.GetValue(tiles)) is not { } selected) return 1;
            return await NodeCli.GuardAsync("report", file, async () =>
            {
                int written = 0;
                await using (var node = ProjectNode.Start(config))
                {
                    foreach (var tile in selected)
                    {
                        var reply = await node.Tiles.Ask<TileReport>(new RewriteTileReport(tile), TimeSpan.FromMinutes(2), ct);
                        if (reply.ReportPath is { } path) written++;
                        Console.WriteLine($"report: tile {tile}: " + (reply.ReportPath ?? (reply.FitNumber == 0
                            ? "not fitted"
                            : $"report not written (see the node log in {config.OutputFolder})")));
                    }
                }
                Console.WriteLine($"report: {written} of {selected.Count} tile reports rewritten");
                // After the node stopped: its report aggregator cannot replace the mosaic afterwards.
                return MosaicCommand.Rebuild("report", config);
            });
        });
        return command;
    }
}
