using System.Runtime.ExceptionServices;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Geo.Sentinel2;

/// <summary>
/// Reads Sentinel-2 L2A observations onto a tile: each band of each granule is warped onto the tile's geobox
/// (reflectances with the chosen kernel, SCL with nearest; DN 0 is nodata), scaled to reflectance, mosaicked
/// first-valid across the granules of the solar day, screened with SCL (plus a buffer: the resampling kernel's reach
/// around screened pixels, whose cloud, shadow or snow reflectance the kernel would blend into their neighbours), and
/// turned into a spectral index.
/// </summary>
public static class ObservationLoader
{
    /// <summary>Loads one observation (the granules of one solar day) onto <paramref name="tile"/>.</summary>
    public static TileObservation Load(GeoBox tile, ObservationInput input, ObservationOptions? options = null)
    {
        options ??= new ObservationOptions();
        return Load(tile, input, options, Math.Max(1, options.MaxParallelism));
    }

    /// <summary>
    /// Loads one observation like <see cref="Load(GeoBox, ObservationInput, ObservationOptions?)"/>, but leaves out an item
    /// whose assets cannot be read for good (<see cref="InputFailure.IsPermanent"/>) and mosaics the others, listing it
    /// in <see cref="LoadedObservation.LeftOut"/>. Fails as before when a failure is transient, or when no item that
    /// loaded covers the tile while one failed (the day has nothing to show without it).
    /// </summary>
    public static LoadedObservation LoadAvailable(GeoBox tile, ObservationInput input, ObservationOptions? options = null)
    {
        options ??= new ObservationOptions();
        var leftOut = new List<ItemFailure>();
        var observation = Load(tile, input, options, Math.Max(1, options.MaxParallelism), leftOut);
        return new LoadedObservation(observation, leftOut);
    }

    /// <summary>
    /// Loads the observations whose solar day lies in [<paramref name="from"/>, <paramref name="to"/>], in time order (a
    /// tile's history), reading several observations at once; green and SWIR are filled when screening bands are asked for.
    /// </summary>
    public static TileObservation[] LoadHistory(GeoBox tile, IEnumerable<ObservationInput> inputs, DateOnly from, DateOnly to,
        ObservationOptions? options = null)
    {
        options ??= new ObservationOptions();
        var selected = inputs.Where(i => i.SolarDay >= from && i.SolarDay <= to).OrderBy(i => i.Time).ToArray();
        var observations = new TileObservation[selected.Length];
        // Parallel across observations, sequential inside each: one level of parallelism keeps the cores busy
        // without oversubscribing them.
        RunParallel(selected.Length, Math.Max(1, options.MaxParallelism),
            i => observations[i] = Load(tile, selected[i], options, parallelism: 1));
        return observations;
    }

    /// <param name="leftOut">Null: any failure fails the load. Else items failing for good are left out and added to it.</param>
    private static TileObservation Load(GeoBox tile, ObservationInput input, ObservationOptions options, int parallelism,
        List<ItemFailure>? leftOut = null)
    {
        if (input.Items.Count == 0)
            throw new ArgumentException($"Observation {input.SolarDay:yyyy-MM-dd} has no items.", nameof(input));
        var reflectanceBands = options.ReflectanceBands;
        foreach (var item in input.Items)
            foreach (var band in options.RequiredBands)
                if (!item.Bands.ContainsKey(band))
                    throw new ArgumentException($"Observation {input.SolarDay:yyyy-MM-dd}, item '{item.Id}' has no {band.ToString().ToLowerInvariant()} band source; the provider profile must map it to an asset.", nameof(input));

        // reflectance[item][band], scl[item]; null where the item's footprint misses the tile. SCL is read with a
        // margin of the screening buffer, so that clouds just outside the tile still mask the pixels they blur into.
        var buffer = options.ScreeningBufferOn(tile);
        var sclBox = Expand(tile, buffer);
        var reflectance = new float[]?[input.Items.Count][];
        var scl = new byte[]?[input.Items.Count];
        var failed = new ObservationReadException?[input.Items.Count];
        for (var i = 0; i < reflectance.Length; i++) reflectance[i] = new float[]?[reflectanceBands.Count];
        // Two jobs per item: its reflectance bands (warped in one pass when they share a grid) and its SCL.
        RunParallel(input.Items.Count * 2, parallelism, job =>
        {
            try
            {
                ReadJob(job);
            }
            catch (ObservationReadException e) when (leftOut is not null && InputFailure.IsPermanent(e))
            {
                Interlocked.CompareExchange(ref failed[job / 2], e, null);
            }
        });

        void ReadJob(int job)
        {
            var itemIndex = job / 2;
            var item = input.Items[itemIndex];
            if (job % 2 == 1)
            {
                var source = item.Bands[LogicalBand.Scl];
                scl[itemIndex] = Read(input.SolarDay, item, [source], () => Warp.BandWhereCovered<byte>(source.GdalPath, sclBox,
                    new WarpOptions(Resampling.Nearest, RasterDataType.Byte, source.NoData, DestinationNoData: 0), fill: 0));
                return;
            }
            var sources = reflectanceBands.Select(b => item.Bands[b]).ToArray();
            var noData = sources[0].NoData;
            if (sources.Any(s => s.NoData != noData))
            {
                for (var k = 0; k < sources.Length; k++)
                    reflectance[itemIndex][k] = ReadReflectance(input.SolarDay, item, [sources[k]], tile, options)[0];
                return;
            }
            reflectance[itemIndex] = ReadReflectance(input.SolarDay, item, sources, tile, options);
        }

        // Only items that read and cover the tile in every band take part in the mosaic.
        var covering = Enumerable.Range(0, scl.Length)
            .Where(i => failed[i] is null && scl[i] is not null && reflectance[i].All(r => r is not null)).ToArray();
        if (failed.FirstOrDefault(f => f is not null) is { } firstFailure)
        {
            if (covering.Length == 0) ExceptionDispatchInfo.Capture(firstFailure).Throw();
            leftOut!.AddRange(failed.Where(f => f is not null).Select(f => new ItemFailure(f!.ItemId, f)));
        }
        var valid = new bool[256];
        foreach (var c in options.ValidSclClasses) valid[c] = true;
        var sclOf = covering.Select(i => Crop(scl[i]!, sclBox, buffer)).ToArray();
        var screenedOf = covering.Select(i => NearScreened(scl[i]!, sclBox, buffer, valid)).ToArray();
        var reflectanceOf = covering.Select(i => reflectance[i].Select(r => r!).ToArray()).ToArray();
        var n = tile.PixelCount;
        var a = new float[n];
        var b = new float[n];
        float[]? green = options.IncludeScreeningBands ? new float[n] : null;
        float[]? swir = options.IncludeScreeningBands ? new float[n] : null;
        var greenAt = reflectanceBands.IndexOf(LogicalBand.Green);
        var swirAt = reflectanceBands.IndexOf(options.ScreeningSwir);

        for (var p = 0; p < n; p++)
        {
            var chosen = -1;
            for (var i = 0; i < sclOf.Length; i++)
            {
                if (sclOf[i][p] == 0) continue;
                var r = reflectanceOf[i];
                var ok = true;
                for (var k = 0; k < r.Length && ok; k++) ok = !float.IsNaN(r[k][p]);
                if (ok) { chosen = i; break; }
            }
            if (chosen < 0 || !valid[sclOf[chosen][p]] || screenedOf[chosen][p])
            {
                a[p] = b[p] = float.NaN;
                if (green is not null) green[p] = swir![p] = float.NaN;
                continue;
            }
            var rr = reflectanceOf[chosen];
            a[p] = rr[0][p];
            b[p] = rr[1][p];
            if (green is not null)
            {
                green[p] = rr[greenAt][p];
                swir![p] = rr[swirAt][p];
            }
        }
        NormalisedDifference(a, b);
        return new TileObservation(input.SolarDay, input.Time, a, green, swir);
    }

    /// <summary><paramref name="tile"/> grown by <paramref name="margin"/> pixels on every side.</summary>
    private static GeoBox Expand(GeoBox tile, int margin)
    {
        if (margin == 0) return tile;
        var t = tile.Transform;
        var (x0, y0) = t.Apply(-margin, -margin);
        return tile with { Width = tile.Width + 2 * margin, Height = tile.Height + 2 * margin, Transform = t with { X0 = x0, Y0 = y0 } };
    }

    /// <summary>The tile's part of a raster read on the tile grown by <paramref name="margin"/>.</summary>
    private static byte[] Crop(byte[] grown, GeoBox grownBox, int margin)
    {
        if (margin == 0) return grown;
        var width = grownBox.Width - 2 * margin;
        var height = grownBox.Height - 2 * margin;
        var tile = new byte[width * height];
        for (var r = 0; r < height; r++)
            grown.AsSpan((r + margin) * grownBox.Width + margin, width).CopyTo(tile.AsSpan(r * width, width));
        return tile;
    }

    /// <summary>
    /// Per tile pixel, whether a screened-out class (not kept, not nodata) lies within <paramref name="margin"/> pixels
    /// (a square window) in the grown SCL raster: a max filter, rows then columns.
    /// </summary>
    private static bool[] NearScreened(byte[] grown, GeoBox grownBox, int margin, bool[] valid)
    {
        int gw = grownBox.Width, gh = grownBox.Height, width = gw - 2 * margin, height = gh - 2 * margin;
        var screened = new bool[gw * gh];
        for (var i = 0; i < grown.Length; i++) screened[i] = grown[i] != 0 && !valid[grown[i]];
        if (margin == 0) return screened;
        // Along rows: grown rows, tile columns.
        var rows = new bool[gh * width];
        for (var r = 0; r < gh; r++)
            for (var c = 0; c < width; c++)
                rows[r * width + c] = screened.AsSpan(r * gw + c, 2 * margin + 1).Contains(true);
        var near = new bool[width * height];
        for (var r = 0; r < height; r++)
            for (var c = 0; c < width; c++)
            {
                var any = false;
                for (var k = 0; k <= 2 * margin && !any; k++) any = rows[(r + k) * width + c];
                near[r * width + c] = any;
            }
        return near;
    }

    /// <summary>Warps reflectance band sources of one item (sharing one nodata value) and scales them to reflectance.</summary>
    private static float[]?[] ReadReflectance(DateOnly day, ObservationItem item, BandSource[] sources, GeoBox tile, ObservationOptions options)
    {
        var values = Read(day, item, sources, () => Warp.BandsWhereCovered(sources.Select(s => s.GdalPath).ToArray(), tile,
            new WarpOptions(options.ReflectanceResampling, RasterDataType.Float32, sources[0].NoData, DestinationNoData: double.NaN), fill: float.NaN));
        for (var k = 0; k < values.Length; k++)
            if (values[k] is { } v) Scale(v, (float)sources[k].Scale, (float)sources[k].Offset);
        return values;
    }

    /// <summary>Runs a GDAL read with the sources' GDAL options set, turning a failure into an error naming item, band and asset.</summary>
    private static T Read<T>(DateOnly day, ObservationItem item, BandSource[] sources, Func<T> read)
    {
        using var config = GdalConfigScope.Apply(sources[0].GdalOptions);
        try
        {
            return read();
        }
        catch (GdalException e)
        {
            // A multi-band read fails on one of its files: name the one GDAL named, else the first.
            var failed = sources.FirstOrDefault(s => e.Path == s.GdalPath || e.Message.Contains(s.GdalPath, StringComparison.Ordinal)) ?? sources[0];
            if (!e.Permanent)
                foreach (var s in sources) RasterDataset.ForgetRemote(s.GdalPath);
            throw new ObservationReadException(item.Id, failed.Band, failed.GdalPath, day, e);
        }
    }

    /// <summary>DN * scale + offset in place; NaN (nodata) stays NaN.</summary>
    internal static void Scale(Span<float> values, float scale, float offset)
    {
        for (var i = 0; i < values.Length; i++) values[i] = values[i] * scale + offset;
    }

    /// <summary>(a - b) / (a + b) into <paramref name="a"/>; a zero denominator or any non-finite result becomes NaN.</summary>
    public static void NormalisedDifference(Span<float> a, ReadOnlySpan<float> b)
    {
        for (var i = 0; i < a.Length; i++)
        {
            var sum = a[i] + b[i];
            var v = sum == 0 ? float.NaN : (a[i] - b[i]) / sum;
            a[i] = float.IsFinite(v) ? v : float.NaN;
        }
    }

    /// <summary>Parallel.For that rethrows the first failure itself rather than an AggregateException.</summary>
    private static void RunParallel(int count, int parallelism, Action<int> body)
    {
        if (parallelism <= 1 || count <= 1)
        {
            for (var i = 0; i < count; i++) body(i);
            return;
        }
        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }
    }
}
