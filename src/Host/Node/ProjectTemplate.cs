using System.Globalization;

namespace NrtCluster.Host.Node;

/// <summary>Project files written by <c>init</c> and <c>demo</c>: the documented example (hocon/project.example.conf), adjusted.</summary>
public static class ProjectTemplate
{
    public static string ExamplePath => Path.Combine(AppContext.BaseDirectory, "hocon", "project.example.conf");

    /// <summary>The example project file with the project's name set.</summary>
    public static string Example(string name)
    {
        if (!File.Exists(ExamplePath))
            throw new FileNotFoundException($"The documented example project file {ExamplePath} is missing from the installation; rebuild nrtc.", ExamplePath);
        var text = File.ReadAllText(ExamplePath);
        return text.Replace("name = \"romania-carpathians\"", $"name = {Quote(name)}", StringComparison.Ordinal);
    }

    /// <summary>The demo's project: the synthetic archive's grid and area, IQR (trend, order 3) over an OLS fit on NDVI.</summary>
    public static string Demo(string stacLine, double originX, double originY, int tileSize, double[] bboxLonLat, string forestMask,
        DateOnly historyStart, DateOnly historyEnd) => string.Create(CultureInfo.InvariantCulture, $$"""
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
          # Pixels within the cubic warp's reach (2 pixels, 40 m) of a screened class are masked as well.
          scl-keep = [4, 5, 6, 7]

          # The spec's default: IQR on a harmonic model with trend, order 3, fitted by OLS.
          monitor {
            name = IQR
            options {
              trend = true
              harmonic_order = 3
            }
          }
          fit {
            method = OLS
          }

          history {
            start = "{{historyStart:yyyy-MM-dd}}"
            end = "{{historyEnd:yyyy-MM-dd}}"
          }

          # The archive's forest map (1 = forest), warped with nearest onto each tile.
          forest-mask {
            source = raster
            raster = {{Quote(forestMask)}}
            threshold = 0
          }

          output {
            folder = "."
            report-layers = [mask, detection_date]
          }
        }

        """);

    public static string Quote(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
