using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// The NumPy .npy format (1.0 to 3.0 parsed, 1.0 written), little-endian, C order, for the element types monitor state
/// uses: bytes in, bytes out, the files being the caller's (kernels do no I/O).
/// </summary>
public static partial class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private static readonly (string Descr, Type Type, int Size)[] Types =
    [
        ("|u1", typeof(byte), 1), ("|i1", typeof(sbyte), 1), ("|b1", typeof(bool), 1),
        ("<u2", typeof(ushort), 2), ("<i2", typeof(short), 2),
        ("<u4", typeof(uint), 4), ("<i4", typeof(int), 4),
        ("<i8", typeof(long), 8), ("<f4", typeof(float), 4), ("<f8", typeof(double), 8),
    ];

    public static string Descr(Type elementType)
    {
        foreach (var t in Types)
        {
            if (t.Type == elementType) return t.Descr;
        }
        throw new ArgumentException($"No .npy dtype for element type {elementType.Name}.");
    }

    /// <param name="path">The file the bytes were read from: names the layer (without extension) and the errors.</param>
    public static ReferenceLayer Parse(byte[] bytes, string path)
    {
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{path} is not a NumPy .npy file (bad magic).");
        }
        int major = bytes[6];
        int headerLength, headerStart;
        if (major == 1)
        {
            headerLength = BitConverter.ToUInt16(bytes, 8);
            headerStart = 10;
        }
        else if (major is 2 or 3)
        {
            headerLength = (int)BitConverter.ToUInt32(bytes, 8);
            headerStart = 12;
        }
        else
        {
            throw new InvalidDataException($"{path}: unsupported .npy format version {major}.");
        }
        var header = Encoding.UTF8.GetString(bytes, headerStart, headerLength);
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shapeMatch = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shapeMatch.Success)
        {
            throw new InvalidDataException($"{path}: cannot parse .npy header '{header.Trim()}'.");
        }
        if (fortran.Groups[1].Value == "True")
        {
            throw new InvalidDataException($"{path}: Fortran-ordered arrays are not supported; save with C order.");
        }
        var shape = shapeMatch.Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var name = Path.GetFileNameWithoutExtension(path);
        var dataStart = headerStart + headerLength;
        var d = descr.Groups[1].Value;
        return d switch
        {
            "|u1" or "<u1" => Make<byte>(name, shape, bytes, dataStart, path),
            "|i1" or "<i1" => Make<sbyte>(name, shape, bytes, dataStart, path),
            "|b1" => Make<bool>(name, shape, bytes, dataStart, path),
            "<u2" => Make<ushort>(name, shape, bytes, dataStart, path),
            "<i2" => Make<short>(name, shape, bytes, dataStart, path),
            "<u4" => Make<uint>(name, shape, bytes, dataStart, path),
            "<i4" => Make<int>(name, shape, bytes, dataStart, path),
            "<i8" => Make<long>(name, shape, bytes, dataStart, path),
            "<f4" => Make<float>(name, shape, bytes, dataStart, path),
            "<f8" => Make<double>(name, shape, bytes, dataStart, path),
            _ => throw new InvalidDataException($"{path}: unsupported dtype '{d}' (expected little-endian u1/i1/u2/i2/u4/i4/i8/f4/f8)."),
        };
    }

    /// <summary>Reads an array of the expected element type, or fails naming the file and both types.</summary>
    public static T[] Parse<T>(byte[] bytes, string path, out int[] shape) where T : unmanaged
    {
        var layer = Parse(bytes, path);
        if (layer.Data is not T[] data)
        {
            throw new InvalidDataException($"{path}: dtype is {Descr(layer.ElementType)}, expected {Descr(typeof(T))}.");
        }
        shape = layer.Shape;
        return data;
    }

    private static ReferenceLayer Make<T>(string name, int[] shape, byte[] bytes, int start, string path) where T : unmanaged
    {
        long count = 1;
        foreach (var s in shape) count *= s;
        var size = Marshal.SizeOf<T>();
        if (bytes.Length - start < count * size)
        {
            throw new InvalidDataException($"{path}: file holds {bytes.Length - start} data bytes, shape needs {count * size}.");
        }
        var data = new T[count];
        bytes.AsSpan(start, (int)(count * size)).CopyTo(MemoryMarshal.AsBytes(data.AsSpan()));
        return new ReferenceLayer(name, shape, data);
    }

    public static void Write(Stream stream, ReferenceLayer layer)
    {
        var shapeText = layer.Shape.Length switch
        {
            0 => "()",
            1 => $"({layer.Shape[0]},)",
            _ => "(" + string.Join(", ", layer.Shape) + ")",
        };
        var dict = $"{{'descr': '{Descr(layer.ElementType)}', 'fortran_order': False, 'shape': {shapeText}, }}";
        // Header padded with spaces and a newline so that the data starts on a 64-byte boundary.
        var total = 10 + dict.Length + 1;
        var padded = (total + 63) / 64 * 64;
        var header = dict + new string(' ', padded - total) + "\n";
        stream.Write(Magic);
        stream.WriteByte(1);
        stream.WriteByte(0);
        Span<byte> len = stackalloc byte[2];
        BitConverter.TryWriteBytes(len, (ushort)header.Length);
        stream.Write(len);
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(AsBytes(layer.Data));
    }

    private static ReadOnlySpan<byte> AsBytes(Array data) => data switch
    {
        byte[] a => a,
        sbyte[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        bool[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        ushort[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        short[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        uint[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        int[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        long[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        float[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        double[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        _ => throw new ArgumentException($"No .npy dtype for {data.GetType().Name}."),
    };

    [GeneratedRegex(@"'descr'\s*:\s*'([^']+)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
