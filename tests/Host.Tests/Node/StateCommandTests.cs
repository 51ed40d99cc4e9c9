using System.Globalization;
using NrtCluster.Geo.Gdal;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// <c>nrtc state export|import</c> as real processes on the demo's project (SQLite, GDAL): a tile's state written in nrt's
/// layout, read back into the tile as its next fit, and files that do not fit the project refused with what differs.
/// </summary>
public sealed class StateCommandTests
{
    [Fact]
    public void A_tile_state_exported_and_imported_again_exports_the_same_file_and_foreign_files_are_refused()
    {
        using var temp = new TempFolder();
        var (demoCode, demo) = Nrtc.Run("demo", "--out", temp.Path, "--size", "40", "--end", "2022-03-31");
        Assert.True(demoCode == 0, demo);
        var project = Path.Combine(temp.Path, "project.conf");
        var tile = Path.GetFileName(Directory.GetDirectories(Path.Combine(temp.Path, "tiles")).Order().First());
        var first = Path.Combine(temp.Path, "first.nc");
        var second = Path.Combine(temp.Path, "second.nc");

        var (code, output) = Nrtc.Run("state", "export", "-p", project, "--tile", tile, "--out", first);
        Assert.True(code == 0, output);
        Assert.Contains($"state export: tile {tile}: fit 1 written to {first}", output);
        (code, output) = Nrtc.Run("state", "import", "-p", project, "--tile", tile, "--in", first);
        Assert.True(code == 0, output);
        Assert.Contains($"state import: tile {tile}: state imported from {first}", output);
        Assert.Contains("monitoring continues after", output);
        (code, output) = Nrtc.Run("state", "export", "-p", project, "--tile", tile, "--out", second);
        Assert.True(code == 0, output);
        Assert.Contains($"fit 2 written to {second}", output);
        AssertSameVariables(first, second);

        var data = RepoRoot.Combine("tests", "data", "nrt-state");
        (code, output) = Nrtc.Run("state", "import", "-p", project, "--tile", tile, "--in", Path.Combine(data, "ewma_fitted.nc"));
        Assert.Equal(1, code);
        Assert.Contains("it holds an nrt EWMA monitor but the project monitors with IQR", output);
        // The demo's monitor and options, fitted by nrt on another shape.
        (code, output) = Nrtc.Run("state", "import", "-p", project, "--tile", tile, "--in", Path.Combine(data, "iqr_fitted.nc"));
        Assert.Equal(1, code);
        Assert.Contains("it is 6 x 8 pixels (y x x) but the tile is", output);
        var text = Path.Combine(temp.Path, "notes.nc");
        File.WriteAllText(text, "not netCDF");
        (code, output) = Nrtc.Run("state", "import", "-p", project, "--tile", tile, "--in", text);
        Assert.Equal(1, code);
        Assert.Contains("not recognized as a supported file format", output);
        (code, output) = Nrtc.Run("state", "import", "-p", project, "--tile", tile, "--in", Path.Combine(temp.Path, "missing.nc"));
        Assert.Equal(1, code);
        Assert.Contains("missing.nc does not exist", output);
        Assert.DoesNotContain("   at ", output);
        // Refused imports changed nothing: the tile is still on the imported state's fit.
        (code, output) = Nrtc.Run("state", "export", "-p", project, "--tile", tile, "--out", second);
        Assert.Contains("fit 2 written", output);
    }

    private static void AssertSameVariables(string expectedPath, string actualPath)
    {
        var expected = NetcdfFile.Read(expectedPath);
        var actual = NetcdfFile.Read(actualPath).ToDictionary(v => v.Name);
        Assert.Equal(expected.Select(v => v.Name).Order(), actual.Keys.Order());
        foreach (var v in expected)
        {
            Assert.Equal(v.ElementType, actual[v.Name].ElementType);
            Assert.Equal(Values(v.Data), Values(actual[v.Name].Data));
            Assert.Equal(v.Attributes.OrderBy(a => a.Key).Select(a => $"{a.Key}={a.Value}"), actual[v.Name].Attributes.OrderBy(a => a.Key).Select(a => $"{a.Key}={a.Value}"));
        }
    }

    private static double[] Values(Array data) => [.. data.Cast<object>().Select(v => Convert.ToDouble(v, CultureInfo.InvariantCulture))];
}
