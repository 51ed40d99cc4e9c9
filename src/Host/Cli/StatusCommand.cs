using System.CommandLine;
using System.Text.Json.Nodes;
using NrtCluster.Actors.Tiles;
using NrtCluster.Host.Node;
using Spectre.Console;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc status [--project FILE] [--node URL] [--hocon FILE]</c>: for each tile an archive item touches, its fit, last applied day, days applied, breaks and lag behind the
/// archive, the days it quarantined (items that could not be loaded: counted in the table, listed below it) and the granules
/// its applied days were loaded without, from an embedded node or with --node from a running node (then also the shard and
/// node holding each tile, whether the poller and report aggregator singletons run, and the alerts the aggregator recorded).
/// With the archive offline, the tiles with stored state, lag unknown.
/// </summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var project = NodeCli.ProjectOption();
        var nodeUrl = NodeCli.NodeOption();
        var hocon = NodeCli.HoconOption();
        var command = new Command("status",
            "Show every tile of the project with data: fit, last applied solar day, days applied, breaks, lag behind the archive's newest day and quarantined days; with --node also where it runs.");
        command.Options.Add(project);
        command.Options.Add(nodeUrl);
        command.Options.Add(NodeCli.ApiTokenFileOption());
        command.Options.Add(hocon);
        command.SetAction(async (parseResult, ct) =>
        {
            if (parseResult.GetValue(nodeUrl) is { } url)
                return await NodeCli.RemoteAsync("status", parseResult, url, async client => Show(await client.GetAsync("api/tiles/status", ct)));
            var file = parseResult.GetValue(project)!;
            if (NodeCli.Load("status", file) is not { } config) return 1;
            if (NodeCli.EmbeddedOptions("status", config, parseResult.GetValue(hocon)) is not { } options) return 1;
            return await NodeCli.GuardAsync("status", file, async () =>
            {
                await using var node = ProjectNode.Start(config, options);
                var overview = await TileOverview.ReadAsync(node, ct);
                NodeCli.WideWhenRedirected();
                var table = new Table().AddColumns("tile", "fit", "last day", "days applied", "breaks", "newest in archive", "lag (days)", "quarantined");
                var unknown = overview.ArchiveError is null ? "-" : "unknown";
                foreach (var row in overview.Tiles)
                {
                    var status = row.Status;
                    table.AddRow(status.Tile.ToString(), status.Fit is null ? "not fitted" : $"#{status.FitNumber} ({status.Fit.HistoryDates} dates)",
                        status.LastDay?.ToString("yyyy-MM-dd") ?? "-", status.Days.Length.ToString(), status.Totals.Breaks.ToString(),
                        row.NewestInArchive?.ToString("yyyy-MM-dd") ?? unknown, row.LagDays?.ToString() ?? unknown, status.Quarantined.Length.ToString());
                }
                AnsiConsole.Write(table);
                ShowArchiveError(overview.ArchiveError, overview.Tiles.Length, $"project.stac in {file.FullName}");
                ShowList(QuarantinedDays, QuarantinedWhy, [.. overview.Tiles.SelectMany(r => r.Status.Quarantined.Select(q =>
                    QuarantinedLine(r.Status.Tile.ToString(), q.Day.ToString("yyyy-MM-dd"), string.Join(", ", q.ItemIds), q.Reason)))]);
                ShowList(LeftOutGranules, LeftOutWhy, [.. overview.LeftOut.Select(l =>
                    LeftOutLine(l.Tile.ToString(), l.Day.Day.ToString("yyyy-MM-dd"), l.Item.ItemId, l.Item.Reason))]);
                ShowList(HazeGatedDays, HazeGatedWhy, [.. overview.HazeGated.Select(h => HazeGatedLine(h.Tile.ToString(), h.Day.Day.ToString("yyyy-MM-dd"), h.Day))]);
                ShowList(RejectedItems, RejectedWhy, [.. overview.Rejected.Select(r => RejectedLine(r.Id ?? "-", r.Source, r.Reason))]);
                return Failed(overview.ArchiveError, overview.Tiles.Length);
            });
        });
        return command;
    }

    private static int Show(JsonObject status)
    {
        NodeCli.WideWhenRedirected();
        var table = new Table().AddColumns("tile", "shard", "node", "fit", "last day", "days applied", "breaks", "newest in archive", "lag (days)", "quarantined");
        var archiveError = status["archiveError"]?.ToString();
        foreach (var t in status["tiles"]?.AsArray() ?? [])
        {
            string Text(string name) => t?[name]?.ToString() ?? (archiveError is not null && name is "newestInArchive" or "lagDays" ? "unknown" : "-");
            var fit = t?["fit"] is JsonObject f ? $"#{t["fitNumber"]} ({f["historyDates"]} dates)" : "not fitted";
            table.AddRow(Markup.Escape(Text("tile")), Markup.Escape(Text("shard")), Markup.Escape(NodeCli.ShortAddress(t?["node"]?.ToString())), Markup.Escape(fit),
                Text("lastDay"), Text("daysApplied"), Text("breaks"), Text("newestInArchive"), Text("lagDays"), Text("quarantinedDays"));
        }
        AnsiConsole.Write(table);
        var tiles = status["tiles"]?.AsArray().Count ?? 0;
        Console.WriteLine($"status: {tiles} tiles, as seen by {status["node"]}");
        ShowArchiveError(archiveError, tiles, "project.stac of the node's project");
        ShowSingletons(status);
        static string Field(JsonNode? node, string name) => node?[name]?.ToString() ?? "-";
        ShowList(QuarantinedDays, QuarantinedWhy, [.. (status["quarantined"]?.AsArray() ?? []).Select(q => QuarantinedLine(
            Field(q, "tile"), Field(q, "day"), string.Join(", ", (q?["items"]?.AsArray() ?? []).Select(i => i?.ToString())), Field(q, "reason")))]);
        ShowList(LeftOutGranules, LeftOutWhy, [.. (status["leftOut"]?.AsArray() ?? []).Select(l =>
            LeftOutLine(Field(l, "tile"), Field(l, "day"), Field(l, "item"), Field(l, "reason")))]);
        ShowList(HazeGatedDays, HazeGatedWhy, [.. (status["hazeGated"]?.AsArray() ?? []).Select(h => HazeGatedLine(Field(h, "tile"), Field(h, "day"),
            new AppliedDay(default, default, [], 0) { HazeObserved = (long?)h?["observed"] ?? 0, HazeSetAside = (long?)h?["setAside"] ?? 0 }))]);
        ShowList(RejectedItems, RejectedWhy, [.. (status["rejected"]?.AsArray() ?? []).Select(r =>
            RejectedLine(Field(r, "item"), Field(r, "source"), Field(r, "reason")))]);
        return Failed(archiveError, tiles);
    }

    /// <summary>Why the archive's newest days and the lags are unknown (the tiles shown are those with stored state), and what to check.</summary>
    private static void ShowArchiveError(string? error, int tiles, string setting)
    {
        if (error is not null)
            Console.WriteLine($"status: the archive could not be searched ({error}); " +
                $"{(tiles == 0 ? "no tile has stored state" : "lag unknown, tiles listed from the stored state")}; check {setting} and that the archive answers");
    }

    /// <summary>Whether the poller and the report aggregator run, and whether the aggregator has an alert for every applied day.</summary>
    private static void ShowSingletons(JsonObject status)
    {
        foreach (var s in status["singletons"]?.AsArray() ?? [])
            Console.WriteLine($"singleton {s?["state"]}");
        if (status["aggregatorError"]?.ToString() is { } error)
        {
            Console.WriteLine($"alerts recorded: unknown ({error})");
            return;
        }
        var tiles = status["tiles"]?.AsArray() ?? [];
        long Sum(string name) => tiles.Sum(t => (long?)t?[name] ?? 0);
        Console.WriteLine($"alerts recorded: {Sum("alertDays")} of {Sum("daysApplied")} applied tile-days (the report aggregator's; fewer while alerts are on their way)");
    }

    /// <summary>The exit code: 1 when nothing could be shown (the archive cannot be searched and no tile has stored state).</summary>
    private static int Failed(string? archiveError, int tiles) => archiveError is not null && tiles == 0 ? 1 : 0;

    private const string QuarantinedDays = "quarantined days";
    private const string QuarantinedWhy =
        "their items could not be loaded; once they can be, 'nrtc requeue' applies each day and the days after it again";
    private const string LeftOutGranules = "left-out granules";
    private const string LeftOutWhy = "each day was applied from its other granules; these cannot be read";

    private const string HazeGatedDays = "haze-gated days";
    private const string HazeGatedWhy = "most observed forest pixels left the boundary together: haze, not clearings; set aside for those pixels (project.monitor.haze-gate)";

    private static string HazeGatedLine(string tile, string day, AppliedDay d) => $"tile {tile} {day}: {d.HazeGateSummary}";

    private const string RejectedItems = "rejected archive items";
    private const string RejectedWhy = "left out of every search until the provider fixes them; the other items go on";

    private static string RejectedLine(string item, string source, string reason) => $"item {item} ({source}): {reason}";

    private static string QuarantinedLine(string tile, string day, string items, string reason) => $"tile {tile} {day} items [{items}]: {reason}";

    private static string LeftOutLine(string tile, string day, string item, string reason) => $"tile {tile} {day} item {item}: {reason}";

    /// <summary>Below the table: a heading with how many there are and why (or none), then one line each.</summary>
    private static void ShowList(string what, string why, IReadOnlyList<string> lines)
    {
        Console.WriteLine(lines.Count == 0 ? $"{what}: none" : $"{what}: {lines.Count} ({why})");
        foreach (var line in lines) Console.WriteLine($"  {line}");
    }
}
