using System.CommandLine;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc fit [--project FILE] [--replace] [--node URL] [--hocon FILE]</c>: fits every tile of the project with data on its history period,
/// on an embedded node, or with --node as a job on a running node (the cluster).
/// </summary>
public static class FitCommand
{
    public static Command Create()
    {
        var project = NodeCli.ProjectOption();
        var replace = new Option<bool>("--replace") { Description = "Refit tiles fitted before (restarts their monitoring)" };
        var nodeUrl = NodeCli.NodeOption();
        var hocon = NodeCli.HoconOption();
        var command = new Command("fit",
            "Fit every tile of the project on its history period, on an embedded node (SQLite in the output folder) or, with --node, on a running node's cluster.");
        command.Options.Add(project);
        command.Options.Add(replace);
        command.Options.Add(nodeUrl);
        command.Options.Add(NodeCli.ApiTokenFileOption());
        command.Options.Add(hocon);
        command.SetAction(async (parseResult, ct) =>
        {
            if (parseResult.GetValue(nodeUrl) is { } url)
                return await NodeCli.RemoteAsync("fit", parseResult, url, async client =>
                {
                    var result = await JobConsole.ShowAsync("fit", (onProgress, token) =>
                        client.RunJobAsync($"api/jobs/fit?replace={(parseResult.GetValue(replace) ? "true" : "false")}", onProgress, TimeSpan.FromMilliseconds(500), token), ct);
                    Console.WriteLine($"fit: {result.TilesDone} tiles fitted, {result.TilesFailed} failed; job {result.JobId} on {client.BaseUrl}");
                    return result.TilesFailed == 0 && result.Error is null ? 0 : 1;
                });
            var file = parseResult.GetValue(project)!;
            if (NodeCli.Load("fit", file) is not { } config) return 1;
            if (NodeCli.EmbeddedOptions("fit", config, parseResult.GetValue(hocon)) is not { } options) return 1;
            return await StopSignals.RunAsync("fit", ct, stop => NodeCli.GuardAsync("fit", file, async () =>
            {
                await using var node = ProjectNode.Start(config, options);
                var tiles = await node.TilesWithDataAsync(stop, r => Console.Error.WriteLine($"fit: warning: {r}; the other items go on"));
                if (tiles.IsEmpty) throw new InvalidOperationException("no archive item touches a tile of the area of interest; check project.area-of-interest and project.stac");
                var result = await JobConsole.FitAsync(node, tiles, parseResult.GetValue(replace), stop);
                Console.WriteLine($"fit: {result.TilesDone} tiles fitted, {result.TilesFailed} failed; log {node.Log.Path}");
                return result.TilesFailed == 0 && result.Error is null ? 0 : 1;
            }));
        });
        return command;
    }
}
