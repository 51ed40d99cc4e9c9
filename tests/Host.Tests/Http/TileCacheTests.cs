using Akka.Configuration;
using NrtCluster.Host.Http.Tiles;

namespace NrtCluster.Host.Tests.Http;

/// <summary>The byte-bounded least-recently-used store of drawn tiles and its setting.</summary>
public class TileCacheTests
{
    private static byte[] Png(int length, byte fill) => Enumerable.Repeat(fill, length).ToArray();

    [Fact]
    public void TheLeastRecentlyUsedTilesAreDroppedBeyondTheBudget()
    {
        var cache = new TileCache(300);
        cache.Add("a", Png(100, 1));
        cache.Add("b", Png(100, 2));
        cache.Add("c", Png(100, 3));
        Assert.Equal(300, cache.Bytes);
        // Reading a makes b the least recently used: the next tile drops b.
        Assert.Equal(Png(100, 1), cache.Get("a"));
        cache.Add("d", Png(100, 4));
        Assert.Null(cache.Get("b"));
        Assert.Equal(Png(100, 3), cache.Get("c"));
        Assert.Equal(300, cache.Bytes);
        // A larger tile drops as many as it needs, oldest first.
        cache.Add("e", Png(250, 5));
        Assert.Equal((250L, (byte[]?)null, (byte[]?)null, (byte[]?)null), (cache.Bytes, cache.Get("a"), cache.Get("c"), cache.Get("d")));
        // A tile larger than the budget is not kept (and drops nothing).
        cache.Add("f", Png(301, 6));
        Assert.Null(cache.Get("f"));
        Assert.Equal(Png(250, 5), cache.Get("e"));
    }

    [Fact]
    public void ACacheOfZeroBytesKeepsNothing()
    {
        var cache = new TileCache(0);
        cache.Add("a", Png(10, 1));
        Assert.Equal((0L, (byte[]?)null), (cache.Bytes, cache.Get("a")));
    }

    [Theory]
    [InlineData("", TileCache.DefaultBytes)]
    [InlineData("nrtcluster.http.tiles.cache-size = 1MiB", 1L << 20)]
    [InlineData("nrtcluster.http.tiles.cache-size = 0", 0L)]
    public void TheSettingIsASize(string hocon, long expected) =>
        Assert.Equal(expected, TileCache.BytesFromConfig(ConfigurationFactory.ParseString(hocon)));
}
