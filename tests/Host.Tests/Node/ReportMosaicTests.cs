using NrtCluster.Geo.Gdal;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// Rebuilding lost outputs from the persisted tile state: <c>nrtc report</c> rewrites reports (and the mosaic) without
/// refitting, <c>nrtc mosaic</c> rebuilds the VRT from the reports present; real processes, GDAL and SQLite.
/// </summary>
public sealed class ReportMosaicTests
{
    [Fact]
    public void ReportAndMosaicRebuildLostOutputsFromTheTileState()
    {
        var dir = Path.Combine(Path.GetTempPath(), "nrtc-report-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var (demoCode, demo) = Nrtc.Run("demo", "--out", dir, "--size", "40", "--end", "2022-03-31");
            Assert.True(demoCode == 0, demo);
            var project = Path.Combine(dir, "project.conf");
            var mosaic = Path.Combine(dir, "mosaic.vrt");
            var reports = Directory.GetFiles(Path.Combine(dir, "tiles"), "report.tif", SearchOption.AllDirectories).Order().ToList();
            Assert.NotEmpty(reports);
            var lost = reports[0];
            var bands = ReadBands(lost);

            File.Delete(lost);
            File.Delete(mosaic);
            var (code, output) = Nrtc.Run("report", "-p", project);
            Assert.True(code == 0, output);
            // The demo's area also covers tiles without data: never fitted, they are named as such and have no report.
            Assert.Matches($"{reports.Count} of \\d+ tile reports rewritten", output);
            Assert.Contains(": not fitted", output);
            Assert.True(File.Exists(lost), output);
            var rewritten = ReadBands(lost);
            Assert.Equal(bands.Count, rewritten.Count);
            for (int b = 0; b < bands.Count; b++) Assert.Equal(bands[b], rewritten[b]);
            AssertMosaicOver(mosaic, reports, output);

            File.Delete(mosaic);
            (code, output) = Nrtc.Run("mosaic", "-p", project);
            Assert.True(code == 0, output);
            Assert.Contains($"mosaic of {reports.Count} tile reports written to {mosaic}", output);
            AssertMosaicOver(mosaic, reports, output);

            // One tile only; bad and foreign ids are named.
            var tile = Path.GetFileName(Path.GetDirectoryName(lost)!);
            File.Delete(lost);
            (code, output) = Nrtc.Run("report", "-p", project, "--tile", tile);
            Assert.True(code == 0, output);
            Assert.Contains("1 of 1 tile reports rewritten", output);
            Assert.True(File.Exists(lost), output);
            (code, output) = Nrtc.Run("report", "-p", project, "--tile", tile, "--tile", "tile-7");
            Assert.Equal(1, code);
            Assert.Contains("'tile-7'", output);
            (code, output) = Nrtc.Run("report", "-p", project, "--tile", "x99_y99");
            Assert.Equal(1, code);
            Assert.Contains("x99_y99: not a tile of the project", output);

            // A corrupt report is skipped with a warning naming it; without any report the mosaic is refused.
            File.WriteAllText(lost, "not a GeoTIFF");
            (code, output) = Nrtc.Run("mosaic", "-p", project);
            Assert.True(code == 0, output);
            Assert.Contains(lost, output);
            Assert.Contains($"mosaic of {reports.Count - 1} tile reports", output);
            foreach (var report in reports) File.Delete(report);
            (code, output) = Nrtc.Run("mosaic", "-p", project);
            Assert.Equal(1, code);
            Assert.Contains("no readable tile report", output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static List<ushort[]> ReadBands(string path)
    {
        using var report = RasterDataset.Open(path);
        return [.. Enumerable.Range(1, report.BandCount).Select(b => report.ReadBand<ushort>(b))];
    }

    /// <summary>The VRT opens and names every tile report (GDAL writes them relative to the VRT's folder).</summary>
    private static void AssertMosaicOver(string mosaic, IReadOnlyList<string> reports, string output)
    {
        Assert.True(File.Exists(mosaic), output);
        using (var vrt = RasterDataset.Open(mosaic)) Assert.True(vrt.BandCount >= 1);
        var text = File.ReadAllText(mosaic);
        foreach (var report in reports)
            Assert.Contains(Path.GetRelativePath(Path.GetDirectoryName(mosaic)!, report), text);
    }
}
