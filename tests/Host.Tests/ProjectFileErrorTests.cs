namespace NrtCluster.Host.Tests;

/// <summary>Project and --hocon files with syntax or option errors, through nrtc as a real process.</summary>
public sealed class ProjectFileErrorTests : IDisposable
{
    // Generous for a loaded machine: the checks take milliseconds; before them, Akka's parser never returned on these files.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private const string Project = """
        project {
          grid { crs = "EPSG:3035", resolution = 20, origin-x = 0, origin-y = 0, tile-size = 1000 }
          area-of-interest {
            bbox = [24.9, 45.3, 25.4, 45.7]
          }
          stac { api = "https://stac.example/v1", collection = sentinel-2-l2a, provider = earth-search }
          monitor { name = IQR }
          history { start = "2019-01-01", end = "2021-12-31" }
          output { folder = out }
        }
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("nrtc-config-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Validate_reports_an_unclosed_list_by_line_and_column_and_exits()
    {
        var file = Write("project.conf", Project.Replace("bbox = [24.9", "bbox = [[24.9"));
        var (code, output) = Nrtc.RunWithin(Timeout, "validate", file);
        Assert.Equal(1, code);
        Assert.Contains($"{file}:4:12: '[' opened here is never closed: '}}' at line 5, column 3 comes first", output);
        Assert.DoesNotContain(" at NrtCluster", output);
    }

    [Fact]
    public void Validate_names_an_unknown_monitor_option_by_its_own_key()
    {
        var file = Write("project.conf", Project.Replace("name = IQR", "name = IQR, options { x = 1 }"));
        var (code, output) = Nrtc.RunWithin(Timeout, "validate", file);
        Assert.Equal(1, code);
        Assert.Contains("project.monitor.options.x: unknown option 'x' for IQR; valid: trend, harmonic_order, sensitivity, save_fit_start, boundary", output);
        Assert.DoesNotContain("(Parameter", output);
    }

    [Fact]
    public void Run_reports_an_unclosed_list_in_its_hocon_file_by_line_and_column()
    {
        var project = Write("project.conf", Project);
        var hocon = Write("node.conf", "akka.cluster {\n  seed-nodes = [\"akka.tcp://nrtcluster@127.0.0.1:4053\"\n}\n");
        var (code, output) = Nrtc.RunWithin(Timeout, "run", "--project", project, "--hocon", hocon);
        Assert.Equal(1, code);
        Assert.Contains($"run: --hocon {hocon}:2:16: '[' opened here is never closed: '}}' at line 3, column 1 comes first", output);
    }
    /// <summary>
    /// Projects beyond the machine (a tile too large for its memory, the world in one-pixel tiles) are refused by validate and
    /// by the verbs that start work, at once, naming the key and what to change.
    /// </summary>
    [Theory]
    [InlineData("validate")]
    [InlineData("fit")]
    [InlineData("fast-forward")]
    [InlineData("run")]
    public void Limits_on_tile_size_and_tile_count_are_checked_before_any_work(string verb)
    {
        var huge = Write("huge.conf", Project.Replace("tile-size = 1000", "tile-size = 100000"));
        var world = Write("world.conf", Project.Replace("tile-size = 1000", "tile-size = 1").Replace("bbox = [24.9, 45.3, 25.4, 45.7]", "bbox = [-180, -90, 180, 90]"));
        foreach (var (file, message) in new[]
                 {
                     (huge, "project.grid.tile-size: a tile of 100000 x 100000 px needs about "),
                     (world, "project.area-of-interest: spans "),
                 })
        {
            var (code, output) = Nrtc.RunWithin(Timeout, verb == "validate" ? [verb, file] : [verb, "--project", file]);
            Assert.True(code == 1, output);
            Assert.Contains(message, output);
            Assert.DoesNotContain(" at NrtCluster", output);
        }
    }
}
