using System.CommandLine;

namespace NrtCluster.Host.Cli;

/// <summary>The end-to-end demo. Placeholder until the cluster pipeline exists (issue 6).</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Run the whole pipeline on a synthetic archive (embedded SQLite, one node).");
        command.SetAction(_ =>
        {
            Console.WriteLine("nrtc demo: the end-to-end pipeline is not built yet; see README 'Status'.");
            return 0;
        });
        return command;
    }
}
