namespace NrtCluster.Geo.Synthetic;

/// <summary>
/// The synthetic world of one seed as arrays: geometry, acquisitions, disturbances, and the rasters of any granule on
/// any date, the forest mask and the ground truth. <see cref="SyntheticArchive"/> writes it to disk.
/// </summary>
public sealed class SyntheticScene
{
    private readonly Landscape _land;
    private readonly SceneRenderer _renderer;
    private readonly GranuleSites[] _sites;

    public SyntheticScene(SyntheticArchiveOptions options)
    {
        options.Validate();
        Options = options;
        Geometry = SceneGeometry.Create(options.GranuleSize);
        _land = Landscape.Create(options, Geometry);
        _sites = Geometry.Granules.Select(g => new GranuleSites(g, _land)).ToArray();
        Acquisitions = Acquisition.Schedule(options);
        HazeDates = PickHazeDates(options, Acquisitions);
        _renderer = new SceneRenderer(options.Seed, _land, Geometry, HazeDates);
    }

    /// <summary>
    /// The days of unflagged haze (<see cref="SyntheticArchiveOptions.HazeDays"/> of them, fewer when the monitoring period
    /// has fewer growing-season acquisitions), in date order: acquisitions after the history from April to October,
    /// picked by the seed. Their sky is otherwise clear.
    /// </summary>
    public IReadOnlyList<DateOnly> HazeDates { get; }

    private static DateOnly[] PickHazeDates(SyntheticArchiveOptions options, IReadOnlyList<Acquisition> acquisitions)
    {
        var seed = Noise.Hash((ulong)options.Seed, 315);
        return [.. acquisitions.Select(a => a.Date)
            .Where(d => d > options.HistoryEnd && d.Month is >= 4 and <= 10)
            .OrderBy(d => Noise.Uniform(seed, d.DayNumber))
            .Take(options.HazeDays)
            .Order()];
    }

    public SyntheticArchiveOptions Options { get; }
    public SceneGeometry Geometry { get; }
    public IReadOnlyList<Acquisition> Acquisitions { get; }

    /// <summary>Clear-cuts in date order (ids D01, D02, ...).</summary>
    public IReadOnlyList<Disturbance> Disturbances => _land.Disturbances;

    /// <summary>
    /// DNs of granule <paramref name="granule"/> on <paramref name="acquisition"/>: green, red, nir08, swir16, swir22
    /// and SCL (see <see cref="SyntheticBands.All"/>), each row-major over the granule's box; 0 outside the footprint.
    /// </summary>
    public ushort[][] Render(int granule, Acquisition acquisition)
    {
        var bands = new ushort[6][];
        for (var b = 0; b < 6; b++) bands[b] = new ushort[Geometry.Granules[granule].Box.PixelCount];
        _renderer.Render(_sites[granule], _renderer.ConditionsFor(acquisition), bands);
        return bands;
    }

    /// <summary>
    /// <see cref="Render"/> with a fresh clear-cut: the valid pixels whose centre lies within <paramref name="radius"/> metres of
    /// (<paramref name="x"/>, <paramref name="y"/>) in EPSG:3035 are bare soil (NDVI about 0.35) under a clear sky (SCL not vegetated),
    /// in every granule alike. For a granule published after the archive (a new acquisition carrying a disturbance).
    /// </summary>
    public ushort[][] RenderCleared(int granule, Acquisition acquisition, double x, double y, double radius)
    {
        var bands = Render(granule, acquisition);
        var s = _sites[granule];
        // Green, red, nir08, swir16, swir22 reflectance of bare soil and slash, as the archive's clear-cuts.
        ReadOnlySpan<double> bare = [0.06, 0.08, 0.17, 0.27, 0.17];
        for (var i = 0; i < s.X.Length; i++)
        {
            if (!s.Valid[i] || (s.X[i] - x) * (s.X[i] - x) + (s.Y[i] - y) * (s.Y[i] - y) > radius * radius) continue;
            for (var b = 0; b < bare.Length; b++) bands[b][i] = (ushort)Math.Round(bare[b] * 10_000 + acquisition.DnOffset);
            bands[5][i] = SclClass.NotVegetated;
        }
        return bands;
    }

    /// <summary>Forest (1) or not (0) at each pixel centre of the reference grid, a land-cover map older than the archive.</summary>
    public byte[] ForestMask()
    {
        var (x, y) = SceneGeometry.PixelCentres(Geometry.Reference, SceneGeometry.ReferenceCrs);
        var mask = new byte[x.Length];
        Parallel.For(0, x.Length, i => mask[i] = _land.CoverAt(x[i], y[i]) == Cover.Forest ? (byte)1 : (byte)0);
        return mask;
    }

    /// <summary>Day number (days since 1970-01-01) of the clear-cut at each reference-grid pixel centre; 0 where none.</summary>
    public ushort[] DisturbanceDays()
    {
        var (x, y) = SceneGeometry.PixelCentres(Geometry.Reference, SceneGeometry.ReferenceCrs);
        var days = new ushort[x.Length];
        Parallel.For(0, x.Length, i =>
        {
            foreach (var d in _land.Disturbances)
            {
                if (d.Contains(x[i], y[i]))
                {
                    days[i] = (ushort)d.DayNumber;
                    break;
                }
            }
        });
        return days;
    }

    /// <summary>Whether each reference-grid pixel holds data in at least one granule.</summary>
    public bool[] ReferenceCovered => _land.ReferenceCovered;

    /// <summary>Index of the pixel of granule <paramref name="granule"/> inside <paramref name="disturbance"/> nearest its vertex mean; -1 if none.</summary>
    public int PixelInside(int granule, Disturbance disturbance)
    {
        var s = _sites[granule];
        var cx = disturbance.X.Average();
        var cy = disturbance.Y.Average();
        var best = -1;
        var bestDistance = double.MaxValue;
        for (var i = 0; i < s.X.Length; i++)
        {
            if (!s.Valid[i] || !disturbance.Contains(s.X[i], s.Y[i])) continue;
            var distance = (s.X[i] - cx) * (s.X[i] - cx) + (s.Y[i] - cy) * (s.Y[i] - cy);
            if (distance < bestDistance)
            {
                best = i;
                bestDistance = distance;
            }
        }
        return best;
    }

    /// <summary>Whether granule pixel <paramref name="index"/> is undisturbed forest with data (for picking stable pixels).</summary>
    public bool IsStableForest(int granule, int index) =>
        _sites[granule].Valid[index] && _sites[granule].Sites.Cover[index] == Cover.Forest && _sites[granule].Sites.Disturbance[index] < 0;
}
