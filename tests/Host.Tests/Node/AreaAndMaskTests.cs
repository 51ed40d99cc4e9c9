using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Sources;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Geo.Tiles;
using NrtCluster.Host.Node;
using NrtCluster.Host.Tests.Cluster;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// One synthetic archive (2 x 2 tiles) fitted and fast-forwarded on its whole area from the start: what growing the area
/// and updating the forest mask are compared with.
/// </summary>
public sealed class AreaControl : IDisposable
{
    public AreaControl()
    {
        Folder = Directory.CreateTempSubdirectory("nrtc-area-").FullName;
        ArchiveFolder = Path.Combine(Folder, "archive");
        Archive = SyntheticArchive.Generate(ArchiveFolder, AreaAndMaskTests.Options);
        Project = WriteProject("control");
        ClusterFixture.Succeed(Nrtc.RunWithin(AreaAndMaskTests.CommandTimeout, "fit", "--project", Project), "control fit");
        ClusterFixture.Succeed(Nrtc.RunWithin(AreaAndMaskTests.CommandTimeout, "fast-forward", "--project", Project, "--to", $"{AreaAndMaskTests.Options.End:yyyy-MM-dd}"),
            "control fast-forward");
        Config = ProjectConfigLoader.Load(Project);
        AreaTiles = AreaTilesOf(Project);
        Tiles = [.. AreaTiles.Where(t => File.Exists(Report(Project, t)))];
    }

    public string Folder { get; }
    public string ArchiveFolder { get; }
    public SyntheticArchiveResult Archive { get; }
    public string Project { get; }
    public ProjectConfig Config { get; }
    /// <summary>The tiles of the whole area, in the order state.json lists them.</summary>
    public IReadOnlyList<string> AreaTiles { get; }

    /// <summary>The tiles with data (fitted and reported).</summary>
    public IReadOnlyList<string> Tiles { get; }

    public static IReadOnlyList<string> AreaTilesOf(string project) =>
        [.. ProjectArchive.Footprints(ProjectConfigLoader.Load(project)).ProjectTiles.Select(t => t.ToString())];

    /// <summary>The demo's project on the archive, with its whole area, in <c>Folder/name</c>; returns the project file.</summary>
    public string WriteProject(string name)
    {
        var folder = Path.Combine(Folder, name);
        ClusterFixture.WriteProject(folder, ArchiveFolder, Archive);
        var project = Path.Combine(folder, "project.conf");
        // The tests compare pixels of differently masked runs; the haze gate decides over a tile's monitored pixels together.
        File.AppendAllText(project, "\nproject.monitor.haze-gate.enabled = false\n");
        return project;
    }

    public string Report(string project, string tile) => Path.Combine(Path.GetDirectoryName(project)!, "tiles", tile, "report.tif");

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

/// <summary>
/// Changing the area of a running project without refitting the rest (nrtc as real processes, real GDAL and SQLite): a grown
/// area fits only its new tiles and brings them up, one that leaves tiles out is refused unless asked; a forest mask update
/// changes which pixels are monitored, and so the next days' alerts, without a refit.
/// </summary>
public sealed partial class AreaAndMaskTests(AreaControl control) : IClassFixture<AreaControl>
{
    /// <summary>Two months of monitoring, so that the clear-cuts break pixels.</summary>
    internal static readonly SyntheticArchiveOptions Options = QuarantineTests.Archive with { End = new DateOnly(2022, 3, 31) };
    internal static readonly TimeSpan CommandTimeout = QuarantineTests.CommandTimeout;
    private static readonly string End = $"{Options.End:yyyy-MM-dd}";

    [GeneratedRegex(@"fast-forward: (\d+) tile-days applied, (\d+) repeated \(applied before\), (\d+) quarantined on (\d+) tiles, 0 failed")]
    private static partial Regex FastForwardSummary();

    [GeneratedRegex(@"bbox = \[([^\]]+)\]")]
    private static partial Regex BboxLine();

    private static (int Applied, int Repeated) FastForward(string project)
    {
        var (code, output) = Nrtc.RunWithin(CommandTimeout, "fast-forward", "--project", project, "--to", End);
        Assert.True(code == 0, output);
        var m = FastForwardSummary().Match(output);
        Assert.True(m.Success, output);
        return (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    private static string Run(string verb, params string[] args)
    {
        var (code, output) = Nrtc.RunWithin(CommandTimeout, [verb, .. args]);
        Assert.True(code == 0, $"{verb}: {output}");
        return output;
    }

    private static string StoredTiles(string project) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(project)!, StateFingerprint.FileName)))!["config"]![StateFingerprint.AreaTilesKey]!.GetValue<string>();

    /// <summary>The project with its bbox cut to its western <paramref name="share"/> of longitudes.</summary>
    private static void CutBbox(string project, double share)
    {
        var text = File.ReadAllText(project);
        var match = BboxLine().Match(text);
        Assert.True(match.Success, text);
        var b = match.Groups[1].Value.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        b[2] = b[0] + (b[2] - b[0]) * share;
        File.WriteAllText(project, text.Replace(match.Value, $"bbox = [{string.Join(", ", b.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}]", StringComparison.Ordinal));
    }

    /// <summary>
    /// A project fitted and fast-forwarded on the western tiles, then grown to the whole area: fit fits only the new tiles
    /// (the others answer already fitted and their reports stay byte for byte), fast-forward applies only the new tiles' days
    /// and ends with their reports equal to a run on the whole area from the start (an old tile reaching beyond the old area
    /// had only the items of that area: it keeps its state). Cutting the area back is refused naming
    /// the tiles it leaves out, nothing written, until 'nrtc area --drop-tiles' records it.
    /// </summary>
    [Fact]
    public void A_grown_area_fits_and_brings_up_only_its_new_tiles_and_one_leaving_tiles_out_is_refused_unless_dropped()
    {
        var project = control.WriteProject("grown");
        var output = Path.GetDirectoryName(project)!;
        var full = File.ReadAllText(project);
        CutBbox(project, 0.3);
        var westArea = AreaControl.AreaTilesOf(project);
        var addedArea = control.AreaTiles.Except(westArea).ToList();
        // Tiles with data (the others are not fitted).
        var west = westArea.Where(control.Tiles.Contains).ToList();
        var added = control.Tiles.Except(west).ToList();
        Assert.True(west.Count > 0 && added.Count > 0 && westArea.All(control.AreaTiles.Contains), $"west {string.Join(",", westArea)} of {string.Join(",", control.AreaTiles)}");

        Assert.Contains($"fit: {west.Count} tiles fitted, 0 failed", Run("fit", "--project", project));
        var (westDays, _) = FastForward(project);
        Assert.Equal(string.Join(" ", westArea), StoredTiles(project));
        var before = west.ToDictionary(t => t, t => File.ReadAllBytes(control.Report(project, t)));

        File.WriteAllText(project, full);
        var area = Run("area", "--project", project);
        Assert.Contains($"area: {control.AreaTiles.Count} tiles; {addedArea.Count} new ({string.Join(", ", addedArea)}), 0 left out", area);
        var fit = Run("fit", "--project", project);
        Assert.Contains($"fit: {control.Tiles.Count} tiles fitted, 0 failed", fit);
        var log = File.ReadAllText(Path.Combine(output, "nrtc.log"));
        foreach (var t in west) Assert.Matches($"tile={t} .*detail=\"AlreadyFitted \\(fit 1\\)\"", log);
        foreach (var t in added) Assert.Matches($"tile={t} .*detail=\"Fitted \\(fit 1\\)\"", log);
        foreach (var t in west) Assert.Equal(before[t], File.ReadAllBytes(control.Report(project, t)));
        Assert.Equal(string.Join(" ", control.AreaTiles), StoredTiles(project));

        var (applied, repeated) = FastForward(project);
        Assert.Equal(westDays, repeated);
        Assert.True(applied > 0);
        foreach (var t in added)
            Assert.True(File.ReadAllBytes(control.Report(control.Project, t)).AsSpan().SequenceEqual(File.ReadAllBytes(control.Report(project, t))),
                $"{t}: the report differs from the run on the whole area");
        foreach (var t in west) Assert.Equal(before[t], File.ReadAllBytes(control.Report(project, t)));

        CutBbox(project, 0.3);
        var state = File.ReadAllText(Path.Combine(output, StateFingerprint.FileName));
        var (code, refused) = Nrtc.RunWithin(CommandTimeout, "fit", "--project", project);
        Assert.True(code == 1, refused);
        Assert.Contains($"project.area-of-interest: the area leaves out {addedArea.Count} tile(s) of the area the state in {output} was made with: {string.Join(", ", addedArea)}; nothing was changed", refused);
        Assert.Contains("or run 'nrtc area --drop-tiles' with this project file", refused);
        Assert.DoesNotContain("   at ", refused);
        Assert.Equal(state, File.ReadAllText(Path.Combine(output, StateFingerprint.FileName)));

        Assert.Contains($"0 new, {addedArea.Count} left out ({string.Join(", ", addedArea)})", Run("area", "--project", project, "--drop-tiles"));
        Assert.Equal(string.Join(" ", westArea), StoredTiles(project));
        Assert.Contains($"fit: {west.Count} tiles fitted, 0 failed", Run("fit", "--project", project));
    }

    /// <summary>The report's bands by description.</summary>
    private static Dictionary<string, ushort[]> Bands(string report)
    {
        using var r = RasterDataset.Open(report);
        return Enumerable.Range(1, r.BandCount).ToDictionary(r.Description, b => r.ReadBand<ushort>(b));
    }

    private static string WriteMask(string path, SyntheticArchiveResult archive, Func<int, int, byte> forest)
    {
        var reference = archive.Scene.Geometry.Reference;
        var pixels = new byte[reference.PixelCount];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = forest(i % reference.Width, i / reference.Width);
        GeoTiffWriter.Write(path, reference, [("forest", pixels)], RasterDataType.Byte, nodata: null, cog: false);
        return path;
    }

    private static long Count(string project, IEnumerable<string> tiles, ushort code) =>
        tiles.Sum(t => Bands(Path.Combine(Path.GetDirectoryName(project)!, "tiles", t, "report.tif"))["mask"].LongCount(v => v == code));

    [GeneratedRegex(@"update-mask: (\d+) of (\d+) tiles updated without a refit \((\d+) not fitted: their fit reads the mask\); (\d+) pixels left the forest, (\d+) came back, (\d+) forest pixels without a fit stay out \(refit to monitor them\), (\d+) breaks outside the forest kept")]
    private static partial Regex UpdateSummary();

    private static long[] UpdateMask(string project, params string[] args)
    {
        var output = Run("update-mask", ["--project", project, .. args]);
        var m = UpdateSummary().Match(output);
        Assert.True(m.Success, output);
        Assert.DoesNotContain("(fit 2)", output);
        return [.. m.Groups.Values.Skip(1).Select(g => long.Parse(g.Value, CultureInfo.InvariantCulture))];
    }

    /// <summary>
    /// Right after the fit part of the clear-cuts is taken out of the forest: the fast-forward then alerts nowhere there and, pixel for
    /// pixel, exactly as the whole forest's run elsewhere (the tiles were recovered from the stored update in a new process).
    /// Later updates keep the breaks, bring the fitted pixels back and leave the never-fitted ones out (counted); the fit
    /// stays the first. Other verbs refuse the state while the project file names another mask; a mask that cannot be read is
    /// refused before any tile is asked.
    /// </summary>
    [Fact]
    public void A_mask_update_changes_the_monitored_pixels_and_the_next_days_alerts_without_a_refit()
    {
        var project = control.WriteProject("masked");
        var output = Path.GetDirectoryName(project)!;
        var width = control.Archive.Scene.Geometry.Reference.Width;
        var original = control.Archive.Scene.ForestMask();
        // Out of the forest: every other column of the clear-cuts, so that the whole forest's run breaks pixels that are taken out.
        var cleared = control.Archive.Scene.DisturbanceDays();
        var takenOut = WriteMask(Path.Combine(control.Folder, "taken-out.tif"), control.Archive,
            (x, y) => cleared[y * width + x] != 0 && x % 2 == 0 ? (byte)0 : original[y * width + x]);

        Run("fit", "--project", project);
        var first = UpdateMask(project, "--mask", takenOut);
        // The project file still names the archive's mask: the state now is of another, until the file says so too.
        var archiveMask = Path.Combine(control.ArchiveFolder, SyntheticArchiveLayout.ForestMask);
        var (code, refused) = Nrtc.RunWithin(CommandTimeout, "fast-forward", "--project", project, "--to", End);
        Assert.True(code == 1, refused);
        Assert.Contains($"project.forest-mask.raster: {takenOut} -> {archiveMask}", refused);
        var text = File.ReadAllText(project);
        File.WriteAllText(project, text.Replace(archiveMask, takenOut, StringComparison.Ordinal));
        Assert.Equal((control.Tiles.Count, control.AreaTiles.Count, control.AreaTiles.Count - control.Tiles.Count), (first[0], first[1], first[2]));
        Assert.True(first[3] > 0, "some fitted pixels must leave the forest");
        Assert.Equal(0, first[6]);
        FastForward(project);

        long outBreaks = 0;
        foreach (var tile in control.Tiles)
        {
            var forest = TileRasters.ReadForestMask(takenOut, control.Config.Grid.TileGeoBox(Geo.Grid.TileId.Parse(tile)));
            var (masked, whole) = (Bands(control.Report(project, tile)), Bands(control.Report(control.Project, tile)));
            for (int i = 0; i < forest.Length; i++)
            {
                if (forest[i] == 1)
                {
                    Assert.Equal((whole["mask"][i], whole["detection_date"][i]), (masked["mask"][i], masked["detection_date"][i]));
                    continue;
                }
                Assert.Equal(0, masked["mask"][i]);
                Assert.Equal(0, masked["detection_date"][i]);
                if (whole["mask"][i] == 3) outBreaks++;
            }
        }
        Assert.True(outBreaks > 0, "the whole forest's run must break pixels taken out for this test to mean anything");

        long breaks = Count(project, control.Tiles, 3);
        Assert.True(breaks > 0);
        // Forest everywhere in the scene (a tile's pixels beyond it read as no forest): its pixels outside the fit's forest have no fit.
        var all = WriteMask(Path.Combine(control.Folder, "all.tif"), control.Archive, (_, _) => 1);
        long neverFitted = control.Tiles.Sum(t =>
        {
            var box = control.Config.Grid.TileGeoBox(Geo.Grid.TileId.Parse(t));
            var (fitted, now) = (TileRasters.ReadForestMask(archiveMask, box), TileRasters.ReadForestMask(all, box));
            return Enumerable.Range(0, now.Length).LongCount(i => now[i] == 1 && fitted[i] == 0);
        });
        Assert.True(neverFitted > 0);
        var everywhere = UpdateMask(project, "--mask", all);
        Assert.Equal((0L, neverFitted, 0L), (everywhere[3], everywhere[5], everywhere[6]));
        Assert.Equal(first[3], everywhere[4]);

        var nowhere = UpdateMask(project, "--mask", WriteMask(Path.Combine(control.Folder, "none.tif"), control.Archive, (_, _) => 0));
        Assert.Equal(breaks, nowhere[6]);
        Assert.Equal(0, Count(project, control.Tiles, 1));
        Assert.Equal(breaks, Count(project, control.Tiles, 3));

        // The archive's mask in the project file again: update-mask reads and records it, and the other verbs go on.
        File.WriteAllText(project, text);
        UpdateMask(project);
        Assert.True(Count(project, control.Tiles, 1) > 0);
        Assert.Equal(0, FastForward(project).Applied);
        Assert.Contains($"\"project.forest-mask.raster\": \"{archiveMask}\"",
            File.ReadAllText(Path.Combine(output, StateFingerprint.FileName)));
        Assert.DoesNotContain("Fitted (fit 2)", File.ReadAllText(Path.Combine(output, "nrtc.log")));

        var missing = Path.Combine(control.Folder, "missing.tif");
        (code, var unreadable) = Nrtc.RunWithin(CommandTimeout, "update-mask", "--project", project, "--mask", missing);
        Assert.True(code == 1, unreadable);
        Assert.Contains($"update-mask: the forest mask {missing} cannot be read: no such file", unreadable);
    }
}
