using System.CommandLine;
using NrtCluster.Host.Node;
using Spectre.Console;

namespace NrtCluster.Host.Cli;

/// <summary><c>nrtc status [--project FILE]</c>: each tile's fit, last applied day, days applied, breaks and lag behind the archive.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var project = NodeCli.ProjectOption();
        var command = new Command("status", "Show every tile of the project: fit, last applied solar day, days applied, breaks, and lag behind the archive's newest day.");
        command.Options.Add(project);
        command.SetAction(async (parseResult, ct) =>
        {
            var file = parseResult.GetValue(project)!;
            if (NodeCli.Load("status", file) is not { } config) return 1;
            return await NodeCli.GuardAsync("status", file, async () =>
            {
                await using var node = ProjectNode.Start(config);
                var items = await node.Archive.SearchAsync(node.HistoryStartUtc, null, ct);
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
}
