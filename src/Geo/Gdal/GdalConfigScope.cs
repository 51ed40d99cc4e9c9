namespace NrtCluster.Geo.Gdal;

/// <summary>
/// Sets GDAL configuration options for the calling thread only (e.g. AWS_S3_ENDPOINT of one provider) and
/// clears them when disposed, so concurrent reads of different providers do not interfere.
/// </summary>
public sealed class GdalConfigScope : IDisposable
{
    private readonly IReadOnlyCollection<string> _keys;

    private GdalConfigScope(IReadOnlyCollection<string> keys) => _keys = keys;

    public static GdalConfigScope Apply(IReadOnlyDictionary<string, string> options)
    {
        GdalNative.EnsureInitialised();
        foreach (var (key, value) in options) GdalNative.CPLSetThreadLocalConfigOption(key, value);
        return new GdalConfigScope(options.Keys.ToArray());
    }

    public void Dispose()
    {
        foreach (var key in _keys) GdalNative.CPLSetThreadLocalConfigOption(key, null);
    }
}
