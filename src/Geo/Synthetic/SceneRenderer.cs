namespace NrtCluster.Geo.Synthetic;

/// <summary>A band of the synthetic archive: Earth Search v1 asset key, Sentinel-2 band name, file name.</summary>
public sealed record SyntheticBand(string AssetKey, string BandName, double CenterWavelength, double FullWidthHalfMax, string Title)
{
    public string FileName => BandName + ".tif";
}

/// <summary>The bands written for every granule and date, in the order <see cref="SceneRenderer"/> produces them.</summary>
public static class SyntheticBands
{
    public static readonly IReadOnlyList<SyntheticBand> Reflectance =
    [
        new("green", "B03", 0.560, 0.045, "Green (band 3) - 20m"),
        new("red", "B04", 0.665, 0.038, "Red (band 4) - 20m"),
        new("nir08", "B8A", 0.865, 0.033, "NIR 2 (band 8A) - 20m"),
        new("swir16", "B11", 1.610, 0.143, "SWIR 1 (band 11) - 20m"),
        new("swir22", "B12", 2.190, 0.242, "SWIR 2 (band 12) - 20m"),
    ];

    public static readonly SyntheticBand SceneClassification = new("scl", "SCL", 0, 0, "Scene classification map (SCL)");

    /// <summary>Reflectance bands then SCL.</summary>
    public static IReadOnlyList<SyntheticBand> All => [.. Reflectance, SceneClassification];
}

/// <summary>Sentinel-2 L2A scene classification codes the generator writes.</summary>
public static class SclClass
{
    public const byte NoData = 0;
    public const byte CloudShadow = 3;
    public const byte Vegetation = 4;
    public const byte NotVegetated = 5;
    public const byte Water = 6;
    public const byte Unclassified = 7;
    public const byte CloudMedium = 8;
    public const byte CloudHigh = 9;
    public const byte ThinCirrus = 10;
    public const byte Snow = 11;
}

/// <summary>One granule's pixels: their EPSG:3035 centres, validity and ground attributes, computed once.</summary>
internal sealed class GranuleSites
{
    public GranuleSites(Granule granule, Landscape land)
    {
        Granule = granule;
        (X, Y) = SceneGeometry.PixelCentres(granule.Box, SceneGeometry.ReferenceCrs);
        Valid = new bool[X.Length];
        for (var r = 0; r < granule.Box.Height; r++)
            for (var c = 0; c < granule.Box.Width; c++)
                Valid[r * granule.Box.Width + c] = granule.IsValid(c + 0.5, r + 0.5);
        Sites = land.Sample(X, Y);
    }

    public Granule Granule { get; }
    public double[] X { get; }
    public double[] Y { get; }
    public bool[] Valid { get; }
    public Sites Sites { get; }
}

/// <summary>Everything about one date that is the same for every pixel: season, atmosphere, weather.</summary>
internal sealed class Conditions
{
    public int DnOffset;
    public ulong NoiseSeed;
    public readonly float[] ForestDeciduous = new float[5];
    public readonly float[] ForestConiferous = new float[5];
    public readonly float[] FieldCover = new float[Landscape.FieldKinds * Landscape.PhaseBuckets];
    public float FieldLight;
    public double Season;
    public double Gain;
    public double VisibleBias;
    public float[] CutAge = [];
    public double CloudThreshold = double.PositiveInfinity;
    public ulong CloudSeed;
    public double ShadowDx, ShadowDy;
    public double CloudBrightness;
    public bool Cirrus;
    public ulong CirrusSeed;
    public bool Snow;
    public ulong SnowSeed;
    /// <summary>Path radiance of unflagged haze added to green reflectance (0: none); the other bands get less.</summary>
    public double Haze;
    public ulong HazeSeed;
}

/// <summary>
/// Renders the DNs of one granule on one date: surface reflectance from the landscape and the season, per-pixel
/// noise, clouds as coherent blobs with their shadows, thin cirrus and winter snow, all marked in SCL.
/// </summary>
internal sealed class SceneRenderer
{
    public const double CloudScale = 2500;
    private static readonly float[] Vegetation = [0.07f, 0.035f, 0.42f, 0.20f, 0.10f];
    private static readonly float[] Soil = [0.10f, 0.13f, 0.20f, 0.30f, 0.22f];
    private static readonly float[] WaterReflectance = [0.04f, 0.02f, 0.012f, 0.005f, 0.003f];
    private static readonly float[] SnowReflectance = [0.80f, 0.78f, 0.70f, 0.10f, 0.07f];
    private static readonly float[] CloudTop = [0.42f, 0.40f, 0.45f, 0.30f, 0.20f];
    private static readonly float[] NoiseSd = [0.003f, 0.003f, 0.010f, 0.006f, 0.004f];
    /// <summary>Haze scatters short wavelengths most: its reflectance per band relative to green.</summary>
    private static readonly float[] HazeSpectrum = [1f, 0.8f, 0.35f, 0.1f, 0.05f];

    private readonly ulong _seed;
    private readonly Landscape _land;
    private readonly SceneGeometry _geometry;
    private readonly HashSet<DateOnly> _hazeDates;

    public SceneRenderer(int seed, Landscape land, SceneGeometry geometry, IEnumerable<DateOnly> hazeDates)
    {
        _seed = (ulong)seed;
        _land = land;
        _geometry = geometry;
        _hazeDates = [.. hazeDates];
    }

    private static double Logistic(double z) => 1 / (1 + Math.Exp(-z));

    public Conditions ConditionsFor(Acquisition a)
    {
        var date = a.Date;
        var day = DayNumbers.Of(date);
        var doy = date.DayOfYear + a.Time.TimeOfDay.TotalDays;
        var c = new Conditions { DnOffset = a.DnOffset, NoiseSeed = Noise.Hash(_seed, 301, day) };

        // Phenology: leaf-out and leaf-fall shift from year to year; low winter sun darkens everything.
        var sos = 115 + 8 * (Noise.Uniform(_seed, 302, date.Year) - 0.5);
        var eos = 290 + 6 * (Noise.Uniform(_seed, 303, date.Year) - 0.5);
        var s = Logistic((doy - sos) / 9) - Logistic((doy - eos) / 11);
        c.Season = s;
        var light = 0.85 + 0.15 * Math.Cos(2 * Math.PI * (doy - 172) / 365.25);
        float[] dec = [(float)(0.045 + 0.015 * s), (float)(0.045 - 0.022 * s), (float)(0.21 + 0.13 * s), (float)(0.20 - 0.05 * s), (float)(0.12 - 0.05 * s)];
        float[] con = [(float)(0.035 + 0.008 * s), (float)(0.030 - 0.006 * s), (float)(0.23 + 0.05 * s), (float)(0.13 - 0.02 * s), (float)(0.07 - 0.015 * s)];
        for (var b = 0; b < 5; b++)
        {
            c.ForestDeciduous[b] = (float)(dec[b] * light);
            c.ForestConiferous[b] = (float)(con[b] * light);
        }
        c.FieldLight = (float)(0.8 + 0.2 * light);
        for (var kind = 0; kind < Landscape.FieldKinds; kind++)
            for (var phase = 0; phase < Landscape.PhaseBuckets; phase++)
                c.FieldCover[kind * Landscape.PhaseBuckets + phase] = (float)FieldCover(kind, doy - (phase - 3.5) * 4);

        c.CutAge = new float[_land.Disturbances.Count];
        for (var d = 0; d < c.CutAge.Length; d++)
            c.CutAge[d] = date >= _land.Disturbances[d].Date ? (float)((day - _land.Disturbances[d].DayNumber) / 365.25) : -1;

        // Residual atmospheric correction error: a small scene-wide gain and visible bias per date.
        c.Gain = 1 + 0.02 * Noise.Gaussian(_seed, 304, day);
        c.VisibleBias = 0.0005 * Noise.Gaussian(_seed, 305, day);

        Weather(c, doy, day, date.Month);
        if (_hazeDates.Contains(date))
        {
            // A clear sky under thin haze: forest NDVI drops by about 0.1 (0.03) to 0.25 (0.08).
            c.CloudThreshold = double.PositiveInfinity;
            c.Cirrus = false;
            c.Haze = 0.03 + 0.05 * Noise.Uniform(_seed, 316, day);
            c.HazeSeed = Noise.Hash(_seed, 317, day);
        }
        return c;
    }

    private void Weather(Conditions c, double doy, int day, int month)
    {
        var winter = month is 11 or 12 or 1 or 2;
        // Winters are cloudier: fewer clear days, more overcast ones.
        var u = Noise.Uniform(_seed, 306, day) + (winter ? 0.15 : 0);
        var v = Noise.Uniform(_seed, 307, day);
        var cover = u < 0.30 ? 0 : u < 0.55 ? 0.3 * v : u < 0.75 ? 0.3 + 0.5 * v : 0.85 + 0.2 * v;
        c.CloudSeed = Noise.Hash(_seed, 308, day);
        if (cover >= 1) c.CloudThreshold = double.NegativeInfinity;
        else if (cover > 0)
        {
            var seed = c.CloudSeed;
            c.CloudThreshold = Landscape.Quantile(_geometry.Reference, (x, y) => Noise.Fractal(seed, x, y, CloudScale, 3), 1 - cover);
        }
        // The shading cloud lies towards the sun (south-south-east at 10:30 UTC), further when the sun is low.
        var declination = 23.44 * Math.Sin(2 * Math.PI * (doy - 81) / 365.25);
        var elevation = (90 - 48 + declination) * Math.PI / 180;
        var height = 800 + 1700 * Noise.Uniform(_seed, 309, day);
        var distance = Math.Min(4000, height / Math.Tan(elevation));
        var azimuth = 160 * Math.PI / 180;
        c.ShadowDx = distance * Math.Sin(azimuth);
        c.ShadowDy = distance * Math.Cos(azimuth);
        c.CloudBrightness = 0.8 + 0.5 * Noise.Uniform(_seed, 310, day);
        c.Cirrus = cover < 0.85 && Noise.Uniform(_seed, 311, day) < 0.15;
        c.CirrusSeed = Noise.Hash(_seed, 312, day);
        c.Snow = (month is 12 or 1 or 2 || (month == 3 && doy < 70)) && Noise.Uniform(_seed, 313, day) < 0.35;
        c.SnowSeed = Noise.Hash(_seed, 314, day);
    }

    /// <summary>Green-vegetation cover of a parcel on day-of-year <paramref name="doy"/>: grass, winter crop, maize.</summary>
    private static double FieldCover(int kind, double doy)
    {
        switch (kind)
        {
            case 0:
                var grass = 0.45 + 0.45 * (Logistic((doy - 100) / 8) - Logistic((doy - 300) / 10));
                foreach (var mow in (ReadOnlySpan<double>)[155, 205, 255])
                    if (doy >= mow && doy < mow + 15) grass -= 0.35 * (1 - (doy - mow) / 15);
                return grass;
            case 1:
                if (doy < 240) return (0.3 + 0.65 * Logistic((doy - 80) / 10)) * (1 - Logistic((doy - 195) / 4)) + 0.08 * Logistic((doy - 195) / 4);
                return 0.08 + 0.3 * Logistic((doy - 300) / 12);
            default:
                return 0.05 + 0.9 * Logistic((doy - 165) / 8) * (1 - Logistic((doy - 275) / 5));
        }
    }

    /// <summary>Fills <paramref name="bands"/> (green, red, nir08, swir16, swir22, scl; each Width x Height) with DNs.</summary>
    public void Render(GranuleSites g, Conditions c, ushort[][] bands)
    {
        var width = g.Granule.Box.Width;
        var s = g.Sites;
        Parallel.For(0, g.Granule.Box.Height, row =>
        {
            Span<float> surface = stackalloc float[5];
            for (var i = row * width; i < (row + 1) * width; i++)
            {
                if (!g.Valid[i])
                {
                    for (var b = 0; b < 6; b++) bands[b][i] = 0;
                    continue;
                }
                var x = g.X[i];
                var y = g.Y[i];
                var scl = Surface(s, i, c, surface);
                if (c.Snow && scl != SclClass.Water)
                {
                    var covered = s.Cover[i] != Cover.Forest || Noise.Fractal(c.SnowSeed, x, y, 300, 2) > 0.6;
                    if (covered)
                    {
                        var share = s.Cover[i] == Cover.Forest ? 0.5f : 1f;
                        for (var b = 0; b < 5; b++) surface[b] += share * (SnowReflectance[b] - surface[b]);
                        scl = SclClass.Snow;
                    }
                }
                for (var b = 0; b < 5; b++)
                {
                    var value = surface[b] * c.Gain + (b < 2 ? c.VisibleBias : 0) + NoiseSd[b] * Noise.Gaussian(c.NoiseSeed, s.NoiseX[i], s.NoiseY[i], b);
                    surface[b] = (float)value;
                }
                scl = Atmosphere(c, x, y, surface, scl);
                if (scl is SclClass.Vegetation or SclClass.NotVegetated && Noise.Uniform(c.NoiseSeed, s.NoiseX[i], s.NoiseY[i], 99) < 0.003)
                    scl = SclClass.Unclassified;
                for (var b = 0; b < 5; b++)
                    bands[b][i] = (ushort)Math.Clamp(Math.Round(surface[b] * 10000) + c.DnOffset, 1, 65535);
                bands[5][i] = scl;
            }
        });
    }

    /// <summary>Clear-sky surface reflectance of pixel <paramref name="i"/>; returns its SCL class.</summary>
    private byte Surface(Sites s, int i, Conditions c, Span<float> surface)
    {
        switch (s.Cover[i])
        {
            case Cover.Water:
                for (var b = 0; b < 5; b++) surface[b] = WaterReflectance[b];
                return SclClass.Water;
            case Cover.Field:
                var v = c.FieldCover[s.FieldKind[i] * Landscape.PhaseBuckets + s.FieldPhase[i]];
                for (var b = 0; b < 5; b++) surface[b] = (Soil[b] + v * (Vegetation[b] - Soil[b])) * c.FieldLight * s.Texture[i];
                break;
            default:
                var d = s.Deciduous[i];
                for (var b = 0; b < 5; b++) surface[b] = (c.ForestConiferous[b] + d * (c.ForestDeciduous[b] - c.ForestConiferous[b])) * s.Texture[i];
                var k = s.Disturbance[i];
                if (k >= 0 && c.CutAge[k] >= 0)
                {
                    // Fresh cut: bare soil and slash with some summer weeds, regrowing towards young deciduous forest.
                    var bare = _land.Disturbances[k].Bare;
                    var regrowth = (float)(1 - Math.Exp(-c.CutAge[k] / 4));
                    var weeds = (float)c.Season;
                    for (var b = 0; b < 5; b++)
                    {
                        var cut = bare[b] * c.FieldLight + (b == 2 ? 0.03f * weeds : b == 1 ? -0.01f * weeds : 0);
                        surface[b] = (cut + regrowth * (c.ForestDeciduous[b] - cut)) * s.Texture[i];
                    }
                }
                break;
        }
        var ndvi = (surface[2] - surface[1]) / (surface[2] + surface[1]);
        return ndvi > 0.4 ? SclClass.Vegetation : SclClass.NotVegetated;
    }

    /// <summary>Cloud shadows, cirrus and clouds over the surface, flagged in SCL where the L2A classifier would see them.</summary>
    private static byte Atmosphere(Conditions c, double x, double y, Span<float> surface, byte scl)
    {
        if (c.Haze > 0)
        {
            // Unflagged: the classifier sees vegetation through it. Thicker in some places than others, over the whole scene.
            var amount = (float)(c.Haze * (0.6 + 0.8 * Noise.Fractal(c.HazeSeed, x, y, 5000, 2)));
            for (var b = 0; b < 5; b++) surface[b] += amount * HazeSpectrum[b];
        }
        var t = c.CloudThreshold;
        var cloud = 0.0;
        if (!double.IsPositiveInfinity(t))
        {
            cloud = double.IsNegativeInfinity(t) ? 1 : Noise.Fractal(c.CloudSeed, x, y, CloudScale, 3);
            // A cloud at (x, y) + the shift towards the sun shades this pixel.
            var shading = double.IsNegativeInfinity(t) ? 1 : Noise.Fractal(c.CloudSeed, x + c.ShadowDx, y + c.ShadowDy, CloudScale, 3);
            if (shading > t + 0.03)
            {
                for (var b = 0; b < 5; b++) surface[b] *= 0.35f;
                scl = SclClass.CloudShadow;
            }
            else if (shading > t)
            {
                // Shadow edges the classifier misses: mild darkening only.
                var f = (float)(1 - 0.15 * Noise.SmoothStep(t, t + 0.03, shading));
                for (var b = 0; b < 5; b++) surface[b] *= f;
            }
        }
        if (c.Cirrus)
        {
            var ci = Noise.Fractal(c.CirrusSeed, x, y, 4000, 2);
            if (ci > 0.55)
            {
                var flagged = ci > 0.62;
                var add = flagged ? 0.04f : (float)(0.01 * Noise.SmoothStep(0.55, 0.62, ci));
                for (var b = 0; b < 5; b++) surface[b] += b < 3 ? add : add / 2;
                if (flagged) scl = SclClass.ThinCirrus;
            }
        }
        if (!double.IsPositiveInfinity(t))
        {
            if (cloud > t)
            {
                var opacity = (float)(0.55 + 0.45 * Noise.SmoothStep(t, t + 0.08, cloud));
                for (var b = 0; b < 5; b++) surface[b] += opacity * ((float)(CloudTop[b] * c.CloudBrightness) - surface[b]);
                scl = cloud > t + 0.05 || double.IsNegativeInfinity(t) ? SclClass.CloudHigh : SclClass.CloudMedium;
            }
            else if (cloud > t - 0.02)
            {
                // Haze at cloud edges below the classifier's threshold.
                var opacity = (float)(0.03 * Noise.SmoothStep(t - 0.02, t, cloud));
                for (var b = 0; b < 5; b++) surface[b] += opacity * ((float)(CloudTop[b] * c.CloudBrightness) - surface[b]);
            }
        }
        return scl;
    }
}
