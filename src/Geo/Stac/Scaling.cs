using System.Globalization;

namespace NrtCluster.Geo.Stac;

/// <summary>The bands the pipeline reads, independent of how a provider names its assets.</summary>
public enum LogicalBand { Red, Green, Nir, Swir1, Swir2, Scl }

public static class LogicalBands
{
    public static readonly IReadOnlyList<LogicalBand> All = Enum.GetValues<LogicalBand>();

    /// <summary>Parses "red", "green", "nir", "swir1", "swir2", "scl" (case-insensitive).</summary>
    public static LogicalBand Parse(string name) =>
        Enum.TryParse<LogicalBand>(name, ignoreCase: true, out var band) && Enum.IsDefined(band)
            ? band
            : throw new ArgumentException(
                $"Unknown logical band '{name}'; use one of {string.Join(", ", All.Select(b => b.ToString().ToLowerInvariant()))}.",
                nameof(name));

    public static bool IsClassLayer(this LogicalBand band) => band == LogicalBand.Scl;
}

/// <summary>Where the DN-to-reflectance scaling of a band came from.</summary>
public enum ScalingSource
{
    /// <summary>A class layer (SCL): DNs are class codes, never scaled.</summary>
    ClassLayer,
    /// <summary>The asset's raster:scale/raster:offset (on the asset or its raster:bands).</summary>
    RasterMetadata,
    /// <summary>The provider flag earthsearch:boa_offset_applied = true: the COGs already had the offset removed.</summary>
    OffsetAlreadyApplied,
    /// <summary>The item's processing baseline (s2:processing_baseline or processing:version).</summary>
    ProcessingBaseline,
    /// <summary>No metadata and no baseline: the acquisition date decided (baseline 04.00 from 2022-01-25).</summary>
    AcquisitionDate,
}

/// <summary>reflectance = DN * Scale + Offset. <see cref="Reason"/> says why, for logs.</summary>
public sealed record ReflectanceScaling(double Scale, double Offset, ScalingSource Source, string Reason)
{
    /// <summary>True when the decision rests on the acquisition date alone: callers should log it.</summary>
    public bool IsDateFallback => Source == ScalingSource.AcquisitionDate;

    /// <summary>Sentinel-2 L2A quantification: 10000 DN = reflectance 1.</summary>
    public const double L2AScale = 1e-4;

    /// <summary>BOA_ADD_OFFSET of processing baseline 04.00 and later: -1000 DN, i.e. -0.1 reflectance.</summary>
    public const double Baseline4Offset = -0.1;

    /// <summary>First acquisitions processed with baseline 04.00.</summary>
    public static readonly DateOnly Baseline4Start = new(2022, 1, 25);

    /// <summary>
    /// Decides the scaling of one asset of an item. Order, so that the offset is applied once and never guessed
    /// where metadata says otherwise:
    /// 1. class layers are not scaled;
    /// 2. earthsearch:boa_offset_applied = true means the stored DNs are already offset-free: offset 0 whatever
    ///    raster:offset says (Earth Search published raster:offset -0.1 on such items by mistake; the flag is the truth);
    /// 3. raster:offset (with raster:scale, default 1e-4) on the asset or its raster:bands;
    /// 4. processing baseline >= 04.00 -> -0.1, older -> 0;
    /// 5. otherwise the acquisition date, flagged as a fallback.
    /// </summary>
    public static ReflectanceScaling Decide(StacItem item, StacAsset asset, bool isClassLayer)
    {
        if (isClassLayer)
            return new ReflectanceScaling(1, 0, ScalingSource.ClassLayer, $"asset '{asset.Key}' is a class layer: no scaling");

        var metaScale = asset.GetRasterNumber("scale");
        var metaOffset = asset.GetRasterNumber("offset");
        var scale = metaScale ?? L2AScale;
        var scaleNote = metaScale is null ? "scale 1e-4 (L2A quantification)" : $"raster:scale {Fmt(scale)}";

        if (item.GetBoolean("earthsearch:boa_offset_applied") == true)
        {
            var ignored = metaOffset is { } o && o != 0 ? $"; raster:offset {Fmt(o)} ignored" : "";
            return new ReflectanceScaling(scale, 0, ScalingSource.OffsetAlreadyApplied,
                $"earthsearch:boa_offset_applied is true: offset already removed from the stored DNs{ignored}; {scaleNote}");
        }

        if (metaOffset is { } offset)
            return new ReflectanceScaling(scale, offset, ScalingSource.RasterMetadata,
                $"raster:offset {Fmt(offset)} and {scaleNote} of asset '{asset.Key}'");

        var (baselineText, baselineProperty) = GetBaseline(item);
        if (baselineText is not null)
        {
            if (!TryParseBaseline(baselineText, out var baseline))
                throw new StacFormatException(item.Source,
                    $"item '{item.Id}': {baselineProperty} '{baselineText}' is not a processing baseline like \"04.00\"");
            var after4 = baseline >= 4m;
            return new ReflectanceScaling(scale, after4 ? Baseline4Offset : 0, ScalingSource.ProcessingBaseline,
                $"{baselineProperty} {baselineText} {(after4 ? ">=" : "<")} 04.00: offset {(after4 ? "-1000 DN" : "0")}; {scaleNote}");
        }

        var day = DateOnly.FromDateTime(item.DateTime.UtcDateTime);
        var afterStart = day >= Baseline4Start;
        return new ReflectanceScaling(scale, afterStart ? Baseline4Offset : 0, ScalingSource.AcquisitionDate,
            $"item '{item.Id}' has no raster:offset and no processing baseline: assumed from its acquisition date " +
            $"{day:yyyy-MM-dd} {(afterStart ? "on or after" : "before")} 2022-01-25 (baseline 04.00): offset " +
            $"{(afterStart ? "-1000 DN" : "0")}; {scaleNote}");
    }

    private static (string? Text, string? Property) GetBaseline(StacItem item)
    {
        foreach (var name in (ReadOnlySpan<string>)["s2:processing_baseline", "processing:version", "sentinel:processing_baseline"])
        {
            if (item.GetString(name) is { Length: > 0 } text) return (text, name);
        }
        return (null, null);
    }

    /// <summary>Parses "04.00", "4.0", "N0400" or "0400" to a number (4.00).</summary>
    public static bool TryParseBaseline(string text, out decimal baseline)
    {
        var t = text.Trim();
        if (t.StartsWith('N') || t.StartsWith('n')) t = t[1..];
        if (t.Length == 4 && t.All(char.IsAsciiDigit)) t = t[..2] + "." + t[2..];
        return decimal.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out baseline);
    }

    private static string Fmt(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
