using System.CommandLine;
using NrtCluster.Host.Bench;

namespace NrtCluster.Host.Cli;

/// <summary><c>nrtc bench cluster</c>: many tiles on 1 and on several node processes sharing a PostgreSQL; figures printed, never asserted.</summary>
public static class ClusterBenchCommand
{
    public static Command Create()
    {
        var d = new ClusterBenchOptions();
        var tiles = new Option<int>("--tiles") { Description = "Tiles wanted in the small-tile runs (the archive is sized for them; the count with data is printed)", DefaultValueFactory = _ => d.Tiles };
        var tileSize = new Option<int>("--tile-size") { Description = "Side of the small tiles in px", DefaultValueFactory = _ => d.TileSize };
        var days = new Option<int>("--days") { Description = "Monitoring days fast-forwarded in the small-tile runs", DefaultValueFactory = _ => d.Days };
        var history = new Option<int>("--history-dates") { Description = "History dates every tile is fitted on (every 10 days)", DefaultValueFactory = _ => d.HistoryDates };
        var nodes = new Option<string>("--nodes") { Description = "Node counts of the small-tile runs, e.g. 1,3; kill and join use the last", DefaultValueFactory = _ => string.Join(",", d.Nodes) };
        var largeSize = new Option<int>("--large-size") { Description = "Side of the large tiles in px, on their own archive", DefaultValueFactory = _ => d.LargeTileSize };
        var largeTiles = new Option<int>("--large-tiles") { Description = "Whole large tiles, in a block of about square columns x rows (rounded up to fill it)", DefaultValueFactory = _ => d.LargeTiles };
        var largeDays = new Option<int>("--large-days") { Description = "Monitoring days fast-forwarded on the large tiles", DefaultValueFactory = _ => d.LargeDays };
        var parts = new Option<string>("--parts") { Description = $"Parts to run, of {string.Join(",", ClusterBenchOptions.AllParts)}", DefaultValueFactory = _ => string.Join(",", d.Parts) };
        var hocon = new Option<FileInfo?>("--hocon") { Description = "Extra Akka settings (HOCON file) for every node, e.g. akka.cluster.split-brain-resolver.stable-after" };
        var command = new Command("cluster",
            "A synthetic archive of many tiles on the loopback STAC server, fitted once, then fast-forwarded by 1 and by 3 'nrtc run' node processes " +
            "sharing a PostgreSQL 15 this command starts (/usr/lib/postgresql/15/bin): tile-days per minute and the overhead per tile-day (the nodes' " +
            "processor time minus their load, monitor and report stage time from /metrics, per tile-day: actors, delivery, persistence, messaging), " +
            "database bytes per tile-day and each node's peak memory; then a node killed with SIGKILL (seconds until its tiles answer elsewhere, " +
            "no day applied twice), a node joining (seconds until the shards are balanced), and whole large tiles on their own archive, whose later dates repeat a few rendered scenes.");
        foreach (var o in new Option[] { tiles, tileSize, days, history, nodes, largeSize, largeTiles, largeDays, parts, hocon }) command.Options.Add(o);
        command.SetAction(async (parseResult, ct) =>
        {
            var counts = new List<int>();
            foreach (var text in parseResult.GetValue(nodes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                counts.Add(int.TryParse(text, out var n) ? n : -1);
            var options = new ClusterBenchOptions
            {
                Tiles = parseResult.GetValue(tiles), TileSize = parseResult.GetValue(tileSize), Days = parseResult.GetValue(days),
                HistoryDates = parseResult.GetValue(history), Nodes = counts, LargeTileSize = parseResult.GetValue(largeSize),
                LargeTiles = parseResult.GetValue(largeTiles), LargeDays = parseResult.GetValue(largeDays),
                Parts = parseResult.GetValue(parts)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Hocon = parseResult.GetValue(hocon)?.FullName,
            };
            if (options.Problem() is { } problem)
            {
                Console.Error.WriteLine($"bench cluster: {problem}.");
                return 2;
            }
            try
            {
                await ClusterBench.RunAsync(options, Console.Out, ct);
                return 0;
            }
            catch (Exception e) when (e is InvalidOperationException or Http.NodeRequestException or IOException or HttpRequestException or TimeoutException)
            {
                Console.Error.WriteLine($"bench cluster: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
