using System.CommandLine;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Cli;

/// <summary><c>nrtc init [FILE] [--name N] [--force]</c>: writes the documented example project file to edit.</summary>
public static class InitCommand
{
    public static Command Create()
    {
        var fileArgument = new Argument<FileInfo>("FILE") { Description = "Project file to write", DefaultValueFactory = _ => new FileInfo("project.conf") };
        var nameOption = new Option<string?>("--name") { Description = "Project name (default: the folder's name)" };
        var forceOption = new Option<bool>("--force") { Description = "Overwrite an existing file" };
        var command = new Command("init", "Write a documented project file (every key explained) to edit, then check it with 'nrtc validate'.");
        command.Arguments.Add(fileArgument);
        command.Options.Add(nameOption);
        command.Options.Add(forceOption);
        command.SetAction(parseResult =>
        {
            var file = parseResult.GetValue(fileArgument)!;
            try
            {
                if (file.Exists && !parseResult.GetValue(forceOption))
                {
                    Console.Error.WriteLine($"init: {file.FullName} exists; give another FILE or --force to overwrite it.");
                    return 1;
                }
                var name = parseResult.GetValue(nameOption) ?? file.Directory?.Name ?? "project";
                file.Directory?.Create();
                File.WriteAllText(file.FullName, ProjectTemplate.Example(name));
                Console.WriteLine($"init: wrote {file.FullName}; edit grid, area-of-interest, stac, monitor, history and output, then run 'nrtc validate {file.Name}'.");
                return 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"init: {file.FullName}: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
