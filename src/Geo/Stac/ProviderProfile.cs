using System.Collections.Immutable;

namespace NrtCluster.Geo.Stac;

/// <summary>
/// Configuration of a provider profile (e.g. from the project's JSON settings): which asset keys hold each logical
/// band, and how hrefs are opened.
/// </summary>
public sealed record ProviderProfileSettings
{
    public required string Name { get; init; }

    /// <summary>Logical band name (red, green, nir, swir1, swir2, scl) -> asset keys, first present wins.</summary>
    public required IReadOnlyDictionary<string, string[]> Bands { get; init; }

    /// <summary>Open this alternate (e.g. "https" of the alternate-assets extension) instead of the main href when the asset has it.</summary>
    public string? PreferAlternate { get; init; }

    /// <summary>S3 endpoint for s3:// hrefs when AWS_S3_ENDPOINT is not set (e.g. eodata.dataspace.copernicus.eu).</summary>
    public string? S3Endpoint { get; init; }

    /// <summary>Planetary Computer style SAS token endpoint ("{collection}" is replaced); when set, blob hrefs are signed.</summary>
    public string? SasTokenEndpoint { get; init; }
}

/// <summary>
/// How one STAC provider names its Sentinel-2 L2A bands and how their hrefs are opened. Resolves an item's logical
/// band to a <see cref="BandSource"/>.
/// </summary>
public sealed class ProviderProfile
{
    private readonly Dictionary<LogicalBand, string[]> _bands;
    private readonly Func<string, string?> _environment;

    /// <param name="environment">Environment lookup (default: the process environment); replaceable for tests.</param>
    public ProviderProfile(ProviderProfileSettings settings, IHrefSigner? signer = null, Func<string, string?>? environment = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(settings.Name);
        Settings = settings;
        Signer = signer;
        _environment = environment ?? Environment.GetEnvironmentVariable;
        _bands = new Dictionary<LogicalBand, string[]>();
        foreach (var (name, keys) in settings.Bands)
        {
            LogicalBand band;
            try
            {
                band = LogicalBands.Parse(name);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Provider profile '{settings.Name}': {e.Message}", nameof(settings), e);
            }
            if (keys is null || keys.Length == 0 || keys.Any(string.IsNullOrWhiteSpace))
                throw new ArgumentException(
                    $"Provider profile '{settings.Name}': band '{name}' needs at least one non-empty asset key.", nameof(settings));
            _bands[band] = keys;
        }
    }

    public string Name => Settings.Name;
    public ProviderProfileSettings Settings { get; }
    public IHrefSigner? Signer { get; }

    /// <summary>Logical bands this profile maps.</summary>
    public IReadOnlyCollection<LogicalBand> Bands => _bands.Keys;

    /// <summary>Asset keys tried for a band, in order.</summary>
    public IReadOnlyList<string> AssetKeysFor(LogicalBand band) =>
        _bands.TryGetValue(band, out var keys) ? keys : [];

    /// <summary>The asset holding the band in this item, or null when none of the profile's keys is present.</summary>
    public StacAsset? FindAsset(StacItem item, LogicalBand band)
    {
        foreach (var key in AssetKeysFor(band))
            if (item.Assets.TryGetValue(key, out var asset)) return asset;
        return null;
    }

    /// <summary>
    /// What a tile needs of the item to open its bands later without the document: for every band of the profile the item
    /// has, the asset, its href (the preferred alternate when set), nodata and scaling.
    /// </summary>
    /// <exception cref="StacFormatException">The item's scaling cannot be decided (e.g. an unreadable processing baseline).</exception>
    public ItemAssets Describe(StacItem item)
    {
        var bands = ImmutableArray.CreateBuilder<BandAsset>(_bands.Count);
        foreach (var band in LogicalBands.All)
        {
            if (!_bands.ContainsKey(band) || FindAsset(item, band) is not { } asset) continue;
            var href = Settings.PreferAlternate is { } alt && asset.Alternates.TryGetValue(alt, out var alternate) ? alternate : asset.Href;
            bands.Add(new BandAsset(band, asset.Key, href, ReflectanceScaling.Decide(item, asset, band.IsClassLayer()), asset.NoData ?? 0));
        }
        return new ItemAssets(item.Id, item.Source, item.Collection, bands.ToImmutable(), [.. item.Assets.Keys]);
    }

    /// <summary>Resolves what to open and how to scale for one band of one item.</summary>
    /// <exception cref="StacException">The band is not in the profile or the item, or the href cannot be opened.</exception>
    public ValueTask<BandSource> ResolveAsync(StacItem item, LogicalBand band, CancellationToken ct = default) =>
        OpenAsync(Describe(item), band, ct);

    /// <summary>Resolves what to open for one band of an item described before (<see cref="Describe"/>): signs the href when the profile signs, sets the S3 options.</summary>
    /// <exception cref="StacException">The band is not in the profile or the item, or the href cannot be opened.</exception>
    public async ValueTask<BandSource> OpenAsync(ItemAssets item, LogicalBand band, CancellationToken ct = default)
    {
        if (!_bands.ContainsKey(band))
            throw new StacException($"Provider profile '{Name}' maps no asset to band '{band.ToString().ToLowerInvariant()}'; add it to the profile's bands.");
        var asset = item.Find(band)
            ?? throw new StacMissingAssetException(
                $"Item '{item.ItemId}' ({item.Source}) has no asset for band '{band.ToString().ToLowerInvariant()}': profile '{Name}' " +
                $"looks for {string.Join(" or ", AssetKeysFor(band).Select(k => $"'{k}'"))}, the item has " +
                $"{string.Join(", ", item.AssetKeys.Select(k => $"'{k}'"))}. Is this the right provider profile?");

        DateTimeOffset? expires = null;
        var openHref = asset.Href;
        if (Signer is not null)
        {
            var signed = await Signer.SignAsync(asset.Href, item, ct).ConfigureAwait(false);
            openHref = signed.Href;
            expires = signed.ExpiresAt;
        }

        var gdalPath = GdalPaths.FromHref(openHref);
        var options = gdalPath.StartsWith("/vsis3/", StringComparison.Ordinal) ? S3Options(item, asset) : NoOptions;
        return new BandSource(
            ItemId: item.ItemId,
            Band: band,
            AssetKey: asset.AssetKey,
            Href: asset.Href,
            GdalPath: gdalPath,
            Scaling: asset.Scaling,
            NoData: asset.NoData,
            GdalOptions: options,
            ExpiresAt: expires);
    }

    /// <summary>Resolves several bands of one item.</summary>
    public Task<IReadOnlyDictionary<LogicalBand, BandSource>> ResolveAllAsync(
        StacItem item, IEnumerable<LogicalBand> bands, CancellationToken ct = default) => OpenAllAsync(Describe(item), bands, ct);

    /// <summary>Resolves several bands of an item described before.</summary>
    public async Task<IReadOnlyDictionary<LogicalBand, BandSource>> OpenAllAsync(
        ItemAssets item, IEnumerable<LogicalBand> bands, CancellationToken ct = default)
    {
        var result = new Dictionary<LogicalBand, BandSource>();
        foreach (var band in bands) result[band] = await OpenAsync(item, band, ct).ConfigureAwait(false);
        return result;
    }

    private static readonly IReadOnlyDictionary<string, string> NoOptions = new Dictionary<string, string>();

    private Dictionary<string, string> S3Options(ItemAssets item, BandAsset asset)
    {
        var hasKeys = !string.IsNullOrEmpty(_environment("AWS_ACCESS_KEY_ID")) && !string.IsNullOrEmpty(_environment("AWS_SECRET_ACCESS_KEY"));
        var unsigned = string.Equals(_environment("AWS_NO_SIGN_REQUEST"), "YES", StringComparison.OrdinalIgnoreCase);
        var profile = !string.IsNullOrEmpty(_environment("AWS_PROFILE"))
            || (_environment("HOME") is { Length: > 0 } home && File.Exists(Path.Combine(home, ".aws", "credentials")));
        if (!hasKeys && !unsigned && !profile)
            throw new StacException(
                $"Asset '{asset.AssetKey}' of item '{item.ItemId}' is on S3 ({asset.Href}) but no S3 credentials are configured: set " +
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (for Copernicus Data Space, S3 keys from " +
                "https://eodata-s3keysmanager.dataspace.copernicus.eu), or AWS_NO_SIGN_REQUEST=YES for public buckets.");
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var endpoint = _environment("AWS_S3_ENDPOINT") is { Length: > 0 } e ? e : Settings.S3Endpoint;
        if (!string.IsNullOrEmpty(endpoint))
        {
            options["AWS_S3_ENDPOINT"] = endpoint;
            // Non-AWS endpoints such as CDSE's eodata serve buckets by path, not as virtual hosts.
            options["AWS_VIRTUAL_HOSTING"] = _environment("AWS_VIRTUAL_HOSTING") is { Length: > 0 } v ? v : "FALSE";
            options["AWS_HTTPS"] = _environment("AWS_HTTPS") is { Length: > 0 } h ? h : "YES";
        }
        return options;
    }
}

/// <summary>The built-in provider profiles.</summary>
public static class ProviderProfiles
{
    public const string CdseName = "cdse";
    public const string EarthSearchName = "earth-search";
    public const string PlanetaryComputerName = "planetary-computer";

    /// <summary>Copernicus Data Space STAC v1: 20 m JPEG2000 assets on s3://eodata (opened with /vsis3/ and S3 keys from the environment).</summary>
    public static ProviderProfileSettings CdseSettings { get; } = new()
    {
        Name = CdseName,
        Bands = new Dictionary<string, string[]>
        {
            ["red"] = ["B04_20m"], ["green"] = ["B03_20m"], ["nir"] = ["B8A_20m"],
            ["swir1"] = ["B11_20m"], ["swir2"] = ["B12_20m"], ["scl"] = ["SCL_20m"],
        },
        S3Endpoint = "eodata.dataspace.copernicus.eu",
    };

    /// <summary>Earth Search v1 (common-name keys) and v0 (band-name keys) COGs over https.</summary>
    public static ProviderProfileSettings EarthSearchSettings { get; } = new()
    {
        Name = EarthSearchName,
        Bands = new Dictionary<string, string[]>
        {
            ["red"] = ["red", "B04"], ["green"] = ["green", "B03"], ["nir"] = ["nir08", "B8A"],
            ["swir1"] = ["swir16", "B11"], ["swir2"] = ["swir22", "B12"], ["scl"] = ["scl", "SCL"],
        },
    };

    /// <summary>Planetary Computer: band-name keys, blob hrefs signed with a SAS token.</summary>
    public static ProviderProfileSettings PlanetaryComputerSettings { get; } = new()
    {
        Name = PlanetaryComputerName,
        Bands = new Dictionary<string, string[]>
        {
            ["red"] = ["B04"], ["green"] = ["B03"], ["nir"] = ["B8A"],
            ["swir1"] = ["B11"], ["swir2"] = ["B12"], ["scl"] = ["SCL"],
        },
        SasTokenEndpoint = PlanetaryComputerSigner.DefaultTokenEndpoint,
    };

    public static ProviderProfile Cdse(Func<string, string?>? environment = null) => new(CdseSettings, environment: environment);

    public static ProviderProfile EarthSearch(Func<string, string?>? environment = null) => new(EarthSearchSettings, environment: environment);

    /// <param name="tokenEndpoint">Defaults to the public endpoint; point it elsewhere (e.g. a test server).</param>
    public static ProviderProfile PlanetaryComputer(HttpClient http, string? tokenEndpoint = null, StacHttpOptions? options = null,
        TimeProvider? time = null)
    {
        var settings = PlanetaryComputerSettings with { SasTokenEndpoint = tokenEndpoint ?? PlanetaryComputerSigner.DefaultTokenEndpoint };
        return new ProviderProfile(settings, new PlanetaryComputerSigner(http, settings.SasTokenEndpoint, options, time));
    }

    /// <summary>
    /// A profile from configuration. A SasTokenEndpoint makes it sign blob hrefs (needs <paramref name="http"/>).
    /// </summary>
    public static ProviderProfile FromSettings(ProviderProfileSettings settings, HttpClient? http = null,
        StacHttpOptions? options = null, Func<string, string?>? environment = null)
    {
        IHrefSigner? signer = null;
        if (settings.SasTokenEndpoint is { Length: > 0 } endpoint)
        {
            if (http is null)
                throw new ArgumentException($"Provider profile '{settings.Name}' signs hrefs with {endpoint} and needs an HttpClient.", nameof(http));
            signer = new PlanetaryComputerSigner(http, endpoint, options);
        }
        return new ProviderProfile(settings, signer, environment);
    }

    /// <summary>A built-in profile by name: cdse, earth-search, planetary-computer.</summary>
    public static ProviderProfile ByName(string name, HttpClient? http = null, Func<string, string?>? environment = null) =>
        name.ToLowerInvariant() switch
        {
            CdseName => Cdse(environment),
            EarthSearchName => EarthSearch(environment),
            PlanetaryComputerName => FromSettings(PlanetaryComputerSettings, http ?? throw new ArgumentException(
                "The planetary-computer profile signs hrefs and needs an HttpClient.", nameof(http)), environment: environment),
            _ => throw new ArgumentException(
                $"Unknown provider profile '{name}'; use {CdseName}, {EarthSearchName}, {PlanetaryComputerName}, or configure a custom one.",
                nameof(name)),
        };
}
