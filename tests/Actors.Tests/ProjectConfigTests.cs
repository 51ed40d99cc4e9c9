using NrtCluster.Actors.Config;
using NrtCluster.Geo.Sentinel2;
using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Actors.Tests;

public sealed class ProjectConfigTests
{
    private static readonly string ExamplePath = Path.Combine(RepoRoot.Path, "hocon", "project.example.conf");

    [Fact]
    public void The_example_project_file_is_valid_and_read_into_typed_settings()
    {
        var project = ProjectConfigLoader.Load(ExamplePath);
        Assert.Equal("romania-carpathians", project.Name);
        Assert.Equal("EPSG:3035", project.Grid.Crs);
        Assert.Equal(20, project.Grid.Resolution);
        Assert.Equal(1000, project.Grid.TileSize);
        Assert.Equal([24.9, 45.3, 25.4, 45.7], project.Area.Bbox!.Value.ToArray());
        Assert.Equal("https://earth-search.aws.element84.com/v1", project.Stac.ApiUrl);
        Assert.Equal("earth-search", project.Stac.Provider);
        Assert.Equal(80, project.Stac.MaxCloudCover);
        Assert.Equal(SpectralIndex.Ndvi, project.Index);
        Assert.Equal([4, 5, 6, 7], project.SclKeep.Select(c => (int)c));
        Assert.Null(project.ScreeningBuffer);
        Assert.Equal("IQR", project.Monitor.Name);
        Assert.False(project.Monitor.Options["trend"].GetBoolean());
        Assert.Equal(2, project.Monitor.Options["harmonic_order"].GetInt32());
        Assert.Equal("RIRLS", project.Monitor.Fit["method"].GetString());
        Assert.Equal(new DateOnly(2019, 1, 1), project.HistoryStart);
        Assert.Equal(new DateOnly(2021, 12, 31), project.HistoryEnd);
        Assert.Equal(ForestMaskSource.None, project.ForestMask.Source);
        Assert.Equal(Path.Combine(RepoRoot.Path, "hocon", "out"), project.OutputFolder);
        Assert.Equal(["mask", "detection_date", "confidence", "magnitude"], project.ReportLayers.ToArray());
        Assert.Equal(TimeSpan.FromHours(1), project.PollInterval);
        Assert.Equal(TimeSpan.FromHours(2), project.SettleDelay);
        Assert.Equal(30, project.PatchWindowDays);
        Assert.Contains("IQR", project.CreateEngine().Description);
    }

    [Fact]
    public void The_patch_window_is_a_whole_number_of_days_and_a_bad_one_names_its_key()
    {
        var text = File.ReadAllText(ExamplePath);
        Assert.Equal(10, ProjectConfigLoader.Parse(text.Replace("patch-window-days = 30", "patch-window-days = 10"), Path.GetTempPath(), "t.conf").PatchWindowDays);
        var ex = Assert.Throws<ProjectConfigException>(() =>
            ProjectConfigLoader.Parse(text.Replace("patch-window-days = 30", "patch-window-days = -3"), Path.GetTempPath(), "t.conf"));
        Assert.Equal("project.output.patch-window-days", Assert.Single(ex.Errors).Key);
    }

    [Fact]
    public void Every_error_is_reported_at_once_naming_its_key_and_the_expected_value()
    {
        const string text = """
            project {
              grid { crs = "EPSG:3035", resolution = -20, origin-x = 0, origin-y = abc, tile-size = 1000.5 }
              area-of-interest { bbox = [25, 45, 24] }
              stac { api = "ftp://x", catalog = "c.json", collection = "s2", provider = "aws" }
              index = EVI
              monitor { name = CuSum, options { harmonic_orderr = 2 } }
              history { start = "2021-01-01", end = "2020-01-01" }
              output { folder = "out", report-layers = [mask, breaks] }
              poll-interval = soon
              colour = blue
            }
            """;
        var ex = Assert.Throws<ProjectConfigException>(() => ProjectConfigLoader.Parse(text, Path.GetTempPath(), "test.conf"));
        var keys = ex.Errors.Select(e => e.Key).ToHashSet();
        Assert.Subset(keys, new HashSet<string>
        {
            "project.colour", "project.grid.resolution", "project.grid.origin-y", "project.grid.tile-size",
            "project.area-of-interest.bbox", "project.stac", "project.stac.api", "project.stac.provider", "project.index",
            "project.monitor.options.harmonic_orderr", "project.history.end", "project.output.report-layers", "project.poll-interval",
        });
        Assert.Contains(ex.Errors, e => e.Key == "project.grid.resolution" && e.Message.Contains("> 0"));
        Assert.Contains(ex.Errors, e => e.Key == "project.stac.provider" && e.Message.Contains("earth-search"));
        Assert.Contains(ex.Errors, e => e.Key == "project.monitor.options.harmonic_orderr"
            && e.Message == "unknown option 'harmonic_orderr' for CuSum; valid: trend, harmonic_order, sensitivity, save_fit_start");
        Assert.Contains(ex.Errors, e => e.Key == "project.index" && e.Message.Contains("NDVI, NBR, NDMI"));
        Assert.StartsWith($"test.conf has {ex.Errors.Count} error(s)", ex.Message);
    }

    [Fact]
    public void Missing_required_keys_are_named()
    {
        var ex = Assert.Throws<ProjectConfigException>(() => ProjectConfigLoader.Parse("project { }", Path.GetTempPath()));
        var keys = ex.Errors.Select(e => e.Key).ToHashSet();
        Assert.Subset(keys, new HashSet<string>
        {
            "project.grid.crs", "project.grid.resolution", "project.grid.tile-size", "project.area-of-interest",
            "project.stac", "project.stac.collection", "project.stac.provider", "project.monitor.name",
            "project.history.start", "project.history.end", "project.output.folder",
        });
        Assert.All(ex.Errors.Where(e => e.Key == "project.grid.crs"), e => Assert.Contains("missing", e.Message));
    }

    [Fact]
    public void Fit_option_errors_name_the_fit_key_and_missing_files_their_key()
    {
        string text = File.ReadAllText(ExamplePath)
            .Replace("method = RIRLS", "method = LASSO")
            .Replace("source = none", "source = raster\n raster = \"missing.tif\"");
        var ex = Assert.Throws<ProjectConfigException>(() => ProjectConfigLoader.Parse(text, Path.GetTempPath()));
        Assert.Contains(ex.Errors, e => e.Key == "project.fit.method" && e.Message == "unknown fit method 'LASSO'; valid: OLS, RIRLS, ROC, CCDC-stable");
        Assert.Contains(ex.Errors, e => e.Key == "project.forest-mask.raster" && e.Message.Contains("does not exist"));
        Assert.Equal(2, ex.Errors.Count);
    }

    [Fact]
    public void The_haze_gate_is_on_by_default_and_read_from_monitor_haze_gate()
    {
        string Project(string gate) => Minimal.Replace("MONITOR", "EWMA").Replace("OPTIONS", "").Replace("FIT", "")
            .Replace("monitor { name = EWMA, options {  } }", $"monitor {{ name = EWMA, options {{ }}\n{gate} }}");
        var defaults = ProjectConfigLoader.Parse(Project(""), Path.GetTempPath());
        Assert.Equal(HazeGate.Default, defaults.Monitor.HazeGate);
        Assert.Contains("haze gate share 0.5, min 200 px", defaults.CreateEngine().Description);
        Assert.Equal(HazeGate.Default, ProjectConfigLoader.Load(ExamplePath).Monitor.HazeGate);
        Assert.Equal(new HazeGate(0.7, 5000),
            ProjectConfigLoader.Parse(Project("haze-gate { share = 0.7, min-pixels = 5000 }"), Path.GetTempPath()).Monitor.HazeGate);
        foreach (var off in new[] { "haze-gate { enabled = false }", "haze-gate { share = 0 }" })
        {
            var project = ProjectConfigLoader.Parse(Project(off), Path.GetTempPath());
            Assert.False(project.Monitor.HazeGate.Enabled, off);
            Assert.DoesNotContain("haze gate", project.CreateEngine().Description);
        }

        var ex = Assert.Throws<ProjectConfigException>(() => ProjectConfigLoader.Parse(
            Project("haze-gate { enabled = maybe, share = 1.5, min-pixels = 2.5, level = 3 }"), Path.GetTempPath()));
        Assert.Equal(
            [
                ("project.monitor.haze-gate.enabled", "expected true or false, got 'maybe'"),
                ("project.monitor.haze-gate.level", "unknown key; valid keys here: enabled, share, min-pixels"),
                ("project.monitor.haze-gate.min-pixels", "expected an integer in [0, 2147483647], got '2.5'"),
                ("project.monitor.haze-gate.share", "expected a number in [0, 1], got 1.5"),
            ],
            ex.Errors.Select(e => (e.Key, e.Message)).Order());
    }

    private const string Minimal = """
        project {
          grid { crs = "EPSG:3035", resolution = 20, origin-x = 0, origin-y = 0, tile-size = 1000 }
          area-of-interest { bbox = [24.9, 45.3, 25.4, 45.7] }
          stac { api = "https://stac.example/v1", collection = sentinel-2-l2a, provider = earth-search }
          monitor { name = MONITOR, options { OPTIONS } }
          fit { FIT }
          history { start = "2019-01-01", end = "2021-12-31" }
          output { folder = out }
        }
        """;

    // Each option error sits under its own key and reads without .NET's parameter names or value kinds.
    [Theory]
    [InlineData("IQR", "x = 1", "", "project.monitor.options.x", "unknown option 'x' for IQR; valid: trend, harmonic_order, sensitivity, save_fit_start, boundary")]
    [InlineData("IQR", "boundary = abc", "", "project.monitor.options.boundary", "IQR option 'boundary' must be an integer, got 'abc'")]
    [InlineData("IQR", "boundary = 0", "", "project.monitor.options.boundary", "boundary (consecutive outliers to confirm a break) must lie in 1..255, got 0.")]
    [InlineData("EWMA", "lambda_ = 2", "", "project.monitor.options.lambda_", "EWMA lambda_ must lie in (0, 1], got 2.")]
    [InlineData("MoSum", "h = 0.3", "", "project.monitor.options.h", "MoSum h (window size relative to the history) must be one of 0.25, 0.5, 1; got 0.3.")]
    [InlineData("CuSum", "trend = maybe", "", "project.monitor.options.trend", "CuSum option 'trend' must be true or false, got 'maybe'")]
    [InlineData("CuSum", "", "x = 1", "project.fit.x", "unknown fit option 'x'; valid: method, screen_outliers, L, maxiter, tune, scale_constant, update_scale, tol, alpha, scaling_factor, threshold")]
    [InlineData("CuSum", "", "alpha = abc", "project.fit.alpha", "fit option 'alpha' must be a number, got 'abc'")]
    [InlineData("CuSum", "", "method = 3", "project.fit.method", "fit option 'method' must be one of OLS, RIRLS, ROC, CCDC-stable, got 3")]
    [InlineData("CuSum", "", "maxiter = 1e20", "project.fit.maxiter", "fit option 'maxiter' must be an integer, got 1E+20")]
    public void Option_errors_are_named_by_their_own_key(string monitor, string options, string fit, string key, string message)
    {
        string text = Minimal.Replace("MONITOR", monitor).Replace("OPTIONS", options).Replace("FIT", fit);
        var ex = Assert.Throws<ProjectConfigException>(() => ProjectConfigLoader.Parse(text, Path.GetTempPath()));
        var error = Assert.Single(ex.Errors);
        Assert.Equal((key, message), (error.Key, error.Message));
    }

    [Fact]
    public void Values_of_the_wrong_shape_are_described_not_dumped()
    {
        string text = Minimal.Replace("resolution = 20", "resolution = { a = 1 }").Replace("origin-x = 0", "origin-x = [1, 2]")
            .Replace("MONITOR", "IQR").Replace("OPTIONS", "").Replace("FIT", "method = { x = 1 }");
        var ex = Assert.Throws<ProjectConfigException>(() => ProjectConfigLoader.Parse(text, Path.GetTempPath()));
        Assert.Equal(
            [
                ("project.grid.resolution", "expected a number > 0, got an object { ... }"),
                ("project.grid.origin-x", "expected a number, got a list [...]"),
                ("project.fit.method", "expected a single value, got an object { ... }"),
            ],
            ex.Errors.Select(e => (e.Key, e.Message)));
    }

    [Fact]
    public void Report_layers_default_to_mask_date_confidence_and_magnitude_and_accept_any_order()
    {
        string text = Minimal.Replace("MONITOR", "IQR").Replace("OPTIONS", "").Replace("FIT", "");
        Assert.Equal(["mask", "detection_date", "confidence", "magnitude"], ProjectConfigLoader.Parse(text, Path.GetTempPath()).ReportLayers.ToArray());
        var chosen = text.Replace("output { folder = out }", "output { folder = out, report-layers = [magnitude, process, confidence] }");
        Assert.Equal(["magnitude", "process", "confidence"], ProjectConfigLoader.Parse(chosen, Path.GetTempPath()).ReportLayers.ToArray());
    }

    [Fact]
    public void The_screening_buffer_is_read_in_pixels_and_out_of_range_values_name_the_key()
    {
        string text = File.ReadAllText(ExamplePath);
        Assert.Equal(0, ProjectConfigLoader.Parse(text.Replace("# buffer = 2", "buffer = 0"), Path.GetTempPath()).ScreeningBuffer);
        Assert.Equal(3, ProjectConfigLoader.Parse(text.Replace("# buffer = 2", "buffer = 3"), Path.GetTempPath()).ScreeningBuffer);
        foreach (var bad in new[] { "-1", "11", "1.5", "wide" })
        {
            var ex = Assert.Throws<ProjectConfigException>(() => ProjectConfigLoader.Parse(text.Replace("# buffer = 2", $"buffer = {bad}"), Path.GetTempPath()));
            var error = Assert.Single(ex.Errors);
            Assert.Equal("project.buffer", error.Key);
            Assert.Contains("an integer in [0, 10]", error.Message);
        }
    }

    [Fact]
    public void A_forest_raster_without_a_threshold_leaves_it_to_the_raster()
    {
        string text = File.ReadAllText(ExamplePath).Replace("source = none", "source = raster\n raster = \"project.example.conf\"");
        Assert.Null(ProjectConfigLoader.Parse(text, Path.Combine(RepoRoot.Path, "hocon")).ForestMask.RasterThreshold);
        var set = ProjectConfigLoader.Parse(text.Replace("# threshold = 30", "threshold = 50"), Path.Combine(RepoRoot.Path, "hocon"));
        Assert.Equal(50, set.ForestMask.RasterThreshold);
    }

    [Fact]
    public void Unresolved_substitutions_and_missing_files_say_so()
    {
        var ex = Assert.Throws<ProjectConfigException>(() => ProjectConfigLoader.Parse("project { name = ${nowhere} }", Path.GetTempPath(), "test.conf"));
        Assert.True(ex.Errors.Count == 1 && ex.Errors[0].Key == "test.conf" && ex.Errors[0].Message.Contains("nowhere"), ex.Message);
        var missing = Assert.Throws<FileNotFoundException>(() => ProjectConfigLoader.Load("/nonexistent/project.conf"));
        Assert.Contains("project.example.conf", missing.Message);
    }
    /// <summary>A tile whose fit (two at once) cannot fit in memory is refused when the file is read, naming the key and the largest size that fits.</summary>
    [Fact]
    public void A_tile_too_large_for_the_memory_is_refused_with_the_size_that_fits()
    {
        var text = File.ReadAllText(ExamplePath);
        var ex = Assert.Throws<ProjectConfigException>(() => ProjectConfigLoader.Parse(text.Replace("tile-size = 1000", "tile-size = 100000"), Path.GetTempPath()));
        var error = Assert.Single(ex.Errors);
        Assert.Equal("project.grid.tile-size", error.Key);
        Assert.Contains("a tile of 100000 x 100000 px needs about ", error.Message);
        Assert.Contains("220 history dates, one every 5 days from 2019-01-01 to 2021-12-31", error.Message);

        // The example's 1000 px tiles over three years: 220 dates x 8 bytes + 64 = 1824 bytes a pixel, 1.7 GiB a tile.
        var example = ProjectConfigLoader.Parse(text, Path.GetTempPath());
        Assert.Empty(ProjectLimits.Check(example, 4L << 30));
        var small = Assert.Single(ProjectLimits.Check(example, 2L << 30));
        Assert.Equal("project.grid.tile-size", small.Key);
        Assert.Contains("needs about 1.7 GiB to fit, more than half the 2 GiB this machine offers, as a job fits two tiles at once", small.Message);
        Assert.Contains("use tile-size = 767 or less", small.Message);
    }

    /// <summary>
    /// The world in tiles of one pixel is refused at once: the tiles are counted from the area's bounds, not listed. For an
    /// area the machine can hold, the message names the tile size that would do.
    /// </summary>
    [Fact]
    public void An_area_of_too_many_tiles_is_refused_at_once_with_the_tile_size_that_would_do()
    {
        string Project(string bbox, int tileSize) => Minimal.Replace("MONITOR", "IQR").Replace("OPTIONS", "").Replace("FIT", "")
            .Replace("tile-size = 1000", $"tile-size = {tileSize}").Replace("[24.9, 45.3, 25.4, 45.7]", bbox);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var world = Assert.Throws<ProjectConfigException>(() => ProjectConfigLoader.Parse(Project("[-180, -90, 180, 90]", 1), Path.GetTempPath()));
        // Listing its 7.6e11 tiles would take days.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), clock.Elapsed.ToString());
        var error = Assert.Single(world.Errors);
        Assert.Equal("project.area-of-interest", error.Key);
        Assert.Contains("tiles of 1 px on the grid, more than the 100000 a project can have; ", error.Message);

        const string europe = "[-10, 35, 30, 70]";
        error = Assert.Single(Assert.Throws<ProjectConfigException>(() => ProjectConfigLoader.Parse(Project(europe, 1), Path.GetTempPath())).Errors);
        Assert.Contains("raise project.grid.tile-size to at least ", error.Message);
        var size = int.Parse(System.Text.RegularExpressions.Regex.Match(error.Message, @"at least (\d+)").Groups[1].Value);
        // The size it names passes, one less does not.
        ProjectConfigLoader.Parse(Project(europe, size), Path.GetTempPath());
        Assert.Throws<ProjectConfigException>(() => ProjectConfigLoader.Parse(Project(europe, size - 1), Path.GetTempPath()));
    }
}
