using Akka.Configuration;

namespace NrtCluster.Host.Http.Tiles;

/// <summary>
/// Drawn tiles by ETag, in memory up to a byte budget (<c>nrtcluster.http.tiles.cache-size</c>), the least recently used
/// dropped first: a tile many clients ask for is drawn once per change of the reports. An ETag names everything a tile is
/// drawn from, so an entry never goes stale; entries of older report states just age out.
/// </summary>
public sealed class TileCache(long capacityBytes)
{
    public const string SizeKey = "nrtcluster.http.tiles.cache-size";

    /// <summary>64 MiB (as in hocon/base.conf): some ten thousand typical tiles of a few KB.</summary>
    public const long DefaultBytes = 64L << 20;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, byte[] Png)>> _index = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, byte[] Png)> _recent = new();
    private long _bytes;

    /// <summary>Bytes of the tiles held.</summary>
    public long Bytes
    {
        get { lock (_gate) return _bytes; }
    }

    /// <summary>The tile of <paramref name="etag"/>, now the most recently used; null when not held.</summary>
    public byte[]? Get(string etag)
    {
        lock (_gate)
        {
            if (!_index.TryGetValue(etag, out var node)) return null;
            _recent.Remove(node);
            _recent.AddFirst(node);
            return node.Value.Png;
        }
    }

    /// <summary>Holds a drawn tile, dropping the least recently used ones beyond the budget (a tile larger than all of it is not held).</summary>
    public void Add(string etag, byte[] png)
    {
        if (png.Length > capacityBytes) return;
        lock (_gate)
        {
            if (_index.ContainsKey(etag)) return;
            _index[etag] = _recent.AddFirst((etag, png));
            _bytes += png.Length;
            while (_bytes > capacityBytes && _recent.Last is { } oldest)
            {
                _recent.RemoveLast();
                _index.Remove(oldest.Value.Key);
                _bytes -= oldest.Value.Png.Length;
            }
        }
    }

    /// <summary><c>nrtcluster.http.tiles.cache-size</c> (a size such as 64MiB; 0 holds none), else <see cref="DefaultBytes"/>; checked.</summary>
    public static long BytesFromConfig(Config config)
    {
        if (!config.HasPath(SizeKey)) return DefaultBytes;
        long? bytes;
        try { bytes = config.GetByteSize(SizeKey); }
        catch (Exception e) when (e is FormatException or OverflowException or ConfigurationException)
        {
            throw new ArgumentException($"{SizeKey} = {config.GetValue(SizeKey)}: not a size such as 64MiB (0 keeps no drawn tiles).", e);
        }
        return bytes is >= 0 ? bytes.Value : throw new ArgumentException($"{SizeKey} = {config.GetValue(SizeKey)}: give a size of 0 or more, e.g. 64MiB (0 keeps no drawn tiles).");
    }
}
