using System.Collections.Immutable;
using NetTopologySuite.Geometries;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Actors.Sources;

/// <summary>Which tiles of the project a lon/lat geometry (an item footprint, an area of interest) touches.</summary>
public interface ITileFootprintIndex
{
    IReadOnlyList<TileId> TilesTouching(Geometry lonLat);
}

/// <summary>
/// Tiles of the processing grid touched by a footprint, limited to the project's tiles (those covering its area of
/// interest) so items reaching beyond the area are not sent to tiles nobody fitted. A footprint is clipped to the lon/lat
/// box of the project's tiles before any tile is enumerated, so a world-sized one costs no more than the project.
/// </summary>
public sealed class GridTileFootprints : ITileFootprintIndex
{
    /// <summary>Degrees added around the project's tiles before clipping (about 1 km), far above the outline's sampling error.</summary>
    public const double ClipMargin = 0.01;

    private readonly ProcessingGrid _grid;
    private readonly HashSet<TileId>? _project;
    private readonly (TileId First, TileId Last)? _range;
    private readonly Envelope? _clipBox;
    /// <summary>The box, and its copies a turn east and west: footprints may cross the antimeridian with longitudes beyond 180.</summary>
    private readonly Polygon[] _clips = [];

    /// <param name="area">The project's area of interest in lon/lat; null: every grid tile.</param>
    public GridTileFootprints(ProcessingGrid grid, Geometry? area = null)
    {
        _grid = grid;
        if (area is null) return;
        var tiles = grid.TilesCovering(area);
        _project = [.. tiles];
        if (tiles.Count == 0) return;
        _range = (new TileId(tiles.Min(t => t.Column), tiles.Min(t => t.Row)), new TileId(tiles.Max(t => t.Column), tiles.Max(t => t.Row)));
        _clipBox = grid.LonLatEnvelope(_range.Value.First, _range.Value.Last);
        _clipBox.ExpandBy(ClipMargin);
        var box = _clipBox;
        _clips = [.. new[] { 0, 360, -360 }.Select(shift =>
            (Polygon)StacJson.GeometryFactory.ToGeometry(new Envelope(box.MinX + shift, box.MaxX + shift, box.MinY, box.MaxY)))];
    }

    public IReadOnlyList<TileId> ProjectTiles => _project is null ? [] : [.. _project.OrderBy(t => t.Row).ThenBy(t => t.Column)];

    public IReadOnlyList<TileId> TilesTouching(Geometry lonLat)
    {
        if (_project is not null && _clipBox is null) return [];
        var footprint = lonLat;
        if (_clipBox is not null && !_clipBox.Contains(footprint.EnvelopeInternal))
        {
            var envelope = footprint.EnvelopeInternal;
            var clips = _clips.Where(c => c.EnvelopeInternal.Intersects(envelope)).ToArray();
            if (clips.Length == 0) return [];
            // Overlay needs a valid geometry of one kind: a mixed collection is unioned, a self-crossing ring repaired.
            if (footprint.OgcGeometryType == OgcGeometryType.GeometryCollection) footprint = footprint.Union();
            if (!footprint.IsValid) footprint = footprint.Buffer(0);
            var parts = clips.Select(footprint.Intersection).Where(p => !p.IsEmpty).ToArray();
            if (parts.Length == 0) return [];
            footprint = parts.Length == 1 ? parts[0] : StacJson.GeometryFactory.BuildGeometry(parts).Union();
        }
        // Footprints are polygons; a point or line (rare in STAC) is widened to a tiny surface so the grid accepts it.
        var surface = footprint.Dimension == Dimension.Surface ? footprint : footprint.Buffer(1e-6);
        var tiles = _grid.TilesCovering(surface, _range);
        return [.. _project is null ? tiles : tiles.Where(_project.Contains)];
    }

}

/// <summary>The archive the poller searches (polls and backfills): items acquired in a time interval.</summary>
public interface IStacArchive
{
    /// <param name="toUtc">Inclusive end; null: open (everything up to now).</param>
    /// <returns>The items, each id once, with those rejected (malformed, or a repeated id with other content) and why.</returns>
    Task<StacItemList> SearchAsync(DateTime fromUtc, DateTime? toUtc, CancellationToken cancellationToken);

    /// <summary>
    /// The same archive searched only where the project's area meets <paramref name="lonLat"/>: a tile's fit searches around
    /// its own tile, not the whole area again for every tile.
    /// </summary>
    IStacArchive Within(Geometry lonLat);
}

/// <summary>A STAC API: the project's search (collections, area, query such as cloud cover) with the time interval set per call.</summary>
public sealed class StacApiArchive(StacApiClient client, StacSearchRequest projectSearch) : IStacArchive
{
    public Task<StacItemList> SearchAsync(DateTime fromUtc, DateTime? toUtc, CancellationToken cancellationToken) =>
        client.SearchAllAsync(projectSearch with
        {
            Datetime = new DateTimeInterval(new DateTimeOffset(fromUtc, TimeSpan.Zero), toUtc is { } t ? new DateTimeOffset(t, TimeSpan.Zero) : null),
            Token = null,
        }, cancellationToken);

    public IStacArchive Within(Geometry lonLat) => new StacApiArchive(client, projectSearch with
    {
        Intersects = (projectSearch.Intersects ?? projectSearch.Bbox?.ToPolygon(StacJson.GeometryFactory))?.Intersection(lonLat) ?? lonLat,
        Bbox = null,
    });
}

/// <summary>A STAC item the poller found: what it needs to dispatch it (never the item document itself).</summary>
/// <param name="Tiles">The tiles its footprint intersects, decided when it was found.</param>
public sealed record DiscoveredItem(string Id, string Href, DateTime AcquiredUtc, DateOnly SolarDay, ImmutableArray<TileId> Tiles)
{
    /// <summary>What a tile reads of the item (<see cref="ItemRef.Assets"/>); null when it could not be described.</summary>
    public ItemAssets? Assets { get; init; }

    /// <summary>The reference a tile is sent.</summary>
    public ItemRef Ref => new(Id, Href) { Assets = Assets };
}

/// <summary>What a search found: the items to dispatch, and the items rejected with why.</summary>
public sealed record Discovery(ImmutableArray<DiscoveredItem> Items, ImmutableArray<RejectedItem> Rejected);

public static class ItemDiscovery
{
    /// <summary>
    /// The reference a tile gets for an item: its self link (the item document), else where it was read from.
    /// </summary>
    public static string HrefOf(StacItem item) =>
        item.Links.FirstOrDefault(l => string.Equals(l.Rel, "self", StringComparison.OrdinalIgnoreCase))?.Href ?? item.Source;

    /// <summary>
    /// Items as the poller records them: id, href, time, solar day, the tiles their footprints touch and, with
    /// <paramref name="profile"/>, what a tile reads of them; with the search's rejected items, and those whose footprint the
    /// grid cannot place (rejected alone, the others go on).
    /// </summary>
    public static Discovery Discover(StacItemList items, ITileFootprintIndex tiles, ProviderProfile? profile = null)
    {
        var found = ImmutableArray.CreateBuilder<DiscoveredItem>(items.Count);
        var rejected = ImmutableArray.CreateBuilder<RejectedItem>();
        rejected.AddRange(items.Rejected);
        foreach (var i in items)
        {
            try
            {
                found.Add(new DiscoveredItem(i.Id, HrefOf(i), i.DateTime.UtcDateTime, SolarDays.Of(i),
                    [.. tiles.TilesTouching(i.Footprint).OrderBy(t => t.Row).ThenBy(t => t.Column)]) { Assets = Describe(profile, i) });
            }
            catch (Exception e) when (e is ArgumentException or TopologyException or InvalidOperationException or GdalException)
            {
                rejected.Add(new RejectedItem(i.Id, i.Source, $"its footprint cannot be placed on the grid: {e.Message}"));
            }
        }
        return new Discovery(found.ToImmutable(), rejected.ToImmutable());
    }

    /// <summary>
    /// Null without a profile, or when the item's scaling cannot be decided: the tile then reads the document and reports
    /// the problem where the day is applied (the item left out of the day or the day quarantined), as for any unreadable item.
    /// </summary>
    private static ItemAssets? Describe(ProviderProfile? profile, StacItem item)
    {
        try
        {
            return profile?.Describe(item);
        }
        catch (StacException)
        {
            return null;
        }
    }
}
