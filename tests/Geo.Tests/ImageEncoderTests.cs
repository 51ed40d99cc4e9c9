using NrtCluster.Geo.Gdal;

namespace NrtCluster.Geo.Tests;

public class ImageEncoderTests
{
    private const int Width = 40;
    private const int Height = 24;

    /// <summary>Left half opaque red, right half a half-transparent blue over a green gradient down the rows.</summary>
    private static byte[] Rgba()
    {
        var rgba = new byte[Width * Height * 4];
        for (var row = 0; row < Height; row++)
            for (var col = 0; col < Width; col++)
            {
                var o = (row * Width + col) * 4;
                (rgba[o], rgba[o + 1], rgba[o + 2], rgba[o + 3]) = col < Width / 2
                    ? ((byte)0xE3, (byte)0x1A, (byte)0x1C, (byte)255)
                    : ((byte)0, (byte)(row * 10), (byte)200, (byte)128);
            }
        return rgba;
    }

    private static byte[][] Decode(byte[] image, string extension)
    {
        using var tmp = new TempFolder();
        var path = tmp.File("image." + extension);
        File.WriteAllBytes(path, image);
        using var ds = RasterDataset.Open(path);
        Assert.Equal((Width, Height), (ds.Width, ds.Height));
        return Enumerable.Range(1, ds.BandCount).Select(b => ds.ReadBand<byte>(b)).ToArray();
    }

    [Fact]
    public void Png_keeps_every_sample_and_alpha()
    {
        var rgba = Rgba();
        var png = ImageEncoder.PngFromRgba(rgba, Width, Height);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        var bands = Decode(png, "png");
        Assert.Equal(4, bands.Length);
        for (var b = 0; b < 4; b++)
            Assert.Equal(rgba.Where((_, i) => i % 4 == b), bands[b]);
    }

    [Fact]
    public void Jpeg_keeps_the_colour_within_compression_noise_and_drops_alpha()
    {
        var rgba = Rgba();
        var jpeg = ImageEncoder.JpegFromRgba(rgba, Width, Height);
        Assert.Equal([0xFF, 0xD8, 0xFF], jpeg[..3]);
        var bands = Decode(jpeg, "jpg");
        Assert.Equal(3, bands.Length);
        // Away from the 8 x 8 blocks on the sharp red/blue edge (columns 16..23), every channel is within compression noise.
        var worst = 0;
        for (var i = 0; i < Width * Height; i++)
            if (i % Width is < 16 or > 23)
                for (var b = 0; b < 3; b++)
                    worst = Math.Max(worst, Math.Abs(bands[b][i] - rgba[i * 4 + b]));
        Assert.InRange(worst, 0, 24);
        Assert.InRange(bands[0][5 * Width + 5], 0xE3 - 8, 0xE3 + 8);
        Assert.InRange(bands[2][5 * Width + 35], 200 - 8, 200 + 8);
    }

    [Fact]
    public void A_buffer_that_does_not_fill_the_image_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => ImageEncoder.PngFromRgba(new byte[10], Width, Height));
        Assert.Contains($"{Width} x {Height}", e.Message);
    }
}
