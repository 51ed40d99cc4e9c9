using System.Globalization;
using System.Text.Json.Nodes;
using Akka.Actor;
using NrtCluster.Actors.Jobs;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Node;

/// <summary>
/// What <c>nrtc requeue</c> does on a node (embedded, or the one <c>--node</c> names): each selected tile with a quarantined
/// day goes back to its state before it (<see cref="RequeueDay"/>), then one fast-forward of those tiles applies the day and
/// every later one again, in order, up to the last day any of them had applied.
/// </summary>
public static class Requeue
{
    /// <summary>A tile taken back before <paramref name="Day"/>: why the day was quarantined, what the tile said, and its last day before.</summary>
    public sealed record Rewound(TileId Tile, DateOnly Day, string Reason, string Detail, DateOnly? LastDayBefore);

    /// <param name="Refused">What the tiles said that could not be taken back (not quarantined, state not kept), one line each.</param>
    public sealed record Plan(IReadOnlyList<Rewound> Rewound, IReadOnlyList<string> Refused)
    {
        /// <summary>The last day to apply again: the latest any of the tiles had applied, or its requeued day; null when none was rewound.</summary>
        public DateOnly? To => Rewound.Count == 0 ? null : Rewound.Max(r => r.LastDayBefore is { } l && l > r.Day ? l : r.Day);
    }

    /// <summary>
    /// Rewinds every tile of <paramref name="tiles"/> with a quarantined day (<paramref name="only"/> that day); a tile named
    /// by the operator (<paramref name="named"/>) without one is answered, the others are passed over quietly.
    /// </summary>
    public static async Task<Plan> RewindAsync(ProjectNode node, IReadOnlyList<TileId> tiles, DateOnly? only, bool named, CancellationToken ct)
    {
        var rewound = new List<Rewound>();
        var refused = new List<string>();
        foreach (var tile in tiles)
        {
            var status = await node.StatusAsync(tile, ct).ConfigureAwait(false);
            if (!named && !status.Quarantined.Any(q => only is null || q.Day == only)) continue;
            var ack = await node.Tiles.Ask<DayAck>(new RequeueDay(tile, only), TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
            if (ack.Outcome == AckOutcome.Rewound)
                rewound.Add(new Rewound(tile, ack.Day, status.Quarantined.First(q => q.Day == ack.Day).Reason, ack.Detail, status.LastDay));
            else
                refused.Add($"tile {tile}: {ack.Detail}");
        }
        return new Plan(rewound, refused);
    }

    /// <summary>The fast-forward that applies the rewound tiles' days again (<see cref="Plan.To"/> must be set).</summary>
    public static JobRequest.FastForward Job(ProjectNode node, string jobId, Plan plan) =>
        new(jobId, [.. plan.Rewound.Select(r => r.Tile)], node.HistoryEndUtc, plan.To!.Value.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc), Restart: true);

    /// <summary>The plan as <c>POST /api/jobs/requeue</c> answers it, with the job's id when one was started.</summary>
    public static JsonObject ToJson(Plan plan, string? jobId) => new()
    {
        ["jobId"] = jobId,
        ["to"] = plan.To is { } to ? Day(to) : null,
        ["requeued"] = new JsonArray([.. plan.Rewound.Select(r => (JsonNode)new JsonObject
        {
            ["tile"] = r.Tile.ToString(), ["day"] = Day(r.Day), ["reason"] = r.Reason, ["detail"] = r.Detail,
            ["lastDayBefore"] = r.LastDayBefore is { } l ? Day(l) : null,
        })]),
        ["refused"] = new JsonArray([.. plan.Refused.Select(r => (JsonNode)JsonValue.Create(r)!)]),
    };

    public static (Plan Plan, string? JobId) FromJson(JsonObject json)
    {
        var rewound = (json["requeued"]?.AsArray() ?? []).Select(r => new Rewound(
            TileId.Parse(r!["tile"]!.GetValue<string>()), ParseDay(r["day"]!.GetValue<string>()), r["reason"]!.GetValue<string>(),
            r["detail"]!.GetValue<string>(), r["lastDayBefore"]?.GetValue<string>() is { } l ? ParseDay(l) : null)).ToList();
        var refused = (json["refused"]?.AsArray() ?? []).Select(r => r!.GetValue<string>()).ToList();
        return (new Plan(rewound, refused), json["jobId"]?.GetValue<string>());
    }

    /// <summary>Prints each rewound tile-day and each refusal, or that there was nothing to requeue.</summary>
    public static void ShowPlan(string verb, Plan plan, DateOnly? only)
    {
        foreach (var r in plan.Rewound) Console.WriteLine($"{verb}: tile {r.Tile}: {r.Day:yyyy-MM-dd} requeued, {r.Reason}; {r.Detail}");
        foreach (var r in plan.Refused) Console.Error.WriteLine($"{verb}: {r}");
        if (plan.Rewound.Count == 0 && plan.Refused.Count == 0)
            Console.WriteLine($"{verb}: no tile has {(only is { } d ? $"{d:yyyy-MM-dd}" : "a day")} quarantined; nothing to requeue ('nrtc status' lists quarantined days)");
    }

    /// <summary>
    /// After the fast-forward: names each requeued day quarantined again (<paramref name="quarantinedAgain"/> gives its
    /// reason) or not applied (<paramref name="applied"/>), prints the summary and returns the exit code.
    /// </summary>
    public static int Finish(string verb, Plan plan, JobProgress result, Func<Rewound, string?> quarantinedAgain, Func<Rewound, bool> applied, string where)
    {
        int done = 0;
        foreach (var r in plan.Rewound)
        {
            if (quarantinedAgain(r) is { } reason)
                Console.Error.WriteLine($"{verb}: tile {r.Tile}: {r.Day:yyyy-MM-dd} is quarantined again: {reason}");
            else if (applied(r))
                done++;
            else
                Console.Error.WriteLine($"{verb}: tile {r.Tile}: {r.Day:yyyy-MM-dd} was not applied: the archive search no longer lists an item of that day on the tile");
        }
        Console.WriteLine($"{verb}: {done} of {plan.Rewound.Count} requeued tile-day(s) applied; the fast-forward to {plan.To:yyyy-MM-dd}: " +
                          $"{JobConsole.DaysSummary(result)} on {result.TilesDone} tiles, {result.TilesFailed} failed; {where}");
        return plan.Refused.Count == 0 && done == plan.Rewound.Count && result.TilesFailed == 0 && result.Error is null ? 0 : 1;
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateOnly ParseDay(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);
}
