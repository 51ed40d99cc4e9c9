namespace NrtCluster.Geo.Stac;

/// <summary>
/// Everything the raster reader needs to load one logical band of one item: what to open with GDAL, the GDAL
/// configuration options that opening needs, and how to turn DNs into values. Built only by
/// <see cref="ProviderProfile.OpenAsync"/>, so the decisions live in one place.
/// </summary>
/// <param name="Href">The href as resolved from the item (before signing), for logs.</param>
/// <param name="GdalPath">Path for GDALOpen: local path, /vsicurl/URL (signed if needed), /vsis3/bucket/key.</param>
/// <param name="NoData">DN marking missing data (Sentinel-2 L2A: 0).</param>
/// <param name="GdalOptions">GDAL configuration options to set while opening/reading (e.g. AWS_S3_ENDPOINT); secrets stay in the environment.</param>
/// <param name="ExpiresAt">When a signed URL stops working; resolve again after this.</param>
public sealed record BandSource(
    string ItemId,
    LogicalBand Band,
    string AssetKey,
    string Href,
    string GdalPath,
    ReflectanceScaling Scaling,
    double NoData,
    IReadOnlyDictionary<string, string> GdalOptions,
    DateTimeOffset? ExpiresAt)
{
    /// <summary>Class layers (SCL) are resampled with nearest neighbour and never scaled.</summary>
    public bool IsClassLayer => Band.IsClassLayer();

    public double Scale => Scaling.Scale;
    public double Offset => Scaling.Offset;

    /// <summary>DN to reflectance (or class code for class layers); nodata becomes NaN.</summary>
    public float ToValue(double dn) => dn == NoData ? float.NaN : (float)(dn * Scaling.Scale + Scaling.Offset);
}

/// <summary>Turns asset hrefs into GDAL virtual file system paths.</summary>
public static class GdalPaths
{
    /// <summary>
    /// Local paths as they are, file:// stripped, http(s) -> /vsicurl/URL, s3://bucket/key -> /vsis3/bucket/key,
    /// gs://bucket/key -> /vsigs/bucket/key; paths already under /vsi stay.
    /// </summary>
    public static string FromHref(string href)
    {
        if (href.StartsWith("/vsi", StringComparison.Ordinal)) return href;
        if (href.StartsWith("file://", StringComparison.OrdinalIgnoreCase)) return new Uri(href).LocalPath;
        if (Hrefs.IsHttp(href)) return "/vsicurl/" + href;
        if (href.StartsWith("s3://", StringComparison.OrdinalIgnoreCase)) return "/vsis3/" + href["s3://".Length..];
        if (href.StartsWith("gs://", StringComparison.OrdinalIgnoreCase)) return "/vsigs/" + href["gs://".Length..];
        if (Hrefs.IsUrl(href))
            throw new StacException($"Cannot open '{href}': only local paths, file://, http(s)://, s3:// and gs:// hrefs are supported.");
        return href;
    }
}
