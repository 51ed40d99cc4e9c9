using NrtCluster.Geo.Gdal;

namespace NrtCluster.Host.Http.Rendering;

/// <summary>Legend images for the WMS layers (GetLegendGraphic): swatches with labels on an opaque white background.</summary>
public static class LegendRenderer
{
    private static readonly Rgba Background = new(0xFF, 0xFF, 0xFF, 0xFF);
    private static readonly Rgba Ink = new(0x20, 0x20, 0x20, 0xFF);
    private const int Pad = 6;
    private const int SwatchW = 18;
    private const int SwatchH = 12;
    private const int RowH = 16;

    /// <summary>One swatch per mask class.</summary>
    public static byte[] MaskLegendPng()
    {
        var rows = Palette.MaskClasses;
        var width = Pad * 2 + SwatchW + Pad + rows.Max(r => BitmapFont.MeasureWidth(r.Label));
        var height = Pad * 2 + rows.Count * RowH - (RowH - SwatchH);
        var rgba = NewCanvas(width, height);
        for (var i = 0; i < rows.Count; i++)
        {
            var y = Pad + i * RowH;
            Canvas.Fill(rgba, width, height, Pad, y, SwatchW, SwatchH, rows[i].Colour.A == 0 ? Background : rows[i].Colour);
            Canvas.Outline(rgba, width, height, Pad, y, SwatchW, SwatchH, Ink);
            BitmapFont.Draw(rgba, width, height, Pad + SwatchW + Pad, y + (SwatchH - BitmapFont.GlyphHeight) / 2, rows[i].Label, Ink);
        }
        return ImageEncoder.PngFromRgba(rgba, width, height);
    }

    /// <summary>A vertical ramp from the first (top) to the last (bottom) detection date with dates at both ends and the middle.</summary>
    public static byte[] DateLegendPng(DateOnly? first, DateOnly? last)
    {
        const int rampH = 120;
        var labels = first is { } f && last is { } l
            ? new[] { f.ToString("yyyy-MM-dd"), f.AddDays((l.DayNumber - f.DayNumber) / 2).ToString("yyyy-MM-dd"), l.ToString("yyyy-MM-dd") }
            : ["NO DETECTIONS", "", ""];
        var title = "DETECTION DATE";
        var width = Pad * 2 + Math.Max(BitmapFont.MeasureWidth(title), SwatchW + Pad + labels.Max(BitmapFont.MeasureWidth));
        var top = Pad + BitmapFont.GlyphHeight + Pad;
        var height = top + rampH + Pad;
        var rgba = NewCanvas(width, height);
        BitmapFont.Draw(rgba, width, height, Pad, Pad, title, Ink);
        for (var y = 0; y < rampH; y++)
            Canvas.Fill(rgba, width, height, Pad, top + y, SwatchW, 1, Palette.RampAt(y / (double)(rampH - 1)));
        // Around the ramp, not over it, so that its first and last colours stay visible.
        Canvas.Outline(rgba, width, height, Pad - 1, top - 1, SwatchW + 2, rampH + 2, Ink);
        var x = Pad + SwatchW + Pad;
        BitmapFont.Draw(rgba, width, height, x, top, labels[0], Ink);
        BitmapFont.Draw(rgba, width, height, x, top + (rampH - BitmapFont.GlyphHeight) / 2, labels[1], Ink);
        BitmapFont.Draw(rgba, width, height, x, top + rampH - BitmapFont.GlyphHeight, labels[2], Ink);
        return ImageEncoder.PngFromRgba(rgba, width, height);
    }

    private static byte[] NewCanvas(int width, int height)
    {
        var rgba = new byte[width * height * 4];
        Canvas.Fill(rgba, width, height, 0, 0, width, height, Background);
        return rgba;
    }
}
