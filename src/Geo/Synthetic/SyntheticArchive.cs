using System.Globalization;
using System.Text.Json;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Geo.Synthetic;

/// <summary>File names inside a synthetic archive folder.</summary>
public static class SyntheticArchiveLayout
{
    public const string Catalog = "catalog.json";
    public const string CollectionId = "sentinel-2-l2a";
    public const string Collection = CollectionId + "/collection.json";
    public const string ForestMask = "forest-mask.tif";
    public const string TruthGeoJson = "truth/disturbances.geojson";
    public const string TruthRaster = "truth/disturbance-day.tif";
    public const string Manifest = "archive.json";

    /// <summary>Folder of an item, relative to the archive root; holds the item JSON and its COGs.</summary>
    public static string ItemFolder(string itemId) => $"{CollectionId}/{itemId}";

    public static string ItemFile(string itemId) => $"{CollectionId}/{itemId}/{itemId}.json";
}

/// <summary>What <see cref="SyntheticArchive.Generate"/> wrote.</summary>
public sealed record SyntheticArchiveResult(string Directory, int ItemCount, int FileCount, long Bytes, SyntheticScene Scene);

/// <summary>
/// Writes a synthetic Sentinel-2 L2A archive: one STAC item per granule and date with uint16 COGs (B03, B04, B8A,
/// B11, B12, SCL), a static catalog (catalog.json -> collection -> items), a forest mask and the ground truth.
/// </summary>
public static class SyntheticArchive
{
    private const string CogType = "image/tiff; application=geotiff; profile=cloud-optimized";
    private static readonly JsonWriterOptions Indented = new() { Indented = true };

    /// <summary>
    /// Generates the archive of <paramref name="options"/> into <paramref name="directory"/> (created if missing; it
    /// must be empty or hold an earlier synthetic archive, which is replaced). <paramref name="progress"/> receives the
    /// number of acquisitions written so far.
    /// </summary>
    public static SyntheticArchiveResult Generate(string directory, SyntheticArchiveOptions options, IProgress<int>? progress = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var root = Path.GetFullPath(directory);
        PrepareDirectory(root);
        var scene = new SyntheticScene(options);

        var items = new ItemRecord[scene.Acquisitions.Count, scene.Geometry.Granules.Count];
        var done = 0;
        Parallel.ForEach(scene.Acquisitions, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, acquisition =>
        {
            for (var g = 0; g < scene.Geometry.Granules.Count; g++)
                items[acquisition.Index, g] = WriteItem(root, scene, g, acquisition);
            progress?.Report(Interlocked.Increment(ref done));
        });

        var ordered = new List<ItemRecord>();
        for (var a = 0; a < scene.Acquisitions.Count; a++)
            for (var g = 0; g < scene.Geometry.Granules.Count; g++)
                ordered.Add(items[a, g]);
        WriteJson(Path.Combine(root, SyntheticArchiveLayout.Catalog), w => WriteCatalog(w, scene));
        WriteJson(Path.Combine(root, SyntheticArchiveLayout.Collection), w => WriteCollection(w, scene, ordered));

        GeoTiffWriter.Write(Path.Combine(root, SyntheticArchiveLayout.ForestMask), scene.Geometry.Reference,
            [("forest", scene.ForestMask())], RasterDataType.Byte, nodata: null, cog: true);
        var days = scene.DisturbanceDays();
        GeoTiffWriter.Write(Path.Combine(root, SyntheticArchiveLayout.TruthRaster), scene.Geometry.Reference,
            [("disturbance_day", days)], RasterDataType.UInt16, nodata: null, cog: true);
        WriteJson(Path.Combine(root, SyntheticArchiveLayout.TruthGeoJson), w => WriteTruth(w, scene, days));
        WriteJson(Path.Combine(root, SyntheticArchiveLayout.Manifest), w => WriteManifest(w, scene, ordered.Count));

        var files = Directory.GetFiles(root, "*", SearchOption.AllDirectories);
        return new SyntheticArchiveResult(root, ordered.Count, files.Length, files.Sum(f => new FileInfo(f).Length), scene);
    }

    private static void PrepareDirectory(string root)
    {
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            if (!File.Exists(Path.Combine(root, SyntheticArchiveLayout.Manifest)))
                throw new IOException($"The output folder '{root}' is not empty and holds no synthetic archive ({SyntheticArchiveLayout.Manifest}); give a new or empty folder.");
            // Replace only what an earlier run wrote.
            foreach (var folder in new[] { SyntheticArchiveLayout.CollectionId, "truth" })
                if (Directory.Exists(Path.Combine(root, folder))) Directory.Delete(Path.Combine(root, folder), recursive: true);
            foreach (var file in new[] { SyntheticArchiveLayout.Catalog, SyntheticArchiveLayout.ForestMask, SyntheticArchiveLayout.Manifest })
                File.Delete(Path.Combine(root, file));
        }
        Directory.CreateDirectory(root);
    }

    private sealed record ItemRecord(string Id, Granule Granule, Acquisition Acquisition);

    /// <summary>Product-style id, e.g. S2A_MSIL2A_20220125T102311_N0400_R065_T32UQU.</summary>
    public static string ItemId(Acquisition a, Granule g) =>
        $"{a.Mission}_MSIL2A_{a.Time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture)}_N{a.ProcessingBaseline.Replace(".", "", StringComparison.Ordinal)}_R065_T{g.Tile}";

    /// <summary>
    /// Writes the items of one more acquisition into the archive folder <paramref name="directory"/> (its COGs and item
    /// documents, not listed in the catalog: a granule published after the archive, e.g. on a STAC API serving it) with the
    /// bands <paramref name="render"/> gives for each granule index; returns the item files.
    /// </summary>
    public static IReadOnlyList<string> WriteAcquisition(string directory, SyntheticScene scene, Acquisition acquisition, Func<int, ushort[][]> render)
    {
        var root = Path.GetFullPath(directory);
        return [.. Enumerable.Range(0, scene.Geometry.Granules.Count)
            .Select(g => Path.Combine(root, SyntheticArchiveLayout.ItemFile(WriteItem(root, scene, g, acquisition, render(g)).Id)))];
    }

    private static ItemRecord WriteItem(string root, SyntheticScene scene, int granuleIndex, Acquisition a, ushort[][]? rendered = null)
    {
        var granule = scene.Geometry.Granules[granuleIndex];
        var id = ItemId(a, granule);
        var folder = Path.Combine(root, SyntheticArchiveLayout.ItemFolder(id));
        Directory.CreateDirectory(folder);
        var bands = rendered ?? scene.Render(granuleIndex, a);
        var all = SyntheticBands.All;
        for (var b = 0; b < all.Count; b++)
            GeoTiffWriter.Write(Path.Combine(folder, all[b].FileName), granule.Box, [(all[b].BandName, bands[b])], RasterDataType.UInt16, nodata: 0, cog: true);
        var stats = SclStatistics.Of(bands[5]);
        WriteJson(Path.Combine(root, SyntheticArchiveLayout.ItemFile(id)), w => WriteItemJson(w, id, granule, a, stats));
        return new ItemRecord(id, granule, a);
    }

    private static void WriteItemJson(Utf8JsonWriter w, string id, Granule g, Acquisition a, SclStatistics stats)
    {
        var zone = g.Epsg % 100;
        w.WriteStartObject();
        w.WriteString("type", "Feature");
        w.WriteString("stac_version", "1.0.0");
        w.WriteStartArray("stac_extensions");
        w.WriteStringValue("https://stac-extensions.github.io/eo/v1.1.0/schema.json");
        w.WriteStringValue("https://stac-extensions.github.io/projection/v1.1.0/schema.json");
        w.WriteStringValue("https://stac-extensions.github.io/mgrs/v1.0.0/schema.json");
        w.WriteStringValue("https://stac-extensions.github.io/sat/v1.0.0/schema.json");
        w.WriteEndArray();
        w.WriteString("id", id);
        w.WriteString("collection", SyntheticArchiveLayout.CollectionId);
        WritePolygon(w, "geometry", g.Footprint);
        WriteNumbers(w, "bbox", g.BboxLonLat.Select(Round7));
        w.WriteStartObject("properties");
        w.WriteString("datetime", FormatTime(a.Time));
        w.WriteString("platform", a.Platform);
        w.WriteString("constellation", "sentinel-2");
        w.WriteStartArray("instruments");
        w.WriteStringValue("msi");
        w.WriteEndArray();
        w.WriteNumber("gsd", 20);
        w.WriteNumber("eo:cloud_cover", stats.CloudPercent);
        w.WriteNumber("proj:epsg", g.Epsg);
        w.WriteNumber("mgrs:utm_zone", zone);
        w.WriteString("mgrs:latitude_band", g.Tile.Substring(2, 1));
        w.WriteString("mgrs:grid_square", g.Tile[3..]);
        w.WriteNumber("sat:relative_orbit", 65);
        w.WriteString("sat:orbit_state", "descending");
        w.WriteString("s2:mgrs_tile", g.Tile);
        w.WriteString("s2:product_type", "S2MSI2A");
        w.WriteString("s2:processing_baseline", a.ProcessingBaseline);
        w.WriteNumber("s2:nodata_pixel_percentage", stats.NoDataPercent);
        w.WriteNumber("s2:cloud_shadow_percentage", stats.ShadowPercent);
        w.WriteNumber("s2:thin_cirrus_percentage", stats.CirrusPercent);
        w.WriteNumber("s2:snow_ice_percentage", stats.SnowPercent);
        w.WriteNumber("s2:vegetation_percentage", stats.VegetationPercent);
        w.WriteBoolean("earthsearch:boa_offset_applied", false);
        // Processing a few hours after sensing, as on the real ground segment; no wall-clock time keeps runs identical.
        w.WriteString("created", FormatTime(a.Time.AddHours(3)));
        w.WriteEndObject();
        w.WriteStartArray("links");
        WriteLink(w, "root", "../../" + SyntheticArchiveLayout.Catalog, "application/json");
        WriteLink(w, "parent", "../collection.json", "application/json");
        WriteLink(w, "collection", "../collection.json", "application/json");
        w.WriteEndArray();
        w.WriteStartObject("assets");
        foreach (var band in SyntheticBands.All)
        {
            w.WriteStartObject(band.AssetKey);
            w.WriteString("href", "./" + band.FileName);
            w.WriteString("type", CogType);
            w.WriteString("title", band.Title);
            w.WriteStartArray("roles");
            w.WriteStringValue("data");
            if (band != SyntheticBands.SceneClassification) w.WriteStringValue("reflectance");
            w.WriteEndArray();
            w.WriteNumber("gsd", 20);
            if (band != SyntheticBands.SceneClassification)
            {
                w.WriteStartArray("eo:bands");
                w.WriteStartObject();
                w.WriteString("name", band.BandName);
                w.WriteString("common_name", band.AssetKey);
                w.WriteNumber("center_wavelength", band.CenterWavelength);
                w.WriteNumber("full_width_half_max", band.FullWidthHalfMax);
                w.WriteEndObject();
                w.WriteEndArray();
            }
            WriteNumbers(w, "proj:shape", [g.Box.Height, g.Box.Width]);
            var t = g.Box.Transform;
            WriteNumbers(w, "proj:transform", [t.PixelWidth, t.RowRotation, t.X0, t.ColumnRotation, t.PixelHeight, t.Y0]);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteCatalog(Utf8JsonWriter w, SyntheticScene scene)
    {
        w.WriteStartObject();
        w.WriteString("type", "Catalog");
        w.WriteString("stac_version", "1.0.0");
        w.WriteString("id", "nrtc-synthetic");
        w.WriteString("title", "NrtCluster synthetic Sentinel-2 archive");
        w.WriteString("description", $"Synthetic Sentinel-2 L2A archive (seed {scene.Options.Seed}) written by 'nrtc simulate-archive'.");
        w.WriteStartArray("links");
        WriteLink(w, "root", "./" + SyntheticArchiveLayout.Catalog, "application/json");
        WriteLink(w, "child", "./" + SyntheticArchiveLayout.Collection, "application/json", "Synthetic Sentinel-2 L2A");
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteCollection(Utf8JsonWriter w, SyntheticScene scene, IReadOnlyList<ItemRecord> items)
    {
        w.WriteStartObject();
        w.WriteString("type", "Collection");
        w.WriteString("stac_version", "1.0.0");
        w.WriteStartArray("stac_extensions");
        w.WriteStringValue("https://stac-extensions.github.io/item-assets/v1.0.0/schema.json");
        w.WriteEndArray();
        w.WriteString("id", SyntheticArchiveLayout.CollectionId);
        w.WriteString("title", "Synthetic Sentinel-2 L2A");
        w.WriteString("description", "Sentinel-2 L2A-like granules (20 m, uint16 COGs) of a synthetic forest landscape, with clouds, snow and clear-cuts.");
        w.WriteString("license", "CC0-1.0");
        w.WriteStartObject("extent");
        w.WriteStartObject("spatial");
        w.WriteStartArray("bbox");
        WriteNumbers(w, null, scene.Geometry.BboxLonLat.Select(Round7));
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartObject("temporal");
        w.WriteStartArray("interval");
        w.WriteStartArray();
        w.WriteStringValue(FormatTime(scene.Acquisitions[0].Time));
        w.WriteStringValue(FormatTime(scene.Acquisitions[^1].Time));
        w.WriteEndArray();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartObject("summaries");
        WriteStrings(w, "platform", ["sentinel-2a", "sentinel-2b"]);
        WriteStrings(w, "constellation", ["sentinel-2"]);
        WriteStrings(w, "instruments", ["msi"]);
        WriteNumbers(w, "gsd", [20]);
        WriteStrings(w, "s2:processing_baseline", scene.Acquisitions.Select(a => a.ProcessingBaseline).Distinct().ToArray());
        w.WriteEndObject();
        w.WriteStartObject("item_assets");
        foreach (var band in SyntheticBands.All)
        {
            w.WriteStartObject(band.AssetKey);
            w.WriteString("type", CogType);
            w.WriteString("title", band.Title);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteStartArray("links");
        WriteLink(w, "root", "../" + SyntheticArchiveLayout.Catalog, "application/json");
        WriteLink(w, "parent", "../" + SyntheticArchiveLayout.Catalog, "application/json");
        foreach (var item in items)
            WriteLink(w, "item", $"./{item.Id}/{item.Id}.json", "application/geo+json");
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteTruth(Utf8JsonWriter w, SyntheticScene scene, ushort[] days)
    {
        using var laea = SpatialReference.FromUserInput(SceneGeometry.ReferenceCrs);
        using var wgs84 = SpatialReference.Wgs84();
        using var toLonLat = new CoordinateTransformation(laea, wgs84);
        w.WriteStartObject();
        w.WriteString("type", "FeatureCollection");
        w.WriteStartArray("features");
        foreach (var d in scene.Disturbances)
        {
            var xs = d.X.Append(d.X[0]).ToArray();
            var ys = d.Y.Append(d.Y[0]).ToArray();
            toLonLat.Transform(xs, ys);
            w.WriteStartObject();
            w.WriteString("type", "Feature");
            w.WriteString("id", d.Id);
            WritePolygon(w, "geometry", xs.Zip(ys).ToArray());
            w.WriteStartObject("properties");
            w.WriteString("id", d.Id);
            w.WriteString("date", d.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            w.WriteNumber("day_number", d.DayNumber);
            w.WriteString("period", d.IsHistory ? "history" : "monitoring");
            w.WriteString("kind", "clear-cut");
            w.WriteNumber("area_ha", Math.Round(d.AreaSquareMetres / 10_000, 2));
            w.WriteNumber("reference_pixels", days.Count(v => v == d.DayNumber));
            WriteNumbers(w, "x_3035", d.X.Select(v => Math.Round(v, 2)));
            WriteNumbers(w, "y_3035", d.Y.Select(v => Math.Round(v, 2)));
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteManifest(Utf8JsonWriter w, SyntheticScene scene, int itemCount)
    {
        var o = scene.Options;
        w.WriteStartObject();
        w.WriteString("generator", "nrtc simulate-archive");
        w.WriteNumber("seed", o.Seed);
        w.WriteNumber("granule_size", o.GranuleSize);
        w.WriteString("start", o.Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        w.WriteString("end", o.End.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        w.WriteNumber("revisit_days", o.RevisitDays);
        w.WriteString("history_end", o.HistoryEnd.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        w.WriteString("baseline_offset_start", SyntheticArchiveOptions.BaselineOffsetStart.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        w.WriteString("collection", SyntheticArchiveLayout.CollectionId);
        w.WriteString("catalog", SyntheticArchiveLayout.Catalog);
        w.WriteString("forest_mask", SyntheticArchiveLayout.ForestMask);
        w.WriteString("truth_geojson", SyntheticArchiveLayout.TruthGeoJson);
        w.WriteString("truth_raster", SyntheticArchiveLayout.TruthRaster);
        w.WriteNumber("acquisitions", scene.Acquisitions.Count);
        w.WriteStartArray("haze_dates");
        foreach (var d in scene.HazeDates) w.WriteStringValue(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        w.WriteEndArray();
        w.WriteNumber("items", itemCount);
        WriteNumbers(w, "bbox", scene.Geometry.BboxLonLat.Select(Round7));
        w.WriteStartObject("reference_grid");
        WriteGeoBox(w, scene.Geometry.Reference);
        w.WriteEndObject();
        w.WriteStartArray("granules");
        foreach (var g in scene.Geometry.Granules)
        {
            w.WriteStartObject();
            w.WriteString("tile", g.Tile);
            WriteGeoBox(w, g.Box);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("assets");
        foreach (var band in SyntheticBands.All) w.WriteString(band.AssetKey, band.BandName);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteGeoBox(Utf8JsonWriter w, GeoBox box)
    {
        w.WriteString("crs", box.Crs);
        w.WriteNumber("width", box.Width);
        w.WriteNumber("height", box.Height);
        WriteNumbers(w, "geotransform", box.Transform.ToGdal());
    }

    private static void WriteLink(Utf8JsonWriter w, string rel, string href, string type, string? title = null)
    {
        w.WriteStartObject();
        w.WriteString("rel", rel);
        w.WriteString("href", href);
        w.WriteString("type", type);
        if (title is not null) w.WriteString("title", title);
        w.WriteEndObject();
    }

    private static void WritePolygon(Utf8JsonWriter w, string name, IReadOnlyList<(double Lon, double Lat)> ring)
    {
        w.WriteStartObject(name);
        w.WriteString("type", "Polygon");
        w.WriteStartArray("coordinates");
        w.WriteStartArray();
        foreach (var (lon, lat) in ring)
        {
            w.WriteStartArray();
            w.WriteNumberValue(Round7(lon));
            w.WriteNumberValue(Round7(lat));
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteNumbers(Utf8JsonWriter w, string? name, IEnumerable<double> values)
    {
        if (name is null) w.WriteStartArray();
        else w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static double Round7(double v) => Math.Round(v, 7);

    private static string FormatTime(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static void WriteJson(string path, Action<Utf8JsonWriter> write)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, Indented)) write(w);
        stream.WriteByte((byte)'\n');
        File.WriteAllBytes(path, stream.ToArray());
    }
}

/// <summary>Percentages of SCL classes over a granule, for the item's cloud cover and s2:* properties.</summary>
internal readonly record struct SclStatistics(double CloudPercent, double ShadowPercent, double CirrusPercent, double SnowPercent, double VegetationPercent, double NoDataPercent)
{
    public static SclStatistics Of(ushort[] scl)
    {
        Span<int> counts = stackalloc int[16];
        foreach (var v in scl) counts[Math.Min((int)v, 15)]++;
        var valid = scl.Length - counts[0];
        double Pct(int n) => valid == 0 ? 0 : Math.Round(100.0 * n / valid, 4);
        return new SclStatistics(
            Pct(counts[SclClass.CloudMedium] + counts[SclClass.CloudHigh] + counts[SclClass.ThinCirrus]),
            Pct(counts[SclClass.CloudShadow]), Pct(counts[SclClass.ThinCirrus]), Pct(counts[SclClass.Snow]),
            Pct(counts[SclClass.Vegetation]), Math.Round(100.0 * counts[0] / scl.Length, 4));
    }
}
