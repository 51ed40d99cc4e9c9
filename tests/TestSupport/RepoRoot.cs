namespace NrtCluster.TestSupport;

/// <summary>The repository the tests run from (the folder holding NrtCluster.sln), for paths into tests/data and the deploy files.</summary>
public static class RepoRoot
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "NrtCluster.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No NrtCluster.sln above {AppContext.BaseDirectory}.");
    });

    public static string Path => Root.Value;

    /// <summary>A path below the repository, e.g. <c>RepoRoot.Combine("tests", "data", "stac")</c>.</summary>
    public static string Combine(params string[] parts) => System.IO.Path.Combine([Root.Value, .. parts]);

    /// <summary>tests/data/conformance/cases: the conformance cases.</summary>
    public static string ConformanceCases => Combine("tests", "data", "conformance", "cases");
}
