using System.Collections.Immutable;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Stac;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Node;

/// <summary>One tile as <c>status</c> shows it: its stored status and the archive's newest solar day touching it (null: unknown).</summary>
public sealed record TileOverviewRow(TileStatus Status, DateOnly? NewestInArchive)
{
    /// <summary>Days between the last applied day and the archive's newest; null when either is unknown.</summary>
    public int? LagDays => Status.LastDay is { } last && NewestInArchive is { } newest ? newest.DayNumber - last.DayNumber : null;
}

/// <summary>
/// What <c>status</c> (embedded and <c>GET /api/tiles/status</c>) shows: every tile of the area that an archive item touches;
/// when the archive cannot be searched, every tile the node has stored state for, with <see cref="ArchiveError"/> saying why
/// the archive's newest days (and so the lag) are unknown.
/// </summary>
/// <param name="Rejected">The archive items left out of the search (malformed, or a repeated id with other content), with why.</param>
public sealed record TileOverview(ImmutableArray<TileOverviewRow> Tiles, string? ArchiveError, ImmutableArray<RejectedItem> Rejected)
{
    public static async Task<TileOverview> ReadAsync(ProjectNode node, CancellationToken ct)
    {
        Dictionary<TileId, DateOnly>? newestByTile = null;
        string? archiveError = null;
        ImmutableArray<RejectedItem> rejected = [];
        try
        {
            newestByTile = new Dictionary<TileId, DateOnly>();
            var found = await node.SearchArchiveAsync(ct).ConfigureAwait(false);
            rejected = found.Rejected;
            foreach (var item in found.Items)
                foreach (var t in item.Tiles)
                    if (!newestByTile.TryGetValue(t, out var n) || n < item.SolarDay) newestByTile[t] = item.SolarDay;
        }
        catch (Exception e) when (e is StacException or HttpRequestException or IOException)
        {
            (newestByTile, archiveError) = (null, e.Message);
        }
        // Tiles without data are never fitted: with the archive, asking them would only start empty tile entities; without
        // it, every tile of the area is asked and those with stored state are shown.
        var asked = node.Footprints.ProjectTiles.Where(t => newestByTile?.ContainsKey(t) ?? true).ToArray();
        var statuses = await Task.WhenAll(asked.Select(t => node.StatusAsync(t, ct))).ConfigureAwait(false);
        var rows = statuses
            .Where(s => newestByTile is not null || s.Fit is not null || !s.Days.IsEmpty || !s.Quarantined.IsEmpty)
            .Select(s => new TileOverviewRow(s, newestByTile?.TryGetValue(s.Tile, out var n) == true ? n : null));
        return new TileOverview([.. rows], archiveError, rejected);
    }

    /// <summary>Every applied day's left-out items, tile by tile, oldest day first.</summary>
    public IEnumerable<(TileId Tile, AppliedDay Day, LeftOutItem Item)> LeftOut =>
        Tiles.SelectMany(r => r.Status.Days.SelectMany(d => d.LeftOut.Select(i => (r.Status.Tile, d, i))));

    /// <summary>Every applied day the haze gate set aside for some pixels, tile by tile, oldest day first.</summary>
    public IEnumerable<(TileId Tile, AppliedDay Day)> HazeGated =>
        Tiles.SelectMany(r => r.Status.Days.Where(d => d.HazeGateSummary is not null).Select(d => (r.Status.Tile, d)));
}
