using System.Runtime.InteropServices;
using System.Text;

namespace NrtCluster.Actors.Tests.Support;

/// <summary>Reads NumPy .npy version 1.0 little-endian C-order arrays (the conformance data format).</summary>
public static class Npy
{
    public static (T[] Values, int[] Shape) Read<T>(string path) where T : unmanaged
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            throw new InvalidDataException($"{path} is not a .npy file.");
        int headerLength = BitConverter.ToUInt16(bytes, 8);
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        string descr = Between(header, "'descr': '", "'");
        string expected = typeof(T) == typeof(float) ? "<f4" : typeof(T) == typeof(byte) ? "|u1" : typeof(T) == typeof(int) ? "<i4"
            : throw new NotSupportedException(typeof(T).Name);
        if (descr != expected) throw new InvalidDataException($"{path}: dtype {descr}, expected {expected}.");
        if (header.Contains("'fortran_order': True")) throw new InvalidDataException($"{path}: Fortran order is not supported.");
        var shape = Between(header, "'shape': (", ")").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(int.Parse).ToArray();
        var values = MemoryMarshal.Cast<byte, T>(bytes.AsSpan(10 + headerLength)).ToArray();
        return (values, shape);
    }

    private static string Between(string text, string start, string end)
    {
        int i = text.IndexOf(start, StringComparison.Ordinal) + start.Length;
        return text[i..text.IndexOf(end, i, StringComparison.Ordinal)];
    }
}
