using System.CommandLine;
using Akka.Actor;
using NrtCluster.Actors.Tiles;
using NrtCluster.Host.Node;
using NrtCluster.Geo.Grid;

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
                var failed = new List<(TileId Tile, string Error)>();
                await using (var node = ProjectNode.Start(config))
                {
                    foreach (var tile in selected)
                    {
                        var reply = await node.Tiles.Ask<TileReport>(new RewriteTileReport(tile), TimeSpan.FromMinutes(2), ct);
                        if (reply.ReportPath is { } path) written++;
                        if (reply.ReportError is { } error) failed.Add((tile, error));
                        Console.WriteLine($"report: tile {tile}: " + (reply.ReportPath ?? (reply.FitNumber == 0 ? "not fitted" : "report not written")));
                    }
                }
                Console.WriteLine($"report: {written} of {selected.Count} tile reports rewritten");
                // One line per cause: a full disk fails every tile alike.
                foreach (var cause in failed.GroupBy(f => f.Error))
                    Console.Error.WriteLine($"report: {cause.Count()} tile report(s) not written ({string.Join(", ", cause.Select(f => f.Tile))}): {cause.Key}; " +
                                            "make room (or make the folder writable) and run nrtc report again");
                if (failed.Count > 0) return 1;
                // After the node stopped: its report aggregator cannot replace the mosaic afterwards.
                return MosaicCommand.Rebuild("report", config);
            });
        });
        return command;
    }
}
