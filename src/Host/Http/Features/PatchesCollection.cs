using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NrtCluster.Geo.Gdal;
using NrtCluster.Host.Http.Reports;

namespace NrtCluster.Host.Http.Features;

/// <summary>
/// The alert patches of an output folder: every <c>tiles/TILE/patches.geojson</c> the tile report writer leaves next to
/// <c>report.tif</c> (a GeoJSON FeatureCollection in lon/lat, one feature per patch with id, tile, area_ha, first_date,
/// last_date, pixels, confidence and magnitude), newest first (last date descending, then id). A file is read again when
/// its write time or size changes. Pages continue by <c>offset</c>. A file that cannot be read is left out and named in the
/// collection's description.
/// </summary>
public sealed class PatchesCollection(ReportFolder folder) : IFeatureCollection
{
    public const string FileName = "patches.geojson";

    private sealed record Patch(string Id, DateOnly First, DateOnly Last, Bounds Envelope, JsonObject Feature);

    private sealed record PatchFile(DateTime WriteUtc, long Length, Patch[] Patches, string? Problem);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, PatchFile> _files = new(StringComparer.Ordinal);
    private Patch[] _newestFirst = [];
    private string[] _problems = [];

    public string Id => "patches";

    public string Title => "Alert patches";

    public string Description
    {
        get
        {
            var problems = Current().Problems;
            return "Connected break pixels detected within a window of days, newest first (last detection date descending): area in hectares, "
                   + "first and last detection date, pixel count, highest confidence and mean magnitude."
                   + (problems.Length > 0 ? $" Left out, unreadable: {string.Join("; ", problems)}." : "");
        }
    }

    public string ContinuationParameter => "offset";

    public CollectionExtent Extent()
    {
        var patches = Current().Patches;
        if (patches.Length == 0) return new CollectionExtent(null, null, null);
        var box = patches[0].Envelope;
        foreach (var p in patches)
            box = new Bounds(Math.Min(box.MinX, p.Envelope.MinX), Math.Min(box.MinY, p.Envelope.MinY), Math.Max(box.MaxX, p.Envelope.MaxX), Math.Max(box.MaxY, p.Envelope.MaxY));
        return new CollectionExtent(box, patches.Min(p => p.First), patches.Max(p => p.Last));
    }

    public Task<FeaturePage> ItemsAsync(FeatureQuery query, CancellationToken cancellationToken)
    {
        var offset = 0;
        if (query.Continuation is { } text && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out offset)))
            throw new ArgumentException($"offset={text} is not a whole number from 0; pass the next link of a previous page unchanged, or start without offset.");
        var matched = Current().Patches.Where(p =>
            (query.LonLatBox is not { } b || (p.Envelope.MinX <= b.MaxX && p.Envelope.MaxX >= b.MinX && p.Envelope.MinY <= b.MaxY && p.Envelope.MaxY >= b.MinY))
            && (query.Dates is not { } d || d.Meets(p.First, p.Last))).ToList();
        var page = matched.Skip(offset).Take(query.Limit).Select(p => p.Feature.DeepClone().AsObject()).ToList();
        var next = (long)offset + page.Count < matched.Count ? (offset + page.Count).ToString(CultureInfo.InvariantCulture) : null;
        return Task.FromResult(new FeaturePage(page, matched.Count, next));
    }

    public Task<JsonObject?> ItemAsync(string featureId, CancellationToken cancellationToken) =>
        Task.FromResult(Current().Patches.FirstOrDefault(p => p.Id == featureId)?.Feature.DeepClone().AsObject());

    /// <summary>The patches of every file, newest first, re-reading the files that changed.</summary>
    private (Patch[] Patches, string[] Problems) Current()
    {
        var tiles = Path.Combine(folder.Folder, ReportFolder.TilesFolder);
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden, MatchCasing = MatchCasing.CaseSensitive };
        var found = Directory.Exists(tiles) ? new DirectoryInfo(tiles).EnumerateFiles(FileName, options).ToList() : [];
        lock (_gate)
        {
            var changed = _files.Count != found.Count;
            foreach (var file in found)
            {
                if (_files.TryGetValue(file.FullName, out var known) && known.WriteUtc == file.LastWriteTimeUtc && known.Length == file.Length) continue;
                _files[file.FullName] = Read(file);
                changed = true;
            }
            if (changed)
            {
                var present = found.Select(f => f.FullName).ToHashSet(StringComparer.Ordinal);
                foreach (var gone in _files.Keys.Where(k => !present.Contains(k)).ToList()) _files.Remove(gone);
                _newestFirst = _files.Values.SelectMany(f => f.Patches)
                    .OrderByDescending(p => p.Last).ThenBy(p => p.Id, StringComparer.Ordinal).ToArray();
                _problems = _files.Where(f => f.Value.Problem is not null).Select(f => $"{f.Key}: {f.Value.Problem}").Order(StringComparer.Ordinal).ToArray();
            }
            return (_newestFirst, _problems);
        }
    }

    private static PatchFile Read(FileInfo file)
    {
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(file.FullName)) as JsonObject;
            if (root?["features"] is not JsonArray features) return new PatchFile(file.LastWriteTimeUtc, file.Length, [], "not a GeoJSON FeatureCollection");
            var patches = new Patch[features.Count];
            for (var i = 0; i < features.Count; i++)
                patches[i] = ToPatch(features[i] as JsonObject ?? throw new FormatException($"feature {i} is not an object"), i);
            return new PatchFile(file.LastWriteTimeUtc, file.Length, patches, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or FormatException or InvalidOperationException)
        {
            return new PatchFile(file.LastWriteTimeUtc, file.Length, [], e.Message);
        }
    }

    private static Patch ToPatch(JsonObject feature, int index)
    {
        var properties = feature["properties"] as JsonObject ?? throw new FormatException($"feature {index} has no properties");
        var id = (feature["id"] ?? properties["id"])?.GetValue<string>() is { Length: > 0 } s ? s : throw new FormatException($"feature {index} has no id");
        var first = Day("first_date");
        var last = Day("last_date");
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        Walk(feature["geometry"]?["coordinates"] ?? throw new FormatException($"patch '{id}' has no geometry"));
        if (minX > maxX) throw new FormatException($"patch '{id}' has an empty geometry");
        var copy = new JsonObject { ["type"] = "Feature", ["id"] = id, ["geometry"] = feature["geometry"]!.DeepClone(), ["properties"] = properties.DeepClone() };
        return new Patch(id, first, last, new Bounds(minX, minY, maxX, maxY), copy);

        DateOnly Day(string name) =>
            properties[name]?.GetValue<string>() is { } text && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                ? d : throw new FormatException($"feature {index} has no {name} (yyyy-MM-dd)");

        // Positions are [lon, lat] arrays at the bottom of the nesting (rings of polygons, polygons of multipolygons).
        void Walk(JsonNode node)
        {
            var array = node.AsArray();
            if (array.Count >= 2 && array[0] is JsonValue)
            {
                var (x, y) = (array[0]!.GetValue<double>(), array[1]!.GetValue<double>());
                (minX, maxX, minY, maxY) = (Math.Min(minX, x), Math.Max(maxX, x), Math.Min(minY, y), Math.Max(maxY, y));
                return;
            }
            foreach (var child in array) Walk(child ?? throw new FormatException("a null in the coordinates"));
        }
    }
}
