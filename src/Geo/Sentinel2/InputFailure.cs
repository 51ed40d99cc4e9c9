using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Geo.Sentinel2;

/// <summary>An item of an observation that was left out, and why.</summary>
public sealed record ItemFailure(string ItemId, Exception Error);

/// <summary>An observation loaded from the items that could be read, and the items left out because they cannot be.</summary>
public sealed record LoadedObservation(TileObservation Observation, IReadOnlyList<ItemFailure> LeftOut);

/// <summary>
/// Whether a failure to read an observation's input is permanent (retrying cannot help: a missing or corrupt file, an
/// HTTP 404, a dangling href, an item without the asset) or transient (timeouts, throttling, server errors, connection
/// failures): the one classification both the GDAL and the STAC paths use.
/// </summary>
public static class InputFailure
{
    /// <summary>
    /// Classified by the first exception in the chain that knows; wrappers that add context (e.g. naming the tile and
    /// day) are looked through; anything unknown is transient, so it keeps being retried.
    /// </summary>
    public static bool IsPermanent(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case GdalException g: return g.Permanent;
                case StacHttpException h: return h.Permanent;
                case StacFormatException or StacMissingAssetException: return true;
                case FileNotFoundException or DirectoryNotFoundException: return true;
            }
        }
        return false;
    }
}
