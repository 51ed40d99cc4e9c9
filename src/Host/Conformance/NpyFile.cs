using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Host.Conformance;

/// <summary>The .npy files of conformance cases and their outputs: the kernels' <see cref="Npy"/> format on disk.</summary>
public static class NpyFile
{
    public static ReferenceLayer Read(string path) => Npy.Parse(File.ReadAllBytes(path), path);

    /// <summary>An array of the expected element type, or an error naming the file and both types.</summary>
    public static T[] Read<T>(string path, out int[] shape) where T : unmanaged => Npy.Parse<T>(File.ReadAllBytes(path), path, out shape);

    public static void Write(string path, ReferenceLayer layer)
    {
        using var stream = File.Create(path);
        Npy.Write(stream, layer);
    }
}
