namespace NrtCluster.Geo.Synthetic;

internal enum Cover : byte { Forest, Field, Water }

/// <summary>
/// The synthetic ground, as continuous functions of EPSG:3035 coordinates so that both granules (and the reference
/// grid) sample one and the same world: forest patches with a deciduous/coniferous mix, agricultural fields, a pond,
/// and clear-cut polygons inside the forest.
/// </summary>
internal sealed class Landscape
{
    public const int FieldKinds = 3;
    public const int PhaseBuckets = 8;
    private const double ForestFraction = 0.65;
    private const double WaterFraction = 0.03;

    private readonly ulong _forestSeed, _deciduousSeed, _textureSeed, _pixelSeed, _fieldSeed;
    private readonly double _forestThreshold, _waterThreshold;

    private Landscape(ulong seed, SceneGeometry geometry)
    {
        _forestSeed = Noise.Hash(seed, 101);
        _deciduousSeed = Noise.Hash(seed, 102);
        _textureSeed = Noise.Hash(seed, 103);
        _pixelSeed = Noise.Hash(seed, 104);
        _fieldSeed = Noise.Hash(seed, 105);
        // Thresholds from the scene's own score distribution keep the forest share stable for any scene size.
        var scores = SampleReference(geometry.Reference, 64, (x, y) => ForestScore(x, y));
        Array.Sort(scores);
        _forestThreshold = scores[(int)((1 - ForestFraction) * (scores.Length - 1))];
        _waterThreshold = scores[(int)(WaterFraction * (scores.Length - 1))];
    }

    public IReadOnlyList<Disturbance> Disturbances { get; private set; } = [];

    /// <summary>Reference-grid pixels (row-major) that hold data in at least one granule.</summary>
    public bool[] ReferenceCovered { get; private set; } = [];

    public static Landscape Create(SyntheticArchiveOptions options, SceneGeometry geometry)
    {
        var land = new Landscape((ulong)options.Seed, geometry);
        var (x, y) = SceneGeometry.PixelCentres(geometry.Reference, SceneGeometry.ReferenceCrs);
        land.ReferenceCovered = geometry.Covered(x, y);
        land.Disturbances = land.PlaceDisturbances(options, geometry.Reference);
        return land;
    }

    private double ForestScore(double x, double y) => Noise.Fractal(_forestSeed, x, y, 1500, 4);

    public Cover CoverAt(double x, double y)
    {
        var score = ForestScore(x, y);
        return score > _forestThreshold ? Cover.Forest : score < _waterThreshold ? Cover.Water : Cover.Field;
    }

    /// <summary>Static attributes of the ground at each point (EPSG:3035).</summary>
    public Sites Sample(double[] x, double[] y)
    {
        var n = x.Length;
        var s = new Sites(n);
        Parallel.For(0, n, i =>
        {
            var px = x[i];
            var py = y[i];
            s.Cover[i] = CoverAt(px, py);
            s.Deciduous[i] = (float)Noise.SmoothStep(0.35, 0.65, Noise.Fractal(_deciduousSeed, px, py, 700, 3));
            // Noise keys on a 10 m lattice: the same ground gets the same per-date noise in both granules.
            var qx = (long)Math.Round(px / 10);
            var qy = (long)Math.Round(py / 10);
            s.NoiseX[i] = qx;
            s.NoiseY[i] = qy;
            s.Texture[i] = (float)((0.92 + 0.16 * Noise.Fractal(_textureSeed, px, py, 80, 2)) * (1 + 0.03 * Noise.Gaussian(_pixelSeed, qx, qy)));
            // Fields: a rotated grid of parcels, each with a crop kind and a timing offset.
            const double theta = 0.35;
            var u = px * Math.Cos(theta) + py * Math.Sin(theta);
            var v = -px * Math.Sin(theta) + py * Math.Cos(theta);
            var parcel = Noise.Hash(_fieldSeed, (long)Math.Floor(u / 350), (long)Math.Floor(v / 220));
            s.FieldKind[i] = (byte)(parcel % 10 < 4 ? 0 : parcel % 10 < 7 ? 1 : 2);
            s.FieldPhase[i] = (byte)((parcel >> 8) % PhaseBuckets);
            s.Disturbance[i] = -1;
            for (var d = 0; d < Disturbances.Count; d++)
            {
                if (Disturbances[d].Contains(px, py))
                {
                    s.Disturbance[i] = (short)d;
                    break;
                }
            }
        });
        return s;
    }

    private static double[] SampleReference(Gdal.GeoBox box, int steps, Func<double, double, double> f)
    {
        var values = new double[steps * steps];
        for (var r = 0; r < steps; r++)
            for (var c = 0; c < steps; c++)
            {
                var (x, y) = box.Transform.Apply((c + 0.5) * box.Width / steps, (r + 0.5) * box.Height / steps);
                values[r * steps + c] = f(x, y);
            }
        return values;
    }

    /// <summary>
    /// Quantile of <paramref name="f"/> over the reference grid: used to turn a target cloud cover into a threshold.
    /// </summary>
    public static double Quantile(Gdal.GeoBox box, Func<double, double, double> f, double p)
    {
        var values = SampleReference(box, 48, f);
        Array.Sort(values);
        return values[Math.Clamp((int)(p * (values.Length - 1)), 0, values.Length - 1)];
    }

    private List<Disturbance> PlaceDisturbances(SyntheticArchiveOptions o, Gdal.GeoBox reference)
    {
        var random = new Random((int)(Noise.Hash((ulong)o.Seed, 106) & 0x7FFFFFFF));
        var monitoringFirst = Max(o.HistoryEnd.AddDays(10), o.Start);
        var monitoringLast = o.End.AddDays(-45);
        var historyFirst = o.Start.AddDays(90);
        var historyLast = o.HistoryEnd.AddDays(-90);
        var dates = new List<(DateOnly Date, bool History)>();
        dates.AddRange(SpreadDates(random, monitoringFirst, monitoringLast, o.MonitoringDisturbances).Select(d => (d, false)));
        dates.AddRange(SpreadDates(random, historyFirst, historyLast, o.HistoryDisturbances).Select(d => (d, true)));

        var bounds = reference.Bounds;
        var maxRadius = Math.Min(200, Math.Min(bounds.Width, bounds.Height) / 8);
        var placed = new List<(double X, double Y, double R)>();
        var result = new List<(DateOnly Date, bool History, double[] Xs, double[] Ys, float[] Bare)>();
        foreach (var (date, history) in dates)
        {
            for (var attempt = 0; attempt < 2000; attempt++)
            {
                var cx = bounds.MinX + random.NextDouble() * bounds.Width;
                var cy = bounds.MinY + random.NextDouble() * bounds.Height;
                var radius = maxRadius * (0.45 + 0.55 * random.NextDouble());
                var n = 7 + random.Next(3);
                var xs = new double[n];
                var ys = new double[n];
                for (var v = 0; v < n; v++)
                {
                    var angle = 2 * Math.PI * v / n + (random.NextDouble() - 0.5) * 0.5;
                    var rv = radius * (0.7 + 0.5 * random.NextDouble());
                    xs[v] = cx + rv * Math.Cos(angle);
                    ys[v] = cy + rv * Math.Sin(angle);
                }
                if (placed.Any(p => Math.Sqrt((p.X - cx) * (p.X - cx) + (p.Y - cy) * (p.Y - cy)) < p.R + radius * 1.2 + 60)) continue;
                if (!InsideForest(cx, cy, xs, ys, reference)) continue;
                placed.Add((cx, cy, radius * 1.2));
                // Bare soil and slash: nir 0.15-0.2, red 0.06-0.1 but at least nir/2.2 (NDVI <= 0.375), SWIR up.
                var nir = 0.15 + 0.05 * random.NextDouble();
                var red = Math.Max(0.06 + 0.04 * random.NextDouble(), nir / 2.2);
                float[] bare =
                [
                    (float)(0.05 + 0.03 * random.NextDouble()), (float)red, (float)nir,
                    (float)(0.24 + 0.06 * random.NextDouble()), (float)(0.14 + 0.06 * random.NextDouble()),
                ];
                result.Add((date, history, xs, ys, bare));
                break;
            }
        }
        return result.OrderBy(d => d.Date).Select((d, k) => new Disturbance($"D{k + 1:00}", d.Date, d.History, d.Xs, d.Ys, d.Bare)).ToList();
    }

    /// <summary>Whether the whole polygon (vertices and points towards its centre) is forest with data.</summary>
    private bool InsideForest(double cx, double cy, double[] xs, double[] ys, Gdal.GeoBox reference)
    {
        for (var v = 0; v < xs.Length; v++)
        {
            for (var t = 0.0; t <= 1.0; t += 0.25)
            {
                var px = cx + t * (xs[v] - cx);
                var py = cy + t * (ys[v] - cy);
                if (CoverAt(px, py) != Cover.Forest) return false;
                var (col, row) = reference.Transform.Invert(px, py);
                if (col < 0 || row < 0 || col >= reference.Width || row >= reference.Height) return false;
                if (!ReferenceCovered[(int)row * reference.Width + (int)col]) return false;
            }
        }
        return true;
    }

    /// <summary><paramref name="count"/> random dates in [first, last], one in each of as many equal slices, so they spread over the period.</summary>
    private static IEnumerable<DateOnly> SpreadDates(Random random, DateOnly first, DateOnly last, int count)
    {
        if (last < first || count == 0) yield break;
        var span = last.DayNumber - first.DayNumber + 1.0;
        for (var k = 0; k < count; k++)
            yield return first.AddDays((int)((k + random.NextDouble()) * span / count));
    }

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;
}

/// <summary>Static ground attributes of a set of points (one granule's pixels or the reference grid).</summary>
internal sealed class Sites(int n)
{
    public readonly Cover[] Cover = new Cover[n];
    public readonly float[] Deciduous = new float[n];
    public readonly float[] Texture = new float[n];
    public readonly byte[] FieldKind = new byte[n];
    public readonly byte[] FieldPhase = new byte[n];
    public readonly short[] Disturbance = new short[n];
    public readonly long[] NoiseX = new long[n];
    public readonly long[] NoiseY = new long[n];
}
