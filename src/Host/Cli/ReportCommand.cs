using System.CommandLine;
using Akka.Actor;
using NrtCluster.Actors.Sources;
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
        var tiles = new Option<string[]>("--tile")
        {
            Description = "Only this tile (x<column>_y<row>, e.g. x12_y7); repeat for several. Default: every tile of the project",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("report",
            "Rewrite the tiles' report GeoTIFFs from their stored state (after lost or corrupted outputs), then rebuild mosaic.vrt.");
        command.Options.Add(project);
        command.Options.Add(tiles);
        command.SetAction(async (parseResult, ct) =>
        {
            var file = parseResult.GetValue(project)!;
            if (NodeCli.Load("report", file) is not { } config) return 1;
            var projectTiles = ProjectArchive.Footprints(config).ProjectTiles;
            var requested = parseResult.GetValue(tiles) ?? [];
            var bad = requested.Where(t => !TileKey.TryParse(t, out _)).ToList();
            if (bad.Count > 0)
            {
                Console.Error.WriteLine($"report: {string.Join(", ", bad.Select(t => $"'{t}'"))}: not a tile id; expected x<column>_y<row>, e.g. x12_y7 (see 'nrtc status').");
                return 1;
            }
            var selected = requested.Length == 0 ? projectTiles : [.. requested.Select(TileKey.Parse).Distinct()];
            var outside = selected.Where(t => !projectTiles.Contains(t)).ToList();
            if (outside.Count > 0)
            {
                Console.Error.WriteLine($"report: {string.Join(", ", outside)}: not a tile of the project {file.FullName} (see 'nrtc status').");
                return 1;
            }
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
