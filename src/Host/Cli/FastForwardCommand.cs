using System.CommandLine;
using System.Globalization;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Cli;

/// <summary><c>nrtc fast-forward [--project FILE] [--to DATE]</c>: applies every solar day after the history, in time order, to the fitted tiles.</summary>
public static class FastForwardCommand
{
    public static Command Create()
    {
        var project = NodeCli.ProjectOption();
        var to = new Option<string?>("--to") { Description = "Last acquisition date to apply, YYYY-MM-DD (default: now)" };
        var command = new Command("fast-forward", "Apply every observation from the end of the history to now (or --to) to the fitted tiles, in time order.");
        command.Options.Add(project);
        command.Options.Add(to);
        command.SetAction(async (parseResult, ct) =>
        {
            var file = parseResult.GetValue(project)!;
            if (NodeCli.Load("fast-forward", file) is not { } config) return 1;
            var toText = parseResult.GetValue(to);
            DateTime toUtc = DateTime.UtcNow;
            if (toText is not null)
            {
                if (!DateOnly.TryParseExact(toText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                {
                    Console.Error.WriteLine($"fast-forward: --to '{toText}' is not a date; give YYYY-MM-DD.");
                    return 1;
                }
                toUtc = day.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc);
            }
            return await NodeCli.GuardAsync("fast-forward", file, async () =>
            {
                await using var node = ProjectNode.Start(config);
                var tiles = await node.TilesWithDataAsync(ct);
                if (tiles.IsEmpty) throw new InvalidOperationException("no archive item touches a tile of the area of interest; check project.area-of-interest and project.stac");
                var result = await JobConsole.FastForwardAsync(node, tiles, toUtc, ct);
                Console.WriteLine($"fast-forward: {result.Tiles.Sum(t => t.DaysDone)} tile-days applied on {result.TilesDone} tiles, {result.TilesFailed} failed; log {node.Log.Path}");
                return result.TilesFailed == 0 && result.Error is null ? 0 : 1;
            });
        });
        return command;
    }
}
