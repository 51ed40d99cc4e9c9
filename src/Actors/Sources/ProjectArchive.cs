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
    private readonly ProjectItemFilter _filter;
    private readonly Geometry? _area;

    public StaticCatalogArchive(StaticCatalogReader reader, string catalog, string? collection, Geometry? area, double? maxCloudCover)
        : this(new CatalogItems(reader, catalog), new ProjectItemFilter(collection, maxCloudCover), area)
    {
    }

    private StaticCatalogArchive(CatalogItems catalog, ProjectItemFilter filter, Geometry? area)
    {
        _catalog = catalog;
        _filter = filter;
        _area = area;
    }

    /// <summary>Shares the items read: the catalog is still read once.</summary>
    public IStacArchive Within(Geometry lonLat) => new StaticCatalogArchive(_catalog, _filter, _area?.Intersection(lonLat) ?? lonLat);

    public async Task<StacItemList> SearchAsync(DateTime fromUtc, DateTime? toUtc, CancellationToken cancellationToken)
    {
        var (filter, area) = (_filter, _area);
        var all = await _catalog.AllAsync(cancellationToken).ConfigureAwait(false);
        return new StacItemList(
        [
            .. all.Where(i => i.DateTime.UtcDateTime >= fromUtc && (toUtc is not { } to || i.DateTime.UtcDateTime <= to))
                .Where(i => filter.Excludes(i) is null)
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

/// <summary>
/// What the project's search asks of an item besides its time and area: its collection (an item naming none is taken) and
/// its cloud cover (below the maximum; an item without one is taken). Static catalogs and pushed items are filtered by it.
/// </summary>
public sealed record ProjectItemFilter(string? Collection, double? MaxCloudCover)
{
    public static ProjectItemFilter Of(ProjectConfig config) => new(config.Stac.Collection, config.Stac.MaxCloudCover);

    /// <summary>Why the project's search would not return <paramref name="item"/>; null when it would.</summary>
    public string? Excludes(StacItem item) =>
        Collection is not null && item.Collection is { } c && c != Collection
            ? $"its collection '{c}' is not the project's '{Collection}' (project.stac.collection)"
            : MaxCloudCover is { } max && item.CloudCover is { } cover && cover >= max
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"its cloud cover {cover}% is not below project.stac.max-cloud-cover = {max}")
                : null;
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
