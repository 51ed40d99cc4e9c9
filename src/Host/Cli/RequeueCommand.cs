using System.CommandLine;
using System.Globalization;
using NrtCluster.Actors.Tiles;
using NrtCluster.Host.Node;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc requeue [--project FILE] [--tile ID]... [--day DATE] [--node URL] [--hocon FILE]</c>: on an embedded node (or the
/// running node --node names, see <see cref="Requeue"/>), every tile with a
/// quarantined day (or the given tiles, or only the given day) goes back to its state before that day (its earliest when
/// no day is given), kept since the day was quarantined, and a fast-forward applies that day and every later one again, in
/// order, up to the last day the tile had applied. The reports end as if the day had never been quarantined.
/// </summary>
public static class RequeueCommand
{
    private const string Verb = "requeue";

    public static Command Create()
    {
        var project = NodeCli.ProjectOption();
        var tiles = NodeCli.TileOption("every tile with a quarantined day");
        var day = new Option<string?>("--day")
        {
            Description = "Only this quarantined day, YYYY-MM-DD (later days of the tile are applied again too). Default: each tile's earliest quarantined day",
        };
        var nodeUrl = NodeCli.NodeOption();
        var hocon = NodeCli.HoconOption();
        var command = new Command(Verb,
            "Apply quarantined days again, once their items can be read: each tile goes back to its state before the day and " +
            "the day and every later one are applied again, in order; the reports end as if the day had never been quarantined.");
        command.Options.Add(project);
        command.Options.Add(tiles);
        command.Options.Add(day);
        command.Options.Add(nodeUrl);
        command.Options.Add(NodeCli.ApiTokenFileOption());
        command.Options.Add(hocon);
        command.SetAction(async (parseResult, ct) =>
        {
            DateOnly? only = null;
            if (parseResult.GetValue(day) is { } text)
            {
                if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
                {
                    Console.Error.WriteLine($"{Verb}: --day '{text}' is not a date; give YYYY-MM-DD (a day 'nrtc status' lists as quarantined).");
                    return 1;
                }
                only = d;
            }
            var named = parseResult.GetValue(tiles) ?? [];
            if (parseResult.GetValue(nodeUrl) is { } url)
                return await NodeCli.RemoteAsync(Verb, parseResult, url, client => RemoteAsync(client, named, only, ct));
            var file = parseResult.GetValue(project)!;
            if (NodeCli.Load(Verb, file) is not { } config) return 1;
            if (NodeCli.SelectTiles(Verb, config, file, named) is not { } selected) return 1;
            if (NodeCli.EmbeddedOptions(Verb, config, parseResult.GetValue(hocon)) is not { } options) return 1;
            return await StopSignals.RunAsync(Verb, ct, stop => NodeCli.GuardAsync(Verb, file, async () =>
            {
                await using var node = ProjectNode.Start(config, options);
                var plan = await Requeue.RewindAsync(node, selected, only, named: named.Length > 0, stop);
                Requeue.ShowPlan(Verb, plan, only);
                if (plan.To is not { } to) return plan.Refused.Count == 0 ? 0 : 1;
                var result = await JobConsole.FastForwardAsync(node, [.. plan.Rewound.Select(r => r.Tile)], to.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc), stop, restart: true);
                var after = new Dictionary<TileId, TileStatus>();
                foreach (var r in plan.Rewound) after[r.Tile] = await node.StatusAsync(r.Tile, stop);
                return Requeue.Finish(Verb, plan, result,
                    r => after[r.Tile].Quarantined.FirstOrDefault(q => q.Day == r.Day)?.Reason,
                    r => after[r.Tile].Days.Any(d => d.Day == r.Day),
                    $"log {node.Log.Path}");
            }));
        });
        return command;
    }

    /// <summary>The same through a running node: it rewinds and runs the fast-forward; its tiles' status tells the outcome.</summary>
    private static async Task<int> RemoteAsync(Http.NodeClient client, string[] named, DateOnly? only, CancellationToken ct)
    {
        var query = string.Join("&", named.Select(t => $"tile={Uri.EscapeDataString(t)}").Concat(only is { } d ? [$"day={d:yyyy-MM-dd}"] : []));
        var (plan, jobId) = Requeue.FromJson(await client.PostAsync("api/jobs/requeue" + (query.Length > 0 ? "?" + query : ""), ct));
        Requeue.ShowPlan(Verb, plan, only);
        if (jobId is null) return plan.Refused.Count == 0 ? 0 : 1;
        var result = await JobConsole.ShowAsync("fast-forward", (onProgress, token) => client.FollowJobAsync(jobId, onProgress, TimeSpan.FromMilliseconds(500), token), ct);
        var status = await client.GetAsync("api/tiles/status?days=true", ct);
        string? QuarantinedAgain(Requeue.Rewound r) => status["quarantined"]?.AsArray()
            .FirstOrDefault(q => q!["tile"]!.GetValue<string>() == r.Tile.ToString() && q["day"]!.GetValue<string>() == $"{r.Day:yyyy-MM-dd}")?["reason"]?.GetValue<string>();
        bool Applied(Requeue.Rewound r) => status["tiles"]?.AsArray()
            .FirstOrDefault(t => t!["tile"]!.GetValue<string>() == r.Tile.ToString())?["days"]?.AsArray()
            .Any(x => x!.GetValue<string>() == $"{r.Day:yyyy-MM-dd}") == true;
        return Requeue.Finish(Verb, plan, result, QuarantinedAgain, Applied, $"job {jobId} on {client.BaseUrl}");
    }
}
