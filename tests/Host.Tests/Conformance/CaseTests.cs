using NrtCluster.Host.Conformance;
using Xunit.Abstractions;

namespace NrtCluster.Host.Tests.Conformance;

/// <summary>
/// Every case of tests/data/conformance/cases through the conformance runner (the code path of
/// <c>nrtc conformance</c>), compared with expected/ at the README's agreement levels.
/// </summary>
public class CaseTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases => new(Directory.GetDirectories(RepoRoot.ConformanceCases).Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(Cases))]
    public void CaseAgreesWithTheReference(string name) => AssertAgreement(name);

    private void AssertAgreement(string name)
    {
        var dir = Path.Combine(RepoRoot.ConformanceCases, name);
        var result = ConformanceRunner.Run(dir);
        var fit = Agreement.CompareDirectory(Path.Combine(dir, "expected", "fit"), result.Fit);
        var final = Agreement.CompareDirectory(Path.Combine(dir, "expected", "final"), result.Final);
        foreach (var a in fit) output.WriteLine($"{name} fit   {a}");
        foreach (var a in final) output.WriteLine($"{name} final {a}");
        var failed = fit.Where(a => !a.Passes).Select(a => "fit " + a)
            .Concat(final.Where(a => !a.Passes).Select(a => "final " + a)).ToList();
        Assert.True(failed.Count == 0, $"{name}: layers below the agreement level:\n{string.Join("\n", failed)}");
        // Timed on the whole case, not on the warm-up slice.
        Assert.Equal(NpyFile.Read<byte>(Path.Combine(dir, "expected", "final", "mask.npy"), out _).Length, result.Timings.Pixels);
    }
}
