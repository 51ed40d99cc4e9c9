using NrtCluster.Kernels;

namespace NrtCluster.Host.Http.Rendering;

/// <summary>An 8-bit RGBA colour.</summary>
public readonly record struct Rgba(byte R, byte G, byte B, byte A)
{
    public static readonly Rgba Transparent = new(0, 0, 0, 0);

    /// <summary>CSS form, e.g. #e31a1c (alpha dropped).</summary>
    public string Hex => $"#{R:x2}{G:x2}{B:x2}";
}

/// <summary>
/// The published colour schemes: one colour per mask class and per alert confidence, a sequential ramp for detection
/// dates and another for magnitudes.
/// </summary>
public static class Palette
{
    /// <summary>Mask classes as written in the reports, in code order (a code is its index), with their legend labels and colours.</summary>
    public static readonly IReadOnlyList<(ushort Code, string Label, Rgba Colour)> MaskClasses =
    [
        (MaskCodes.NotMonitored, "Not monitored", Rgba.Transparent),
        (MaskCodes.Monitored, "Monitored", new Rgba(0xA6, 0xD9, 0x6A, 0xFF)),
        (MaskCodes.Unstable, "Unstable history", new Rgba(0x80, 0x80, 0x80, 0xFF)),
        (MaskCodes.Break, "Break", new Rgba(0xE3, 0x1A, 0x1C, 0xFF)),
        (MaskCodes.TooFewObservations, "Too few observations", new Rgba(0xD9, 0xD9, 0xD9, 0xFF)),
    ];

    /// <summary>Unknown codes are drawn magenta so that they stand out rather than vanish.</summary>
    private static readonly Rgba Unknown = new(0xFF, 0x00, 0xFF, 0xFF);

    /// <summary>Colour of a mask code.</summary>
    public static Rgba MaskColour(ushort code) => code < MaskClasses.Count ? MaskClasses[code].Colour : Unknown;

    public static string MaskLabel(ushort code) => code < MaskClasses.Count ? MaskClasses[code].Label : $"Unknown class {code}";

    /// <summary>The alert confidences a legend shows (0, no alert, is transparent).</summary>
    public static readonly IReadOnlyList<(ushort Code, string Label, Rgba Colour)> ConfidenceClasses =
    [
        (ConfidenceCodes.Low, "Low confidence", new Rgba(0xFD, 0xAE, 0x61, 0xFF)),
        (ConfidenceCodes.High, "High confidence", new Rgba(0xD7, 0x19, 0x1C, 0xFF)),
    ];

    public static Rgba ConfidenceColour(ushort code) => code switch
    {
        ConfidenceCodes.None => Rgba.Transparent,
        ConfidenceCodes.Low => ConfidenceClasses[0].Colour,
        ConfidenceCodes.High => ConfidenceClasses[1].Colour,
        _ => Unknown,
    };


    /// <summary>Magnitudes (in boundaries) from 1 to this are spread over the magnitude ramp; larger ones take its end.</summary>
    public const double MagnitudeRampTop = 5;

    // Pale to dark blue: apart from the date ramp's warm colours.
    private static readonly Rgba[] MagnitudeStops =
    [
        new(0xC6, 0xDB, 0xEF, 0xFF),
        new(0x6B, 0xAE, 0xD6, 0xFF),
        new(0x21, 0x71, 0xB5, 0xFF),
        new(0x08, 0x30, 0x6B, 0xFF),
    ];

    /// <summary>The colour of a report's magnitude (hundredths of the boundary); 0 (no alert) is transparent.</summary>
    public static Rgba MagnitudeColour(ushort hundredths) =>
        hundredths == 0 ? Rgba.Transparent : MagnitudeAt((hundredths / 100.0 - 1) / (MagnitudeRampTop - 1));

    /// <summary>The magnitude ramp at a fraction in [0, 1].</summary>
    public static Rgba MagnitudeAt(double fraction) => Ramp(MagnitudeStops, fraction);

    // Yellow (early) through orange and red to dark purple (late): readable on light and dark backgrounds.
    private static readonly Rgba[] RampStops =
    [
        new(0xFF, 0xEE, 0x6F, 0xFF),
        new(0xFD, 0x9B, 0x3A, 0xFF),
        new(0xE3, 0x1A, 0x1C, 0xFF),
        new(0x9E, 0x01, 0x42, 0xFF),
        new(0x4A, 0x00, 0x5E, 0xFF),
    ];

    /// <summary>
    /// The ramp colour of a detection day (days since 1970-01-01) within [<paramref name="first"/>, <paramref name="last"/>];
    /// day 0 (no detection) is transparent, days outside the range are clamped to its ends.
    /// </summary>
    public static Rgba DateColour(ushort day, int first, int last)
    {
        if (day == 0) return Rgba.Transparent;
        var f = last > first ? Math.Clamp((day - first) / (double)(last - first), 0, 1) : 0.5;
        return RampAt(f);
    }

    /// <summary>The date ramp at a fraction in [0, 1].</summary>
    public static Rgba RampAt(double fraction) => Ramp(RampStops, fraction);

    private static Rgba Ramp(Rgba[] stops, double fraction)
    {
        var p = Math.Clamp(fraction, 0, 1) * (stops.Length - 1);
        var i = Math.Min((int)p, stops.Length - 2);
        var t = p - i;
        var a = stops[i];
        var b = stops[i + 1];
        return new Rgba(Lerp(a.R, b.R, t), Lerp(a.G, b.G, t), Lerp(a.B, b.B, t), 0xFF);
    }

    private static byte Lerp(byte a, byte b, double t) => (byte)Math.Round(a + (b - a) * t);
}
