using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Http;

/// <summary>
/// A request for breaks detected on or after <paramref name="Since"/> (and on or before <paramref name="Until"/> when
/// given), at most <paramref name="Limit"/> per page. Continue with the <see cref="AlertPage.NextCursor"/> of the previous
/// page, or address pages by number (<paramref name="Page"/>, 1-based); not both. <paramref name="LonLatBox"/> keeps only
/// breaks whose pixel footprint meets that lon/lat box (MinX/MaxX longitudes, MinY/MaxY latitudes, WGS 84).
/// </summary>
public sealed record AlertQuery(DateOnly Since, DateOnly? Until, int Limit, string? Cursor, int? Page, Bounds? LonLatBox = null)
{
    public const int DefaultLimit = 1000;
    public const int MaxLimit = 10000;
}

/// <summary>
/// One break pixel: its tile, detection date, pixel position in the tile, centre in the grid CRS, and footprint in
/// lon/lat (WGS 84) as a closed ring [lon0, lat0, lon1, lat1, ..., lon0, lat0]; its confidence ("low" or "high") and
/// magnitude (in boundaries), null when its report has no such band.
/// </summary>
public sealed record BreakAlert(string Tile, DateOnly DetectionDate, int Row, int Col, double GridX, double GridY, double[] LonLatRing,
    string? Confidence = null, double? Magnitude = null);

/// <summary>A page of alerts in (date, tile, pixel) order; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record AlertPage(IReadOnlyList<BreakAlert> Alerts, long NumberMatched, string? NextCursor);

/// <summary>
/// The alert feed downstream services poll: breaks since a date, paged. The node serves it over HTTP as GeoJSON.
/// <see cref="FileAlertFeed"/> derives it from the published reports; the cluster can provide its own.
/// </summary>
public interface IAlertFeed
{
    /// <exception cref="ArgumentException">The query is invalid (e.g. an unknown cursor); the message says why.</exception>
    Task<AlertPage> GetBreaksAsync(AlertQuery query, CancellationToken cancellationToken);

    /// <summary>The break at pixel (<paramref name="row"/>, <paramref name="col"/>) of <paramref name="tile"/>; null when that pixel has none.</summary>
    Task<BreakAlert?> GetBreakAsync(string tile, int row, int col, CancellationToken cancellationToken);
}
