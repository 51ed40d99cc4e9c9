using System.CommandLine;

namespace NrtCluster.Host.Cli;

/// <summary>Every verb of ./nrtc, one place to register them.</summary>
public static class Verbs
{
    /// <summary>The `nrtc` root command with every verb: what the program parses (tests parse deployment files with it).</summary>
    public static RootCommand Root()
    {
        var root = new RootCommand("nrtc: near-real-time forest-disturbance alerts (NrtCluster)");
        foreach (var command in All()) root.Subcommands.Add(command);
        return root;
    }

    public static IEnumerable<Command> All()
    {
        yield return DemoCommand.Create();
        yield return InitCommand.Create();
        yield return ValidateCommand.Create();
        yield return FitCommand.Create();
        yield return FastForwardCommand.Create();
        yield return RequeueCommand.Create();
        yield return RunCommand.Create();
        yield return PollCommand.Create();
        yield return StatusCommand.Create();
        yield return ReportCommand.Create();
        yield return StateCommand.Create();
        yield return MosaicCommand.Create();
        yield return AreaCommand.Create();
        yield return UpdateMaskCommand.Create();
        yield return ExportCommand.Create();
        yield return ShardsCommand.Create();
        yield return ConformanceCommand.Create();
        yield return BenchCommand.Create();
        yield return SimulateArchiveCommand.Create();
        yield return ServeArchiveCommand.Create();
        yield return ServeCommand.Create();
    }
}
