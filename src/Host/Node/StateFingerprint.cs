using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Sources;

namespace NrtCluster.Host.Node;

/// <summary>
/// The configuration a project's stored state was made with (grid, index, screening, monitor, fit, history, forest mask),
/// kept as <c>&lt;output&gt;/state.json</c> next to the state: a tile fitted or fed under one configuration is meaningless
/// under another, so a node refuses to start on state of another configuration instead of silently mixing them.
/// Two changes are taken without starting fresh: an area of interest that keeps every tile of the recorded one (it grows:
/// new tiles are fitted, the others keep their state; recorded by the first verb that runs with it), and, for
/// <c>nrtc update-mask</c> only (<see cref="AllowingMaskChange"/>), another forest mask.
/// </summary>
public sealed class StateFingerprint
{
    public const string FileName = "state.json";

    public const string AreaKey = "project.area-of-interest";

    /// <summary>The tiles of the recorded area (tile ids, space-separated): an area that leaves one out is refused.</summary>
    public const string AreaTilesKey = "project.area-of-interest.tiles";

    private const string ForestMaskKeys = "project.forest-mask.";

    /// <summary>Every project key that shapes the stored state, by its name in the project file. Adding one is one line.</summary>
    private static readonly (string Key, Func<ProjectConfig, string> Value)[] Parts =
    [
        (AreaKey, c => c.Area.Bbox is { } b ? $"bbox [{string.Join(", ", b.Select(Number))}]" : $"geojson {c.Area.GeoJsonPath}"),
        (AreaTilesKey, c => string.Join(" ", ProjectArchive.Footprints(c).ProjectTiles)),
        ("project.grid.crs", c => c.Grid.Crs),
        ("project.grid.resolution", c => Number(c.Grid.Resolution)),
        ("project.grid.origin-x", c => Number(c.Grid.OriginX)),
        ("project.grid.origin-y", c => Number(c.Grid.OriginY)),
        ("project.grid.tile-size", c => Number(c.Grid.TileSize)),
        ("project.index", c => c.Index.ToString().ToUpperInvariant()),
        ("project.scl-keep", c => string.Join(", ", c.SclKeep)),
        ("project.buffer", c => c.ScreeningBuffer is { } b ? Number(b) : "default"),
        ("project.monitor.name", c => c.Monitor.Name),
        ("project.monitor.options", c => Options(c.Monitor.Options)),
        ("project.fit", c => Options(c.Monitor.Fit)),
        ("project.history.start", c => Day(c.HistoryStart)),
        ("project.history.end", c => Day(c.HistoryEnd)),
        ("project.forest-mask.source", c => c.ForestMask.Source.ToString().ToLowerInvariant()),
        ("project.forest-mask.raster", c => c.ForestMask.RasterPath ?? ""),
        ("project.forest-mask.threshold", c => c.ForestMask.RasterThreshold is { } t ? Number(t) : "by the raster"),
        ("project.forest-mask.ndvi-min", c => Number(c.ForestMask.NdviMin)),
        ("project.forest-mask.swir-max", c => Number(c.ForestMask.SwirMax)),
    ];

    private StateFingerprint(ImmutableSortedDictionary<string, string> values, bool maskChange = false, bool dropTiles = false)
    {
        Values = values;
        MaskChangeAllowed = maskChange;
        DroppedTilesAllowed = dropTiles;
    }

    /// <summary>Whether <see cref="Claim"/> takes another forest mask (and records it): <c>nrtc update-mask</c>.</summary>
    public bool MaskChangeAllowed { get; }

    /// <summary>Whether <see cref="Claim"/> takes an area that leaves out tiles of the recorded one (<c>--drop-tiles</c>).</summary>
    public bool DroppedTilesAllowed { get; }

    /// <summary>This fingerprint, taking another forest mask than the recorded one (and recording it).</summary>
    public StateFingerprint AllowingMaskChange() => new(Values, maskChange: true, DroppedTilesAllowed);

    /// <summary>This fingerprint, taking an area that leaves out tiles of the recorded one: those tiles are no longer fitted, fed or reported.</summary>
    public StateFingerprint AllowingDroppedTiles() => new(Values, MaskChangeAllowed, dropTiles: true);

    /// <summary>The readable values by key.</summary>
    public ImmutableSortedDictionary<string, string> Values { get; }

    /// <summary>SHA-256 over every key and value, in key order.</summary>
    public string Hash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        string.Concat(Values.Select(kv => $"{kv.Key}={kv.Value}\n")))));

    public static StateFingerprint Of(ProjectConfig config) =>
        new(Parts.ToImmutableSortedDictionary(p => p.Key, p => p.Value(config), StringComparer.Ordinal));

    /// <summary>This fingerprint with one more value, e.g. what the demo's synthetic archive was generated with.</summary>
    public StateFingerprint With(string key, string value) => new(Values.SetItem(key, value), MaskChangeAllowed, DroppedTilesAllowed);

    /// <summary>
    /// What changed from <paramref name="stored"/> to this one that the state cannot follow, one "key: stored -> now" each.
    /// Only keys both know are compared: a key added by a later version is absent from older state, and the demo stores its
    /// archive's too. The area may change while it keeps every recorded tile (<see cref="DroppedTiles"/>), the forest mask
    /// when <see cref="MaskChangeAllowed"/>.
    /// </summary>
    public IReadOnlyList<string> ChangesFrom(StateFingerprint stored) =>
        [.. Values.Where(kv => stored.Values.TryGetValue(kv.Key, out var before) && before != kv.Value)
            .Where(kv => kv.Key is not (AreaKey or AreaTilesKey) && !(MaskChangeAllowed && kv.Key.StartsWith(ForestMaskKeys, StringComparison.Ordinal)))
            .Select(kv => $"{kv.Key}: {Shown(stored.Values[kv.Key])} -> {Shown(kv.Value)}")];

    /// <summary>The tiles of <paramref name="stored"/>'s area that this one's leaves out (none when either did not record its tiles).</summary>
    public IReadOnlyList<string> DroppedTiles(StateFingerprint stored) =>
        stored.Values.TryGetValue(AreaTilesKey, out var before) && Values.TryGetValue(AreaTilesKey, out var now)
            ? [.. Tiles(before).Except(Tiles(now))]
            : [];

    /// <summary>The tiles this one's area adds to <paramref name="stored"/>'s (none when either did not record its tiles).</summary>
    public IReadOnlyList<string> AddedTiles(StateFingerprint stored) =>
        stored.Values.TryGetValue(AreaTilesKey, out var before) && Values.TryGetValue(AreaTilesKey, out var now)
            ? [.. Tiles(now).Except(Tiles(before))]
            : [];

    private static string[] Tiles(string value) => value.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The fingerprint stored in <paramref name="outputFolder"/>, null if there is none.</summary>
    public static StateFingerprint? Read(string outputFolder)
    {
        var path = Path.Combine(outputFolder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var values = JsonNode.Parse(File.ReadAllText(path))?["config"] as JsonObject
                         ?? throw new InvalidDataException("it has no 'config' object");
            return new(values.ToImmutableSortedDictionary(kv => kv.Key, kv => kv.Value?.GetValue<string>() ?? "", StringComparer.Ordinal));
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or InvalidOperationException or FormatException)
        {
            throw new InvalidOperationException($"{path} is not readable ({e.Message}); restore it, or delete it if the state there was made with the current project file.");
        }
    }

    /// <summary>Writes <c>state.json</c> atomically (a temporary file renamed over it): nodes sharing the folder never read half of it.</summary>
    public void Write(string outputFolder)
    {
        var path = Path.Combine(outputFolder, FileName);
        var json = new JsonObject
        {
            ["about"] = "The project configuration the state in this folder was made with; nrtc refuses to run on it with another.",
            ["fingerprint"] = Hash,
            ["config"] = new JsonObject(Values.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
        };
        var temp = string.Create(CultureInfo.InvariantCulture, $"{path}.{Environment.ProcessId}.tmp");
        // Relaxed escaping: the file is for reading too (quotes, paths and WKT as they are).
        File.WriteAllText(temp, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// Before a node opens the state of <paramref name="outputFolder"/>: refuses (writing nothing) when it was made with
    /// another configuration, naming each changed key and how to start fresh, or with an area holding tiles this one leaves
    /// out, naming them; records this fingerprint when none is stored (new state, or state made before fingerprints were
    /// kept), and the values that changed as allowed (a grown area, an updated forest mask) or that were not recorded yet.
    /// </summary>
    public void Claim(string outputFolder, NodeProfile profile)
    {
        if (Read(outputFolder) is not { } stored)
        {
            Directory.CreateDirectory(outputFolder);
            Write(outputFolder);
            return;
        }
        var changes = ChangesFrom(stored);
        if (changes.Count == 0)
        {
            var dropped = DroppedTiles(stored);
            if (dropped.Count > 0 && !DroppedTilesAllowed)
                throw new StateMismatchException(
                    $"{AreaKey}: the area leaves out {dropped.Count} tile(s) of the area the state in {outputFolder} was made with: " +
                    $"{string.Join(", ", dropped.Take(20))}{(dropped.Count > 20 ? ", ..." : "")}; nothing was changed. Grow the area so that it " +
                    "keeps them, or run 'nrtc area --drop-tiles' with this project file to stop fitting, feeding and reporting them (their stored state is kept).");
            // Kept: the values of keys this build does not know (the demo's archive), written by whoever made the state.
            var merged = new StateFingerprint(stored.Values.SetItems(Values));
            if (!merged.Values.SequenceEqual(stored.Values)) merged.Write(outputFolder);
            return;
        }
        string fresh = profile == NodeProfile.Cluster
            ? $"use a new database and set project.output.folder to a new folder"
            : $"move or delete {Path.Combine(outputFolder, "nrtcluster.db")}* and {Path.Combine(outputFolder, "tiles")}{Path.DirectorySeparatorChar}, " +
              "or set project.output.folder to a new folder";
        throw new StateMismatchException(
            $"the state in {outputFolder} was made with another configuration; nothing was changed. Changed:\n" +
            string.Concat(changes.Select(c => $"  {c}\n")) +
            $"Put the earlier values back to go on with that state, or start fresh: {fresh}.");
    }

    /// <summary>
    /// Removes the state of an embedded node from <paramref name="outputFolder"/> (SQLite files, tile reports, mosaic and
    /// fingerprint), for the demo, which owns its folder.
    /// </summary>
    public static void DeleteEmbeddedState(string outputFolder)
    {
        foreach (var file in Directory.EnumerateFiles(outputFolder, "nrtcluster.db*"))
            File.Delete(file);
        foreach (var file in new[] { FileName, "mosaic.vrt" })
            File.Delete(Path.Combine(outputFolder, file));
        if (Directory.Exists(Path.Combine(outputFolder, "tiles"))) Directory.Delete(Path.Combine(outputFolder, "tiles"), recursive: true);
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Options(IReadOnlyDictionary<string, JsonElement> options) =>
        string.Join(", ", options.OrderBy(o => o.Key, StringComparer.Ordinal)
            .Select(o => $"{o.Key}={(o.Value.ValueKind == JsonValueKind.String ? o.Value.GetString() : o.Value.GetRawText())}"));

    private static string Shown(string value) => value.Length == 0 ? "(none)" : value;
}

/// <summary>A node was asked to open state made with another configuration; the message names what changed.</summary>
public sealed class StateMismatchException(string message) : InvalidOperationException(message);
