using System.Text.Json;
using NrtCluster.Host.Conformance;
using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Host.Tests.Conformance;

/// <summary>The <c>nrtc conformance</c> command as a real process, on a real case.</summary>
public sealed class ConformanceCommandTests : IDisposable
{
    private readonly string temp = Directory.CreateTempSubdirectory("nrtc-conformance-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    [Fact]
    public void WritesFitAndFinalStateWithTheReferenceDtypesAndTimings()
    {
        var caseDir = Path.Combine(RepoRoot.ConformanceCases, "mosum_ols_h05");
        var (code, output) = Nrtc.Run("conformance", "--case", caseDir, "--out", temp);
        Assert.True(code == 0, output);
        foreach (var stage in new[] { "fit", "final" })
        {
            var expectedFiles = Directory.GetFiles(Path.Combine(caseDir, "expected", stage)).Select(Path.GetFileName).Order().ToList();
            var written = Directory.GetFiles(Path.Combine(temp, stage)).Select(Path.GetFileName).Order().ToList();
            Assert.Equal(expectedFiles, written);
            foreach (var file in written)
            {
                var expected = NpyFile.Read(Path.Combine(caseDir, "expected", stage, file!));
                var mine = NpyFile.Read(Path.Combine(temp, stage, file!));
                Assert.True(expected.ElementType == mine.ElementType, $"{stage}/{file}: {Npy.Descr(mine.ElementType)} instead of {Npy.Descr(expected.ElementType)}");
                Assert.Equal(expected.Shape, mine.Shape);
            }
        }
        using var timings = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp, "timings.json")));
        var root = timings.RootElement;
        Assert.Equal(576, root.GetProperty("pixels").GetInt32());
        Assert.Equal(176, root.GetProperty("history_dates").GetInt32());
        Assert.Equal(159, root.GetProperty("monitoring_dates").GetInt32());
        Assert.True(root.GetProperty("fit_seconds").GetDouble() > 0);
        Assert.True(root.GetProperty("monitor_seconds").GetDouble() > 0);
    }

    [Fact]
    public void UnknownMonitorInCaseJsonIsAClearError()
    {
        var source = Path.Combine(RepoRoot.ConformanceCases, "iqr_ols");
        var copy = Path.Combine(temp, "case");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        var json = File.ReadAllText(Path.Combine(copy, "case.json")).Replace("\"IQR\"", "\"BFAST\"");
        File.WriteAllText(Path.Combine(copy, "case.json"), json);
        var (code, output) = Nrtc.Run("conformance", "--case", copy, "--out", Path.Combine(temp, "out"));
        Assert.NotEqual(0, code);
        Assert.Contains("Unknown monitor 'BFAST'", output);
        Assert.Contains("EWMA, CuSum, MoSum, IQR, CCDC", output);
    }

    [Fact]
    public void MissingCaseFolderIsAClearError()
    {
        var (code, output) = Nrtc.Run("conformance", "--case", Path.Combine(temp, "nope"), "--out", temp);
        Assert.NotEqual(0, code);
        Assert.Contains("does not exist", output);
    }
}
