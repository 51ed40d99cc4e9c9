using System.CommandLine;
using System.Globalization;
using Akka.Actor;
using NrtCluster.Actors.Tiles;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc requeue [--project FILE] [--tile ID]... [--day DATE] [--hocon FILE]</c>: on an embedded node, every tile with a
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
        var hocon = NodeCli.HoconOption();
        var command = new Command(Verb,
            "Apply quarantined days again, once their items can be read: each tile goes back to its state before the day and " +
            "the day and every later one are applied again, in order; the reports end as if the day had never been quarantined.");
        command.Options.Add(project);
        command.Options.Add(tiles);
        command.Options.Add(day);
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
            var file = parseResult.GetValue(project)!;
            if (NodeCli.Load(Verb, file) is not { } config) return 1;
            var named = parseResult.GetValue(tiles) ?? [];
            if (NodeCli.SelectTiles(Verb, config, file, named) is not { } selected) return 1;
            if (NodeCli.EmbeddedOptions(Verb, config, parseResult.GetValue(hocon)) is not { } options) return 1;
            return await StopSignals.RunAsync(Verb, ct, stop => NodeCli.GuardAsync(Verb, file, async () =>
            {
                await using var node = ProjectNode.Start(config, options);
                return await RequeueAsync(node, selected, only, explicitTiles: named.Length > 0, stop);
            }));
        });
        return command;
    }

    /// <summary>One tile gone back before a quarantined day: that day, and how far it had come before.</summary>
    private sealed record Rewound(TileKey Tile, DateOnly Day, DateOnly? LastDayBefore);

    private static async Task<int> RequeueAsync(ProjectNode node, IReadOnlyList<TileKey> selected, DateOnly? only, bool explicitTiles, CancellationToken ct)
    {
        var rewound = new List<Rewound>();
        bool refused = false;
        foreach (var tile in selected)
        {
            var status = await node.StatusAsync(tile, ct);
            // Without --tile, tiles with nothing to requeue are passed over quietly; a tile or day named is answered.
            if (!explicitTiles && !status.Quarantined.Any(q => only is null || q.Day == only)) continue;
            var ack = await node.Tiles.Ask<DayAck>(new RequeueDay(tile, only), TimeSpan.FromMinutes(2), ct);
            switch (ack.Outcome)
            {
                case AckOutcome.Rewound:
                    Console.WriteLine($"{Verb}: tile {tile}: {ack.Day:yyyy-MM-dd} requeued, {status.Quarantined.First(q => q.Day == ack.Day).Reason}; {ack.Detail}");
                    rewound.Add(new Rewound(tile, ack.Day, status.LastDay));
                    break;
                default:
                    Console.Error.WriteLine($"{Verb}: tile {tile}: {ack.Detail}");
                    refused = true;
                    break;
            }
        }
        if (rewound.Count == 0)
        {
            if (!refused)
                Console.WriteLine($"{Verb}: no tile has {(only is { } d ? $"{d:yyyy-MM-dd}" : "a day")} quarantined; nothing to requeue ('nrtc status' lists quarantined days)");
            return refused ? 1 : 0;
        }

        // Up to the last day any of them had applied (or the requeued day): the same days again, not newer ones.
        var to = rewound.Max(r => r.LastDayBefore is { } l && l > r.Day ? l : r.Day);
        var result = await JobConsole.FastForwardAsync(node, [.. rewound.Select(r => r.Tile)], to.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc), ct);
        int applied = 0;
        foreach (var r in rewound)
        {
            var after = await node.StatusAsync(r.Tile, ct);
            if (after.Quarantined.FirstOrDefault(q => q.Day == r.Day) is { } again)
                Console.Error.WriteLine($"{Verb}: tile {r.Tile}: {r.Day:yyyy-MM-dd} is quarantined again: {again.Reason}");
            else if (after.Days.Any(d => d.Day == r.Day))
                applied++;
            else
                Console.Error.WriteLine($"{Verb}: tile {r.Tile}: {r.Day:yyyy-MM-dd} was not applied: the archive search no longer lists an item of that day on the tile");
        }
        Console.WriteLine($"{Verb}: {applied} of {rewound.Count} requeued tile-day(s) applied; the fast-forward to {to:yyyy-MM-dd}: " +
                          $"{JobConsole.DaysSummary(result)} on {result.TilesDone} tiles, {result.TilesFailed} failed; log {node.Log.Path}");
        return !refused && applied == rewound.Count && result.TilesFailed == 0 && result.Error is null ? 0 : 1;
    }
}
