using System.CommandLine;
using Akka.Actor;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Tiles;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc update-mask [--project FILE] [--tile ID]... [--mask FILE]</c>: each fitted tile (or the given ones) reads the
/// forest mask again (the project's, or the given raster) and changes which pixels it monitors without refitting
/// (<see cref="ForestMaskUpdate"/>); the reports are rewritten and <c>state.json</c> records the new mask.
/// </summary>
public static class UpdateMaskCommand
{
    public static Command Create()
    {
        var project = NodeCli.ProjectOption();
        var tiles = NodeCli.TileOption("every tile of the project");
        var mask = new Option<FileInfo?>("--mask")
        {
            Description = "Forest mask raster to read (forest above project.forest-mask.threshold, as the fit reads it); default: the project's project.forest-mask",
        };
        var command = new Command("update-mask",
            "Read the forest mask again and change which pixels the fitted tiles monitor, without refitting: pixels leaving the forest stop, " +
            "fitted pixels entering it are monitored, never-fitted ones stay out until a refit, breaks stay.");
        command.Options.Add(project);
        command.Options.Add(tiles);
        command.Options.Add(mask);
        command.SetAction(async (parseResult, ct) =>
        {
            var file = parseResult.GetValue(project)!;
            if (NodeCli.Load("update-mask", file) is not { } config) return 1;
            if (parseResult.GetValue(mask) is { } raster)
                config = config with { ForestMask = config.ForestMask with { Source = ForestMaskSource.Raster, RasterPath = raster.FullName } };
            if (config.ForestMask.Source == ForestMaskSource.Rule)
            {
                Console.Error.WriteLine("update-mask: project.forest-mask.source = rule is decided from each tile's own fit; update-mask reads a raster: " +
                                        "give --mask FILE, or set project.forest-mask.source = raster");
                return 1;
            }
            if (NodeCli.SelectTiles("update-mask", config, file, parseResult.GetValue(tiles)) is not { } selected) return 1;
            string? path = config.ForestMask.Source == ForestMaskSource.Raster ? config.ForestMask.RasterPath : null;
            double? threshold = config.ForestMask.RasterThreshold;
            if (path is not null && Unreadable(path, config.Grid.TileGeoBox(selected[0]), threshold) is { } error)
            {
                Console.Error.WriteLine($"update-mask: the forest mask {path} cannot be read: {error}; give a GeoTIFF (or any raster GDAL opens) covering the area.");
                return 1;
            }
            return await NodeCli.GuardAsync("update-mask", file, async () =>
            {
                var sum = new MaskChange(0, 0, 0, 0);
                int updated = 0, notFitted = 0;
                var failed = new List<string>();
                await using (var node = ProjectNode.Start(config, fingerprint: StateFingerprint.Of(config).AllowingMaskChange()))
                {
                    foreach (var tile in selected)
                    {
                        var reply = await node.Tiles.Ask<MaskAck>(new UpdateMask(tile, path, threshold), TimeSpan.FromMinutes(2), ct);
                        Console.WriteLine($"update-mask: tile {tile}: {reply.Detail}");
                        switch (reply)
                        {
                            case { Outcome: AckOutcome.MaskUpdated, Change: { } c }:
                                updated++;
                                sum = new MaskChange(sum.Left + c.Left, sum.Entered + c.Entered, sum.NotFitted + c.NotFitted, sum.BreaksKept + c.BreaksKept);
                                if (reply.ReportError is { } reportError) failed.Add($"{tile}: report not written: {reportError}");
                                break;
                            case { Outcome: AckOutcome.NotFitted }:
                                notFitted++;
                                break;
                            default:
                                failed.Add($"{tile}: {reply.Detail}");
                                break;
                        }
                    }
                }
                Console.WriteLine($"update-mask: {updated} of {selected.Count} tiles updated without a refit ({notFitted} not fitted: their fit reads the mask); {sum}");
                if (parseResult.GetValue(mask) is not null)
                    Console.WriteLine($"update-mask: {Path.Combine(config.OutputFolder, StateFingerprint.FileName)} records project.forest-mask.raster = {path}; set it in {file.FullName} too " +
                                      "(the other verbs check the project file against it)");
                foreach (var f in failed) Console.Error.WriteLine($"update-mask: tile {f}");
                return failed.Count == 0 ? 0 : 1;
            });
        });
        return command;
    }

    /// <summary>Why the raster cannot be read on a tile of the project (null when it can), before any tile is asked.</summary>
    private static string? Unreadable(string path, GeoBox tile, double? threshold)
    {
        if (!File.Exists(path) && !path.StartsWith("/vsi", StringComparison.Ordinal)) return "no such file";
        try
        {
            TileRasters.ReadForestMask(path, tile, threshold);
            return null;
        }
        catch (Exception e) when (e is GdalException or IOException or ArgumentException or InvalidOperationException)
        {
            return e.Message;
        }
    }
}
