using System.Globalization;

namespace NrtCluster.Host.Node;

/// <summary>Project files written by <c>init</c> and <c>demo</c>: the documented example (hocon/project.example.conf), adjusted.</summary>
public static class ProjectTemplate
{
    /// <summary>The demo's screening buffer unless told otherwise: the cubic warp's reach on its 20 m grid.</summary>
    public const int DemoBuffer = 2;

    public static string ExamplePath => Path.Combine(AppContext.BaseDirectory, "hocon", "project.example.conf");

    /// <summary>The example project file with the project's name set.</summary>
    public static string Example(string name)
    {
        if (!File.Exists(ExamplePath))
            throw new FileNotFoundException($"The documented example project file {ExamplePath} is missing from the installation; rebuild nrtc.", ExamplePath);
        var text = File.ReadAllText(ExamplePath);
        return text.Replace("name = \"romania-carpathians\"", $"name = {Quote(name)}", StringComparison.Ordinal);
    }

    /// <summary>The example's default recipe (see hocon/project.example.conf why): IQR without trend on a robust fit, the haze gate's default.</summary>
    public const string DemoRecipe = """
        # The default recipe of hocon/project.example.conf (see there why): IQR without trend on a robust fit.
          monitor {
            name = IQR
            options {
              trend = false
              harmonic_order = 2
              sensitivity = 2.5
            }
          }
          fit {
            method = RIRLS
            maxiter = 5
          }
        """;

    /// <summary>
    /// The demo's project: the synthetic archive's grid and area, and <paramref name="recipe"/> (the monitor and fit blocks;
    /// default the example's recipe on NDVI). <paramref name="buffer"/>: the SCL screening buffer in pixels;
    /// <paramref name="forestMask"/> null monitors every pixel (no forest mask).
    /// </summary>
    public static string Demo(string stacLine, double originX, double originY, int tileSize, double[] bboxLonLat, string? forestMask,
        DateOnly historyStart, DateOnly historyEnd, int buffer = DemoBuffer, string recipe = DemoRecipe) => string.Create(CultureInfo.InvariantCulture, $$"""
        # NrtCluster demo project, written by 'nrtc demo'. Every key is documented in hocon/project.example.conf.
        project {
          name = "demo"

          # EPSG:3035 at 20 m, origin on the synthetic archive's reference grid.
          grid {
            crs = "EPSG:3035"
            resolution = 20
            origin-x = {{originX}}
            origin-y = {{originY}}
            tile-size = {{tileSize}}
          }

          area-of-interest {
            bbox = [{{string.Join(", ", bboxLonLat.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}}]
          }

          stac {
            {{stacLine}}
            collection = "sentinel-2-l2a"
            provider = "earth-search"
          }

          index = NDVI
          scl-keep = [4, 5, 6, 7]
          # Pixels within this many pixels of a screened class are masked as well: 2 is the cubic warp's reach (40 m); 0 = off.
          buffer = {{buffer}}

          {{recipe}}

          history {
            start = "{{historyStart:yyyy-MM-dd}}"
            end = "{{historyEnd:yyyy-MM-dd}}"
          }

          # The archive's forest map, a 0/1 mask (forest where 1: no threshold needed), warped with nearest onto each tile.
          forest-mask {
            {{(forestMask is null ? "source = none" : $"source = raster\n    raster = {Quote(forestMask)}")}}
          }

          output {
            folder = "."
            report-layers = [mask, detection_date, confidence, magnitude]
          }
        }

        """);

    public static string Quote(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
