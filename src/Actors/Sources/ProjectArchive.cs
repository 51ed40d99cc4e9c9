using NetTopologySuite.Geometries;
using NrtCluster.Actors.Config;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Actors.Sources;

/// <summary>
/// A static STAC catalog as an <see cref="IStacArchive"/>: the items are read once (catalog -> collections -> items)
/// and then filtered by collection, time, area and cloud cover like a STAC API search would.
/// </summary>
public sealed class StaticCatalogArchive(StaticCatalogReader reader, string catalog, string? collection, Geometry? area, double? maxCloudCover)
    : IStacArchive
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private StacItemList? _items;

    public async Task<StacItemList> SearchAsync(DateTime fromUtc, DateTime? toUtc, CancellationToken cancellationToken)
    {
        var all = await AllAsync(cancellationToken).ConfigureAwait(false);
        return new StacItemList(
        [
            .. all.Where(i => i.DateTime.UtcDateTime >= fromUtc && (toUtc is not { } to || i.DateTime.UtcDateTime <= to))
                .Where(i => collection is null || i.Collection is null || i.Collection == collection)
                .Where(i => maxCloudCover is not { } max || i.CloudCover is not { } c || c < max)
                .Where(i => area is null || i.Footprint.Intersects(area))
                .OrderBy(i => i.DateTime).ThenBy(i => i.Id, StringComparer.Ordinal),
        ], all.Rejected);
    }

    private async Task<StacItemList> AllAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return _items ??= await reader.ReadAllItemsAsync(catalog, ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}

/// <summary>The archive, tile index and provider profile a project file describes.</summary>
public static class ProjectArchive
{
    public static GridTileFootprints Footprints(ProjectConfig config) => new(config.Grid, config.AreaLonLat());

    /// <summary>The project's STAC API search or static catalog, limited to its collection, area and cloud cover.</summary>
    public static IStacArchive Create(ProjectConfig config, HttpClient http)
    {
        var area = config.AreaLonLat();
        if (config.Stac.ApiUrl is { } api)
        {
            var search = new StacSearchRequest
            {
                Collections = [config.Stac.Collection],
                Intersects = area,
                Query = config.Stac.MaxCloudCover is { } max ? [QueryCondition.CloudCoverBelow(max)] : null,
            };
            return new StacApiArchive(new StacApiClient(http, api.TrimEnd('/') + "/search"), search);
        }
        return new StaticCatalogArchive(new StaticCatalogReader(http), config.Stac.Catalog!, config.Stac.Collection, area, config.Stac.MaxCloudCover);
    }
}
