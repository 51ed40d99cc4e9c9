using System.CommandLine;
using NrtCluster.Actors.Config;

namespace NrtCluster.Host.Node;

/// <summary>What the node verbs share: the project file option and loading it with errors that name their keys.</summary>
public static class NodeCli
{
    public static Option<FileInfo> ProjectOption() =>
        new("--project", "-p") { Description = "Project file (see 'nrtc init')", DefaultValueFactory = _ => new FileInfo("project.conf") };

    /// <summary>Loads the project file; on errors prints them (each with its key) and returns null.</summary>
    public static ProjectConfig? Load(string verb, FileInfo file)
    {
        try
        {
            return ProjectConfigLoader.Load(file.FullName);
        }
        catch (Exception e) when (e is ProjectConfigException or FileNotFoundException)
        {
            Console.Error.WriteLine($"{verb}: {e.Message}");
            return null;
        }
    }

    /// <summary>Runs a verb's body, turning the expected failures into a message naming the project file.</summary>
    public static async Task<int> GuardAsync(string verb, FileInfo file, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException or TimeoutException
                                      or Akka.Actor.AskTimeoutException)
        {
            Console.Error.WriteLine($"{verb}: {file.FullName}: {e.Message}");
            return 1;
        }
    }
}
