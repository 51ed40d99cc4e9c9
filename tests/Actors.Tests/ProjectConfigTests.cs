using NrtCluster.Actors.Config;
using NrtCluster.Actors.Tests.Support;
using NrtCluster.Geo.Sentinel2;

namespace NrtCluster.Actors.Tests;

public sealed class ProjectConfigTests
{
    private static readonly string ExamplePath = Path.Combine(RepoPaths.Root, "hocon", "project.example.conf");

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
        Assert.Equal("CuSum", project.Monitor.Name);
        Assert.False(project.Monitor.Options["trend"].GetBoolean());
        Assert.Equal(2, project.Monitor.Options["harmonic_order"].GetInt32());
        Assert.Equal("ROC", project.Monitor.Fit["method"].GetString());
        Assert.Equal(new DateOnly(2019, 1, 1), project.HistoryStart);
        Assert.Equal(new DateOnly(2021, 12, 31), project.HistoryEnd);
        Assert.Equal(ForestMaskSource.None, project.ForestMask.Source);
        Assert.Equal(Path.Combine(RepoPaths.Root, "hocon", "out"), project.OutputFolder);
        Assert.Equal(["mask", "detection_date"], project.ReportLayers.ToArray());
        Assert.Equal(TimeSpan.FromHours(1), project.PollInterval);
        Assert.Equal(TimeSpan.FromHours(2), project.SettleDelay);
        Assert.Contains("CuSum", project.CreateEngine().Description);
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
            "project.monitor", "project.history.end", "project.output.report-layers", "project.poll-interval",
        });
        Assert.Contains(ex.Errors, e => e.Key == "project.grid.resolution" && e.Message.Contains("> 0"));
        Assert.Contains(ex.Errors, e => e.Key == "project.stac.provider" && e.Message.Contains("earth-search"));
        Assert.Contains(ex.Errors, e => e.Key == "project.monitor" && e.Message.Contains("harmonic_orderr"));
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
            .Replace("method = ROC", "method = LASSO")
            .Replace("source = none", "source = raster\n raster = \"missing.tif\"");
        var ex = Assert.Throws<ProjectConfigException>(() => ProjectConfigLoader.Parse(text, Path.GetTempPath()));
        Assert.Contains(ex.Errors, e => e.Key == "project.fit" && e.Message.Contains("LASSO"));
        Assert.Contains(ex.Errors, e => e.Key == "project.forest-mask.raster" && e.Message.Contains("does not exist"));
        Assert.Equal(2, ex.Errors.Count);
    }

    [Fact]
    public void Unresolved_substitutions_and_missing_files_say_so()
    {
        var ex = Assert.Throws<ProjectConfigException>(() => ProjectConfigLoader.Parse("project { name = ${nowhere} }", Path.GetTempPath(), "test.conf"));
        Assert.True(ex.Errors.Count == 1 && ex.Errors[0].Key == "test.conf" && ex.Errors[0].Message.Contains("nowhere"), ex.Message);
        var missing = Assert.Throws<FileNotFoundException>(() => ProjectConfigLoader.Load("/nonexistent/project.conf"));
        Assert.Contains("project.example.conf", missing.Message);
    }
}
