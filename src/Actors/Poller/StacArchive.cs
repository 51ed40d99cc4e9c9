using System.Collections.Immutable;
using NetTopologySuite.Geometries;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Actors.Poller;

/// <summary>Which tiles of the project a lon/lat geometry (an item footprint, an area of interest) touches.</summary>
public interface ITileFootprintIndex
{
    IReadOnlyList<TileKey> TilesTouching(Geometry lonLat);
}

/// <summary>
/// Tiles of the processing grid touched by a footprint, limited to the project's tiles (those covering its area of
/// interest) so items reaching beyond the area are not sent to tiles nobody fitted.
/// </summary>
public sealed class GridTileFootprints : ITileFootprintIndex
{
    private readonly ProcessingGrid _grid;
    private readonly HashSet<TileKey>? _project;

    /// <param name="area">The project's area of interest in lon/lat; null: every grid tile.</param>
    public GridTileFootprints(ProcessingGrid grid, Geometry? area = null)
    {
        _grid = grid;
        _project = area is null ? null : [.. grid.TilesCovering(area).Select(ToKey)];
    }

    public IReadOnlyList<TileKey> ProjectTiles => _project is null ? [] : [.. _project.OrderBy(t => t.Row).ThenBy(t => t.Column)];

    public IReadOnlyList<TileKey> TilesTouching(Geometry lonLat)
    {
        // Footprints are polygons; a point or line (rare in STAC) is widened to a tiny surface so the grid accepts it.
        var surface = lonLat.Dimension == Dimension.Surface ? lonLat : lonLat.Buffer(1e-6);
        var tiles = _grid.TilesCovering(surface).Select(ToKey);
        return [.. _project is null ? tiles : tiles.Where(_project.Contains)];
    }

    private static TileKey ToKey(TileId id) => new(id.Col, id.Row);
}

/// <summary>The archive the poller and the fast-forward job search: items acquired in a time interval.</summary>
public interface IStacArchive
{
    /// <param name="toUtc">Inclusive end; null: open (everything up to now).</param>
    Task<IReadOnlyList<StacItem>> SearchAsync(DateTime fromUtc, DateTime? toUtc, CancellationToken cancellationToken);
}

/// <summary>A STAC API: the project's search (collections, area, query such as cloud cover) with the time interval set per call.</summary>
public sealed class StacApiArchive(StacApiClient client, StacSearchRequest projectSearch) : IStacArchive
{
    public Task<IReadOnlyList<StacItem>> SearchAsync(DateTime fromUtc, DateTime? toUtc, CancellationToken cancellationToken) =>
        client.SearchAllAsync(projectSearch with
        {
            Datetime = new DateTimeInterval(new DateTimeOffset(fromUtc, TimeSpan.Zero), toUtc is { } t ? new DateTimeOffset(t, TimeSpan.Zero) : null),
            Token = null,
        }, cancellationToken);
}

public static class ItemDiscovery
{
    /// <summary>
    /// The reference a tile gets for an item: its self link (the item document), else where it was read from.
    /// </summary>
    public static string HrefOf(StacItem item) =>
        item.Links.FirstOrDefault(l => string.Equals(l.Rel, "self", StringComparison.OrdinalIgnoreCase))?.Href ?? item.Source;

    /// <summary>Items as the poller records them: id, href, time, solar day and the tiles their footprints touch.</summary>
    public static ImmutableArray<DiscoveredItem> Discover(IEnumerable<StacItem> items, ITileFootprintIndex tiles) =>
    [
        .. items.Select(i => new DiscoveredItem(
            i.Id, HrefOf(i), i.DateTime.UtcDateTime, SolarDays.Of(i),
            [.. tiles.TilesTouching(i.Footprint).OrderBy(t => t.Row).ThenBy(t => t.Column)])),
    ];

    /// <summary>
    /// Every tile's solar days in time order, one <see cref="ObserveDay"/> each with the items of that day touching
    /// the tile (granules by time then id, the order the tile mosaics them), each naming the tile's previous planned day
    /// as <see cref="ObserveDay.After"/> (null for the first).
    /// </summary>
    /// <param name="afterUtc">Days whose first item is acquired at or before it are left out (they belong to the fit); null: none.</param>
    public static ImmutableDictionary<TileKey, ImmutableArray<ObserveDay>> PlanByTile(IEnumerable<DiscoveredItem> items, DateTime? afterUtc = null)
    {
        var unique = items.GroupBy(i => i.Id, StringComparer.Ordinal).Select(g => g.Last());
        return unique
            .SelectMany(i => i.Tiles.Select(t => (Tile: t, Item: i)))
            .GroupBy(x => x.Tile)
            .ToImmutableDictionary(
                g => g.Key,
                g =>
                {
                    var days = g.GroupBy(x => x.Item.SolarDay).OrderBy(d => d.Key)
                        .Select(d =>
                        {
                            var ordered = d.Select(x => x.Item).OrderBy(i => i.AcquiredUtc).ThenBy(i => i.Id, StringComparer.Ordinal).ToArray();
                            return new ObserveDay(g.Key, d.Key, ordered[0].AcquiredUtc, [.. ordered.Select(i => new ItemRef(i.Id, i.Href))]);
                        })
                        .Where(d => afterUtc is not { } after || d.AcquiredUtc > after)
                        .ToArray();
                    for (int i = 1; i < days.Length; i++) days[i] = days[i] with { After = days[i - 1].Day };
                    return ImmutableArray.Create(days);
                });
    }
}
