using System.CommandLine;

namespace NrtCluster.Host.Cli;

/// <summary>Every verb of ./nrtc, one place to register them.</summary>
public static class Verbs
{
    public static IEnumerable<Command> All()
    {
        yield return DemoCommand.Create();
        yield return InitCommand.Create();
        yield return ValidateCommand.Create();
        yield return FitCommand.Create();
        yield return FastForwardCommand.Create();
        yield return RunCommand.Create();
        yield return PollCommand.Create();
        yield return StatusCommand.Create();
        yield return ConformanceCommand.Create();
        yield return BenchCommand.Create();
        yield return SimulateArchiveCommand.Create();
        yield return ServeArchiveCommand.Create();
        yield return ServeCommand.Create();
    }
}
