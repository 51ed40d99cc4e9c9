using System.Buffers;
using System.Buffers.Binary;
using K4os.Compression.LZ4;

namespace NrtCluster.Actors.Serialization;

/// <summary>
/// How one array is stored: <c>[codec byte][int32 stored length][stored bytes]</c>. Codecs: the raw bytes; LZ4 of the raw
/// bytes (repeated whole values, such as a boundary that depends only on a pixel's observation count, compress well this
/// way); LZ4 of the byte-shuffled values (all first bytes, then all second bytes, ...: neighbouring values share
/// exponents and high bytes). The codec is chosen on a sample spread over the array; when no compression saves a tenth,
/// the raw bytes are stored, because compressing noise-like doubles costs more time than writing them.
/// Every codec is lossless, so floats come back bit-exact.
/// </summary>
public static class LayerCodec
{
    private const byte Raw = 0;
    private const byte Lz4 = 1;
    private const byte ShuffledLz4 = 2;

    private const int SampleChunks = 16;
    private const int SampleChunkBytes = 4096;

    /// <summary>Most bytes <see cref="Write"/> can produce for a layer, header included.</summary>
    public static long MaxEncodedLength(State.LayerSet layers) =>
        layers.Sum(l => 64L + l.Name.Length * 3 + 4 * l.Shape.Count + 5 + LZ4Codec.MaximumOutputSize(checked(l.Length * State.Layer.ElementSize(l.Type))));

    /// <summary>Appends the encoded array at the stream's position (the stream grows as needed).</summary>
    public static void Write(MemoryStream stream, ReadOnlySpan<byte> raw, int elementSize)
    {
        byte codec = Choose(raw, elementSize);
        int start = (int)stream.Position;
        int capacity = codec == Raw ? raw.Length : LZ4Codec.MaximumOutputSize(raw.Length);
        stream.SetLength(Math.Max(stream.Length, start + 5L + capacity));
        var target = stream.GetBuffer().AsSpan(start + 5, capacity);
        int stored;
        switch (codec)
        {
            case Raw:
                raw.CopyTo(target);
                stored = raw.Length;
                break;
            case Lz4:
                stored = Encode(raw, target);
                break;
            default:
                var shuffled = ArrayPool<byte>.Shared.Rent(raw.Length);
                try
                {
                    Shuffle(raw, shuffled.AsSpan(0, raw.Length), elementSize);
                    stored = Encode(shuffled.AsSpan(0, raw.Length), target);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(shuffled);
                }
                break;
        }
        var header = stream.GetBuffer().AsSpan(start, 5);
        header[0] = codec;
        BinaryPrimitives.WriteInt32LittleEndian(header[1..], stored);
        stream.SetLength(start + 5L + stored);
        stream.Position = start + 5L + stored;
    }

    /// <summary>Decodes an array written by <see cref="Write"/> into <paramref name="raw"/> (exactly its length); returns the bytes read.</summary>
    public static int Read(ReadOnlySpan<byte> source, Span<byte> raw, int elementSize)
    {
        if (source.Length < 5) throw new InvalidDataException("A stored array is cut short (no header).");
        byte codec = source[0];
        int stored = BinaryPrimitives.ReadInt32LittleEndian(source[1..]);
        if (stored < 0 || stored > source.Length - 5)
            throw new InvalidDataException($"A stored array claims {stored} bytes but only {source.Length - 5} remain.");
        var data = source.Slice(5, stored);
        switch (codec)
        {
            case Raw:
                if (stored != raw.Length) throw new InvalidDataException($"A raw array holds {stored} bytes; its shape needs {raw.Length}.");
                data.CopyTo(raw);
                break;
            case Lz4:
                Decode(data, raw);
                break;
            case ShuffledLz4:
                var shuffled = ArrayPool<byte>.Shared.Rent(raw.Length);
                try
                {
                    Decode(data, shuffled.AsSpan(0, raw.Length));
                    Unshuffle(shuffled.AsSpan(0, raw.Length), raw, elementSize);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(shuffled);
                }
                break;
            default:
                throw new InvalidDataException($"Unknown array codec {codec}: written by a newer build?");
        }
        return 5 + stored;
    }

    /// <summary>Format version 1: <c>[int32 length][LZ4 pickle of the shuffled bytes]</c> (bytes unshuffled when one wide).</summary>
    public static int ReadVersion1(ReadOnlySpan<byte> source, Span<byte> raw, int elementSize)
    {
        int stored = BinaryPrimitives.ReadInt32LittleEndian(source);
        var unpickled = LZ4Pickler.Unpickle(source.Slice(4, stored));
        if (unpickled.Length != raw.Length) throw new InvalidDataException($"A stored array holds {unpickled.Length} bytes; its shape needs {raw.Length}.");
        if (elementSize == 1) unpickled.CopyTo(raw);
        else Unshuffle(unpickled, raw, elementSize);
        return 4 + stored;
    }

    /// <summary>The codec that compresses a sample of the array best, or raw when none saves a tenth of it.</summary>
    private static byte Choose(ReadOnlySpan<byte> raw, int elementSize)
    {
        int chunk = SampleChunkBytes / elementSize * elementSize;
        if (raw.Length < 64) return Raw;
        var sample = ArrayPool<byte>.Shared.Rent(SampleChunks * chunk);
        var scratch = ArrayPool<byte>.Shared.Rent(LZ4Codec.MaximumOutputSize(SampleChunks * chunk));
        try
        {
            int length = 0;
            if (raw.Length <= SampleChunks * chunk)
            {
                raw.CopyTo(sample);
                length = raw.Length;
            }
            else
            {
                long stride = (raw.Length - chunk) / (SampleChunks - 1) / elementSize * elementSize;
                for (int c = 0; c < SampleChunks; c++)
                {
                    raw.Slice((int)(c * stride), chunk).CopyTo(sample.AsSpan(length));
                    length += chunk;
                }
            }
            var part = sample.AsSpan(0, length);
            int best = Encode(part, scratch);
            byte codec = Lz4;
            if (elementSize > 1)
            {
                var shuffled = ArrayPool<byte>.Shared.Rent(length);
                try
                {
                    Shuffle(part, shuffled.AsSpan(0, length), elementSize);
                    int size = Encode(shuffled.AsSpan(0, length), scratch);
                    if (size < best) (best, codec) = (size, ShuffledLz4);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(shuffled);
                }
            }
            return best < 0.9 * length ? codec : Raw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sample);
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private static int Encode(ReadOnlySpan<byte> source, Span<byte> target)
    {
        int n = LZ4Codec.Encode(source, target, LZ4Level.L00_FAST);
        if (n < 0) throw new InvalidOperationException("LZ4 could not compress an array into its worst-case buffer.");
        return n;
    }

    private static void Decode(ReadOnlySpan<byte> source, Span<byte> target)
    {
        int n = LZ4Codec.Decode(source, target);
        if (n != target.Length) throw new InvalidDataException($"A stored array decodes to {n} bytes; its shape needs {target.Length}.");
    }

    private static void Shuffle(ReadOnlySpan<byte> raw, Span<byte> shuffled, int elementSize)
    {
        int n = raw.Length / elementSize;
        for (int b = 0; b < elementSize; b++)
        {
            var plane = shuffled.Slice(b * n, n);
            for (int i = 0, j = b; i < plane.Length; i++, j += elementSize) plane[i] = raw[j];
        }
    }

    private static void Unshuffle(ReadOnlySpan<byte> shuffled, Span<byte> raw, int elementSize)
    {
        int n = raw.Length / elementSize;
        for (int b = 0; b < elementSize; b++)
        {
            var plane = shuffled.Slice(b * n, n);
            for (int i = 0, j = b; i < plane.Length; i++, j += elementSize) raw[j] = plane[i];
        }
    }
}
