using System.Buffers.Text;
using System.Text;
using NrtCluster.Geo.Gdal;

namespace NrtCluster.Host.Http;

/// <summary>
/// The alert feed read from the published reports: every pixel whose mask is 3 (break) with its detection date.
/// Pages follow the (date, tile, pixel) order of the folder's break index; a cursor names the last alert returned,
/// so paging stays consistent while earlier pages do not change.
/// </summary>
public sealed class FileAlertFeed(ReportFolder folder) : IAlertFeed
{
    public Task<AlertPage> GetBreaksAsync(AlertQuery query, CancellationToken cancellationToken)
    {
        if (query.Limit is < 1 or > AlertQuery.MaxLimit)
            throw new ArgumentException($"limit must be between 1 and {AlertQuery.MaxLimit}, got {query.Limit}.");
        if (query.Cursor is not null && query.Page is not null)
            throw new ArgumentException("Give either cursor or page, not both.");
        if (query.Page is < 1) throw new ArgumentException($"page counts from 1, got {query.Page}.");
        if (query.Until is { } u && u < query.Since) throw new ArgumentException($"until ({u:yyyy-MM-dd}) is before since ({query.Since:yyyy-MM-dd}).");

        var s = folder.Current();
        var breaks = s.Breaks;
        var sinceDay = ReportSnapshot.DayOf(query.Since);
        var first = LowerBound(breaks, b => b.Day >= sinceDay);
        var end = query.Until is { } until ? LowerBound(breaks, b => b.Day > ReportSnapshot.DayOf(until)) : breaks.Length;
        end = Math.Max(first, end);
        var matched = end - first;

        var start = first;
        if (query.Page is { } page) start = (int)Math.Min(end, first + (long)(page - 1) * query.Limit);
        else if (query.Cursor is { } cursor)
        {
            var (day, tile, pixel) = DecodeCursor(cursor);
            var tileIndex = -1;
            for (var t = 0; t < s.Tiles.Count && tileIndex < 0; t++)
                if (s.Tiles[t].Tile == tile) tileIndex = t;
            // The first alert after the cursor's (day, tile, pixel) key, comparing tiles by id so that a tile added since still sorts right.
            start = Math.Max(first, LowerBound(breaks, b =>
                b.Day != day ? b.Day > day
                : b.Tile != tileIndex ? string.CompareOrdinal(s.Tiles[b.Tile].Tile, tile) > 0
                : b.Pixel > pixel));
        }
        var stop = Math.Min(end, start + query.Limit);
        var alerts = ToAlerts(s, new ArraySegment<BreakRecord>(breaks, start, Math.Max(0, stop - start)));
        string? next = null;
        if (stop < end)
        {
            var last = breaks[stop - 1];
            next = EncodeCursor(last.Day, s.Tiles[last.Tile].Tile, last.Pixel);
        }
        return Task.FromResult(new AlertPage(alerts, matched, next));
    }

    private static BreakAlert[] ToAlerts(ReportSnapshot s, ArraySegment<BreakRecord> records)
    {
        if (records.Count == 0) return [];
        // Corners of each pixel, transformed to lon/lat in one call per CRS.
        var xs = new double[records.Count * 5];
        var ys = new double[records.Count * 5];
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var box = s.Tiles[r.Tile].Box;
            int col = r.Pixel % box.Width, row = r.Pixel / box.Width;
            (xs[i * 5], ys[i * 5]) = box.Transform.Apply(col, row);
            (xs[i * 5 + 1], ys[i * 5 + 1]) = box.Transform.Apply(col + 1, row);
            (xs[i * 5 + 2], ys[i * 5 + 2]) = box.Transform.Apply(col + 1, row + 1);
            (xs[i * 5 + 3], ys[i * 5 + 3]) = box.Transform.Apply(col, row + 1);
            (xs[i * 5 + 4], ys[i * 5 + 4]) = box.Transform.Apply(col, row);
        }
        var lon = (double[])xs.Clone();
        var lat = (double[])ys.Clone();
        foreach (var group in Enumerable.Range(0, records.Count).GroupBy(i => s.Tiles[records[i].Tile].Box.Crs))
        {
            using var from = SpatialReference.FromUserInput(group.Key);
            using var wgs84 = SpatialReference.Wgs84();
            using var ct = new CoordinateTransformation(from, wgs84);
            var idx = group.ToArray();
            var gx = new double[idx.Length * 5];
            var gy = new double[idx.Length * 5];
            for (var k = 0; k < idx.Length; k++)
            {
                Array.Copy(xs, idx[k] * 5, gx, k * 5, 5);
                Array.Copy(ys, idx[k] * 5, gy, k * 5, 5);
            }
            ct.Transform(gx, gy);
            for (var k = 0; k < idx.Length; k++)
            {
                Array.Copy(gx, k * 5, lon, idx[k] * 5, 5);
                Array.Copy(gy, k * 5, lat, idx[k] * 5, 5);
            }
        }
        var alerts = new BreakAlert[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var tile = s.Tiles[r.Tile];
            int col = r.Pixel % tile.Box.Width, row = r.Pixel / tile.Box.Width;
            var (cx, cy) = tile.Box.PixelCentre(col, row);
            var ring = new double[10];
            for (var k = 0; k < 5; k++) { ring[2 * k] = lon[i * 5 + k]; ring[2 * k + 1] = lat[i * 5 + k]; }
            alerts[i] = new BreakAlert(tile.Tile, ReportSnapshot.DateOf(r.Day), row, col, cx, cy, ring);
        }
        return alerts;
    }

    private static int LowerBound(BreakRecord[] a, Func<BreakRecord, bool> isAfter)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (isAfter(a[mid])) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    private static string EncodeCursor(ushort day, string tile, int pixel) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{day}|{pixel}|{tile}"));

    private static (ushort Day, string Tile, int Pixel) DecodeCursor(string cursor)
    {
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor)).Split('|', 3);
            if (parts.Length == 3 && ushort.TryParse(parts[0], out var day) && int.TryParse(parts[1], out var pixel))
                return (day, parts[2], pixel);
        }
        catch (FormatException)
        {
            // Reported below with the same message as a well-formed but meaningless cursor.
        }
        throw new ArgumentException($"'{cursor}' is not a cursor of this feed; pass the 'next' cursor of a previous page unchanged, or start without one.");
    }
}
