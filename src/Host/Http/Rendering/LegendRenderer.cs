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

    /// <summary>The size of <see cref="MaskLegendPng"/>.</summary>
    public static (int Width, int Height) MaskLegendSize() => ClassLegendSize(Palette.MaskClasses);

    /// <summary>One swatch per mask class.</summary>
    public static byte[] MaskLegendPng() => ClassLegendPng(Palette.MaskClasses);

    /// <summary>The size of <see cref="ConfidenceLegendPng"/>.</summary>
    public static (int Width, int Height) ConfidenceLegendSize() => ClassLegendSize(Palette.ConfidenceClasses);

    /// <summary>One swatch per alert confidence.</summary>
    public static byte[] ConfidenceLegendPng() => ClassLegendPng(Palette.ConfidenceClasses);

    private static (int Width, int Height) ClassLegendSize(IReadOnlyList<(ushort Code, string Label, Rgba Colour)> rows) =>
        (Pad * 2 + SwatchW + Pad + rows.Max(r => BitmapFont.MeasureWidth(r.Label)), Pad * 2 + rows.Count * RowH - (RowH - SwatchH));

    private static byte[] ClassLegendPng(IReadOnlyList<(ushort Code, string Label, Rgba Colour)> rows)
    {
        var (width, height) = ClassLegendSize(rows);
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

    private const string DateTitle = "DETECTION DATE";
    private const int RampH = 120;
    private const int RampTop = Pad + BitmapFont.GlyphHeight + Pad;

    /// <summary>The labels at the top, middle and bottom of the date ramp.</summary>
    private static string[] DateLabels(DateOnly? first, DateOnly? last) => first is { } f && last is { } l
        ? [f.ToString("yyyy-MM-dd"), f.AddDays((l.DayNumber - f.DayNumber) / 2).ToString("yyyy-MM-dd"), l.ToString("yyyy-MM-dd")]
        : ["NO DETECTIONS", "", ""];

    private static (int Width, int Height) RampLegendSize(string title, string[] labels) =>
        (Pad * 2 + Math.Max(BitmapFont.MeasureWidth(title), SwatchW + Pad + labels.Max(BitmapFont.MeasureWidth)), RampTop + RampH + Pad);

    /// <summary>The size of <see cref="DateLegendPng"/> for the same dates.</summary>
    public static (int Width, int Height) DateLegendSize(DateOnly? first, DateOnly? last) => RampLegendSize(DateTitle, DateLabels(first, last));

    /// <summary>A vertical ramp from the first (top) to the last (bottom) detection date with dates at both ends and the middle.</summary>
    public static byte[] DateLegendPng(DateOnly? first, DateOnly? last) => RampLegendPng(DateTitle, DateLabels(first, last), Palette.RampAt);

    private const string MagnitudeTitle = "MAGNITUDE";

    private static readonly string[] MagnitudeLabels =
        ["1 X BOUNDARY", FormattableString.Invariant($"{(1 + Palette.MagnitudeRampTop) / 2:0.#}"), FormattableString.Invariant($"{Palette.MagnitudeRampTop:0.#} OR MORE")];

    /// <summary>The size of <see cref="MagnitudeLegendPng"/>.</summary>
    public static (int Width, int Height) MagnitudeLegendSize() => RampLegendSize(MagnitudeTitle, MagnitudeLabels);

    /// <summary>The magnitude ramp from 1 boundary (top) to <see cref="Palette.MagnitudeRampTop"/> or more (bottom).</summary>
    public static byte[] MagnitudeLegendPng() => RampLegendPng(MagnitudeTitle, MagnitudeLabels, Palette.MagnitudeAt);

    private static byte[] RampLegendPng(string title, string[] labels, Func<double, Rgba> ramp)
    {
        var (width, height) = RampLegendSize(title, labels);
        var rgba = NewCanvas(width, height);
        BitmapFont.Draw(rgba, width, height, Pad, Pad, title, Ink);
        for (var y = 0; y < RampH; y++)
            Canvas.Fill(rgba, width, height, Pad, RampTop + y, SwatchW, 1, ramp(y / (double)(RampH - 1)));
        // Around the ramp, not over it, so that its first and last colours stay visible.
        Canvas.Outline(rgba, width, height, Pad - 1, RampTop - 1, SwatchW + 2, RampH + 2, Ink);
        var x = Pad + SwatchW + Pad;
        BitmapFont.Draw(rgba, width, height, x, RampTop, labels[0], Ink);
        BitmapFont.Draw(rgba, width, height, x, RampTop + (RampH - BitmapFont.GlyphHeight) / 2, labels[1], Ink);
        BitmapFont.Draw(rgba, width, height, x, RampTop + RampH - BitmapFont.GlyphHeight, labels[2], Ink);
        return ImageEncoder.PngFromRgba(rgba, width, height);
    }

    private static byte[] NewCanvas(int width, int height)
    {
        var rgba = new byte[width * height * 4];
        Canvas.Fill(rgba, width, height, 0, 0, width, height, Background);
        return rgba;
    }
}
