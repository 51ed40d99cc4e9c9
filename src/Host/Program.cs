using System.CommandLine;
using NrtCluster.Host.Cli;

var root = new RootCommand("nrtc: near-real-time forest-disturbance alerts (NrtCluster)");
foreach (var command in Verbs.All())
{
    root.Subcommands.Add(command);
}
return await root.Parse(args).InvokeAsync();
