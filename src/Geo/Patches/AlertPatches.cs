using System.Globalization;
using NrtCluster.Geo.Gdal;

namespace NrtCluster.Geo.Patches;

/// <summary>
/// One patch of break pixels. <see cref="Id"/> is <c>TILE-rRRRRcCCCC</c>, from the tile and the patch's seed pixel (the
/// earliest detection, then the lowest row, then the lowest column): later pixels never change the seed, so the id stays
/// while the patch grows, and a run from scratch gives the same id. When new pixels join two patches, the older seed wins.
/// </summary>
/// <param name="Confidence">"low" or "high", the highest of its pixels; null when the report has no confidence band.</param>
/// <param name="Magnitude">Mean magnitude of its pixels that carry one; null when the report has no magnitude band.</param>
public sealed record AlertPatch(string Id, string Tile, double AreaHa, DateOnly FirstDate, DateOnly LastDate, int Pixels,
    string? Confidence, double? Magnitude, int SeedRow, int SeedColumn);

/// <summary>A tile's patches and its label raster (row-major, 0 = no break, k = <c>Patches[k - 1]</c>).</summary>
public sealed record PatchLabels(int[] Labels, IReadOnlyList<AlertPatch> Patches);

/// <summary>
/// A tile report's break pixels as the patch grouping reads them: detection days (days since 1970-01-01, 0 = no break),
/// and, when the report has those bands, confidence (0 none, 1 low, 2 high) and magnitude (hundredths, 0 none).
/// </summary>
public sealed record BreakPixels(string Tile, GeoBox Box, ushort[] Dates, ushort[]? Confidence, ushort[]? Magnitude)
{
    /// <summary>Names of the report bands read (band descriptions).</summary>
    public const string DateBand = "detection_date", ConfidenceBand = "confidence", MagnitudeBand = "magnitude";

    /// <summary>The break pixels of a tile report GeoTIFF; its bands are found by description, confidence and magnitude may be missing.</summary>
    public static BreakPixels FromReport(string reportPath, string tile)
    {
        using var report = RasterDataset.Open(reportPath);
        int? Band(string name) => Enumerable.Range(1, report.BandCount).Cast<int?>().FirstOrDefault(b => report.Description(b!.Value) == name);
        ushort[]? Read(string name) => Band(name) is { } b ? report.ReadBand<ushort>(b) : null;
        var dates = Read(DateBand) ?? throw new GdalException($"The report '{reportPath}' has no {DateBand} band; add it to project.output.report-layers.", reportPath);
        return new BreakPixels(tile, report.GeoBox, dates, Read(ConfidenceBand), Read(MagnitudeBand));
    }

    /// <summary>"low", "high", or null for no alert and unknown codes: a report's confidence band (0 none, 1 low, 2 high) as the feed and exports name it.</summary>
    public static string? ConfidenceName(int code) => code switch { 1 => "low", 2 => "high", _ => null };

    /// <summary>A report's magnitude band value (hundredths of the boundary) in boundaries; null for 0 (no alert).</summary>
    public static double? MagnitudeOf(int hundredths) => hundredths > 0 ? hundredths / 100.0 : null;
}

/// <summary>
/// Groups break pixels into patches: two break pixels that touch, at an edge or a corner (8-connected), are in one patch
/// when their detection dates differ by at most the window; patches are the connected groups of such links (so a clearing
/// that widens a little every month stays one patch). This is labelling by union-find over the raster; GDAL traces the
/// outlines (<see cref="PatchFile"/>).
/// </summary>
public static class PatchGrouping
{
    public const int DefaultWindowDays = 30;

    private static readonly int Epoch = new DateOnly(1970, 1, 1).DayNumber;

    public static PatchLabels Group(BreakPixels input, int windowDays)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(windowDays);
        var (w, h) = (input.Box.Width, input.Box.Height);
        var dates = input.Dates;
        if (dates.Length != w * h) throw new ArgumentException($"Tile {input.Tile}: {dates.Length} detection dates for a {w} x {h} tile.", nameof(input));
        var parent = new int[dates.Length];
        for (var i = 0; i < parent.Length; i++) parent[i] = i;

        // The root of a group is always its seed, so find() gives the seed directly.
        bool Older(int a, int b) => dates[a] < dates[b] || (dates[a] == dates[b] && a < b);
        int Find(int i)
        {
            while (parent[i] != i) i = parent[i] = parent[parent[i]];
            return i;
        }
        void Link(int a, int b)
        {
            if (dates[b] == 0 || Math.Abs(dates[a] - dates[b]) > windowDays) return;
            int ra = Find(a), rb = Find(b);
            if (ra == rb) return;
            if (Older(ra, rb)) parent[rb] = ra;
            else parent[ra] = rb;
        }

        for (var r = 0; r < h; r++)
            for (var c = 0; c < w; c++)
            {
                var i = r * w + c;
                if (dates[i] == 0) continue;
                // The neighbours already visited: left, and the three above.
                if (c > 0) Link(i, i - 1);
                if (r > 0)
                {
                    if (c > 0) Link(i, i - w - 1);
                    Link(i, i - w);
                    if (c < w - 1) Link(i, i - w + 1);
                }
            }

        var seeds = new List<int>();
        for (var i = 0; i < dates.Length; i++)
            if (dates[i] != 0 && Find(i) == i) seeds.Add(i);
        seeds.Sort((a, b) => a == b ? 0 : Older(a, b) ? -1 : 1);
        var labelOfSeed = new Dictionary<int, int>(seeds.Count);
        for (var k = 0; k < seeds.Count; k++) labelOfSeed[seeds[k]] = k + 1;

        var labels = new int[dates.Length];
        var pixels = new int[seeds.Count];
        var last = new ushort[seeds.Count];
        var confidence = new int[seeds.Count];
        var magnitudeSum = new long[seeds.Count];
        var magnitudeCount = new int[seeds.Count];
        for (var i = 0; i < dates.Length; i++)
        {
            if (dates[i] == 0) continue;
            var k = labelOfSeed[Find(i)] - 1;
            labels[i] = k + 1;
            pixels[k]++;
            last[k] = Math.Max(last[k], dates[i]);
            if (input.Confidence is { } conf) confidence[k] = Math.Max(confidence[k], conf[i]);
            if (input.Magnitude is { } mag && mag[i] > 0)
            {
                magnitudeSum[k] += mag[i];
                magnitudeCount[k]++;
            }
        }

        var pixelHa = Math.Abs(input.Box.Transform.PixelWidth * input.Box.Transform.PixelHeight) / 10_000;
        var patches = new AlertPatch[seeds.Count];
        for (var k = 0; k < seeds.Count; k++)
        {
            int seed = seeds[k], row = seed / w, col = seed % w;
            patches[k] = new AlertPatch(
                string.Create(CultureInfo.InvariantCulture, $"{input.Tile}-r{row:D4}c{col:D4}"), input.Tile,
                Math.Round(pixels[k] * pixelHa, 4), DateOf(dates[seed]), DateOf(last[k]), pixels[k],
                BreakPixels.ConfidenceName(confidence[k]),
                input.Magnitude is null || magnitudeCount[k] == 0 ? null : Math.Round(magnitudeSum[k] / 100.0 / magnitudeCount[k], 2),
                row, col);
        }
        return new PatchLabels(labels, patches);
    }

    public static DateOnly DateOf(ushort day) => DateOnly.FromDayNumber(Epoch + day);
}
