using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Sentinel2;
using NrtCluster.Geo.Stac;
using NrtCluster.Kernels;
using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Actors.Config;

/// <summary>
/// Reads a project file (HOCON, root object <c>project</c>) and validates it into a <see cref="ProjectConfig"/>.
/// Every problem is collected, each naming its key and what is expected, and thrown together as a <see cref="ProjectConfigException"/>.
/// </summary>
public static class ProjectConfigLoader
{
    private const string Root = "project";

    private static readonly Dictionary<string, string[]> KnownKeys = new()
    {
        [Root] = ["name", "grid", "area-of-interest", "stac", "index", "scl-keep", "buffer", "monitor", "fit", "history", "forest-mask", "output", "poll-interval", "settle-delay"],
        [$"{Root}.grid"] = ["crs", "resolution", "origin-x", "origin-y", "tile-size"],
        [$"{Root}.area-of-interest"] = ["bbox", "geojson"],
        [$"{Root}.stac"] = ["api", "catalog", "collection", "provider", "max-cloud-cover"],
        [$"{Root}.monitor"] = ["name", "options", "haze-gate"],
        [$"{Root}.monitor.haze-gate"] = ["enabled", "share", "min-pixels"],
        [$"{Root}.history"] = ["start", "end"],
        [$"{Root}.forest-mask"] = ["source", "raster", "threshold", "ndvi-min", "swir-max"],
        [$"{Root}.output"] = ["folder", "report-layers", "patch-window-days"],
    };

    private static readonly string[] Providers = [ProviderProfiles.CdseName, ProviderProfiles.EarthSearchName, ProviderProfiles.PlanetaryComputerName];
    private static readonly string[] ReportLayerNames = ["mask", "detection_date", "process", "confidence", "magnitude"];

    /// <summary>Beyond 10 pixels (200 m at 20 m) a buffer masks far more clear land than any kernel blurs.</summary>
    public const int MaxScreeningBuffer = 10;

    public static ProjectConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Project file {path} does not exist; write one like hocon/project.example.conf.", path);
        string full = Path.GetFullPath(path);
        return Parse(File.ReadAllText(full), Path.GetDirectoryName(full)!, full);
    }

    /// <param name="text">The project file's HOCON.</param>
    /// <param name="baseFolder">Relative paths in the file are resolved against this folder (the file's own).</param>
    /// <param name="source">Named in error messages.</param>
    public static ProjectConfig Parse(string text, string baseFolder, string source = "project file")
    {
        Akka.Configuration.Config config;
        try
        {
            config = HoconSyntax.Parse(text, source);
        }
        catch (HoconSyntaxException ex)
        {
            throw new ProjectConfigException(source, [new ConfigError(ex.Location, ex.Problem)]);
        }
        var r = new Reader(config, baseFolder);
        if (!config.HasPath(Root))
            throw new ProjectConfigException(source, [new ConfigError(Root, "missing: the file must hold a 'project { ... }' object")]);
        foreach (var (obj, keys) in KnownKeys) r.CheckKeys(obj, keys);

        string name = r.String($"{Root}.name", required: false) ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(baseFolder));

        var grid = new ProcessingGrid(
            r.String($"{Root}.grid.crs") ?? "",
            r.Number($"{Root}.grid.resolution", min: double.Epsilon) ?? 0,
            r.Number($"{Root}.grid.origin-x") ?? 0,
            r.Number($"{Root}.grid.origin-y") ?? 0,
            (int)(r.Number($"{Root}.grid.tile-size", min: 1, max: 100_000, integer: true) ?? 0));

        var bbox = r.NumberList($"{Root}.area-of-interest.bbox", required: false);
        string? geojson = r.Path($"{Root}.area-of-interest.geojson", required: false, mustExist: true);
        if (bbox is { } box)
        {
            if (box.Length != 4) r.Error($"{Root}.area-of-interest.bbox", $"expected [west, south, east, north] in degrees, got {box.Length} numbers");
            else if (box[0] >= box[2] || box[1] >= box[3] || box[0] < -180 || box[2] > 180 || box[1] < -90 || box[3] > 90)
                r.Error($"{Root}.area-of-interest.bbox", "expected west < east within [-180, 180] and south < north within [-90, 90]");
        }
        if ((bbox is null) == (geojson is null) && !r.HasErrorAt($"{Root}.area-of-interest"))
            r.Error($"{Root}.area-of-interest", "give exactly one of bbox = [west, south, east, north] or geojson = \"area.geojson\"");

        string? api = r.String($"{Root}.stac.api", required: false);
        string? catalog = r.String($"{Root}.stac.catalog", required: false);
        if ((api is null) == (catalog is null))
            r.Error($"{Root}.stac", "give exactly one of api = \"https://.../v1\" (a STAC API) or catalog = \"catalog.json\" (a static catalog, path or URL)");
        if (api is not null && !(Uri.TryCreate(api, UriKind.Absolute, out var apiUri) && (apiUri.Scheme == "http" || apiUri.Scheme == "https")))
            r.Error($"{Root}.stac.api", $"expected an http(s) URL, got '{api}'");
        if (catalog is not null && !catalog.StartsWith("http", StringComparison.OrdinalIgnoreCase))
            catalog = r.Path($"{Root}.stac.catalog", required: true, mustExist: true);
        var stac = new StacSettings(api, catalog,
            r.String($"{Root}.stac.collection") ?? "",
            r.Choice($"{Root}.stac.provider", Providers) ?? "",
            r.Number($"{Root}.stac.max-cloud-cover", required: false, min: 0, max: 100));

        var index = r.Choice($"{Root}.index", ["NDVI", "NBR", "NDMI"], fallback: "NDVI") switch
        {
            "NBR" => SpectralIndex.Nbr,
            "NDMI" => SpectralIndex.Ndmi,
            _ => SpectralIndex.Ndvi,
        };
        var sclRaw = r.NumberList($"{Root}.scl-keep", required: false);
        if (sclRaw is not null && sclRaw.Any(c => c is < 0 or > 11 || c != Math.Floor(c)))
            r.Error($"{Root}.scl-keep", "expected Sentinel-2 scene classes, integers 0..11 (default [4, 5, 6, 7])");
        ImmutableArray<byte> scl = sclRaw is null ? [4, 5, 6, 7] : [.. sclRaw.Select(c => (byte)Math.Clamp(c, 0, 255))];
        var buffer = (int?)r.Number($"{Root}.buffer", required: false, min: 0, max: MaxScreeningBuffer, integer: true);

        string monitorName = r.String($"{Root}.monitor.name") ?? "";
        var init = r.Options($"{Root}.monitor.options");
        var fit = r.Options($"{Root}.fit");
        if (monitorName.Length > 0 && !r.HasErrorAt($"{Root}.monitor") && !r.HasErrorAt($"{Root}.fit"))
        {
            // The kernels know their options: their messages name the option and list the valid ones.
            BaseMonitor? probe = null;
            try
            {
                probe = MonitorFactory.Create(monitorName, init);
            }
            catch (OptionException ex)
            {
                r.Error($"{Root}.monitor.options.{ex.Option}", ex.Message);
            }
            catch (ArgumentException ex)
            {
                r.Error($"{Root}.monitor.name", ex.Message);
            }
            try
            {
                if (probe is not null) MonitorFactory.FitOptionsFor(probe, fit);
            }
            catch (OptionException ex)
            {
                r.Error($"{Root}.fit.{ex.Option}", ex.Message);
            }
        }

        var hazeGate = HazeGateOf(r);

        var start = r.Date($"{Root}.history.start");
        var end = r.Date($"{Root}.history.end");
        if (start is { } s && end is { } e && e <= s)
            r.Error($"{Root}.history.end", $"must come after history.start ({s:yyyy-MM-dd}); the history is the stable period the model is fitted on");

        var maskSource = r.Choice($"{Root}.forest-mask.source", ["none", "raster", "rule"], fallback: "none") switch
        {
            "raster" => ForestMaskSource.Raster,
            "rule" => ForestMaskSource.Rule,
            _ => ForestMaskSource.None,
        };
        var forest = new ForestMaskSettings(maskSource,
            r.Path($"{Root}.forest-mask.raster", required: maskSource == ForestMaskSource.Raster, mustExist: true),
            r.Number($"{Root}.forest-mask.threshold", required: false, min: 0, max: 100),
            r.Number($"{Root}.forest-mask.ndvi-min", required: false, min: -1, max: 1) ?? 0.7,
            r.Number($"{Root}.forest-mask.swir-max", required: false, min: 0, max: 1) ?? 0.09);

        string output = r.Path($"{Root}.output.folder", required: true, mustExist: false) ?? "";
        var layers = r.StringList($"{Root}.output.report-layers") ?? ["mask", "detection_date", "confidence", "magnitude"];
        foreach (var layer in layers.Where(l => !ReportLayerNames.Contains(l)))
            r.Error($"{Root}.output.report-layers", $"unknown layer '{layer}'; expected some of {string.Join(", ", ReportLayerNames)}");

        var patchWindow = (int?)r.Number($"{Root}.output.patch-window-days", required: false, min: 0, max: 3650, integer: true);

        var poll = r.Duration($"{Root}.poll-interval", TimeSpan.FromHours(1));
        var settle = r.Duration($"{Root}.settle-delay", TimeSpan.FromHours(2));

        if (r.Errors.Count > 0) throw new ProjectConfigException(source, r.Errors);
        var project = new ProjectConfig(name, grid, new AreaOfInterest(bbox is null ? null : [.. bbox], geojson), stac, index, scl,
            new MonitorSettings(monitorName, init, fit) { HazeGate = hazeGate }, start!.Value, end!.Value, forest, output, [.. layers], poll, settle)
        {
            ScreeningBuffer = buffer,
            PatchWindowDays = patchWindow ?? Geo.Patches.PatchGrouping.DefaultWindowDays,
        };
        var limits = ProjectLimits.Check(project, ProjectLimits.AvailableMemory);
        return limits.Count > 0 ? throw new ProjectConfigException(source, limits) : project;
    }

    /// <summary>
    /// <c>monitor.haze-gate { enabled, share, min-pixels }</c>: omitted, the documented default (<see cref="HazeGate.Default"/>);
    /// <c>enabled = false</c> or <c>share = 0</c> turns it off (monitoring as the reference does).
    /// </summary>
    private static HazeGate HazeGateOf(Reader r)
    {
        const string key = $"{Root}.monitor.haze-gate";
        var enabled = r.Boolean($"{key}.enabled") ?? true;
        var share = r.Number($"{key}.share", required: false, min: 0, max: 1) ?? HazeGate.Default.Share;
        var minPixels = r.Number($"{key}.min-pixels", required: false, min: 0, max: int.MaxValue, integer: true) ?? HazeGate.Default.MinPixels;
        return enabled ? new HazeGate(share, (int)minPixels) : HazeGate.Off;
    }

    /// <summary>Typed reads that record an error (key + expectation) instead of throwing.</summary>
    private sealed class Reader(Akka.Configuration.Config config, string baseFolder)
    {
        public List<ConfigError> Errors { get; } = [];

        public void Error(string key, string message) => Errors.Add(new ConfigError(key, message));

        public bool HasErrorAt(string prefix) => Errors.Any(e => e.Key.StartsWith(prefix, StringComparison.Ordinal));

        public void CheckKeys(string path, string[] known)
        {
            if (!config.HasPath(path)) return;
            HoconValue value = config.GetValue(path);
            if (!value.IsObject())
            {
                Error(path, "expected an object { ... }");
                return;
            }
            foreach (var key in value.GetObject().Items.Keys.Where(k => !known.Contains(k)))
                Error($"{path}.{key}", $"unknown key; valid keys here: {string.Join(", ", known)}");
        }

        private HoconValue? Value(string key, bool required, string expected)
        {
            if (config.HasPath(key))
            {
                var value = config.GetValue(key);
                if (value is not null && !value.IsEmpty) return value;
            }
            if (required) Error(key, $"missing; expected {expected}");
            return null;
        }

        public string? String(string key, bool required = true)
        {
            var v = Value(key, required, "a text value");
            if (v is null) return null;
            if (!v.IsString()) { Error(key, "expected a text value"); return null; }
            var s = v.GetString();
            if (string.IsNullOrWhiteSpace(s)) { if (required) Error(key, "must not be empty"); return null; }
            return s;
        }

        public double? Number(string key, bool required = true, double min = double.MinValue, double max = double.MaxValue, bool integer = false)
        {
            string expected = (integer ? "an integer" : "a number") + Range(min, max);
            var v = Value(key, required, expected);
            if (v is null) return null;
            if (!v.IsString() || !double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || !double.IsFinite(d)
                || (integer && d != Math.Floor(d)))
            {
                Error(key, $"expected {expected}, got {Describe(v)}");
                return null;
            }
            if (d < min || d > max) { Error(key, $"expected {expected}, got {d.ToString(CultureInfo.InvariantCulture)}"); return null; }
            return d;
        }

        public bool? Boolean(string key)
        {
            var v = Value(key, required: false, "true or false");
            if (v is null) return null;
            var s = v.IsString() ? v.GetString() : null;
            if (s is "true" or "on" or "yes") return true;
            if (s is "false" or "off" or "no") return false;
            Error(key, $"expected true or false, got {Describe(v)}");
            return null;
        }

        public double[]? NumberList(string key, bool required = true)
        {
            var v = Value(key, required, "a list of numbers [..]");
            if (v is null) return null;
            if (!v.IsArray()) { Error(key, $"expected a list of numbers [..], got {Describe(v)}"); return null; }
            var result = new List<double>();
            foreach (var item in v.GetArray())
            {
                if (!item.IsString() || !double.TryParse(item.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                {
                    Error(key, $"expected a list of numbers, found {Describe(item)}");
                    return null;
                }
                result.Add(d);
            }
            return [.. result];
        }

        public string[]? StringList(string key)
        {
            var v = Value(key, required: false, "a list");
            if (v is null) return null;
            if (!v.IsArray()) { Error(key, $"expected a list [..], got {Describe(v)}"); return null; }
            return [.. v.GetArray().Select(i => i.GetString())];
        }

        public string? Choice(string key, string[] choices, string? fallback = null)
        {
            var s = String(key, required: fallback is null);
            if (s is null) return fallback;
            var match = choices.FirstOrDefault(c => string.Equals(c, s, StringComparison.OrdinalIgnoreCase));
            if (match is null) Error(key, $"expected one of {string.Join(", ", choices)}, got '{s}'");
            return match ?? fallback;
        }

        public DateOnly? Date(string key)
        {
            var s = String(key);
            if (s is null) return null;
            if (DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
            Error(key, $"expected a date \"YYYY-MM-DD\", got '{s}'");
            return null;
        }

        public TimeSpan Duration(string key, TimeSpan fallback)
        {
            var v = Value(key, required: false, "a duration");
            if (v is null) return fallback;
            try
            {
                var t = config.GetTimeSpan(key, fallback, allowInfinite: false);
                if (t > TimeSpan.Zero) return t;
            }
            catch (Exception ex) when (ex is FormatException or ConfigurationException or OverflowException or ArgumentException)
            {
                // reported below with the expectation
            }
            Error(key, $"expected a positive duration such as 30m, 1h or 2d, got {Describe(v)}");
            return fallback;
        }

        /// <summary>A path relative to the project file's folder, made absolute.</summary>
        public string? Path(string key, bool required, bool mustExist)
        {
            var s = String(key, required);
            if (s is null) return null;
            string full = System.IO.Path.GetFullPath(System.IO.Path.Combine(baseFolder, s));
            if (mustExist && !File.Exists(full) && !Directory.Exists(full))
            {
                Error(key, $"'{s}' does not exist (resolved to {full}); paths are relative to the project file's folder");
                return null;
            }
            return full;
        }

        /// <summary>An object of options by reference names, as JSON values for the kernels (true/false, numbers, null, text).</summary>
        public IReadOnlyDictionary<string, JsonElement> Options(string key)
        {
            var result = new Dictionary<string, JsonElement>();
            if (!config.HasPath(key)) return result;
            var v = config.GetValue(key);
            if (!v.IsObject()) { Error(key, "expected an object of options { name = value, ... }"); return result; }
            foreach (var (name, item) in v.GetObject().Items)
            {
                string json;
                if (item.IsEmpty) json = "null";
                else if (!item.IsString()) { Error($"{key}.{name}", $"expected a single value, got {Describe(item)}"); continue; }
                else
                {
                    var s = item.GetString();
                    json = s switch
                    {
                        null or "null" => "null",
                        "true" or "false" => s,
                        _ when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                            => d.ToString("R", CultureInfo.InvariantCulture),
                        _ => JsonSerializer.Serialize(s),
                    };
                }
                result[name] = JsonDocument.Parse(json).RootElement.Clone();
            }
            return result;
        }

        private static string Range(double min, double max) =>
            (min, max) switch
            {
                (double.MinValue, double.MaxValue) => "",
                (_, double.MaxValue) => min == double.Epsilon ? " > 0" : string.Create(CultureInfo.InvariantCulture, $" >= {min}"),
                _ => string.Create(CultureInfo.InvariantCulture, $" in [{min}, {max}]"),
            };

        /// <summary>A value as a message shows it: text in quotes, else what it is (Akka's rendering spans lines).</summary>
        private static string Describe(HoconValue v) => v.IsString() ? $"'{v.GetString()}'" : v.IsArray() ? "a list [...]" : "an object { ... }";
    }
}
