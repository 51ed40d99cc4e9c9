using NrtCluster.Actors.Config;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Sentinel2;
using NrtCluster.Geo.Stac;
using NrtCluster.Geo.Tiles;

namespace NrtCluster.Actors.Sources;

/// <summary>
/// The real <see cref="IObservationSource"/>: STAC items resolved with the project's provider profile and read onto the
/// tile's geobox by the Sentinel-2 observation loader (GDAL warp, SCL screening, spectral index). The history lists the
/// archive's items of the period touching the tile, one observation per solar day, loaded in parallel.
/// </summary>
public sealed class StacObservationSource : IObservationSource
{
    private readonly ProcessingGrid _grid;
    private readonly IStacArchive _archive;
    private readonly ITileFootprintIndex _footprints;
    private readonly ProviderProfile _profile;
    private readonly StaticCatalogReader _reader;
    private readonly ObservationOptions _options;
    private readonly ForestMaskSettings _forestMask;

    public StacObservationSource(ProcessingGrid grid, IStacArchive archive, ITileFootprintIndex footprints, ProviderProfile profile,
        StaticCatalogReader reader, ObservationOptions options, ForestMaskSettings forestMask)
    {
        _grid = grid;
        _archive = archive;
        _footprints = footprints;
        _profile = profile;
        _reader = reader;
        _options = options;
        _forestMask = forestMask;
    }

    /// <summary>How the source opens the items' bands; the poller describes the items it sends tiles with the same profile.</summary>
    public ProviderProfile Profile => _profile;

    /// <summary>The source a project file describes (its archive, provider, index, SCL classes, screening buffer and forest mask).</summary>
    public static StacObservationSource ForProject(ProjectConfig config, HttpClient http, int? parallelism = null)
    {
        var options = new ObservationOptions
        {
            Index = config.Index,
            ValidSclClasses = config.SclKeep.ToHashSet(),
            ScreeningBuffer = config.ScreeningBuffer,
            IncludeScreeningBands = config.NeedsScreeningBands(),
            MaxParallelism = parallelism ?? Environment.ProcessorCount,
        };
        return new StacObservationSource(config.Grid, ProjectArchive.Create(config, http), ProjectArchive.Footprints(config),
            ProviderProfiles.ByName(config.Stac.Provider, http), new StaticCatalogReader(http), options, config.ForestMask);
    }

    public async Task<TileHistory> LoadHistoryAsync(TileId tile, DateOnly start, DateOnly end, CancellationToken cancellationToken)
    {
        var box = _grid.TileGeoBox(tile);
        // Solar days may be a few hours off UTC: search a day wider and keep the solar days inside the period.
        var from = start.AddDays(-1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var to = end.AddDays(2).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        // Only around the tile: a fit job fits every tile, and each searching the whole area would read it once per tile.
        var around = _grid.LonLatEnvelope(tile, tile);
        around.ExpandBy(GridTileFootprints.ClipMargin);
        var items = (await _archive.Within(StacJson.GeometryFactory.ToGeometry(around)).SearchAsync(from, to, cancellationToken).ConfigureAwait(false))
            .Where(i => _footprints.TilesTouching(i.Footprint).Contains(tile))
            .ToList();
        var observations = SolarDays.Group(items).Where(o => o.SolarDay >= start && o.SolarDay <= end).ToList();
        if (observations.Count == 0)
            throw new InvalidOperationException(
                $"Tile {tile}: the archive has no items touching the tile between {start:yyyy-MM-dd} and {end:yyyy-MM-dd}; check project.stac, project.history and the area of interest.");
        var inputs = new List<ObservationInput>(observations.Count);
        foreach (var o in observations)
            inputs.Add(await ObservationInput.ResolveAsync(_profile, o, _options, cancellationToken).ConfigureAwait(false));

        var history = await Task.Run(() => ObservationLoader.LoadHistory(box, inputs, start, end, _options), cancellationToken).ConfigureAwait(false);
        int pixels = box.PixelCount;
        float[]? Flat(Func<TileObservation, float[]?> band) =>
            history.Length == 0 || band(history[0]) is null ? null : Flatten([.. history.Select(o => band(o)!)], pixels);
        return TileHistory.Of(box.Height, box.Width, [.. history.Select(o => o.Time.UtcDateTime)], Flat(o => o.Index)!,
            ForestMask(box), Flat(o => o.Green), Flat(o => o.Swir));
    }

    /// <summary>
    /// Resolves the items' bands, from what the sender described of them (<see cref="ItemRef.Assets"/>) or else from their
    /// documents, and loads the day from the items that can be read. An item that cannot be for good (a dangling href, an
    /// item without a needed asset, a missing or corrupt file) is left out and listed, as long as another item loads; a
    /// transient failure, or every item failing, fails the day.
    /// </summary>
    public async Task<ObservationLoad> LoadObservationAsync(TileId tile, DateOnly day, DateTime acquiredUtc, IReadOnlyList<ItemRef> items,
        CancellationToken cancellationToken)
    {
        if (items.Count == 0) throw new ArgumentException($"Tile {tile}, {day:yyyy-MM-dd}: an observation needs at least one item.", nameof(items));
        var box = _grid.TileGeoBox(tile);
        var resolved = new List<ObservationItem>(items.Count);
        var leftOut = new List<ItemFailure>();
        foreach (var item in items)
        {
            try
            {
                var assets = item.Assets ?? await DescribeAsync(tile, day, item, cancellationToken).ConfigureAwait(false);
                resolved.Add(new ObservationItem(assets.ItemId, await _profile.OpenAllAsync(assets, _options.RequiredBands, cancellationToken).ConfigureAwait(false)));
            }
            catch (Exception e) when (InputFailure.IsPermanent(e))
            {
                // Only left out if another item loads; else this is the day's failure.
                if (resolved.Count == 0 && leftOut.Count == items.Count - 1) throw;
                leftOut.Add(new ItemFailure(item.Id, e));
            }
        }
        var input = new ObservationInput(day, new DateTimeOffset(DateTime.SpecifyKind(acquiredUtc, DateTimeKind.Utc)), resolved);
        var loaded = await Task.Run(() => ObservationLoader.LoadAvailable(box, input, _options), cancellationToken).ConfigureAwait(false);
        return new ObservationLoad(loaded.Observation.Index,
            [.. leftOut.Concat(loaded.LeftOut).Select(f => new LeftOutItem(f.ItemId, f.Error.Message))]);
    }

    /// <summary>An item sent without its assets (by an older node, or one its sender could not describe): read from its document.</summary>
    private async Task<ItemAssets> DescribeAsync(TileId tile, DateOnly day, ItemRef item, CancellationToken ct)
    {
        StacItem stacItem;
        try
        {
            var (json, location) = await _reader.LoadAsync(item.Href, ct).ConfigureAwait(false);
            stacItem = StacJson.ParseItem(json, location);
        }
        catch (Exception e) when (e is StacException or IOException or HttpRequestException)
        {
            throw new IOException($"Tile {tile}, {day:yyyy-MM-dd}: cannot read STAC item '{item.Id}' at {item.Href}: {e.Message}", e);
        }
        return _profile.Describe(stacItem);
    }

    public Task<byte[]> LoadForestMaskAsync(TileId tile, string? rasterPath, double? threshold, CancellationToken cancellationToken)
    {
        var box = _grid.TileGeoBox(tile);
        if (rasterPath is null)
        {
            var all = new byte[box.PixelCount];
            Array.Fill(all, (byte)1);
            return Task.FromResult(all);
        }
        return Task.Run(() => TileRasters.ReadForestMask(rasterPath, box, threshold, Resampling.Nearest), cancellationToken);
    }

    /// <summary>The configured forest mask on the tile (1 = monitor); null when every pixel is monitored or the rule decides after the fit.</summary>
    private byte[]? ForestMask(GeoBox box) => _forestMask.Source switch
    {
        ForestMaskSource.Raster => TileRasters.ReadForestMask(_forestMask.RasterPath!, box, _forestMask.RasterThreshold, Resampling.Nearest),
        _ => null,
    };

    private static float[] Flatten(float[][] layers, int pixels)
    {
        var values = new float[(long)layers.Length * pixels];
        for (int t = 0; t < layers.Length; t++) layers[t].CopyTo(values, (long)t * pixels);
        return values;
    }
}
