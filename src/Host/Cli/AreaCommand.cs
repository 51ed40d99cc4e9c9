using System.CommandLine;
using NrtCluster.Actors.Config;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc area [--project FILE] [--drop-tiles]</c>: compares the project's area of interest with the one its state was made
/// with (<c>state.json</c>), says which tiles it adds and leaves out, and records it. A grown area is recorded by any verb
/// that runs with it; one that leaves out recorded tiles only by this verb with --drop-tiles.
/// </summary>
public static class AreaCommand
{
    public static Command Create()
    {
        var project = NodeCli.ProjectOption();
        var drop = new Option<bool>("--drop-tiles")
        {
            Description = "Take an area that leaves out tiles of the recorded one: they are no longer fitted, fed or reported (their stored state is kept)",
        };
        var command = new Command("area",
            "Compare the project's area of interest with the one its state was made with, list the tiles it adds and leaves out, and record it.");
        command.Options.Add(project);
        command.Options.Add(drop);
        command.SetAction(parseResult =>
        {
            var file = parseResult.GetValue(project)!;
            if (NodeCli.Load("area", file) is not { } config) return 1;
            return NodeCli.GuardAsync("area", file, () =>
            {
                using var ownership = ProjectLock.Acquire(config.OutputFolder, "area");
                var fingerprint = StateFingerprint.Of(config);
                if (parseResult.GetValue(drop)) fingerprint = fingerprint.AllowingDroppedTiles();
                if (StateFingerprint.Read(config.OutputFolder) is not { } stored)
                {
                    Console.WriteLine($"area: no state in {config.OutputFolder} yet; the first fit records the area ({Count(fingerprint)} tiles)");
                    return Task.FromResult(0);
                }
                var (added, dropped) = (fingerprint.AddedTiles(stored), fingerprint.DroppedTiles(stored));
                fingerprint.Claim(config.OutputFolder, NodeProfile.Embedded);
                Console.WriteLine($"area: {Count(fingerprint)} tiles; {added.Count} new{List(added)}, {dropped.Count} left out{List(dropped)}; recorded in " +
                                  Path.Combine(config.OutputFolder, StateFingerprint.FileName));
                if (added.Count > 0)
                    Console.WriteLine("area: 'nrtc fit' fits the new tiles (the others answer already fitted and keep their state), then 'nrtc fast-forward' " +
                                      "brings them up to the others' last day; restart a running node (run) to take the area");
                return Task.FromResult(0);
            }).GetAwaiter().GetResult();
        });
        return command;
    }

    private static int Count(StateFingerprint f) =>
        f.Values.TryGetValue(StateFingerprint.AreaTilesKey, out var tiles) ? tiles.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length : 0;

    private static string List(IReadOnlyList<string> tiles) =>
        tiles.Count == 0 ? "" : $" ({string.Join(", ", tiles.Take(20))}{(tiles.Count > 20 ? ", ..." : "")})";
}
