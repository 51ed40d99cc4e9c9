using System.Globalization;

namespace NrtCluster.Kernels.Tests.Monitors;

/// <summary>Paths into tests/data, found from the repository root (the folder holding NrtCluster.sln).</summary>
internal static class TestData
{
    public static string Root { get; } = FindRoot();

    public static string Golden(string file) => Path.Combine(Root, "tests", "data", "conformance", "golden", file);

    /// <summary>A CSV of numbers ("nan"/"NA" = NaN), one row per line.</summary>
    public static double[][] Csv(string path) => File.ReadAllLines(path)
        .Where(l => l.Length > 0)
        .Select(l => l.Split(',').Select(v => v is "nan" or "NA" ? double.NaN : double.Parse(v, CultureInfo.InvariantCulture)).ToArray())
        .ToArray();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NrtCluster.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No NrtCluster.sln above {AppContext.BaseDirectory}.");
    }
}
