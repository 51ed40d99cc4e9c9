using System.Diagnostics;
using System.Text.Json.Nodes;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Patches;
using Xunit.Abstractions;

namespace NrtCluster.Geo.Tests;

/// <summary>Alert patches: grouping of break pixels, outlines traced by GDALPolygonize, the patches.geojson file.</summary>
public class AlertPatchTests(ITestOutputHelper output)
{
    private const string Tile = "x3_y-1";
    private static readonly GeoBox Box = GeoBox.NorthUp("EPSG:32633", 500_000, 5_800_000, 20, 40, 30);
    private const ushort Day = 19_000; // 2022-01-08

    /// <summary>
    /// Four patches: A an L of three pixels plus one touching it only at a corner (a later date, within the window); B a 2 x 2
    /// block; C one pixel below B dated 100 days later (split off by the window); D a lone pixel.
    /// </summary>
    private static ushort[] Scene()
    {
        var d = new ushort[Box.PixelCount];
        void Set(int row, int col, int day) => d[row * Box.Width + col] = (ushort)day;
        Set(2, 2, Day); Set(2, 3, Day); Set(3, 3, Day + 5); Set(4, 4, Day + 10);
        Set(10, 10, Day); Set(10, 11, Day); Set(11, 10, Day); Set(11, 11, Day);
        Set(12, 10, Day + 100);
        Set(20, 30, Day + 50);
        return d;
    }

    private static readonly DateOnly Date0 = new(2022, 1, 8);

    [Fact]
    public void Touching_pixels_within_the_window_are_one_patch_corners_count_and_the_window_splits()
    {
        var patches = PatchGrouping.Group(new BreakPixels(Tile, Box, Scene(), null, null), 30).Patches;
        Assert.Equal(
            [
                ($"{Tile}-r0002c0002", 4, Date0, Date0.AddDays(10)),
                ($"{Tile}-r0010c0010", 4, Date0, Date0),
                ($"{Tile}-r0020c0030", 1, Date0.AddDays(50), Date0.AddDays(50)),
                ($"{Tile}-r0012c0010", 1, Date0.AddDays(100), Date0.AddDays(100)),
            ],
            patches.Select(p => (p.Id, p.Pixels, p.FirstDate, p.LastDate)));
        // 20 m pixels: 0.04 ha each.
        Assert.Equal([0.16, 0.16, 0.04, 0.04], patches.Select(p => p.AreaHa));
        Assert.All(patches, p => Assert.Equal((Tile, (string?)null, (double?)null), (p.Tile, p.Confidence, p.Magnitude)));
        // A wider window joins C to B.
        Assert.Equal(3, PatchGrouping.Group(new BreakPixels(Tile, Box, Scene(), null, null), 100).Patches.Count);
    }

    [Fact]
    public void A_patch_has_its_highest_confidence_and_mean_magnitude_when_the_report_has_them()
    {
        var dates = Scene();
        var confidence = dates.Select(d => (ushort)(d == 0 ? 0 : 1)).ToArray();
        var magnitude = new ushort[dates.Length];
        confidence[3 * Box.Width + 3] = 2;
        magnitude[2 * Box.Width + 2] = 150;
        magnitude[2 * Box.Width + 3] = 250;
        magnitude[4 * Box.Width + 4] = 100;
        var patches = PatchGrouping.Group(new BreakPixels(Tile, Box, dates, confidence, magnitude), 30).Patches;
        Assert.Equal(("high", 1.67), (patches[0].Confidence, patches[0].Magnitude));
        // Confidence known, no magnitude on any pixel of the patch.
        Assert.Equal(("low", (double?)null), (patches[1].Confidence, patches[1].Magnitude));
    }

    [Fact]
    public void A_patch_keeps_its_id_as_it_grows_and_two_patches_joined_by_new_pixels_keep_the_older_seed()
    {
        var day1 = Scene();
        var before = PatchGrouping.Group(new BreakPixels(Tile, Box, day1, null, null), 30).Patches;
        var day2 = (ushort[])day1.Clone();
        // A grows left of its seed and below its tail, 20 days after the seed.
        day2[2 * Box.Width + 1] = Day + 20;
        day2[5 * Box.Width + 4] = Day + 20;
        var after = PatchGrouping.Group(new BreakPixels(Tile, Box, day2, null, null), 30).Patches;
        Assert.Equal(before.Select(p => p.Id), after.Select(p => p.Id));
        Assert.Equal((6, Date0.AddDays(20)), (after[0].Pixels, after[0].LastDate));

        // E: an older patch two pixels below A's tail; a new pixel between them joins both: E's seed, the older, names the patch.
        var older = (ushort[])day2.Clone();
        older[7 * Box.Width + 4] = Day - 5;
        var split = PatchGrouping.Group(new BreakPixels(Tile, Box, older, null, null), 30).Patches;
        Assert.Contains(split, p => p.Id == $"{Tile}-r0007c0004");
        older[6 * Box.Width + 4] = Day + 21;
        var joined = PatchGrouping.Group(new BreakPixels(Tile, Box, older, null, null), 30).Patches;
        var patch = Assert.Single(joined, p => p.Pixels == 8);
        Assert.Equal(($"{Tile}-r0007c0004", Date0.AddDays(-5), Date0.AddDays(21)), (patch.Id, patch.FirstDate, patch.LastDate));
        Assert.DoesNotContain(joined, p => p.Id == $"{Tile}-r0002c0002");
    }

    [Fact]
    public void Gdal_traces_one_outline_per_label_with_the_area_of_its_pixels()
    {
        var grouped = PatchGrouping.Group(new BreakPixels(Tile, Box, Scene(), null, null), 30);
        var outlines = Polygonizer.Polygonize(Box, grouped.Labels);
        try
        {
            Assert.Equal([1, 2, 3, 4], outlines.Keys.Order());
            for (var k = 1; k <= 4; k++) Assert.Equal(grouped.Patches[k - 1].Pixels * 400.0, outlines[k].Area, 6);
            // The diagonal touch is one outline (8-connected), not two polygons.
            Assert.Equal("POLYGON", outlines[1].TypeName);
        }
        finally
        {
            foreach (var g in outlines.Values) g.Dispose();
        }
    }

    [Fact]
    public void The_patches_file_is_rfc7946_geojson_in_lon_lat_with_the_agreed_properties_and_reads_back_through_gdal()
    {
        using var temp = new TempFolder();
        var path = Path.Combine(temp.Path, "tiles", Tile, PatchFile.FileName);
        var written = PatchFile.Write(path, new BreakPixels(Tile, Box, Scene(), null, null), 30);

        var json = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal("FeatureCollection", json["type"]!.GetValue<string>());
        var features = json["features"]!.AsArray();
        Assert.Equal(written.Select(p => p.Id), features.Select(f => f!["id"]!.GetValue<string>()));
        foreach (var f in features)
        {
            var props = f!["properties"]!.AsObject();
            Assert.Equal(["id", "tile", "area_ha", "first_date", "last_date", "pixels", "confidence", "magnitude"], props.Select(p => p.Key));
            Assert.Equal(f["id"]!.GetValue<string>(), props["id"]!.GetValue<string>());
            Assert.Null(props["confidence"]);
            Assert.Contains(f["geometry"]!["type"]!.GetValue<string>(), new[] { "Polygon", "MultiPolygon" });
            // UTM 33N, 500 km easting, 5800 km northing: about 15 E, 52.3 N (lon first).
            var ring = (f["geometry"]!["type"]!.GetValue<string>() == "Polygon" ? f["geometry"]!["coordinates"]![0]! : f["geometry"]!["coordinates"]![0]![0]!)
                .AsArray().Select(p => (X: p![0]!.GetValue<double>(), Y: p[1]!.GetValue<double>())).ToArray();
            Assert.All(ring, p => Assert.True(p.X is > 14.99 and < 15.02 && p.Y is > 52.3 and < 52.36, $"{p} is not lon/lat near 15 E, 52.3 N"));
            // RFC 7946: exterior rings counterclockwise (positive signed area).
            Assert.True(ring.Zip(ring.Skip(1), (a, b) => a.X * b.Y - b.X * a.Y).Sum() > 0, "the exterior ring is clockwise");
        }
        Assert.Equal("2022-01-08", features[0]!["properties"]!["first_date"]!.GetValue<string>());
        Assert.Equal([PatchFile.FileName], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));

        Assert.Equal(written, PatchFile.Read(path));
        var info = Run("ogrinfo", "-so", "-al", path);
        Assert.Contains("Feature Count: 4", info);
        Assert.Contains("area_ha: Real", info);
        Assert.Contains("pixels: Integer", info);
    }

    [Fact]
    public void A_tile_without_breaks_writes_an_empty_collection()
    {
        using var temp = new TempFolder();
        var path = temp.File(PatchFile.FileName);
        Assert.Empty(PatchFile.Write(path, new BreakPixels(Tile, Box, new ushort[Box.PixelCount], null, null), 30));
        Assert.Empty(JsonNode.Parse(File.ReadAllText(path))!["features"]!.AsArray());
        Assert.Empty(PatchFile.Read(path));
    }

    /// <summary>
    /// A full 1000 x 1000 tile with many breaks: 3000 clearings of up to 30 x 30 pixels over a year, and 2% scattered single
    /// pixels. Prints the time taken (the figure quoted for patches per report); the bound only catches a hang.
    /// </summary>
    [Fact]
    public void A_full_tile_with_many_breaks_is_grouped_traced_and_written()
    {
        var box = GeoBox.NorthUp("EPSG:3035", 5_200_000, 2_900_000, 20, 1000, 1000);
        var random = new Random(7);
        var dates = new ushort[box.PixelCount];
        for (var k = 0; k < 3000; k++)
        {
            int r0 = random.Next(1000), c0 = random.Next(1000), h = random.Next(1, 31), w = random.Next(1, 31);
            var day = (ushort)(Day + random.Next(365));
            for (var r = r0; r < Math.Min(1000, r0 + h); r++)
                for (var c = c0; c < Math.Min(1000, c0 + w); c++)
                    dates[r * 1000 + c] = (ushort)(day + random.Next(10));
        }
        for (var k = 0; k < 20_000; k++) dates[random.Next(dates.Length)] = (ushort)(Day + random.Next(365));
        using var temp = new TempFolder();
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var patches = PatchFile.Write(temp.File(PatchFile.FileName), new BreakPixels(Tile, box, dates, null, null), 30);
        clock.Stop();
        cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Assert.Equal(dates.Count(d => d > 0), patches.Sum(p => p.Pixels));
        Assert.Equal(patches.Count, PatchFile.Read(temp.File(PatchFile.FileName)).Count);
        output.WriteLine($"1000 x 1000 px, {dates.Count(d => d > 0)} break pixels, {patches.Count} patches: {clock.Elapsed.TotalSeconds:F2} s wall, " +
                         $"{cpu.TotalSeconds:F2} s processor, {new FileInfo(temp.File(PatchFile.FileName)).Length / 1e6:F1} MB");
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromMinutes(2));
    }

    internal static string Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{program} failed: {error}");
        return output.Result;
    }
}

public class PatchSummaryTests
{
    [Fact]
    public void The_area_histogram_puts_each_patch_in_the_bin_of_its_area_edges_going_up()
    {
        AlertPatch Of(double ha) => new("t-r0000c0000", "t", ha, default, default, 1, null, null, 0, 0);
        var bins = PatchSummary.AreaHistogram([Of(0.04), Of(0.5), Of(0.99), Of(1), Of(4.9), Of(20), Of(350)]);
        Assert.Equal([("<0.5 ha", 1), ("0.5-1 ha", 2), ("1-5 ha", 2), ("5-20 ha", 0), (">=20 ha", 2)], bins);
    }
}
