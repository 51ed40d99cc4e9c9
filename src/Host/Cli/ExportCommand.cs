using System.CommandLine;
using System.Globalization;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Patches;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc export -p FILE --out FILE [--format FlatGeobuf|GPKG|GeoJSON] [--since DATE] [--layer patches|alerts]</c>: the alert
/// patches of every tile of the project's output folder (<c>tiles/*/patches.geojson</c>), or its break pixels as points
/// (from <c>tiles/*/report.tif</c>), in one file of a GDAL vector driver.
/// </summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var project = NodeCli.ProjectOption();
        var output = new Option<FileInfo>("--out") { Description = "The file to write (replaced when present)", Required = true };
        var formatNames = string.Join("|", ExportFormat.All.Select(f => f.Name));
        var format = new Option<string?>("--format") { Description = $"{formatNames}; default: from the --out extension (.fgb, .gpkg, .geojson)" };
        var since = new Option<string?>("--since") { Description = "Only patches last detected (alerts detected) on or after this date (yyyy-MM-dd)" };
        var layer = new Option<string>("--layer")
        {
            Description = "patches (outlines, from tiles/*/patches.geojson) or alerts (break pixels as points, from tiles/*/report.tif)",
            DefaultValueFactory = _ => "patches",
        };
        layer.AcceptOnlyFromAmong("patches", "alerts");
        var command = new Command("export",
            $"Write the alert patches (or break pixels) of every tile of the output folder to one {formatNames} file, through GDAL.");
        command.Options.Add(project);
        command.Options.Add(output);
        command.Options.Add(format);
        command.Options.Add(since);
        command.Options.Add(layer);
        command.SetAction(parseResult =>
        {
            var file = parseResult.GetValue(project)!;
            var outFile = parseResult.GetValue(output)!;
            var chosen = Format(parseResult.GetValue(format), outFile.FullName);
            DateOnly? from = null;
            if (parseResult.GetValue(since) is { } text)
            {
                if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
                {
                    Console.Error.WriteLine($"export: --since '{text}' is not a date; give yyyy-MM-dd, e.g. 2022-06-01.");
                    return 1;
                }
                from = d;
            }
            if (chosen is null || NodeCli.Load("export", file) is not { } config) return 1;
            return parseResult.GetValue(layer) == "alerts"
                ? ExportAlerts(config.OutputFolder, outFile.FullName, chosen, from)
                : ExportPatches(config.OutputFolder, outFile.FullName, chosen, from);
        });
        return command;
    }

    /// <summary>The format asked for, or implied by the output's extension; null after saying what is wrong.</summary>
    private static ExportFormat? Format(string? name, string outPath)
    {
        var names = string.Join(", ", ExportFormat.All.Select(f => f.Name));
        if (name is not null)
        {
            if (ExportFormat.Named(name) is { } f) return f;
            Console.Error.WriteLine($"export: --format '{name}' is not one of {names}; give one of them.");
            return null;
        }
        if (ExportFormat.ForPath(outPath) is { } implied) return implied;
        Console.Error.WriteLine($"export: cannot tell the format from '{outPath}'; give --format ({names}) or an --out ending in " +
                                $"{string.Join(", ", ExportFormat.All.Select(f => f.Extension))}.");
        return null;
    }

    private static int ExportPatches(string outputFolder, string outPath, ExportFormat format, DateOnly? since)
    {
        var files = PatchFile.FilesUnder(outputFolder);
        if (files.Count == 0)
        {
            Console.Error.WriteLine($"export: no tile has patches under {Path.Combine(outputFolder, "tiles")} (tiles/TILE/{PatchFile.FileName}); they are written with each tile report: " +
                                    "fit and fast-forward the project, or rewrite the reports with 'nrtc report'.");
            return 1;
        }
        return Write(outPath, format, since, "patches", "last detection", files.Count, () => AlertExport.Patches(files, outPath, format, since));
    }

    private static int ExportAlerts(string outputFolder, string outPath, ExportFormat format, DateOnly? since)
    {
        var tiles = Path.Combine(outputFolder, "tiles");
        var reports = Directory.Exists(tiles)
            ? Directory.EnumerateDirectories(tiles).Order(StringComparer.Ordinal)
                .Select(d => (Path: Path.Combine(d, "report.tif"), Tile: Path.GetFileName(d))).Where(r => File.Exists(r.Path)).ToList()
            : [];
        if (reports.Count == 0)
        {
            Console.Error.WriteLine($"export: no tile report under {tiles} (tiles/TILE/report.tif); fit and fast-forward the project, or write them with 'nrtc report'.");
            return 1;
        }
        return Write(outPath, format, since, "alerts", "detection", reports.Count, () => AlertExport.Alerts(reports, outPath, format, since));
    }

    private static int Write(string outPath, ExportFormat format, DateOnly? since, string what, string dated, int tiles, Func<long> export)
    {
        try
        {
            var count = export();
            Console.WriteLine($"export: {count} {what} from {tiles} tiles{(since is { } d ? $" ({dated} on or after {d:yyyy-MM-dd})" : "")} written to {outPath} ({format.Name})");
            return 0;
        }
        catch (Exception e) when (e is GdalException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"export: cannot write {outPath}: {e.Message}");
            return 1;
        }
    }
}
