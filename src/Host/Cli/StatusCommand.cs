using System.CommandLine;
using System.Text.Json.Nodes;
using NrtCluster.Host.Node;
using Spectre.Console;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc status [--project FILE] [--node URL]</c>: each tile's fit, last applied day, days applied, breaks and lag behind the
/// archive, from an embedded node or with --node from a running node (then also the shard and node holding each tile).
/// </summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var project = NodeCli.ProjectOption();
        var nodeUrl = NodeCli.NodeOption();
        var command = new Command("status",
            "Show every tile of the project: fit, last applied solar day, days applied, breaks, and lag behind the archive's newest day; with --node also where it runs.");
        command.Options.Add(project);
        command.Options.Add(nodeUrl);
        command.SetAction(async (parseResult, ct) =>
        {
            if (parseResult.GetValue(nodeUrl) is { } url)
                return await NodeCli.RemoteAsync("status", url, async client => Show(await client.GetAsync("api/tiles/status", ct)));
            var file = parseResult.GetValue(project)!;
            if (NodeCli.Load("status", file) is not { } config) return 1;
            return await NodeCli.GuardAsync("status", file, async () =>
            {
                await using var node = ProjectNode.Start(config);
                var items = await node.Archive.SearchAsync(node.HistoryStartUtc, null, ct);
                NodeCli.WideWhenRedirected();
        var table = new Table().AddColumns("tile", "fit", "last day", "days applied", "breaks", "newest in archive", "lag (days)");
                foreach (var tile in node.Footprints.ProjectTiles)
                {
                    var status = await node.StatusAsync(tile, ct);
                    var newest = items.Where(i => node.Footprints.TilesTouching(i.Footprint).Contains(tile))
                        .Select(Geo.Stac.SolarDays.Of).DefaultIfEmpty().Max();
                    var lag = status.LastDay is { } last && newest != default ? (newest.DayNumber - last.DayNumber).ToString() : "-";
                    table.AddRow(tile.ToString(), status.Fit is null ? "not fitted" : $"#{status.FitNumber} ({status.Fit.HistoryDates} dates)",
                        status.LastDay?.ToString("yyyy-MM-dd") ?? "-", status.Days.Length.ToString(), status.Totals.Breaks.ToString(),
                        newest == default ? "-" : newest.ToString("yyyy-MM-dd"), lag);
                }
                AnsiConsole.Write(table);
                return 0;
            });
        });
        return command;
    }

    private static int Show(JsonObject status)
    {
        NodeCli.WideWhenRedirected();
        var table = new Table().AddColumns("tile", "shard", "node", "fit", "last day", "days applied", "breaks", "newest in archive", "lag (days)");
        foreach (var t in status["tiles"]?.AsArray() ?? [])
        {
            string Text(string name) => t?[name]?.ToString() ?? "-";
            var fit = t?["fit"] is JsonObject f ? $"#{t["fitNumber"]} ({f["historyDates"]} dates)" : "not fitted";
            table.AddRow(Markup.Escape(Text("tile")), Markup.Escape(Text("shard")), Markup.Escape(NodeCli.ShortAddress(t?["node"]?.ToString())), Markup.Escape(fit),
                Text("lastDay"), Text("daysApplied"), Text("breaks"), Text("newestInArchive"), Text("lagDays"));
        }
        AnsiConsole.Write(table);
        Console.WriteLine($"status: {status["tiles"]?.AsArray().Count ?? 0} tiles, as seen by {status["node"]}; quarantined items: " +
                          (status["quarantined"]?.AsArray().Count is > 0 ? status["quarantined"]!.ToJsonString() : $"none ({status["quarantineNote"]})"));
        return 0;
    }
}
