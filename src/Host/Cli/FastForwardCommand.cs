using System.CommandLine;
using System.Globalization;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc fast-forward [--project FILE] [--to DATE] [--node URL] [--hocon FILE]</c>: applies every solar day after the history, in time order,
/// to the fitted tiles, on an embedded node or with --node as a job on a running node (the cluster).
/// </summary>
public static class FastForwardCommand
{
    public static Command Create()
    {
        var project = NodeCli.ProjectOption();
        var to = new Option<string?>("--to") { Description = "Last acquisition date to apply, YYYY-MM-DD (default: now)" };
        var nodeUrl = NodeCli.NodeOption();
        var hocon = NodeCli.HoconOption();
        var command = new Command("fast-forward",
            "Apply every observation from the end of the history to now (or --to) to the fitted tiles, in time order; with --node on a running node's cluster.");
        command.Options.Add(project);
        command.Options.Add(to);
        command.Options.Add(nodeUrl);
        command.Options.Add(NodeCli.ApiTokenFileOption());
        command.Options.Add(hocon);
        command.SetAction(async (parseResult, ct) =>
        {
            var toText = parseResult.GetValue(to);
            if (parseResult.GetValue(nodeUrl) is { } url)
            {
                if (toText is not null && !DateOnly.TryParseExact(toText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                {
                    Console.Error.WriteLine($"fast-forward: --to '{toText}' is not a date; give YYYY-MM-DD.");
                    return 1;
                }
                return await NodeCli.RemoteAsync("fast-forward", parseResult, url, async client =>
                {
                    var path = "api/jobs/fast-forward" + (toText is null ? "" : $"?to={toText}");
                    var result = await JobConsole.ShowAsync("fast-forward", (onProgress, token) =>
                        client.RunJobAsync(path, onProgress, TimeSpan.FromMilliseconds(500), token), ct);
                    Console.WriteLine($"fast-forward: {JobConsole.DaysSummary(result)} on {result.TilesDone} tiles, {result.TilesFailed} failed; " +
                                      $"job {result.JobId} on {client.BaseUrl}");
                    return result.TilesFailed == 0 && result.Error is null ? 0 : 1;
                });
            }
            var file = parseResult.GetValue(project)!;
            if (NodeCli.Load("fast-forward", file) is not { } config) return 1;
            if (NodeCli.EmbeddedOptions("fast-forward", config, parseResult.GetValue(hocon)) is not { } options) return 1;
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
            return await StopSignals.RunAsync("fast-forward", ct, stop => NodeCli.GuardAsync("fast-forward", file, async () =>
            {
                await using var node = ProjectNode.Start(config, options);
                var tiles = await node.TilesWithDataAsync(stop, r => Console.Error.WriteLine($"fast-forward: warning: {r}; the other items go on"));
                if (tiles.IsEmpty) throw new InvalidOperationException("no archive item touches a tile of the area of interest; check project.area-of-interest and project.stac");
                var result = await JobConsole.FastForwardAsync(node, tiles, toUtc, stop);
                Console.WriteLine($"fast-forward: {JobConsole.DaysSummary(result)} on {result.TilesDone} tiles, {result.TilesFailed} failed; log {node.Log.Path}");
                return result.TilesFailed == 0 && result.Error is null ? 0 : 1;
            }));
        });
        return command;
    }
}
