namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// One named array of monitor state or report, C order. <see cref="Data"/> is a
/// <c>byte[]</c>, <c>ushort[]</c>, <c>short[]</c>, <c>int[]</c>, <c>float[]</c> or <c>double[]</c>;
/// its element type is the layer's dtype (the reference's dtype for that state name).
/// </summary>
public sealed record StateLayer(string Name, int[] Shape, Array Data)
{
    public Type ElementType => Data.GetType().GetElementType()!;

    public static StateLayer Of<T>(string name, T[] data, params int[] shape) where T : unmanaged
    {
        long count = 1;
        foreach (var s in shape) count *= s;
        if (count != data.Length)
        {
            throw new ArgumentException($"Layer '{name}': {data.Length} values do not fill shape ({string.Join(", ", shape)}).");
        }
        return new StateLayer(name, shape, data);
    }
}
