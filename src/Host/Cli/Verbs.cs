using System.CommandLine;

namespace NrtCluster.Host.Cli;

/// <summary>Every verb of ./nrtc, one place to register them.</summary>
public static class Verbs
{
    public static IEnumerable<Command> All()
    {
        yield return DemoCommand.Create();
    }
}
