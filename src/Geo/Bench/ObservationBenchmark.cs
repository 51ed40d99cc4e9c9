using System.Diagnostics;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Sentinel2;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Geo.Bench;

/// <summary>Figures of one <see cref="ObservationBenchmark"/> run.</summary>
public sealed record ObservationBenchmarkResult(
    int TileSize,
    int Repeats,
    double ObservationMedianMs,
    double ObservationMinMs,
    double ObservationCpuMs,
    int CubeObservations,
    double CubeSeconds,
    double CubeCpuSeconds,
    double SetupSeconds,
    int Threads)
{
    public double CubeObservationsPerSecond => CubeObservations / CubeSeconds;

    public override string ToString() =>
        $"one observation (red, nir, SCL; 2 granules in UTM 32N/33N warped cubic/nearest onto a {TileSize} x {TileSize} EPSG:3035 tile): " +
        $"median {ObservationMedianMs:F0} ms, best {ObservationMinMs:F0} ms over {Repeats} runs (target <= 250 ms); " +
        $"CPU {ObservationCpuMs:F0} ms per observation\n" +
        $"history cube of {CubeObservations} observations: {CubeSeconds:F1} s ({CubeObservationsPerSecond:F1} observations/s; target <= 60 s); " +
        $"CPU {CubeCpuSeconds:F1} s\n" +
        $"{Threads} threads; writing the test COGs took {SetupSeconds:F1} s";
}

/// <summary>
/// Times the Sentinel-2 observation loader on local COGs it writes itself: one observation of a tile from two
/// overlapping granules in different UTM zones, and a history cube of many such observations.
/// </summary>
public static class ObservationBenchmark
{
    /// <param name="tileSize">Tile edge in 20 m pixels (the target figures are for 1000).</param>
    /// <param name="repeats">Timed single-observation loads (after one warm-up load).</param>
    /// <param name="cubeObservations">Observations in the history cube (0 skips it).</param>
    /// <param name="distinctDays">Different granule pairs written; the cube cycles through them. Every load opens and
    /// decodes its files afresh (GDAL drops a dataset's cached blocks when it closes), so reuse saves only disk I/O.</param>
    /// <param name="output">Where progress and figures are printed (null: nowhere).</param>
    public static ObservationBenchmarkResult Run(int tileSize = 1000, int repeats = 10, int cubeObservations = 220,
        int distinctDays = 4, TextWriter? output = null, string? workFolder = null)
    {
        if (tileSize < 10) throw new ArgumentOutOfRangeException(nameof(tileSize), "Use a tile of at least 10 pixels.");
        if (repeats < 1 || distinctDays < 1) throw new ArgumentOutOfRangeException(nameof(repeats), "Use at least one repeat and one distinct day.");
        var folder = Path.Combine(workFolder ?? Path.GetTempPath(), "nrtc-bench-geo-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            // A tile of the EPSG:3035 grid near 10E 52N: zone 32 is the home zone, zone 33 the neighbour.
            var tile = new ProcessingGrid("EPSG:3035", 20, 4000000, 3500000, tileSize).TileGeoBox(new TileId(16, 14));
            var setup = Stopwatch.StartNew();
            output?.WriteLine($"writing {distinctDays} x 2 granules x 3 bands of test COGs in {folder} ...");
            var inputs = new ObservationInput[distinctDays];
            for (var d = 0; d < distinctDays; d++)
            {
                var day = new DateOnly(2023, 1, 1).AddDays(5 * d);
                var west = WriteGranule(folder, $"d{d}_w", tile, 32632, 0.0, 0.6, seed: 2 * d);
                var east = WriteGranule(folder, $"d{d}_e", tile, 32633, 0.4, 1.0, seed: 2 * d + 1);
                inputs[d] = new ObservationInput(day, new DateTimeOffset(day.ToDateTime(new TimeOnly(10, 30)), TimeSpan.Zero), [west, east]);
            }
            setup.Stop();

            var options = new ObservationOptions();
            ObservationLoader.Load(tile, inputs[0], options);
            var times = new double[repeats];
            var cpu = CpuTime();
            for (var r = 0; r < repeats; r++)
            {
                var sw = Stopwatch.StartNew();
                var obs = ObservationLoader.Load(tile, inputs[r % distinctDays], options);
                times[r] = sw.Elapsed.TotalMilliseconds;
                if (obs.ValidPixelCount == 0) throw new InvalidOperationException("The benchmark observation has no valid pixel: the test COGs are wrong.");
            }
            var observationCpuMs = (CpuTime() - cpu).TotalMilliseconds / repeats;
            Array.Sort(times);
            var median = repeats % 2 == 1 ? times[repeats / 2] : (times[repeats / 2 - 1] + times[repeats / 2]) / 2;

            double cubeSeconds = 0, cubeCpuSeconds = 0;
            if (cubeObservations > 0)
            {
                var history = Enumerable.Range(0, cubeObservations).Select(i =>
                {
                    var day = new DateOnly(2020, 1, 1).AddDays(5 * i);
                    return inputs[i % distinctDays] with { SolarDay = day, Time = new DateTimeOffset(day.ToDateTime(new TimeOnly(10, 30)), TimeSpan.Zero) };
                }).ToArray();
                output?.WriteLine($"loading a history cube of {cubeObservations} observations ...");
                var cubeCpu = CpuTime();
                var sw = Stopwatch.StartNew();
                var cube = ObservationLoader.LoadHistory(tile, history, DateOnly.MinValue, DateOnly.MaxValue, options);
                cubeSeconds = sw.Elapsed.TotalSeconds;
                cubeCpuSeconds = (CpuTime() - cubeCpu).TotalSeconds;
                if (cube.Length != cubeObservations) throw new InvalidOperationException($"The history holds {cube.Length} observations, not {cubeObservations}.");
            }

            var result = new ObservationBenchmarkResult(tileSize, repeats, median, times[0], observationCpuMs, cubeObservations, cubeSeconds, cubeCpuSeconds,
                setup.Elapsed.TotalSeconds, options.MaxParallelism);
            output?.WriteLine(result);
            return result;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>CPU time of this process: on a machine shared with other work it shows what the wall time would be alone.</summary>
    private static TimeSpan CpuTime() => Process.GetCurrentProcess().TotalProcessorTime;

    /// <summary>
    /// Writes red, nir and SCL COGs of a granule in a UTM zone that covers the tile's columns [from, to) of its width
    /// plus 2 km; DNs are a smooth field plus noise (compressing like real data rather than like constants).
    /// </summary>
    private static ObservationItem WriteGranule(string folder, string name, GeoBox tile, int utmEpsg, double from, double to, int seed)
    {
        var box = tile.CoveringIn(utmEpsg, 20, from, to, margin: 2000);
        var random = new Random(seed);
        var n = box.PixelCount;
        var red = new ushort[n];
        var nir = new ushort[n];
        var scl = new byte[n];
        for (var r = 0; r < box.Height; r++)
            for (var c = 0; c < box.Width; c++)
            {
                var i = r * box.Width + c;
                var field = Math.Sin(c * 0.013) * Math.Cos(r * 0.017);
                red[i] = (ushort)(1600 + 400 * field + random.Next(60));
                nir[i] = (ushort)(3800 + 900 * field + random.Next(120));
                // Cloud (9) patches over a vegetated (4) background.
                scl[i] = (byte)(Math.Sin(c * 0.005 + seed) * Math.Sin(r * 0.004) > 0.8 ? 9 : 4);
            }
        var redPath = Path.Combine(folder, name + "_B04.tif");
        var nirPath = Path.Combine(folder, name + "_B8A.tif");
        var sclPath = Path.Combine(folder, name + "_SCL.tif");
        GeoTiffWriter.Write(redPath, box, [("B04", red)], RasterDataType.UInt16, 0, cog: true);
        GeoTiffWriter.Write(nirPath, box, [("B8A", nir)], RasterDataType.UInt16, 0, cog: true);
        GeoTiffWriter.Write(sclPath, box, [("SCL", scl)], RasterDataType.Byte, 0, cog: true);
        var scaling = new ReflectanceScaling(ReflectanceScaling.L2AScale, ReflectanceScaling.Baseline4Offset, ScalingSource.ProcessingBaseline, "benchmark");
        var noOptions = new Dictionary<string, string>();
        return new ObservationItem(name, new Dictionary<LogicalBand, BandSource>
        {
            [LogicalBand.Red] = new(name, LogicalBand.Red, "B04", redPath, redPath, scaling, 0, noOptions, null),
            [LogicalBand.Nir] = new(name, LogicalBand.Nir, "B8A", nirPath, nirPath, scaling, 0, noOptions, null),
            [LogicalBand.Scl] = new(name, LogicalBand.Scl, "SCL", sclPath, sclPath,
                new ReflectanceScaling(1, 0, ScalingSource.ClassLayer, "class layer"), 0, noOptions, null),
        });
    }
}
