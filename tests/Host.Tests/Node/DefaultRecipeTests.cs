using System.Text.RegularExpressions;
using NrtCluster.Actors.Config;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// The project files nrtc writes (the template of <c>init</c>, the demo's) carry the operational recipe: IQR without
/// trend, harmonic order 2, sensitivity 2.5, on a RIRLS fit of 5 iterations, NDVI, SCL classes 4-7.
/// </summary>
public sealed partial class DefaultRecipeTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "nrtc-recipe-" + Guid.NewGuid().ToString("N"));

    public DefaultRecipeTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void AssertRecipe(ProjectConfig config)
    {
        Assert.Equal("IQR", config.Monitor.Name);
        Assert.Equal(["harmonic_order", "sensitivity", "trend"], config.Monitor.Options.Keys.Order());
        Assert.False(config.Monitor.Options["trend"].GetBoolean());
        Assert.Equal(2, config.Monitor.Options["harmonic_order"].GetInt32());
        Assert.Equal(2.5, config.Monitor.Options["sensitivity"].GetDouble());
        Assert.Equal(["maxiter", "method"], config.Monitor.Fit.Keys.Order());
        Assert.Equal("RIRLS", config.Monitor.Fit["method"].GetString());
        Assert.Equal(5, config.Monitor.Fit["maxiter"].GetInt32());
        Assert.Equal(Geo.Sentinel2.SpectralIndex.Ndvi, config.Index);
        Assert.Equal([4, 5, 6, 7], config.SclKeep.Select(c => (int)c));
        Assert.Contains("fit Rirls", config.CreateEngine().Description);
    }

    [Fact]
    public void The_template_init_writes_is_the_operational_recipe()
    {
        // The example file as installed beside nrtc (what 'nrtc init' copies).
        var config = ProjectConfigLoader.Parse(ProjectTemplate.Example("t"), _dir);
        AssertRecipe(config);
        Assert.Null(config.ScreeningBuffer);
        Assert.Contains("independent archive", File.ReadAllText(ProjectTemplate.ExamplePath));
    }

    [Fact]
    public void The_demo_project_is_the_operational_recipe_with_its_buffer()
    {
        File.WriteAllText(Path.Combine(_dir, "catalog.json"), "{}");
        File.WriteAllText(Path.Combine(_dir, "forest.tif"), "");
        string Demo(int buffer) => ProjectTemplate.Demo("catalog = \"catalog.json\"", 4_320_000, 3_220_000, 100, [10, 48, 10.1, 48.1], "forest.tif",
            new DateOnly(2019, 1, 1), new DateOnly(2021, 12, 31), buffer);

        var config = ProjectConfigLoader.Parse(Demo(ProjectTemplate.DemoBuffer), _dir);
        AssertRecipe(config);
        Assert.Equal(2, config.ScreeningBuffer);
        Assert.Null(config.ForestMask.RasterThreshold);
        Assert.Equal(0, ProjectConfigLoader.Parse(Demo(0), _dir).ScreeningBuffer);
    }

    [Fact]
    public void The_demo_refuses_a_buffer_out_of_range_before_generating_the_archive()
    {
        var outDir = Path.Combine(_dir, "demo");
        var (code, output) = Nrtc.Run("demo", "--out", outDir, "--buffer", "11");
        Assert.Equal(1, code);
        Assert.Contains("--buffer 11: give 0 to 10 pixels", output);
        Assert.False(Directory.Exists(Path.Combine(outDir, "archive")));
    }

    [GeneratedRegex(@"^\s*#\s+(monitor \{.*\})\s*\n\s*#\s+(fit \{.*\})\s*$", RegexOptions.Multiline)]
    private static partial Regex Alternative();

    [GeneratedRegex(@"^  (monitor|fit) \{.*?^  \}\n", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex ActiveBlock();

    [Fact]
    public void The_templates_commented_alternatives_are_one_edit_away()
    {
        var text = ProjectTemplate.Example("t");
        var alternatives = Alternative().Matches(text);
        Assert.Equal(2, alternatives.Count);
        var without = ActiveBlock().Replace(text, "");
        var monitors = alternatives.Select(a =>
        {
            var edited = without.Replace("  history {", $"  {a.Groups[1].Value}\n  {a.Groups[2].Value}\n  history {{", StringComparison.Ordinal);
            return ProjectConfigLoader.Parse(edited, _dir).Monitor;
        }).ToList();
        Assert.Equal(["CuSum", "EWMA"], monitors.Select(m => m.Name));
        Assert.Equal("ROC", monitors[0].Fit["method"].GetString());
        Assert.Equal("Shewhart", monitors[1].Fit["screen_outliers"].GetString());
    }

    [Fact]
    public void Validate_fails_naming_the_threshold_key_when_a_tile_with_data_gets_no_forest_pixel()
    {
        var archiveDir = Path.Combine(_dir, "archive");
        var options = new SyntheticArchiveOptions
        {
            GranuleSize = 30, Start = new DateOnly(2020, 1, 1), End = new DateOnly(2020, 3, 31), HistoryEnd = new DateOnly(2020, 2, 29),
        };
        var archive = SyntheticArchive.Generate(archiveDir, options);
        var reference = archive.Scene.Geometry.Reference;
        var project = Path.Combine(_dir, "project.conf");
        var text = ProjectTemplate.Demo($"catalog = {ProjectTemplate.Quote(Path.Combine("archive", SyntheticArchiveLayout.Catalog))}",
            reference.Transform.X0, reference.Transform.Y0, Math.Max(reference.Width, reference.Height), archive.Scene.Geometry.BboxLonLat,
            Path.Combine("archive", SyntheticArchiveLayout.ForestMask), options.Start, options.HistoryEnd);

        // The archive's 0/1 mask, no threshold: forest where 1.
        File.WriteAllText(project, text);
        var (code, output) = Nrtc.Run("validate", project);
        Assert.True(code == 0, output);
        Assert.Contains("a 0/1 mask, forest where 1", output);

        // The same mask with a percent threshold: no forest pixel on a tile that has data.
        File.WriteAllText(project, text.Replace("source = raster", "source = raster\n    threshold = 30", StringComparison.Ordinal));
        (code, output) = Nrtc.Run("validate", project);
        Assert.Equal(1, code);
        Assert.Contains("project.forest-mask.threshold: tile(s) ", output);
        Assert.Contains("x0_y0", output);
        Assert.Contains("have data but no forest pixel", output);
        Assert.DoesNotContain("validate: OK", output);
        Assert.DoesNotContain("   at ", output);
    }
}
