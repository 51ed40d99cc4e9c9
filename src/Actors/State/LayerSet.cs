using System.Collections;
using System.Runtime.InteropServices;

namespace NrtCluster.Actors.State;

/// <summary>Element type of a <see cref="Layer"/>; the numeric values are part of the persisted format.</summary>
public enum LayerType : byte
{
    UInt8 = 1,
    UInt16 = 2,
    Int16 = 3,
    Int32 = 4,
    Float32 = 5,
    Float64 = 6,
}

/// <summary>
/// One named array of a tile's persisted model or monitoring state (for example <c>beta</c> k x H x W float32 or
/// <c>mask</c> H x W uint8), stored C-order; the kernels' reference-shaped export of the same arrays is
/// <see cref="NrtCluster.Kernels.Monitors.ReferenceLayer"/>. Layers are treated as immutable: engines return new arrays and never write into inputs,
/// which is what lets a persisted state be shared between the actor and the serializer without copies.
/// </summary>
public sealed class Layer : IEquatable<Layer>
{
    private Layer(string name, LayerType type, int[] shape, Array values)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A layer needs a name.", nameof(name));
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"Layer '{name}': negative dimension in shape [{string.Join(", ", shape)}].", nameof(shape));
            count *= d;
        }
        if (count != values.Length)
            throw new ArgumentException($"Layer '{name}': shape [{string.Join(", ", shape)}] needs {count} values, got {values.Length}.", nameof(values));
        Name = name;
        Type = type;
        Shape = shape;
        Values = values;
    }

    public string Name { get; }
    public LayerType Type { get; }
    public IReadOnlyList<int> Shape { get; }
    /// <summary>The typed array (byte[], ushort[], short[], int[], float[] or double[]).</summary>
    public Array Values { get; }
    public int Length => Values.Length;

    public static Layer Of(string name, byte[] values, params int[] shape) => new(name, LayerType.UInt8, shape, values);
    public static Layer Of(string name, ushort[] values, params int[] shape) => new(name, LayerType.UInt16, shape, values);
    public static Layer Of(string name, short[] values, params int[] shape) => new(name, LayerType.Int16, shape, values);
    public static Layer Of(string name, int[] values, params int[] shape) => new(name, LayerType.Int32, shape, values);
    public static Layer Of(string name, float[] values, params int[] shape) => new(name, LayerType.Float32, shape, values);
    public static Layer Of(string name, double[] values, params int[] shape) => new(name, LayerType.Float64, shape, values);

    /// <summary>A layer of zeros, for a decoder to fill through <see cref="WritableBytes"/> before it is shared.</summary>
    public static Layer Zeros(string name, LayerType type, int[] shape)
    {
        long count = 1;
        foreach (var d in shape) count *= Math.Max(d, 0);
        if (count > Array.MaxLength) throw new ArgumentException($"Layer '{name}': shape [{string.Join(", ", shape)}] is too large for one array.");
        Array values = type switch
        {
            LayerType.UInt8 => new byte[count],
            LayerType.UInt16 => new ushort[count],
            LayerType.Int16 => new short[count],
            LayerType.Int32 => new int[count],
            LayerType.Float32 => new float[count],
            LayerType.Float64 => new double[count],
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, $"Layer '{name}': unknown layer type."),
        };
        return new Layer(name, type, shape, values);
    }

    public static int ElementSize(LayerType type) => type switch
    {
        LayerType.UInt8 => 1,
        LayerType.UInt16 or LayerType.Int16 => 2,
        LayerType.Int32 or LayerType.Float32 => 4,
        LayerType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown layer type."),
    };

    /// <summary>The values as raw bytes in machine order (little-endian on every supported platform).</summary>
    public ReadOnlySpan<byte> AsBytes() => WritableBytes();

    /// <summary>The values' bytes, writable: only for the decoder that just made the layer with <see cref="Zeros"/>.</summary>
    internal Span<byte> WritableBytes() => Type switch
    {
        LayerType.UInt8 => (byte[])Values,
        LayerType.UInt16 => MemoryMarshal.AsBytes(((ushort[])Values).AsSpan()),
        LayerType.Int16 => MemoryMarshal.AsBytes(((short[])Values).AsSpan()),
        LayerType.Int32 => MemoryMarshal.AsBytes(((int[])Values).AsSpan()),
        LayerType.Float32 => MemoryMarshal.AsBytes(((float[])Values).AsSpan()),
        LayerType.Float64 => MemoryMarshal.AsBytes(((double[])Values).AsSpan()),
        _ => throw new InvalidOperationException($"Layer '{Name}': unknown layer type {Type}."),
    };

    public T[] ValuesAs<T>() where T : unmanaged =>
        Values as T[] ?? throw new InvalidOperationException($"Layer '{Name}' holds {Type} values, not {typeof(T).Name}.");

    /// <summary>Byte-identical comparison (NaN payloads included), which is what "same state" means for persistence.</summary>
    public bool Equals(Layer? other) =>
        other is not null && Name == other.Name && Type == other.Type &&
        Shape.SequenceEqual(other.Shape) && AsBytes().SequenceEqual(other.AsBytes());

    public override bool Equals(object? obj) => Equals(obj as Layer);
    public override int GetHashCode() => HashCode.Combine(Name, Type, Length);
    public override string ToString() => $"{Name} {Type} [{string.Join("x", Shape)}]";
}

/// <summary>An ordered set of uniquely named layers: a tile's persisted fitted model or monitoring state.</summary>
public sealed class LayerSet : IReadOnlyList<Layer>, IEquatable<LayerSet>
{
    private readonly Layer[] _layers;

    public LayerSet(IEnumerable<Layer> layers)
    {
        _layers = layers.ToArray();
        var duplicate = _layers.GroupBy(l => l.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Layer name '{duplicate.Key}' appears more than once.");
    }

    public static LayerSet Empty { get; } = new(Array.Empty<Layer>());

    public Layer this[int index] => _layers[index];
    public int Count => _layers.Length;

    public Layer this[string name] => Find(name) ??
        throw new KeyNotFoundException($"No layer named '{name}'; layers present: {string.Join(", ", _layers.Select(l => l.Name))}.");

    public Layer? Find(string name) => Array.Find(_layers, l => l.Name == name);

    public long ByteSize => _layers.Sum(l => (long)l.Length * Layer.ElementSize(l.Type));

    public IEnumerator<Layer> GetEnumerator() => ((IEnumerable<Layer>)_layers).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => _layers.GetEnumerator();

    public bool Equals(LayerSet? other) => other is not null && _layers.SequenceEqual(other._layers);
    public override bool Equals(object? obj) => Equals(obj as LayerSet);
    public override int GetHashCode() => _layers.Length;
    public override string ToString() => string.Join(", ", _layers.Select(l => l.ToString()));
}
