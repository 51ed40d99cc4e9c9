using NrtCluster.Host.Conformance;
using Xunit.Abstractions;

namespace NrtCluster.Host.Tests.Conformance;

/// <summary>
/// Every case of tests/data/conformance/cases through the conformance runner (the code path of
/// <c>nrtc conformance</c>), compared with expected/ at the README's agreement levels.
/// </summary>
public class CaseTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases => new(Directory.GetDirectories(Repository.Cases).Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(Cases))]
    public void CaseAgreesWithTheReference(string name) => AssertAgreement(name);

    private void AssertAgreement(string name)
    {
        var dir = Path.Combine(Repository.Cases, name);
        var result = ConformanceRunner.Run(dir);
        var fit = Agreement.CompareDirectory(Path.Combine(dir, "expected", "fit"), result.Fit);
        var final = Agreement.CompareDirectory(Path.Combine(dir, "expected", "final"), result.Final);
        foreach (var a in fit) output.WriteLine($"{name} fit   {a}");
        foreach (var a in final) output.WriteLine($"{name} final {a}");
        var failed = fit.Where(a => !a.Passes).Select(a => "fit " + a)
            .Concat(final.Where(a => !a.Passes).Select(a => "final " + a)).ToList();
        Assert.True(failed.Count == 0, $"{name}: layers below the agreement level:\n{string.Join("\n", failed)}");
        Assert.Equal(24 * 24, result.Timings.Pixels);
    }
}

internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Cases => Path.Combine(Root, "tests", "data", "conformance", "cases");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NrtCluster.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No NrtCluster.sln above {AppContext.BaseDirectory}.");
    }
}
