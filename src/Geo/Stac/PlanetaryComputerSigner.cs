using System.Text.Json;

namespace NrtCluster.Geo.Stac;

/// <summary>An href made openable (e.g. with a SAS token appended) and when that stops working.</summary>
public readonly record struct SignedHref(string Href, DateTimeOffset? ExpiresAt);

/// <summary>Makes asset hrefs of a provider openable, e.g. by appending a short-lived token.</summary>
public interface IHrefSigner
{
    ValueTask<SignedHref> SignAsync(string href, ItemAssets item, CancellationToken ct);
}

/// <summary>
/// Signs Planetary Computer blob hrefs with a SAS token from its token endpoint
/// (GET {endpoint}/{collection} -> {"token": "...", "msft:expiry": "..."}), one token per collection, cached until
/// shortly before it expires. Thread-safe.
/// </summary>
public sealed class PlanetaryComputerSigner : IHrefSigner
{
    public const string DefaultTokenEndpoint = "https://planetarycomputer.microsoft.com/api/sas/v1/token/{collection}";

    private readonly StacHttp _http;
    private readonly string _endpointTemplate;
    private readonly TimeProvider _time;
    private readonly TimeSpan _refreshMargin;
    private readonly Dictionary<string, (string Token, DateTimeOffset Expiry)> _tokens = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <param name="tokenEndpoint">URL template with "{collection}" (or a base URL the collection is appended to).</param>
    /// <param name="refreshMargin">A token is renewed this long before its expiry (default 5 minutes).</param>
    public PlanetaryComputerSigner(HttpClient http, string tokenEndpoint = DefaultTokenEndpoint,
        StacHttpOptions? options = null, TimeProvider? time = null, TimeSpan? refreshMargin = null)
    {
        _http = new StacHttp(http, options ?? StacHttpOptions.Default);
        _endpointTemplate = tokenEndpoint.Contains("{collection}", StringComparison.Ordinal)
            ? tokenEndpoint
            : tokenEndpoint.TrimEnd('/') + "/{collection}";
        _time = time ?? TimeProvider.System;
        _refreshMargin = refreshMargin ?? TimeSpan.FromMinutes(5);
    }

    /// <summary>How many tokens were fetched from the endpoint so far.</summary>
    public int TokensFetched { get; private set; }

    public async ValueTask<SignedHref> SignAsync(string href, ItemAssets item, CancellationToken ct)
    {
        // Only Azure blob URLs take a SAS token; other hrefs (and ones already signed) open as they are.
        if (!Uri.TryCreate(href, UriKind.Absolute, out var uri)
            || !uri.Host.EndsWith(".blob.core.windows.net", StringComparison.OrdinalIgnoreCase)
            || uri.Query.Contains("sig=", StringComparison.Ordinal))
            return new SignedHref(href, null);
        var collection = item.Collection
            ?? throw new StacException(
                $"Cannot sign '{href}' of item '{item.ItemId}' ({item.Source}): the item names no collection, and the Planetary Computer token is per collection.");
        var (token, expiry) = await GetTokenAsync(collection, ct).ConfigureAwait(false);
        var separator = string.IsNullOrEmpty(uri.Query) ? "?" : "&";
        return new SignedHref(href + separator + token.TrimStart('?'), expiry);
    }

    public async Task<(string Token, DateTimeOffset Expiry)> GetTokenAsync(string collection, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_tokens.TryGetValue(collection, out var cached) && _time.GetUtcNow() < cached.Expiry - _refreshMargin)
                return cached;
            var url = _endpointTemplate.Replace("{collection}", Uri.EscapeDataString(collection), StringComparison.Ordinal);
            var body = await _http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), ct).ConfigureAwait(false);
            var fresh = ParseToken(body, url);
            TokensFetched++;
            _tokens[collection] = fresh;
            return fresh;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static (string, DateTimeOffset) ParseToken(string body, string url)
    {
        var root = StacJson.ParseDocument(body, url);
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("token", out var token) || token.ValueKind != JsonValueKind.String
            || string.IsNullOrEmpty(token.GetString()))
            throw new StacFormatException(url, "the SAS token response has no string \"token\"");
        if (!root.TryGetProperty("msft:expiry", out var expiry) || expiry.ValueKind != JsonValueKind.String
            || !StacJson.TryParseDateTime(expiry.GetString()!, out var expiresAt))
            throw new StacFormatException(url, "the SAS token response has no RFC 3339 \"msft:expiry\"");
        return (token.GetString()!, expiresAt);
    }
}
