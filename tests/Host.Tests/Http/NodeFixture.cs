using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Tiles;
using NrtCluster.Host.Http;
using NrtCluster.Host.Http.Reports;

namespace NrtCluster.Host.Tests.Http;

/// <summary>
/// A real output folder laid out as the node writes it (two 100 x 100 tile reports in EPSG:3035 at 20 m at
/// tiles/TILE/report.tif, written with the project's GeoTIFF writer, a VRT mosaic over them, and <see cref="PatchFixtures"/>'
/// patches files) served by a <see cref="NodeServer"/> on 127.0.0.1 with the file-backed feed and status.
/// </summary>
public sealed class NodeFixture : IAsyncLifetime
{
    public const string Crs = "EPSG:3035";
    public const double Resolution = 20;
    public const int Size = 100;
    // EPSG:3035's false origin: 52 N, 10 E.
    public const double OriginX = 4321000;
    public const double OriginY = 3210000;
    public const ushort NoData = 65535;

    public static readonly DateOnly Tile0First = new(2024, 5, 1);
    public static readonly DateOnly Tile1First = new(2024, 7, 1);
    public static readonly string[] TileIds = ["x0_y0", "x1_y0"];

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "nrtc-http-" + Guid.NewGuid().ToString("N"));
    public NodeServer Server { get; private set; } = null!;
    public HttpClient Http { get; } = new();
    public ReportFolder Reports { get; private set; } = null!;

    /// <summary>Where the node writes a tile's report (GeoTiffTileReportWriter): the tile id is the folder's name.</summary>
    public static string ReportPath(string folder, string tile) => Path.Combine(folder, "tiles", tile, "report.tif");

    public static GeoBox TileBox(int col) => GeoBox.NorthUp(Crs, OriginX + col * Size * Resolution, OriginY, Resolution, Size, Size);

    /// <summary>
    /// Mask by rows: 0-9 not monitored, 10-19 unstable, 20-29 too few observations, the rest monitored, with a 20 x 20
    /// break block at rows/cols 40-59 whose detection date is the tile's first date plus (col - 40) days.
    /// </summary>
    public static (ushort Mask, ushort Date) Expected(int tile, int row, int col)
    {
        if (row is >= 40 and < 60 && col is >= 40 and < 60)
            return (3, (ushort)((tile == 0 ? Tile0First : Tile1First).DayNumber - Epoch + col - 40));
        return (row < 10 ? (ushort)0 : row < 20 ? (ushort)2 : row < 30 ? (ushort)4 : (ushort)1, 0);
    }

    public static readonly int Epoch = new DateOnly(1970, 1, 1).DayNumber;

    public static DateOnly LastDetection => Tile1First.AddDays(19);

    public async Task InitializeAsync()
    {
        var paths = new List<string>();
        for (var t = 0; t < 2; t++)
        {
            var mask = new ushort[Size * Size];
            var date = new ushort[Size * Size];
            for (var r = 0; r < Size; r++)
                for (var c = 0; c < Size; c++)
                    (mask[r * Size + c], date[r * Size + c]) = Expected(t, r, c);
            var path = ReportPath(Folder, TileIds[t]);
            TileRasters.WriteReport(path, TileBox(t), [("mask", mask), ("detection_date", date)], NoData);
            paths.Add(path);
        }
        VrtMosaic.Build(Path.Combine(Folder, "mosaic.vrt"), paths);
        PatchFixtures.WriteAll(Folder);
        Reports = new ReportFolder(Folder);
        Server = await NodeServer.StartAsync(new NodeServerOptions(Reports, new FileAlertFeed(Reports), new FileNodeStatus(Reports),
            "127.0.0.1", 0, NodeServer.LocateWebRoot()));
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}

/// <summary>Decodes PNGs and JPEGs with GDAL's drivers (decoders independent of the server's encoding) into RGBA.</summary>
public static class MapImage
{
    public static (int Width, int Height, byte[] Rgba) DecodePng(byte[] png)
    {
        Assert.True(png.Length > 8 && png[0] == 0x89 && png[1] == (byte)'P', "not a PNG");
        return Decode(png, "png");
    }

    public static (int Width, int Height, byte[] Rgba) DecodeJpeg(byte[] jpeg)
    {
        Assert.True(jpeg.Length > 3 && jpeg[0] == 0xFF && jpeg[1] == 0xD8 && jpeg[2] == 0xFF, "not a JPEG");
        return Decode(jpeg, "jpg");
    }

    private static (int Width, int Height, byte[] Rgba) Decode(byte[] image, string extension)
    {
        var path = Path.Combine(Path.GetTempPath(), $"nrtc-image-{Guid.NewGuid():N}.{extension}");
        File.WriteAllBytes(path, image);
        try
        {
            using var ds = RasterDataset.Open(path);
            var rgba = new byte[ds.Width * ds.Height * 4];
            for (var b = 1; b <= 4; b++)
            {
                var band = b <= ds.BandCount ? ds.ReadBand<byte>(b) : Enumerable.Repeat((byte)255, ds.Width * ds.Height).ToArray();
                for (var i = 0; i < band.Length; i++) rgba[i * 4 + b - 1] = band[i];
            }
            return (ds.Width, ds.Height, rgba);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static (byte R, byte G, byte B, byte A) At(this (int Width, int Height, byte[] Rgba) image, int col, int row)
    {
        var i = (row * image.Width + col) * 4;
        return (image.Rgba[i], image.Rgba[i + 1], image.Rgba[i + 2], image.Rgba[i + 3]);
    }

    /// <summary>Whether a pixel is within <paramref name="tolerance"/> of a colour in each channel (alpha ignored).</summary>
    public static bool Near(this (int Width, int Height, byte[] Rgba) image, int col, int row, (byte R, byte G, byte B) colour, int tolerance)
    {
        var (r, g, b, _) = image.At(col, row);
        return Math.Abs(r - colour.R) <= tolerance && Math.Abs(g - colour.G) <= tolerance && Math.Abs(b - colour.B) <= tolerance;
    }

    /// <summary>Pixels within <paramref name="tolerance"/> of a colour (alpha ignored).</summary>
    public static int Count(this (int Width, int Height, byte[] Rgba) image, (byte R, byte G, byte B) colour, int tolerance = 0)
    {
        var n = 0;
        for (var i = 0; i < image.Rgba.Length; i += 4)
            if (Math.Abs(image.Rgba[i] - colour.R) <= tolerance && Math.Abs(image.Rgba[i + 1] - colour.G) <= tolerance
                && Math.Abs(image.Rgba[i + 2] - colour.B) <= tolerance && image.Rgba[i + 3] > 0) n++;
        return n;
    }
}

[CollectionDefinition(Name)]
public sealed class NodeCollection : ICollectionFixture<NodeFixture>
{
    public const string Name = "http node";
}
