using System.CommandLine;
using System.Text.Json.Nodes;
using NrtCluster.Host.Http;
using NrtCluster.Host.Node;
using Spectre.Console;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc shards --node URL</c>: the cluster's members and which node holds which tile shard;
/// <c>shards move SHARD --to ADDRESS</c>, <c>shards drain ADDRESS</c>, <c>shards undrain ADDRESS</c> change the placement.
/// Everything goes through a running node's HTTP control endpoints, so this command never joins the cluster.
/// </summary>
public static class ShardsCommand
{
    public static Command Create()
    {
        var node = Required(NodeCli.NodeOption());
        var command = new Command("shards", "List the cluster's members and which node holds each tile shard (through a running node); move a shard, drain or undrain a node.");
        command.Options.Add(node);
        command.Options.Add(NodeCli.ApiTokenFileOption());
        command.SetAction((parseResult, ct) => NodeCli.RemoteAsync("shards", parseResult, parseResult.GetValue(node)!, async client =>
        {
            Show(await client.GetAsync("api/cluster", ct));
            return 0;
        }));

        var shard = new Argument<string>("shard") { Description = "Shard id, as 'nrtc shards' lists them (e.g. s0_1)" };
        var to = new Option<string>("--to") { Description = "Node to move the shard to: its address (akka.tcp://nrtcluster@host:port) or host:port", Required = true };
        var moveNode = Required(NodeCli.NodeOption());
        var move = new Command("move", "Move a shard to a node (its tiles hand off and restart there at the next rebalance round; it stays pinned there).");
        move.Arguments.Add(shard);
        move.Options.Add(to);
        move.Options.Add(moveNode);
        move.Options.Add(NodeCli.ApiTokenFileOption());
        move.SetAction((parseResult, ct) => NodeCli.RemoteAsync("shards move", parseResult, parseResult.GetValue(moveNode)!, async client =>
        {
            var id = parseResult.GetValue(shard)!;
            var target = parseResult.GetValue(to)!;
            await client.PostAsync($"api/shards/{Uri.EscapeDataString(id)}/move?to={Uri.EscapeDataString(target)}", ct);
            Console.WriteLine($"shards: {id} moves to {target} at the next rebalance round; 'nrtc shards --node {client.BaseUrl}' shows it");
            return 0;
        }));
        command.Subcommands.Add(move);
        command.Subcommands.Add(NodeOperation("drain", "Drain a node: its shards move to the other nodes and it gets no new ones.", "drained"));
        command.Subcommands.Add(NodeOperation("undrain", "Undrain a node: it takes shards again.", "undrained"));
        return command;
    }

    private static Option<string?> Required(Option<string?> option)
    {
        option.Required = true;
        return option;
    }

    private static Command NodeOperation(string name, string description, string done)
    {
        var address = new Argument<string>("address") { Description = "The node's address (akka.tcp://nrtcluster@host:port) or host:port" };
        var node = Required(NodeCli.NodeOption());
        var command = new Command(name, description);
        command.Arguments.Add(address);
        command.Options.Add(node);
        command.Options.Add(NodeCli.ApiTokenFileOption());
        command.SetAction((parseResult, ct) => NodeCli.RemoteAsync($"shards {name}", parseResult, parseResult.GetValue(node)!, async client =>
        {
            var target = parseResult.GetValue(address)!;
            await client.PostAsync($"api/nodes/{name}?address={Uri.EscapeDataString(target)}", ct);
            Console.WriteLine($"shards: {target} {done}; its shards follow at the next rebalance rounds");
            return 0;
        }));
        return command;
    }

    private static void Show(JsonObject cluster)
    {
        NodeCli.WideWhenRedirected();
        var members = new Table().AddColumns("node", "status", "reachable", "roles", "drained", "shards", "tiles running", "");
        foreach (var m in cluster["members"]?.AsArray() ?? [])
        {
            var notes = new List<string>();
            if (m?["oldest"]?.GetValue<bool>() == true) notes.Add("coordinator");
            if (m?["leader"]?.GetValue<bool>() == true) notes.Add("leader");
            if (m?["address"]?.ToString() == cluster["self"]?.ToString()) notes.Add("answering");
            members.AddRow(Markup.Escape(NodeCli.ShortAddress(m?["address"]?.ToString())), Markup.Escape(m?["status"]?.ToString() ?? "-"),
                m?["reachable"]?.GetValue<bool>() == true ? "yes" : "NO",
                Markup.Escape(string.Join(",", m?["roles"]?.AsArray().Select(r => r?.ToString()) ?? [])),
                m?["drained"]?.GetValue<bool>() == true ? "DRAINED" : "no", m?["shards"]?.ToString() ?? "0", m?["entities"]?.ToString() ?? "0",
                string.Join(" ", notes));
        }
        AnsiConsole.Write(members);
        var shards = new Table().AddColumns("shard", "node", "pinned to", "tiles running");
        foreach (var s in cluster["shards"]?.AsArray() ?? [])
            shards.AddRow(Markup.Escape(s?["shard"]?.ToString() ?? "-"), Markup.Escape(NodeCli.ShortAddress(s?["node"]?.ToString())),
                Markup.Escape(s?["pinnedTo"] is { } pin ? NodeCli.ShortAddress(pin.ToString()) : "-"),
                Markup.Escape(string.Join(" ", s?["entities"]?.AsArray().Select(e => e?.ToString()) ?? [])));
        AnsiConsole.Write(shards);
        if (cluster["unanswered"]?.AsArray() is { Count: > 0 } missing)
            Console.WriteLine($"shards: no answer from {string.Join(", ", missing.Select(a => NodeCli.ShortAddress(a?.ToString())))}; their shards are not listed");
    }
}
