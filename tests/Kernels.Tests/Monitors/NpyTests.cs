using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Kernels.Tests.Monitors;

/// <summary>The .npy reader and writer of monitor state and of the conformance cases.</summary>
public sealed class NpyTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void RoundTripsEveryStateDtype()
    {
        var layers = new[]
        {
            ReferenceLayer.Of("u1", new byte[] { 0, 1, 255 }, 3),
            ReferenceLayer.Of("u2", new ushort[] { 0, 18000, 65535, 7 }, 2, 2),
            ReferenceLayer.Of("i2", new short[] { -3, 4 }, 1, 2),
            ReferenceLayer.Of("f4", new float[] { float.NaN, 1.5f }, 2),
            ReferenceLayer.Of("f8", new[] { -0.0, double.NaN, 1e300, 2 }, 2, 1, 2),
        };
        foreach (var layer in layers)
        {
            var path = temp.File(layer.Name + ".npy");
            using (var stream = File.Create(path)) Npy.Write(stream, layer);
            Assert.Equal(0, (new FileInfo(path).Length - layer.Data.Length * System.Runtime.InteropServices.Marshal.SizeOf(layer.ElementType)) % 64);
            var back = Read(path);
            Assert.Equal(layer.Shape, back.Shape);
            Assert.Equal(layer.ElementType, back.ElementType);
            Assert.Equal(layer.Data, back.Data);
        }
    }

    [Fact]
    public void ReadsTheReferenceFiles()
    {
        var dir = Path.Combine(RepoRoot.ConformanceCases, "mosum_roc", "expected", "fit");
        var window = Read(Path.Combine(dir, "window.npy"));
        Assert.Equal([36, 24, 24], window.Shape);
        Assert.IsType<double[]>(window.Data);
        Assert.IsType<short[]>(Read(Path.Combine(dir, "winsize.npy")).Data);
        var e = Assert.Throws<InvalidDataException>(() => Read<float>(Path.Combine(dir, "winsize.npy"), out _));
        Assert.Contains("<i2", e.Message);
    }

    [Fact]
    public void RejectsAFileThatIsNotNpy()
    {
        var path = temp.File("x.npy");
        File.WriteAllText(path, "hello, not numpy");
        var e = Assert.Throws<InvalidDataException>(() => Read(path));
        Assert.Contains("not a NumPy .npy file", e.Message);
    }

    private static ReferenceLayer Read(string path) => Npy.Parse(File.ReadAllBytes(path), path);

    private static T[] Read<T>(string path, out int[] shape) where T : unmanaged => Npy.Parse<T>(File.ReadAllBytes(path), path, out shape);
}
