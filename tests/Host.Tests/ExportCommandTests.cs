using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Patches;

namespace NrtCluster.Host.Tests;

/// <summary><c>nrtc export</c> as a real process over patches files written by the real writer, read back through GDAL.</summary>
public sealed class ExportCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _project;
    private static readonly GeoBox Box = GeoBox.NorthUp("EPSG:3035", 5_200_000, 2_900_000, 20, 30, 30);
    private static readonly ushort June1 = (ushort)(new DateOnly(2022, 6, 1).DayNumber - new DateOnly(1970, 1, 1).DayNumber);

    public ExportCommandTests()
    {
        _project = _temp.File("project.conf");
        File.WriteAllText(_project, File.ReadAllText(Path.Combine(RepoRoot.Path, "hocon", "project.example.conf")));
        var tiles = Path.Combine(_temp.Path, "out", "tiles");
        // x1_y1: three patches, two before June (with confidence and magnitude); x2_y1: one patch after June, no such bands;
        // x3_y1: no breaks at all.
        var dates = new ushort[Box.PixelCount];
        dates[0] = dates[1] = (ushort)(June1 - 40);
        dates[5 * 30 + 5] = (ushort)(June1 - 10);
        dates[20 * 30 + 20] = dates[21 * 30 + 21] = (ushort)(June1 + 3);
        var confidence = dates.Select(d => (ushort)(d > 0 ? 2 : 0)).ToArray();
        var magnitude = dates.Select(d => (ushort)(d > 0 ? 120 : 0)).ToArray();
        PatchFile.Write(Path.Combine(tiles, "x1_y1", PatchFile.FileName), new BreakPixels("x1_y1", Box, dates, confidence, magnitude), 30);
        GeoTiffWriter.Write(Path.Combine(tiles, "x1_y1", "report.tif"), Box, [("detection_date", dates), ("confidence", confidence), ("magnitude", magnitude)],
            RasterDataType.UInt16, nodata: null, cog: false);
        var later = new ushort[Box.PixelCount];
        later[10 * 30 + 10] = later[10 * 30 + 11] = later[11 * 30 + 10] = (ushort)(June1 + 20);
        var east = Box with { Transform = Box.Transform with { X0 = 5_200_600 } };
        PatchFile.Write(Path.Combine(tiles, "x2_y1", PatchFile.FileName), new BreakPixels("x2_y1", east, later, null, null), 30);
        GeoTiffWriter.Write(Path.Combine(tiles, "x2_y1", "report.tif"), east, [("mask", later), ("detection_date", later)], RasterDataType.UInt16, nodata: null, cog: false);
        PatchFile.Write(Path.Combine(tiles, "x3_y1", PatchFile.FileName), new BreakPixels("x3_y1", Box, new ushort[Box.PixelCount], null, null), 30);
    }

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("FlatGeobuf", "all.fgb")]
    [InlineData("GPKG", "all.gpkg")]
    [InlineData("GeoJSON", "all.geojson")]
    public void Every_patch_of_every_tile_is_written_in_the_format_with_typed_fields(string format, string name)
    {
        var outPath = _temp.File(name);
        var (code, output) = Nrtc.Run("export", "-p", _project, "--out", outPath, "--format", format);
        Assert.True(code == 0, output);
        Assert.Contains($"export: 4 patches from 3 tiles written to {outPath} ({format})", output);

        using var ds = VectorDataset.Open(outPath);
        var layer = ds.Layer(0);
        Assert.Equal(4, layer.FeatureCount);
        var fields = layer.Fields.ToDictionary(f => f.Name, f => f.Type);
        Assert.Equal(PatchFile.Fields.Select(f => f.Name), fields.Keys);
        // FlatGeobuf has no date-only type: its dates are date-times.
        var date = format == "FlatGeobuf" ? VectorFieldType.DateTime : VectorFieldType.Date;
        Assert.Equal((VectorFieldType.Real, VectorFieldType.Integer, date, date), (fields["area_ha"], fields["pixels"], fields["first_date"], fields["last_date"]));
        var features = layer.Features();
        Assert.All(features, f => Assert.Equal("MULTIPOLYGON", f.GeometryType));
        var byId = features.ToDictionary(f => f.Values["id"]!);
        Assert.Equal(["x1_y1-r0000c0000", "x1_y1-r0005c0005", "x1_y1-r0020c0020", "x2_y1-r0010c0010"], byId.Keys.Order());
        Assert.Equal(("high", "1.2", "2"), (byId["x1_y1-r0000c0000"].Values["confidence"], byId["x1_y1-r0000c0000"].Values["magnitude"], byId["x1_y1-r0000c0000"].Values["pixels"]));
        Assert.Equal(((string?)null, (string?)null, "0.12"), (byId["x2_y1-r0010c0010"].Values["confidence"], byId["x2_y1-r0010c0010"].Values["magnitude"], byId["x2_y1-r0010c0010"].Values["area_ha"]));

        var (ogrinfo, info) = Http.Processes.Run("ogrinfo", "-so", "-al", outPath);
        Assert.True(ogrinfo == 0, info);
        Assert.Contains("Feature Count: 4", info);
    }

    [Fact]
    public void Since_keeps_the_patches_last_detected_on_or_after_the_date()
    {
        var outPath = _temp.File("recent.gpkg");
        var (code, output) = Nrtc.Run("export", "-p", _project, "--out", outPath, "--since", "2022-06-01");
        Assert.True(code == 0, output);
        Assert.Contains("export: 2 patches from 3 tiles (last detection on or after 2022-06-01)", output);
        using var ds = VectorDataset.Open(outPath);
        Assert.Equal(["2022/06/04", "2022/06/21"], ds.Layer(0).Features().Select(f => f.Values["last_date"]!).Order());
    }

    [Theory]
    [InlineData(null, 8)]
    [InlineData("2022-06-01", 5)]
    public void The_alerts_layer_has_every_break_pixel_of_the_reports_as_a_point(string? since, int expected)
    {
        var outPath = _temp.File("alerts.gpkg");
        var (code, output) = Nrtc.Run(["export", "-p", _project, "--out", outPath, "--layer", "alerts", .. since is null ? Array.Empty<string>() : ["--since", since]]);
        Assert.True(code == 0, output);
        Assert.Contains($"export: {expected} alerts from 2 tiles", output);
        using var ds = VectorDataset.Open(outPath);
        var features = ds.Layer(0).Features();
        Assert.Equal(expected, features.Count);
        Assert.All(features, f => Assert.Equal("POINT", f.GeometryType));
        var byId = features.ToDictionary(f => f.Values["id"]!);
        Assert.Equal(("x2_y1", "2022/06/21", (string?)null, (string?)null), (byId["x2_y1/10/11"].Values["tile"], byId["x2_y1/10/11"].Values["detection_date"], byId["x2_y1/10/11"].Values["confidence"], byId["x2_y1/10/11"].Values["magnitude"]));
        Assert.Equal(("high", "1.2"), (byId["x1_y1/20/20"].Values["confidence"], byId["x1_y1/20/20"].Values["magnitude"]));
    }

    [Fact]
    public void A_bad_format_date_or_output_folder_is_named_and_nothing_is_written()
    {
        var (code, output) = Nrtc.Run("export", "-p", _project, "--out", _temp.File("x.kml"), "--format", "KML");
        Assert.Equal(1, code);
        Assert.Contains("--format 'KML' is not one of FlatGeobuf, GPKG, GeoJSON", output);
        (code, output) = Nrtc.Run("export", "-p", _project, "--out", _temp.File("x.kml"));
        Assert.Equal(1, code);
        Assert.Contains("give --format (FlatGeobuf, GPKG, GeoJSON) or an --out ending in .fgb, .gpkg, .geojson", output);
        (code, output) = Nrtc.Run("export", "-p", _project, "--out", _temp.File("x.fgb"), "--since", "2022-13-01");
        Assert.Equal(1, code);
        Assert.Contains("--since '2022-13-01' is not a date", output);
        Assert.False(File.Exists(_temp.File("x.kml")) || File.Exists(_temp.File("x.fgb")));

        Directory.Delete(Path.Combine(_temp.Path, "out", "tiles"), recursive: true);
        (code, output) = Nrtc.Run("export", "-p", _project, "--out", _temp.File("x.fgb"));
        Assert.Equal(1, code);
        Assert.Contains("no tile has patches under", output);
    }
}
