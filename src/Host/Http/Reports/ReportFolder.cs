using System.Security.Cryptography;
using System.Text;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Kernels;

namespace NrtCluster.Host.Http.Reports;

/// <summary>
/// One per-tile report GeoTIFF: where it lies and which bands hold the mask, the detection date and, when it has them
/// (0 when not: older reports), the alert confidence and magnitude.
/// </summary>
public sealed record TileReportInfo(string Tile, string Path, GeoBox Box, int MaskBand, int DateBand, DateTime LastWriteUtc,
    int ConfidenceBand = 0, int MagnitudeBand = 0);

/// <summary>
/// A break pixel in the sorted index: detection day (days since 1970-01-01), tile ordinal, pixel offset in the tile, and
/// its report's confidence code and magnitude in hundredths (0 when its report has no such band).
/// </summary>
public readonly record struct BreakRecord(ushort Day, int Tile, int Pixel, byte Confidence = 0, ushort Magnitude = 0);

/// <summary>
/// What an output folder held when it was last scanned: the tile reports (sorted by tile id), the mosaic, the
/// data's extent and date range, per-class pixel counts and every break pixel sorted by (day, tile, pixel).
/// Immutable; a rescan makes a new one.
/// </summary>
public sealed class ReportSnapshot
{
    internal ReportSnapshot(string folder, string? mosaic, IReadOnlyList<TileReportInfo> tiles, IReadOnlyList<string> skipped,
        long[] classCounts, BreakRecord[] breaks, DateTime scannedUtc, string identity)
    {
        Folder = folder;
        Identity = identity;
        MosaicPath = mosaic;
        Tiles = tiles;
        Skipped = skipped;
        ClassCounts = classCounts;
        Breaks = breaks;
        ScannedUtc = scannedUtc;
        if (tiles.Count > 0)
        {
            GridCrs = tiles[0].Box.Crs;
            var b = tiles.Select(t => t.Box.Bounds).ToArray();
            var bounds = new Bounds(b.Min(x => x.MinX), b.Min(x => x.MinY), b.Max(x => x.MaxX), b.Max(x => x.MaxY));
            var res = tiles[0].Box.ResolutionX;
            DataBox = new GeoBox((int)Math.Ceiling(bounds.Width / res), (int)Math.Ceiling(bounds.Height / res),
                new GeoTransform(bounds.MinX, res, 0, bounds.MaxY, 0, -tiles[0].Box.ResolutionY), GridCrs);
            LastWriteUtc = tiles.Max(t => t.LastWriteUtc);
        }
        if (breaks.Length > 0)
        {
            FirstDetection = DateOnly.FromDayNumber(Epoch + breaks[0].Day);
            LastDetection = DateOnly.FromDayNumber(Epoch + breaks[^1].Day);
        }
    }

    /// <summary>Day number of 1970-01-01, the origin of the detection_date band.</summary>
    public static readonly int Epoch = new DateOnly(1970, 1, 1).DayNumber;

    public string Folder { get; }

    /// <summary>The VRT mosaic when the folder has one; else the map is drawn from the tile reports directly.</summary>
    public string? MosaicPath { get; }

    public IReadOnlyList<TileReportInfo> Tiles { get; }

    /// <summary>GeoTIFFs in the folder that are not tile reports, with the reason.</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <summary>Pixel counts per mask class (index = class code, see MaskCodes; larger codes are counted in the last slot).</summary>
    public long[] ClassCounts { get; }

    public BreakRecord[] Breaks { get; }

    public DateTime ScannedUtc { get; }

    /// <summary>
    /// Names the files the snapshot was read from (a hash of their paths, sizes and modification times): equal in every
    /// process that reads the same folder state, different once a file changes. Cache validators (tile ETags) derive from it.
    /// </summary>
    public string Identity { get; }

    public DateTime? LastWriteUtc { get; }

    /// <summary>The grid CRS of the reports (that of the first; the node writes all tiles in one grid).</summary>
    public string? GridCrs { get; }

    /// <summary>A box at the grid resolution spanning every tile; null without tiles.</summary>
    public GeoBox? DataBox { get; }

    public DateOnly? FirstDetection { get; }

    public DateOnly? LastDetection { get; }

    /// <summary>The rasters GetMap warps: the mosaic, or every tile report when there is none.</summary>
    public IReadOnlyList<string> MapSources => MosaicPath is { } m ? [m] : Tiles.Select(t => t.Path).ToArray();

    public static DateOnly DateOf(ushort day) => DateOnly.FromDayNumber(Epoch + day);

    public static ushort DayOf(DateOnly date)
    {
        var d = date.DayNumber - Epoch;
        return (ushort)Math.Clamp(d, 0, ushort.MaxValue);
    }
}

/// <summary>
/// The output folder a node publishes: per-tile report GeoTIFFs (uint16 bands described "mask" and
/// "detection_date") under its <c>tiles</c> folder, at any depth (the node writes <c>tiles/TILE/report.tif</c>), and the
/// VRT mosaic over them. Nothing else below the folder is looked at: it may hold the archive (the demo's has thousands
/// of rasters), logs and the database. Rescans when files change (names, sizes, modification times; checked at most once
/// a second), so a running server follows the reports the pipeline renames into place.
/// </summary>
public sealed class ReportFolder
{
    public const string MaskBandName = "mask";
    public const string DateBandName = "detection_date";
    public const string ConfidenceBandName = "confidence";
    public const string MagnitudeBandName = "magnitude";
    public const string TilesFolder = "tiles";

    private readonly Lock _gate = new();
    private ReportSnapshot? _snapshot;
    private string _fingerprint = "";
    private DateTime _checkedUtc = DateTime.MinValue;

    public ReportFolder(string folder, string mosaicName = "mosaic.vrt")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Folder = Path.GetFullPath(folder);
        if (!Directory.Exists(Folder))
            throw new DirectoryNotFoundException($"The output folder '{Folder}' does not exist; give the folder the node writes its tile reports and mosaic to.");
        MosaicName = mosaicName;
    }

    public string Folder { get; }

    public string MosaicName { get; }

    /// <summary>The current snapshot, rescanning first if any file changed.</summary>
    public ReportSnapshot Current()
    {
        lock (_gate)
        {
            var now = DateTime.UtcNow;
            if (_snapshot is not null && now - _checkedUtc < TimeSpan.FromSeconds(1)) return _snapshot;
            _checkedUtc = now;
            var files = ListFiles();
            var fingerprint = string.Join('\n', files.Select(f => $"{f.FullName}|{f.Length}|{f.LastWriteTimeUtc.Ticks}"));
            if (_snapshot is null || fingerprint != _fingerprint)
            {
                _snapshot = Scan(files, now, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(fingerprint)))[..32]);
                _fingerprint = fingerprint;
            }
            return _snapshot;
        }
    }

    /// <summary>The mosaic at the top of the folder and the GeoTIFFs under its tiles folder (temporary and hidden names left out).</summary>
    private List<FileInfo> ListFiles()
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden };
        var mosaic = new FileInfo(Path.Combine(Folder, MosaicName));
        var tiles = new DirectoryInfo(Path.Combine(Folder, TilesFolder));
        var reports = tiles.Exists ? tiles.EnumerateFiles("*", options).Where(f => !f.Name.StartsWith('.') && IsTiff(f.Name)) : [];
        return (mosaic.Exists ? reports.Append(mosaic) : reports).OrderBy(f => f.FullName, StringComparer.Ordinal).ToList();
    }

    private static bool IsTiff(string name) =>
        name.EndsWith(".tif", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".tiff", StringComparison.OrdinalIgnoreCase);

    private ReportSnapshot Scan(List<FileInfo> files, DateTime now, string identity)
    {
        var tiles = new List<(TileReportInfo Info, ushort[] Mask, ushort[] Date, ushort[]? Confidence, ushort[]? Magnitude)>();
        var skipped = new List<string>();
        foreach (var file in files.Where(f => IsTiff(f.Name)))
        {
            try
            {
                using var ds = RasterDataset.Open(file.FullName);
                int mask = 0, date = 0, confidence = 0, magnitude = 0;
                for (var b = 1; b <= ds.BandCount; b++)
                {
                    var d = ds.Description(b);
                    if (d.Equals(MaskBandName, StringComparison.OrdinalIgnoreCase)) mask = b;
                    else if (d.Equals(DateBandName, StringComparison.OrdinalIgnoreCase)) date = b;
                    else if (d.Equals(ConfidenceBandName, StringComparison.OrdinalIgnoreCase)) confidence = b;
                    else if (d.Equals(MagnitudeBandName, StringComparison.OrdinalIgnoreCase)) magnitude = b;
                }
                if (mask == 0 || date == 0)
                {
                    skipped.Add($"{file.FullName}: no bands described '{MaskBandName}' and '{DateBandName}'");
                    continue;
                }
                var info = new TileReportInfo(TileName(file.FullName), file.FullName, ds.GeoBox, mask, date, file.LastWriteTimeUtc, confidence, magnitude);
                tiles.Add((info, ds.ReadBand<ushort>(mask), ds.ReadBand<ushort>(date),
                    confidence == 0 ? null : ds.ReadBand<ushort>(confidence), magnitude == 0 ? null : ds.ReadBand<ushort>(magnitude)));
            }
            catch (GdalException e)
            {
                // A report being replaced or a foreign file: report it in the status rather than fail the whole folder.
                skipped.Add($"{file.FullName}: {e.Message}");
            }
        }
        // Ids are keys of the alert feed (feature ids, cursors): two reports that name the same tile keep their paths instead.
        var tilesFolder = Path.Combine(Folder, TilesFolder);
        var shared = tiles.GroupBy(t => t.Info.Tile).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        for (var i = 0; i < tiles.Count; i++)
            if (shared.Contains(tiles[i].Info.Tile))
                tiles[i] = tiles[i] with { Info = tiles[i].Info with { Tile = Path.GetRelativePath(tilesFolder, tiles[i].Info.Path).Replace(Path.DirectorySeparatorChar, '/') } };
        tiles.Sort((a, b) => string.CompareOrdinal(a.Info.Tile, b.Info.Tile));

        var counts = new long[MaskCodes.TooFewObservations + 1];
        var breaks = new List<BreakRecord>();
        for (var t = 0; t < tiles.Count; t++)
        {
            var (_, mask, date, confidence, magnitude) = tiles[t];
            for (var i = 0; i < mask.Length; i++)
            {
                var m = mask[i];
                counts[Math.Min((int)m, counts.Length - 1)]++;
                if (m == MaskCodes.Break && date[i] != 0)
                    breaks.Add(new BreakRecord(date[i], t, i, (byte)Math.Min(confidence?[i] ?? 0, byte.MaxValue), magnitude?[i] ?? 0));
            }
        }
        var sorted = breaks.ToArray();
        // Tiles are in ordinal id order, so the tile ordinal orders like the id.
        Array.Sort(sorted, (a, b) => a.Day != b.Day ? a.Day.CompareTo(b.Day) : a.Tile != b.Tile ? a.Tile.CompareTo(b.Tile) : a.Pixel.CompareTo(b.Pixel));
        var mosaic = files.FirstOrDefault(f => f.Name == MosaicName && Path.GetDirectoryName(f.FullName) == Folder)?.FullName;
        return new ReportSnapshot(Folder, mosaic, tiles.Select(t => t.Info).ToArray(), skipped, counts, sorted, now, identity);
    }

    /// <summary>
    /// The tile id of a report: the name of its folder for the node's <c>TILE/report.tif</c>, else its file name without
    /// extension and without a "report" prefix or suffix.
    /// </summary>
    internal static string TileName(string path)
    {
        var stem = Path.GetFileNameWithoutExtension(path);
        if (stem.Equals("report", StringComparison.OrdinalIgnoreCase) && Path.GetFileName(Path.GetDirectoryName(path)) is { Length: > 0 } folder) return folder;
        foreach (var affix in new[] { "report_", "report-", "_report", "-report" })
        {
            if (stem.StartsWith(affix, StringComparison.OrdinalIgnoreCase) && stem.Length > affix.Length && affix[^1] is '_' or '-') return stem[affix.Length..];
            if (stem.EndsWith(affix, StringComparison.OrdinalIgnoreCase) && stem.Length > affix.Length && affix[0] is '_' or '-') return stem[..^affix.Length];
        }
        return stem;
    }
}
