using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Patches;
using NrtCluster.Host.Http.Rendering;
using NrtCluster.Host.Http.Reports;

namespace NrtCluster.Host.Http;

/// <summary>
/// The alert feed read from the published reports: every pixel whose mask is 3 (break) with its detection date.
/// Pages follow the (date, tile, pixel) order of the folder's break index; a cursor names the last alert returned,
/// so paging stays consistent while earlier pages do not change. A lon/lat box keeps the breaks whose pixel
/// footprint meets it; the footprints' envelopes are computed once per folder snapshot, on the first such query.
/// </summary>
public sealed class FileAlertFeed(ReportFolder folder) : IAlertFeed
{
    private readonly ConditionalWeakTable<ReportSnapshot, double[]> _envelopes = new();

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
        var first = LowerBound(breaks.Length, i => breaks[i].Day >= sinceDay);
        var end = query.Until is { } until ? LowerBound(breaks.Length, i => breaks[i].Day > ReportSnapshot.DayOf(until)) : breaks.Length;
        end = Math.Max(first, end);
        // Indexes into the break index of every alert the query matches, in its order.
        IReadOnlyList<int> matched = query.LonLatBox is { } box ? Within(s, first, end, box) : new IndexRange(first, end - first);

        var start = 0;
        if (query.Page is { } page) start = (int)Math.Min(matched.Count, (long)(page - 1) * query.Limit);
        else if (query.Cursor is { } cursor)
        {
            var (day, tile, pixel) = DecodeCursor(cursor);
            var tileIndex = -1;
            for (var t = 0; t < s.Tiles.Count && tileIndex < 0; t++)
                if (s.Tiles[t].Tile == tile) tileIndex = t;
            // The first alert after the cursor's (day, tile, pixel) key, comparing tiles by id so that a tile added since still sorts right.
            start = LowerBound(matched.Count, m =>
            {
                var b = breaks[matched[m]];
                return b.Day != day ? b.Day > day
                    : b.Tile != tileIndex ? string.CompareOrdinal(s.Tiles[b.Tile].Tile, tile) > 0
                    : b.Pixel > pixel;
            });
        }
        var stop = Math.Min(matched.Count, start + query.Limit);
        var records = new BreakRecord[Math.Max(0, stop - start)];
        for (var k = 0; k < records.Length; k++) records[k] = breaks[matched[start + k]];
        string? next = null;
        if (stop < matched.Count)
        {
            var last = records[^1];
            next = EncodeCursor(last.Day, s.Tiles[last.Tile].Tile, last.Pixel);
        }
        return Task.FromResult(new AlertPage(ToAlerts(s, records), matched.Count, next));
    }

    public Task<BreakAlert?> GetBreakAsync(string tile, int row, int col, CancellationToken cancellationToken)
    {
        var s = folder.Current();
        for (var t = 0; t < s.Tiles.Count; t++)
        {
            var box = s.Tiles[t].Box;
            if (s.Tiles[t].Tile != tile || row < 0 || row >= box.Height || col < 0 || col >= box.Width) continue;
            var pixel = row * box.Width + col;
            // The index is in date order, so one pixel's break is found by a scan; a single feature is a rare request.
            foreach (var b in s.Breaks)
                if (b.Tile == t && b.Pixel == pixel) return Task.FromResult<BreakAlert?>(ToAlerts(s, [b])[0]);
        }
        return Task.FromResult<BreakAlert?>(null);
    }

    /// <summary>Indexes in [first, end) of the breaks whose footprint envelope meets <paramref name="box"/>.</summary>
    private List<int> Within(ReportSnapshot s, int first, int end, Bounds box)
    {
        var e = _envelopes.GetValue(s, Envelopes);
        var kept = new List<int>();
        for (var i = first; i < end; i++)
            if (e[i * 4] <= box.MaxX && e[i * 4 + 2] >= box.MinX && e[i * 4 + 1] <= box.MaxY && e[i * 4 + 3] >= box.MinY) kept.Add(i);
        return kept;
    }

    /// <summary>Per break: min lon, min lat, max lon, max lat of its pixel's corners.</summary>
    private static double[] Envelopes(ReportSnapshot s)
    {
        // In chunks, so that the corner arrays stay small however many breaks the folder holds.
        const int chunk = 1 << 16;
        var e = new double[s.Breaks.Length * 4];
        for (var from = 0; from < s.Breaks.Length; from += chunk)
        {
            var (lon, lat) = Footprints(s, s.Breaks.AsSpan(from, Math.Min(chunk, s.Breaks.Length - from)).ToArray());
            for (var i = 0; i < lon.Length / 5; i++)
            {
                double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
                for (var k = i * 5; k < i * 5 + 4; k++)
                {
                    minX = Math.Min(minX, lon[k]); maxX = Math.Max(maxX, lon[k]);
                    minY = Math.Min(minY, lat[k]); maxY = Math.Max(maxY, lat[k]);
                }
                var o = (from + i) * 4;
                (e[o], e[o + 1], e[o + 2], e[o + 3]) = (minX, minY, maxX, maxY);
            }
        }
        return e;
    }

    private static BreakAlert[] ToAlerts(ReportSnapshot s, BreakRecord[] records)
    {
        var (lon, lat) = Footprints(s, records);
        var alerts = new BreakAlert[records.Length];
        for (var i = 0; i < records.Length; i++)
        {
            var r = records[i];
            var tile = s.Tiles[r.Tile];
            int col = r.Pixel % tile.Box.Width, row = r.Pixel / tile.Box.Width;
            var (cx, cy) = tile.Box.PixelCentre(col, row);
            var ring = new double[10];
            for (var k = 0; k < 5; k++) { ring[2 * k] = lon[i * 5 + k]; ring[2 * k + 1] = lat[i * 5 + k]; }
            alerts[i] = new BreakAlert(tile.Tile, ReportSnapshot.DateOf(r.Day), row, col, cx, cy, ring,
                tile.ConfidenceBand == 0 ? null : BreakPixels.ConfidenceName(r.Confidence), tile.MagnitudeBand == 0 ? null : r.Magnitude / 100.0);
        }
        return alerts;
    }

    /// <summary>The corners of each break's pixel in lon/lat, a closed ring of 5 points per break, transformed in one call per CRS.</summary>
    private static (double[] Lon, double[] Lat) Footprints(ReportSnapshot s, BreakRecord[] records)
    {
        var xs = new double[records.Length * 5];
        var ys = new double[records.Length * 5];
        for (var i = 0; i < records.Length; i++)
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
        foreach (var group in Enumerable.Range(0, records.Length).GroupBy(i => s.Tiles[records[i].Tile].Box.Crs))
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
                Array.Copy(gx, k * 5, xs, idx[k] * 5, 5);
                Array.Copy(gy, k * 5, ys, idx[k] * 5, 5);
            }
        }
        return (xs, ys);
    }

    /// <summary>The first of 0..count-1 for which <paramref name="isAfter"/> holds (it holds for all after it); count when none.</summary>
    private static int LowerBound(int count, Func<int, bool> isAfter)
    {
        int lo = 0, hi = count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (isAfter(mid)) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    /// <summary>start, start + 1, ..., start + count - 1 without an array: the matches of a query without a box.</summary>
    private sealed class IndexRange(int start, int count) : IReadOnlyList<int>
    {
        public int Count => count;

        public int this[int index] => start + index;

        public IEnumerator<int> GetEnumerator() => Enumerable.Range(start, count).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
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
