using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Serialization;
using NrtCluster.Actors.Sources;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Sentinel2;
using NrtCluster.Geo.Stac;
using NrtCluster.Geo.Synthetic;

namespace NrtCluster.Actors.Tests.Sources;

/// <summary>A tiny synthetic archive (real COGs, real GDAL) generated once for the tests of this class.</summary>
public sealed class TinyArchive : IDisposable
{
    public TinyArchive()
    {
        Directory = Path.Combine(Path.GetTempPath(), "nrtc-sources-" + Guid.NewGuid().ToString("N"));
        Options = new SyntheticArchiveOptions
        {
            GranuleSize = 40, Start = new DateOnly(2020, 1, 1), End = new DateOnly(2020, 12, 31), HistoryEnd = new DateOnly(2020, 9, 30),
        };
        Result = SyntheticArchive.Generate(Directory, Options);
        var reference = Result.Scene.Geometry.Reference;
        // One tile holding the whole reference grid, origin on its corner, so forest-mask and truth pixels line up.
        Grid = new ProcessingGrid("EPSG:3035", 20, reference.Transform.X0, reference.Transform.Y0, Math.Max(reference.Width, reference.Height));
        var bbox = Result.Scene.Geometry.BboxLonLat;
        Area = new BoundingBox(bbox[0], bbox[1], bbox[2], bbox[3]).ToPolygon(StacJson.GeometryFactory);
    }

    public string Directory { get; }
    public SyntheticArchiveOptions Options { get; }
    public SyntheticArchiveResult Result { get; }
    public ProcessingGrid Grid { get; }
    public NetTopologySuite.Geometries.Geometry Area { get; }
    public string Catalog => Path.Combine(Directory, SyntheticArchiveLayout.Catalog);
    public string ForestMask => Path.Combine(Directory, SyntheticArchiveLayout.ForestMask);

    public StacObservationSource Source(ForestMaskSettings mask) =>
        new(Grid, new StaticCatalogArchive(new StaticCatalogReader(), Catalog, SyntheticArchiveLayout.CollectionId, Area, null),
            new GridTileFootprints(Grid, Area), ProviderProfiles.EarthSearch(), new StaticCatalogReader(),
            new ObservationOptions { MaxParallelism = 2 }, mask);

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

public sealed class StacObservationSourceTests(TinyArchive archive) : IClassFixture<TinyArchive>
{
    private static readonly TileId Tile = new(0, 0);

    [Fact]
    public async Task HistoryHasTheArchiveSolarDaysAndForestNdvi()
    {
        var source = archive.Source(new ForestMaskSettings(ForestMaskSource.Raster, archive.ForestMask, 0, 0.7, 0.09));
        var start = new DateOnly(2020, 1, 1);
        var end = archive.Options.HistoryEnd;
        var history = await source.LoadHistoryAsync(Tile, start, end, CancellationToken.None);
        history.Validate();

        // One date per acquisition of the period (both granules of a date are one solar day).
        var expected = archive.Result.Scene.Acquisitions.Where(a => a.Date >= start && a.Date <= end).Select(a => a.Time.UtcDateTime).ToArray();
        Assert.Equal(expected, history.Dates.ToArray());

        // Forest pixels on clear dates: NDVI of a closed canopy.
        Assert.NotNull(history.ForestMask);
        var forestNdvi = new List<float>();
        for (int t = 0; t < history.Dates.Length; t++)
            for (int p = 0; p < history.Pixels; p++)
            {
                float v = history.Index.Values.Span[t * history.Pixels + p];
                if (history.ForestMask![p] == 1 && !float.IsNaN(v)) forestNdvi.Add(v);
            }
        Assert.True(forestNdvi.Count > 1000, $"only {forestNdvi.Count} valid forest values");
        forestNdvi.Sort();
        float median = forestNdvi[forestNdvi.Count / 2];
        Assert.InRange(median, 0.7f, 0.9f);
    }

    /// <summary>
    /// One granule of a two-granule day broken three ways (a dangling href, an item without its nir08 asset, a truncated
    /// COG): the day is loaded from the other granule and the broken one is listed with why; alone, it fails the day for good.
    /// </summary>
    [Fact]
    public async Task A_granule_that_cannot_be_read_is_left_out_and_the_day_loads_from_the_other()
    {
        var source = archive.Source(new ForestMaskSettings(ForestMaskSource.None, null, 0, 0.7, 0.09));
        var items = await new StaticCatalogReader().ReadAllItemsAsync(archive.Catalog);
        var day = SolarDays.Group(items).First(o => o.Items.Count == 2 && o.Items.All(i => i.CloudCover is < 20));
        var (good, bad) = (day.Items[0], day.Items[1]);
        var time = day.AcquisitionTime.UtcDateTime;
        ItemRef Ref(StacItem item, string? href = null) => new(item.Id, href ?? ItemDiscovery.HrefOf(item));
        Task<ObservationLoad> Load(params ItemRef[] refs) => source.LoadObservationAsync(Tile, day.SolarDay, time, refs, CancellationToken.None);
        var alone = await Load(Ref(good));
        // Meaningful only if the broken granule adds pixels of its own to the day.
        int Valid(ObservationLoad o) => o.Values.Count(v => !float.IsNaN(v));
        Assert.True(Valid(await Load(Ref(good), Ref(bad))) > Valid(alone));

        var itemFile = ItemDiscovery.HrefOf(bad);
        var folder = Path.GetDirectoryName(itemFile)!;
        string Edited(string name, Action<JsonObject> edit)
        {
            var json = JsonNode.Parse(File.ReadAllText(itemFile))!.AsObject();
            edit(json["assets"]!.AsObject());
            var path = Path.Combine(folder, name);
            File.WriteAllText(path, json.ToJsonString());
            return path;
        }
        var truncated = Path.Combine(folder, "B04-truncated.tif");
        var red = File.ReadAllBytes(Path.Combine(folder, "B04.tif"));
        File.WriteAllBytes(truncated, red[..(red.Length / 2)]);
        (string Href, string Reason)[] broken =
        [
            (Path.Combine(folder, "gone.json"), "cannot read STAC item"),
            (Edited("no-nir.json", assets => assets.Remove("nir08")), "has no asset for band 'nir'"),
            (Edited("truncated.json", assets => assets["red"]!["href"] = "./B04-truncated.tif"), truncated),
        ];
        foreach (var (href, reason) in broken)
        {
            var loaded = await Load(Ref(good), Ref(bad, href));
            Assert.Equal(alone.Values, loaded.Values);
            var left = Assert.Single(loaded.LeftOut);
            Assert.Equal(bad.Id, left.ItemId);
            Assert.Contains(reason, left.Reason);
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => Load(Ref(bad, href)));
            Assert.True(InputFailure.IsPermanent(failure), failure.ToString());
        }
    }

    /// <summary>
    /// A day as the poller sends it: its items described when they were found, through the tiles' wire format. The tile
    /// loads it from that alone: with the item documents out of reach, it loads what it loads from the documents.
    /// </summary>
    [Fact]
    public async Task A_day_sent_with_what_the_poller_read_of_its_items_loads_without_the_item_documents()
    {
        var source = archive.Source(new ForestMaskSettings(ForestMaskSource.None, null, 0, 0.7, 0.09));
        var day = await CloudyDayAsync();
        var found = ItemDiscovery.Discover(new StacItemList(day.Items, []), new GridTileFootprints(archive.Grid, archive.Area), ProviderProfiles.EarthSearch());
        Assert.Equal(day.Items.Count, found.Items.Length);
        Assert.All(found.Items, i => Assert.Equal(new[] { "red", "nir", "swir1", "swir2", "green", "scl" }.Order(),
            i.Assets!.Bands.Select(b => b.Band.ToString().ToLowerInvariant()).Order()));
        var gone = Path.Combine(archive.Directory, "no-such-item.json");
        var sent = new ObserveDay(Tile, day.SolarDay, day.AcquisitionTime.UtcDateTime, [.. found.Items.Select(i => i.Ref with { Href = gone })]);
        var bytes = NrtBinaryFormat.Write(sent);
        // Small beside a remoting frame (128 000 bytes), with every band of every item.
        Assert.True(bytes.Length < 2_000 * day.Items.Count, $"{bytes.Length} bytes for {day.Items.Count} items");
        var received = (ObserveDay)NrtBinaryFormat.Read(bytes, NrtBinaryFormat.ManifestOf(sent));

        var loaded = await source.LoadObservationAsync(Tile, received.Day, received.AcquiredUtc, received.Items, CancellationToken.None);

        Assert.Empty(loaded.LeftOut);
        Assert.Equal(await LoadAsync(source, day), loaded.Values);
        // Without the description the document is read, and here it is gone.
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => source.LoadObservationAsync(Tile, received.Day, received.AcquiredUtc,
            [.. received.Items.Select(i => i with { Assets = null })], CancellationToken.None));
        Assert.Contains("cannot read STAC item", failure.Message);
    }

    /// <summary>
    /// An item whose scaling the poller cannot decide (an unreadable processing baseline) is still dispatched, without a
    /// description: the tile reads its document and reports the problem where the day is applied.
    /// </summary>
    [Fact]
    public async Task An_item_that_cannot_be_described_is_found_without_a_description()
    {
        var item = (await new StaticCatalogReader().ReadAllItemsAsync(archive.Catalog))[0];
        var json = JsonNode.Parse(item.Json.GetRawText())!.AsObject();
        json["properties"]!["s2:processing_baseline"] = "not a baseline";
        var edited = StacJson.ParseItem(StacJson.ParseDocument(json.ToJsonString(), item.Source), item.Source);
        Assert.Throws<StacFormatException>(() => ProviderProfiles.EarthSearch().Describe(edited));

        var found = ItemDiscovery.Discover(new StacItemList([item, edited with { Id = "edited" }], []),
            new GridTileFootprints(archive.Grid, archive.Area), ProviderProfiles.EarthSearch());

        Assert.Empty(found.Rejected);
        Assert.NotNull(found.Items[0].Assets);
        Assert.Null(found.Items[1].Assets);
        Assert.Null(found.Items[1].Ref.Assets);
    }

    /// <summary>
    /// A tile's fit searches the archive around its own tile, not the whole area again: on a grid of several tiles over the
    /// archive, each tile's history is one search narrowed to the tile, returning only items near it and every item touching it.
    /// </summary>
    [Fact]
    public async Task A_tiles_history_is_searched_around_the_tile_not_over_the_whole_area()
    {
        var g = archive.Grid;
        var grid = new ProcessingGrid(g.Crs, g.Resolution, g.OriginX, g.OriginY, (g.TileSize + 1) / 2);
        var footprints = new GridTileFootprints(grid, archive.Area);
        var searches = new List<(Geometry? Within, StacItemList Items)>();
        var catalog = new StaticCatalogArchive(new StaticCatalogReader(), archive.Catalog, SyntheticArchiveLayout.CollectionId, archive.Area, null);
        var source = new StacObservationSource(grid, new RecordingArchive(catalog, null, searches), footprints, ProviderProfiles.EarthSearch(),
            new StaticCatalogReader(), new ObservationOptions { MaxParallelism = 2 }, new ForestMaskSettings(ForestMaskSource.None, null, 0, 0.7, 0.09));
        var period = await catalog.SearchAsync(new DateTime(2019, 12, 31), new DateTime(2020, 3, 2), CancellationToken.None);
        var tiles = footprints.ProjectTiles.Where(t => period.Any(i => footprints.TilesTouching(i.Footprint).Contains(t))).ToList();
        Assert.True(tiles.Count > 1, $"{tiles.Count} tile(s) with data");

        foreach (var tile in tiles)
        {
            searches.Clear();
            var history = await source.LoadHistoryAsync(tile, new DateOnly(2020, 1, 1), new DateOnly(2020, 2, 29), CancellationToken.None);

            var (within, items) = Assert.Single(searches);
            Assert.NotNull(within);
            var around = grid.LonLatEnvelope(tile, tile);
            around.ExpandBy(2 * GridTileFootprints.ClipMargin);
            Assert.True(around.Contains(within.EnvelopeInternal), $"tile {tile} searched {within.EnvelopeInternal}, beyond {around}");
            Assert.All(items, i => Assert.True(i.Footprint.EnvelopeInternal.Intersects(around), $"tile {tile}: {i.Id} is not near the tile"));
            Assert.Superset(items.Select(i => i.Id).ToHashSet(),
                period.Where(i => footprints.TilesTouching(i.Footprint).Contains(tile)).Select(i => i.Id).ToHashSet());
            Assert.NotEmpty(history.Dates);
        }
    }

    /// <summary>The archive of a project, telling each search it makes and where.</summary>
    private sealed class RecordingArchive(IStacArchive inner, Geometry? within, List<(Geometry? Within, StacItemList Items)> searches) : IStacArchive
    {
        public async Task<StacItemList> SearchAsync(DateTime fromUtc, DateTime? toUtc, CancellationToken cancellationToken)
        {
            var items = await inner.SearchAsync(fromUtc, toUtc, cancellationToken);
            lock (searches) searches.Add((within, items));
            return items;
        }

        public IStacArchive Within(Geometry lonLat) => new RecordingArchive(inner.Within(lonLat), lonLat, searches);
    }

    [Fact]
    public async Task CloudyPixelsAreNaN()
    {
        var source = archive.Source(new ForestMaskSettings(ForestMaskSource.None, null, 0, 0.7, 0.09));
        var box = archive.Grid.TileGeoBox(Tile);
        var day = await CloudyDayAsync();
        var ndvi = await LoadAsync(source, day);
        Assert.Equal(box.PixelCount, ndvi.Length);

        var scl = SclOnTile(day);
        int cloudy = 0, clear = 0, clearValid = 0;
        for (int p = 0; p < ndvi.Length; p++)
        {
            var classes = scl.Select(s => s[p]).Where(c => c != 0).ToList();
            if (classes.Count == 0) continue;
            if (classes.All(c => Cloud.Contains(c)))
            {
                cloudy++;
                Assert.True(float.IsNaN(ndvi[p]), $"pixel {p} is clouded in every granule (SCL {string.Join(",", classes)}) but has NDVI {ndvi[p]}");
            }
            // Clear, and no cloud within the 2 px the loader's screening buffer masks around it (the cubic kernel's reach).
            else if (classes.All(c => c is SclClass.Vegetation or SclClass.NotVegetated) && !scl.Any(s => CloudWithin(s, box.Width, p, 2, Cloud)))
            {
                clear++;
                if (!float.IsNaN(ndvi[p]) && ndvi[p] is >= -1 and <= 1) clearValid++;
            }
        }
        Assert.True(cloudy > 0, $"{day.SolarDay}: no pixel clouded in every granule");
        Assert.True(clearValid > 0.95 * clear, $"{day.SolarDay}: only {clearValid} of {clear} clear pixels have an NDVI");
    }

    [Fact]
    public async Task TheProjectsScreeningBufferReachesTheLoader()
    {
        var day = await CloudyDayAsync();
        var box = archive.Grid.TileGeoBox(Tile);
        var scl = SclOnTile(day);
        using var http = new HttpClient();
        var unbuffered = await LoadAsync(StacObservationSource.ForProject(Project("buffer = 0"), http, parallelism: 2), day);
        var buffered = await LoadAsync(StacObservationSource.ForProject(Project("buffer = 2"), http, parallelism: 2), day);
        var byDefault = await LoadAsync(StacObservationSource.ForProject(Project(""), http, parallelism: 2), day);

        // Without the buffer, clear pixels next to a cloud keep their NDVI; with it they are masked (the default: 2 px).
        int kept = 0;
        for (int p = 0; p < box.PixelCount; p++)
        {
            Assert.True(float.IsNaN(buffered[p]) == float.IsNaN(byDefault[p]), $"pixel {p}: the default buffer is not 2 px");
            if (float.IsNaN(unbuffered[p]) || !float.IsNaN(buffered[p])) continue;
            // (A pixel on the tile's rim may be masked by a cloud just outside the tile, which the SCL read here does not hold.)
            bool rim = p / box.Width is < 2 || p / box.Width >= box.Height - 2 || p % box.Width is < 2 || p % box.Width >= box.Width - 2;
            Assert.True(rim || scl.Any(s => CloudWithin(s, box.Width, p, 2, Cloud)), $"pixel {p} is masked by the buffer but no cloud lies within 2 px");
            kept++;
        }
        Assert.True(kept > 0, $"{day.SolarDay}: buffer 0 kept no pixel that buffer 2 masks");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AZeroOneForestMaskNeedsNoThreshold(bool withNodata)
    {
        // A 0/1 byte mask on the tile's grid: forest in the west half; with nodata (255) over the top rows.
        var box = archive.Grid.TileGeoBox(Tile);
        var pixels = new byte[box.PixelCount];
        for (int p = 0; p < pixels.Length; p++)
            pixels[p] = withNodata && p / box.Width < 5 ? (byte)255 : (byte)(p % box.Width < box.Width / 2 ? 1 : 0);
        var path = Path.Combine(archive.Directory, $"mask-{withNodata}.tif");
        GeoTiffWriter.Write(path, box, [("forest", pixels)], RasterDataType.Byte, withNodata ? 255 : null, cog: false);
        using var http = new HttpClient();
        var config = Project($"forest-mask {{ source = raster, raster = \"{Path.GetFileName(path)}\" }}");
        Assert.Null(config.ForestMask.RasterThreshold);

        var history = await StacObservationSource.ForProject(config, http, parallelism: 2)
            .LoadHistoryAsync(Tile, new DateOnly(2020, 1, 1), new DateOnly(2020, 2, 29), CancellationToken.None);

        Assert.Equal(pixels.Select(v => (byte)(v == 1 ? 1 : 0)), history.ForestMask!);
    }

    /// <summary>A project file on the tiny archive, one tile over it, with <paramref name="extra"/> lines.</summary>
    private ProjectConfig Project(string extra)
    {
        var g = archive.Grid;
        var b = archive.Result.Scene.Geometry.BboxLonLat;
        var text = string.Create(System.Globalization.CultureInfo.InvariantCulture, $$"""
            project {
              grid { crs = "{{g.Crs}}", resolution = {{g.Resolution}}, origin-x = {{g.OriginX}}, origin-y = {{g.OriginY}}, tile-size = {{g.TileSize}} }
              area-of-interest { bbox = [{{b[0]:R}}, {{b[1]:R}}, {{b[2]:R}}, {{b[3]:R}}] }
              stac { catalog = "{{archive.Catalog}}", collection = "{{SyntheticArchiveLayout.CollectionId}}", provider = earth-search }
              {{extra}}
              monitor { name = IQR }
              history { start = "2020-01-01", end = "2020-09-30" }
              output { folder = "out" }
            }
            """);
        return ProjectConfigLoader.Parse(text, archive.Directory);
    }

    /// <summary>The cloudiest solar day whose granules are not fully clouded.</summary>
    private async Task<Observation> CloudyDayAsync()
    {
        var items = await new StaticCatalogReader().ReadAllItemsAsync(archive.Catalog);
        var day = SolarDays.Group(items).Where(o => o.Items.All(i => i.CloudCover is < 90)).OrderByDescending(o => o.Items.Max(i => i.CloudCover ?? 0)).First();
        Assert.True(day.Items.Max(i => i.CloudCover ?? 0) > 5, "the archive has no cloudy day to test with");
        return day;
    }

    /// <summary>The day's index values, every granule of it read (none left out).</summary>
    private static async Task<float[]> LoadAsync(StacObservationSource source, Observation day)
    {
        var loaded = await source.LoadObservationAsync(Tile, day.SolarDay, day.AcquisitionTime.UtcDateTime,
            day.Items.Select(i => new ItemRef(i.Id, ItemDiscovery.HrefOf(i))).ToList(), CancellationToken.None);
        Assert.Empty(loaded.LeftOut);
        return loaded.Values;
    }

    /// <summary>SCL of every granule of <paramref name="day"/>, nearest onto the tile (0 = outside the granule).</summary>
    private List<byte[]> SclOnTile(Observation day) =>
        day.Items.Select(i => Warp.Band<byte>(Path.Combine(Path.GetDirectoryName(ItemDiscovery.HrefOf(i))!, "SCL.tif"),
            archive.Grid.TileGeoBox(Tile), new WarpOptions(Resampling.Nearest, RasterDataType.Byte, 0, 0))).ToList();

    private static readonly byte[] Cloud = [SclClass.CloudShadow, SclClass.CloudMedium, SclClass.CloudHigh, SclClass.ThinCirrus, SclClass.Snow];

    private static bool CloudWithin(byte[] scl, int width, int p, int radius, byte[] cloud)
    {
        int height = scl.Length / width, row = p / width, col = p % width;
        for (int r = Math.Max(0, row - radius); r <= Math.Min(height - 1, row + radius); r++)
            for (int c = Math.Max(0, col - radius); c <= Math.Min(width - 1, col + radius); c++)
                if (cloud.Contains(scl[r * width + c])) return true;
        return false;
    }
}
