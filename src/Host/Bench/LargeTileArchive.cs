using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Synthetic;

namespace NrtCluster.Host.Bench;

/// <summary>
/// The archive of the large-tile part of <c>nrtc bench cluster</c>: granules just large enough to hold a block of
/// <c>columns x rows</c> whole tiles, rendered for a few distinct scenes only (rendering costs seconds per megapixel);
/// every later date is a new acquisition (its own item id, datetime and platform) whose COGs are hard links to the files of
/// the scene it repeats, so the archive costs a few renders whatever the number of dates.
/// </summary>
public sealed partial record LargeTileArchive(SyntheticArchiveResult Archive, int Scenes, int Dates, double OriginX, double OriginY, int Columns, int Rows, double[] BboxLonLat)
{
    /// <summary>Distinct rendered scenes: each pixel is clear in most of them, so cycling them gives a pixel about 3/4 of the history dates clear.</summary>
    public const int DefaultScenes = 4;

    public int Tiles => Columns * Rows;

    /// <summary>Writes the archive into <paramref name="directory"/>: <paramref name="dates"/> acquisitions every <see cref="ClusterBenchOptions.RevisitDays"/> days from <see cref="ClusterBenchOptions.Start"/>.</summary>
    public static LargeTileArchive Write(string directory, int tiles, int tileSize, int dates, int scenes = DefaultScenes)
    {
        var columns = (int)Math.Ceiling(Math.Sqrt(tiles));
        var rows = (int)Math.Ceiling(tiles / (double)columns);
        var (granuleSize, originX, originY) = Place(columns, rows, tileSize);
        scenes = Math.Min(scenes, dates);
        var options = new SyntheticArchiveOptions
        {
            GranuleSize = granuleSize, Start = ClusterBenchOptions.Start, RevisitDays = ClusterBenchOptions.RevisitDays,
            End = ClusterBenchOptions.Start.AddDays(ClusterBenchOptions.RevisitDays * (scenes - 1)),
            HistoryEnd = ClusterBenchOptions.Start.AddDays(ClusterBenchOptions.RevisitDays * Math.Max(0, scenes - 2)),
        };
        var archive = SyntheticArchive.Generate(directory, options);
        Repeat(archive, dates);
        // The area of interest: the block's lon/lat box shrunk by 5% so that its curved image on the grid stays inside the block.
        var side = tileSize * SceneGeometry.Resolution;
        double inset = 0.05 * side * Math.Max(columns, rows);
        var xs = new[] { originX + inset, originX + columns * side - inset, originX + inset, originX + columns * side - inset };
        var ys = new[] { originY - inset, originY - inset, originY - rows * side + inset, originY - rows * side + inset };
        using (var laea = SpatialReference.FromUserInput(SceneGeometry.ReferenceCrs))
        using (var wgs84 = SpatialReference.Wgs84())
        using (var toLonLat = new CoordinateTransformation(laea, wgs84))
            toLonLat.Transform(xs, ys);
        return new LargeTileArchive(archive, scenes, dates, originX, originY, columns, rows, [xs.Min(), ys.Min(), xs.Max(), ys.Max()]);
    }

    /// <summary>
    /// The smallest granule side (in 5% steps) whose two granules cover a block of whole tiles, and the block's upper-left
    /// corner on the reference grid. Coverage is sampled every <c>tileSize / 20</c> px, with one sample's margin round the block.
    /// </summary>
    private static (int GranuleSize, double OriginX, double OriginY) Place(int columns, int rows, int tileSize)
    {
        var step = Math.Max(1, tileSize / 20);
        for (var size = (int)Math.Ceiling(Math.Max(columns, rows) * tileSize * 1.05); size <= 5490; size = (int)Math.Ceiling(size * 1.05))
        {
            var geometry = SceneGeometry.Create(size);
            var reference = geometry.Reference;
            var sampled = GeoBox.NorthUp(reference.Crs, reference.Transform.X0, reference.Transform.Y0, SceneGeometry.Resolution * step,
                reference.Width / step, reference.Height / step);
            var (x, y) = SceneGeometry.PixelCentres(sampled, reference.Crs);
            var covered = geometry.Covered(x, y);
            int w = sampled.Width, h = sampled.Height, bw = columns * tileSize / step + 2, bh = rows * tileSize / step + 2;
            for (var r0 = 0; r0 + bh <= h; r0++)
                for (var c0 = 0; c0 + bw <= w; c0++)
                    if (All(covered, w, c0, r0, bw, bh))
                        return (size, sampled.Transform.X0 + (c0 + 1) * step * SceneGeometry.Resolution, sampled.Transform.Y0 - (r0 + 1) * step * SceneGeometry.Resolution);
        }
        throw new InvalidOperationException($"no granule up to 5490 px holds {columns} x {rows} whole tiles of {tileSize} px; give fewer --large-tiles or a smaller --large-size");
    }

    private static bool All(bool[] covered, int width, int c0, int r0, int bw, int bh)
    {
        for (var r = r0; r < r0 + bh; r++)
            for (var c = c0; c < c0 + bw; c++)
                if (!covered[r * width + c]) return false;
        return true;
    }

    /// <summary>Adds acquisitions up to <paramref name="dates"/>, each repeating the rendered scene its index cycles to, and lists them in the collection.</summary>
    private static void Repeat(SyntheticArchiveResult archive, int dates)
    {
        var scene = archive.Scene;
        var rendered = scene.Acquisitions;
        var collectionPath = Path.Combine(archive.Directory, SyntheticArchiveLayout.Collection);
        var collection = JsonNode.Parse(File.ReadAllText(collectionPath))!.AsObject();
        var links = collection["links"]!.AsArray();
        string last = "";
        for (var i = rendered.Count; i < dates; i++)
        {
            var source = rendered[i % rendered.Count];
            var acquisition = source.After(ClusterBenchOptions.RevisitDays, i - source.Index);
            last = FormatTime(acquisition.Time);
            foreach (var granule in scene.Geometry.Granules)
            {
                string from = SyntheticArchive.ItemId(source, granule), id = SyntheticArchive.ItemId(acquisition, granule);
                var sourceFolder = Path.Combine(archive.Directory, SyntheticArchiveLayout.ItemFolder(from));
                var folder = Path.Combine(archive.Directory, SyntheticArchiveLayout.ItemFolder(id));
                Directory.CreateDirectory(folder);
                foreach (var band in SyntheticBands.All)
                    HardLink(Path.Combine(sourceFolder, band.FileName), Path.Combine(folder, band.FileName));
                var item = JsonNode.Parse(File.ReadAllText(Path.Combine(archive.Directory, SyntheticArchiveLayout.ItemFile(from))))!.AsObject();
                item["id"] = id;
                var properties = item["properties"]!.AsObject();
                properties["datetime"] = FormatTime(acquisition.Time);
                properties["created"] = FormatTime(acquisition.Time.AddHours(3));
                properties["platform"] = acquisition.Platform;
                File.WriteAllText(Path.Combine(archive.Directory, SyntheticArchiveLayout.ItemFile(id)), item.ToJsonString());
                links.Add(new JsonObject { ["rel"] = "item", ["href"] = $"./{id}/{id}.json", ["type"] = "application/geo+json" });
            }
        }
        if (last != "") collection["extent"]!["temporal"]!["interval"]![0]![1] = last;
        File.WriteAllText(collectionPath, collection.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>A hard link (the STAC server serves a symbolic link's own length, not its target's); a copy where links are not possible.</summary>
    private static void HardLink(string existing, string path)
    {
        if (!OperatingSystem.IsLinux() || Link(existing, path) != 0) File.Copy(existing, path);
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string path);

    private static string FormatTime(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
