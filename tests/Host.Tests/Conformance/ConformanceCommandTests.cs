using System.Text.Json;
using NrtCluster.Host.Conformance;

namespace NrtCluster.Host.Tests.Conformance;

/// <summary>The <c>nrtc conformance</c> command as a real process, on a real case.</summary>
public sealed class ConformanceCommandTests : IDisposable
{
    private readonly string temp = Directory.CreateTempSubdirectory("nrtc-conformance-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    [Fact]
    public void WritesFitAndFinalStateWithTheReferenceDtypesAndTimings()
    {
        var caseDir = Path.Combine(Repository.Cases, "mosum_ols_h05");
        var (code, output) = Nrtc.Run("conformance", "--case", caseDir, "--out", temp);
        Assert.True(code == 0, output);
        foreach (var stage in new[] { "fit", "final" })
        {
            var expectedFiles = Directory.GetFiles(Path.Combine(caseDir, "expected", stage)).Select(Path.GetFileName).Order().ToList();
            var written = Directory.GetFiles(Path.Combine(temp, stage)).Select(Path.GetFileName).Order().ToList();
            Assert.Equal(expectedFiles, written);
            foreach (var file in written)
            {
                var expected = Npy.Read(Path.Combine(caseDir, "expected", stage, file!));
                var mine = Npy.Read(Path.Combine(temp, stage, file!));
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
        var source = Path.Combine(Repository.Cases, "iqr_ols");
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

public sealed class NpyTests : IDisposable
{
    private readonly string temp = Directory.CreateTempSubdirectory("nrtc-npy-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    [Fact]
    public void RoundTripsEveryStateDtype()
    {
        var layers = new[]
        {
            Kernels.Monitors.ReferenceLayer.Of("u1", new byte[] { 0, 1, 255 }, 3),
            Kernels.Monitors.ReferenceLayer.Of("u2", new ushort[] { 0, 18000, 65535, 7 }, 2, 2),
            Kernels.Monitors.ReferenceLayer.Of("i2", new short[] { -3, 4 }, 1, 2),
            Kernels.Monitors.ReferenceLayer.Of("f4", new float[] { float.NaN, 1.5f }, 2),
            Kernels.Monitors.ReferenceLayer.Of("f8", new[] { -0.0, double.NaN, 1e300, 2 }, 2, 1, 2),
        };
        foreach (var layer in layers)
        {
            var path = Path.Combine(temp, layer.Name + ".npy");
            Npy.Write(path, layer);
            Assert.Equal(0, (new FileInfo(path).Length - layer.Data.Length * System.Runtime.InteropServices.Marshal.SizeOf(layer.ElementType)) % 64);
            var back = Npy.Read(path);
            Assert.Equal(layer.Shape, back.Shape);
            Assert.Equal(layer.ElementType, back.ElementType);
            Assert.Equal(layer.Data, back.Data);
        }
    }

    [Fact]
    public void ReadsTheReferenceFiles()
    {
        var dir = Path.Combine(Repository.Cases, "mosum_roc", "expected", "fit");
        var window = Npy.Read(Path.Combine(dir, "window.npy"));
        Assert.Equal([36, 24, 24], window.Shape);
        Assert.IsType<double[]>(window.Data);
        Assert.IsType<short[]>(Npy.Read(Path.Combine(dir, "winsize.npy")).Data);
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read<float>(Path.Combine(dir, "winsize.npy"), out _));
        Assert.Contains("<i2", e.Message);
    }

    [Fact]
    public void RejectsAFileThatIsNotNpy()
    {
        var path = Path.Combine(temp, "x.npy");
        File.WriteAllText(path, "hello, not numpy");
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(path));
        Assert.Contains("not a NumPy .npy file", e.Message);
    }
}
