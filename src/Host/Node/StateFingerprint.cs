using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using NrtCluster.Actors.Config;

namespace NrtCluster.Host.Node;

/// <summary>
/// The configuration a project's stored state was made with (grid, index, screening, monitor, fit, history, forest mask),
/// kept as <c>&lt;output&gt;/state.json</c> next to the state: a tile fitted or fed under one configuration is meaningless
/// under another, so a node refuses to start on state of another configuration instead of silently mixing them.
/// </summary>
public sealed class StateFingerprint
{
    public const string FileName = "state.json";

    /// <summary>Every project key that shapes the stored state, by its name in the project file. Adding one is one line.</summary>
    private static readonly (string Key, Func<ProjectConfig, string> Value)[] Parts =
    [
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

    private StateFingerprint(ImmutableSortedDictionary<string, string> values) => Values = values;

    /// <summary>The readable values by key.</summary>
    public ImmutableSortedDictionary<string, string> Values { get; }

    /// <summary>SHA-256 over every key and value, in key order.</summary>
    public string Hash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        string.Concat(Values.Select(kv => $"{kv.Key}={kv.Value}\n")))));

    public static StateFingerprint Of(ProjectConfig config) =>
        new(Parts.ToImmutableSortedDictionary(p => p.Key, p => p.Value(config), StringComparer.Ordinal));

    /// <summary>This fingerprint with one more value, e.g. what the demo's synthetic archive was generated with.</summary>
    public StateFingerprint With(string key, string value) => new(Values.SetItem(key, value));

    /// <summary>
    /// What changed from <paramref name="stored"/> to this one, one "key: stored -> now" each. Only keys both know are
    /// compared: a key added by a later version is absent from older state, and the demo stores its archive's too.
    /// </summary>
    public IReadOnlyList<string> ChangesFrom(StateFingerprint stored) =>
        [.. Values.Where(kv => stored.Values.TryGetValue(kv.Key, out var before) && before != kv.Value)
            .Select(kv => $"{kv.Key}: {Shown(stored.Values[kv.Key])} -> {Shown(kv.Value)}")];

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
    /// another configuration, naming each changed key and how to start fresh; records this fingerprint when none is stored
    /// (new state, or state made before fingerprints were kept).
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
        if (changes.Count == 0) return;
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
