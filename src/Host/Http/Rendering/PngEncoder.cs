using System.Buffers.Binary;
using System.IO.Compression;

namespace NrtCluster.Host.Http.Rendering;

/// <summary>
/// Encodes 8-bit RGBA images as PNG. The GDAL layer exposes no in-memory PNG writer (CreateCopy to /vsimem/), and a
/// map image is small, so the few chunks are written here: IHDR, one zlib IDAT (filter "Up" on every row), IEND.
/// </summary>
public static class PngEncoder
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>Encodes <paramref name="rgba"/> (row-major, 4 bytes per pixel, width x height).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> rgba, int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"A PNG needs a positive size, got {width} x {height}.");
        var stride = checked(width * 4);
        if (rgba.Length != checked(stride * height))
            throw new ArgumentException($"{rgba.Length} bytes do not make a {width} x {height} RGBA image ({stride * height} bytes).", nameof(rgba));

        using var output = new MemoryStream();
        output.Write(Signature);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;  // bit depth
        header[9] = 6;  // colour type RGBA
        header[10] = 0; // deflate
        header[11] = 0; // adaptive filtering
        header[12] = 0; // no interlace
        WriteChunk(output, "IHDR"u8, header);

        using (var compressed = new MemoryStream())
        {
            using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                // "Up" filter: rows of a map repeat a lot, so differences against the row above compress well.
                var row = new byte[stride + 1];
                row[0] = 2;
                for (var y = 0; y < height; y++)
                {
                    var current = rgba.Slice(y * stride, stride);
                    if (y == 0) current.CopyTo(row.AsSpan(1));
                    else
                    {
                        var previous = rgba.Slice((y - 1) * stride, stride);
                        for (var i = 0; i < stride; i++) row[i + 1] = (byte)(current[i] - previous[i]);
                    }
                    z.Write(row);
                }
            }
            WriteChunk(output, "IDAT"u8, compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        }
        WriteChunk(output, "IEND"u8, []);
        return output.ToArray();
    }

    private static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        output.Write(type);
        output.Write(data);
        var crc = Update(Update(0xFFFFFFFFu, type), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        output.Write(word);
    }

    private static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
