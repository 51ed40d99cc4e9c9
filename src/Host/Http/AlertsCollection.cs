using System.Globalization;
using System.Text.Json.Nodes;
using NrtCluster.Geo.Gdal;
using NrtCluster.Host.Http.Features;
using NrtCluster.Host.Http.Reports;

namespace NrtCluster.Host.Http;

/// <summary>
/// The break pixels of the alert feed as the OGC API Features collection <c>alerts</c>: pixel footprints with the
/// properties /api/alerts gives (<see cref="NodeServer.AlertFeature"/>), in the feed's (date, tile, pixel) order, paged
/// by the feed's cursor. Its extent is the box around the tile reports and the span of their detection dates.
/// </summary>
public sealed class AlertsCollection(IAlertFeed feed, ReportFolder folder) : IFeatureCollection
{
    public string Id => "alerts";

    public string Title => "Break pixels";

    public string Description => "Every pixel whose monitor detected a break (a disturbance), with its detection date, tile, row and column, in order of detection date.";

    public string ContinuationParameter => "cursor";

    /// <summary>TILE/ROW/COL: the alert's id in /api/alerts and in this collection.</summary>
    public static string FeatureId(BreakAlert a) => $"{a.Tile}/{a.Row}/{a.Col}";

    public CollectionExtent Extent()
    {
        var s = folder.Current();
        // The box around all tiles (one grid CRS), its densified outline in lon/lat: one transformation however many tiles.
        if (s.DataBox is not { } data) return new CollectionExtent(null, s.FirstDetection, s.LastDetection);
        var (lon, lat) = NodeServer.LonLatOutline(data);
        return new CollectionExtent(new Bounds(lon.Min(), lat.Min(), lon.Max(), lat.Max()), s.FirstDetection, s.LastDetection);
    }

    public async Task<FeaturePage> ItemsAsync(FeatureQuery query, CancellationToken cancellationToken)
    {
        var alerts = new AlertQuery(query.Dates?.Start ?? DateOnly.MinValue, query.Dates?.End, query.Limit, query.Continuation, null, query.LonLatBox);
        var page = await feed.GetBreaksAsync(alerts, cancellationToken).ConfigureAwait(false);
        return new FeaturePage(page.Alerts.Select(NodeServer.AlertFeature).ToList(), page.NumberMatched, page.NextCursor);
    }

    public async Task<JsonObject?> ItemAsync(string featureId, CancellationToken cancellationToken)
    {
        // The tile id may itself hold '/' (two reports naming one tile keep their paths): row and column are the last two parts.
        var parts = featureId.Split('/');
        if (parts.Length < 3
            || !int.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out var row)
            || !int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var col))
            return null;
        var alert = await feed.GetBreakAsync(string.Join('/', parts[..^2]), row, col, cancellationToken).ConfigureAwait(false);
        return alert is null ? null : NodeServer.AlertFeature(alert);
    }
}
