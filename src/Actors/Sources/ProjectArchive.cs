using NetTopologySuite.Geometries;
using NrtCluster.Actors.Config;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Actors.Sources;

/// <summary>
/// A static STAC catalog as an <see cref="IStacArchive"/>: the items are read once (catalog -> collections -> items)
/// and then filtered by collection, time, area and cloud cover like a STAC API search would.
/// </summary>
public sealed class StaticCatalogArchive : IStacArchive
{
    private readonly CatalogItems _catalog;
    private readonly string? _collection;
    private readonly Geometry? _area;
    private readonly double? _maxCloudCover;

    public StaticCatalogArchive(StaticCatalogReader reader, string catalog, string? collection, Geometry? area, double? maxCloudCover)
        : this(new CatalogItems(reader, catalog), collection, area, maxCloudCover)
    {
    }

    private StaticCatalogArchive(CatalogItems catalog, string? collection, Geometry? area, double? maxCloudCover)
    {
        _catalog = catalog;
        _collection = collection;
        _area = area;
        _maxCloudCover = maxCloudCover;
    }

    /// <summary>Shares the items read: the catalog is still read once.</summary>
    public IStacArchive Within(Geometry lonLat) =>
        new StaticCatalogArchive(_catalog, _collection, _area?.Intersection(lonLat) ?? lonLat, _maxCloudCover);

    public async Task<StacItemList> SearchAsync(DateTime fromUtc, DateTime? toUtc, CancellationToken cancellationToken)
    {
        var (collection, area, maxCloudCover) = (_collection, _area, _maxCloudCover);
        var all = await _catalog.AllAsync(cancellationToken).ConfigureAwait(false);
        return new StacItemList(
        [
            .. all.Where(i => i.DateTime.UtcDateTime >= fromUtc && (toUtc is not { } to || i.DateTime.UtcDateTime <= to))
                .Where(i => collection is null || i.Collection is null || i.Collection == collection)
                .Where(i => maxCloudCover is not { } max || i.CloudCover is not { } c || c < max)
                .Where(i => area is null || i.Footprint.Intersects(area))
                .OrderBy(i => i.DateTime).ThenBy(i => i.Id, StringComparer.Ordinal),
        ], all.Rejected);
    }

    /// <summary>The catalog's items, read on first use.</summary>
    private sealed class CatalogItems(StaticCatalogReader reader, string catalog)
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private StacItemList? _items;

        public async Task<StacItemList> AllAsync(CancellationToken ct)
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
