namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// One named array of monitor state or report, C order, as the reference implementation names and types it: what
/// <see cref="BaseMonitor.ExportState"/> and <see cref="BaseMonitor.Report"/> give and a conformance .npy file holds.
/// <see cref="Data"/> is an array of any NumPy element type (the monitors produce <c>byte[]</c>, <c>ushort[]</c>,
/// <c>short[]</c>, <c>int[]</c>, <c>float[]</c> or <c>double[]</c>). Not the persisted form of a tile's state: that is
/// NrtCluster.Actors.State.Layer in a LayerSet, limited to the element types the tile store encodes.
/// </summary>
public sealed record ReferenceLayer(string Name, int[] Shape, Array Data)
{
    public Type ElementType => Data.GetType().GetElementType()!;

    public static ReferenceLayer Of<T>(string name, T[] data, params int[] shape) where T : unmanaged
    {
        long count = 1;
        foreach (var s in shape) count *= s;
        if (count != data.Length)
        {
            throw new ArgumentException($"Layer '{name}': {data.Length} values do not fill shape ({string.Join(", ", shape)}).");
        }
        return new ReferenceLayer(name, shape, data);
    }
}
