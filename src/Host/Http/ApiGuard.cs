using System.Net;
using System.Net.Http.Headers;
using System.Net.NetworkInformation;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using NrtCluster.Actors.Config;

namespace NrtCluster.Host.Http;

/// <summary>
/// Who may call a node's control API (the endpoints that change something): the bearer token, if any, and the host names
/// besides the loopback ones and the listen address that requests may name (a name behind a proxy, a compose service name).
/// </summary>
public sealed record ApiAccess(string? Token, IReadOnlyList<string> AllowedHosts)
{
    /// <summary>The environment variable the node and the command line read the token from.</summary>
    public const string TokenVariable = "NRTC_API_TOKEN";

    /// <summary>No token and no names beyond loopback and the listen address.</summary>
    public static readonly ApiAccess Loopback = new(null, []);

    /// <summary>
    /// The token from <paramref name="file"/> (its first line, trimmed) if given, else from <see cref="TokenVariable"/>;
    /// null when neither gives one. A file that cannot give it is a <see cref="SecretFileException"/> naming it.
    /// </summary>
    public static string? ReadToken(FileInfo? file)
    {
        if (file is null)
            return Environment.GetEnvironmentVariable(TokenVariable)?.Trim() is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        return SecretFile.FirstLine(file.FullName, "--api-token-file", "the API token (e.g. openssl rand -hex 32 > FILE)");
    }

    /// <summary>The names given with --allowed-host, checked: a host name or IP address alone (no scheme, port or path).</summary>
    public static IReadOnlyList<string> CheckHosts(IEnumerable<string> names) => [.. names.Select(name =>
    {
        var host = name.Trim();
        return Uri.CheckHostName(host.Trim('[', ']')) != UriHostNameType.Unknown
            ? host
            : throw new ArgumentException($"--allowed-host '{name}' is not a host name; give the name alone, without scheme or port, e.g. --allowed-host node1.");
    })];

    /// <summary>True when HTTP on <paramref name="listen"/> is reachable from other machines and the control API has no token.</summary>
    public bool OpenBeyondLoopback(IPAddress listen) => Token is null && !IPAddress.IsLoopback(listen);

    /// <summary>Why a node open beyond loopback (<see cref="OpenBeyondLoopback"/>) does not start without --insecure, and what to do.</summary>
    public static string Refusal(IPAddress listen) =>
        $"HTTP would listen on {listen} (beyond this machine) with no API token, so anyone who reaches it could start jobs, move shards and drain nodes; " +
        $"set {TokenVariable} or give --api-token-file FILE (or give --insecure to run without a token on a network you trust).";
}

/// <summary>
/// Locks a node's control API: every request that may change something (any method but GET and HEAD) must name this node in
/// its Host header (a DNS-rebinding page names its own domain), come from no web page or from one of this node's origin
/// (<c>Origin</c>; a cross-site page posting here names its own), carry no body or a JSON one (forms and text, which any
/// web page can post without asking, are refused), and, when the node has a token, carry it as a bearer token. GETs (WMS,
/// tiles, alerts, status, health, the web map) stay open.
/// </summary>
public static class ApiGuard
{
    /// <summary>Adds the checks to <paramref name="app"/>'s pipeline for a node listening on <paramref name="listen"/>.</summary>
    public static void Use(WebApplication app, ApiAccess access, IPAddress listen)
    {
        var names = HostNames(access, listen);
        var explicitNames = access.AllowedHosts.Select(Normalize).ToHashSet(StringComparer.Ordinal);
        var token = access.Token is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(access.Token));
        app.Use(async (context, next) =>
        {
            var r = context.Request;
            if (HttpMethods.IsGet(r.Method) || HttpMethods.IsHead(r.Method) ||
                Refusal(r, names, explicitNames, token, listen) is not { } refusal)
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            if (refusal.Status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Bearer";
            var body = new JsonObject { ["status"] = refusal.Status, ["error"] = refusal.Message }.ToJsonString(Readable);
            await Results.Text(body, "application/json", statusCode: refusal.Status).ExecuteAsync(context).ConfigureAwait(false);
        });
    }

    // The messages quote headers; curl users read them unescaped (the body is JSON, never HTML).
    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static (int Status, string Message)? Refusal(HttpRequest r, HashSet<string> names, HashSet<string> explicitNames, byte[]? token, IPAddress listen)
    {
        var host = Normalize(r.Host.Host ?? "");
        if (!names.Contains(host) && !(IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip)))
            return (StatusCodes.Status403Forbidden,
                $"the Host header '{r.Host}' is not a name of this node: control requests must name localhost, 127.0.0.1, [::1]" +
                $"{(IsWildcard(listen) ? ", an address of this machine" : IPAddress.IsLoopback(listen) ? "" : $", {listen}")} or a host given to the node with --allowed-host; " +
                $"if '{r.Host.Host}' is this node's name (behind a proxy, a compose service name), start it with --allowed-host {r.Host.Host}.");

        if (r.Headers.Origin.ToString() is { Length: > 0 } origin)
        {
            var port = r.Host.Port ?? (r.IsHttps ? 443 : 80);
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var from) ||
                !(Normalize(from.Host) == host && from.Port == port || explicitNames.Contains(Normalize(from.Host))))
                return (StatusCodes.Status403Forbidden,
                    $"the Origin header '{origin}' is not this node ({r.Scheme}://{r.Host}): a web page elsewhere may not use the control API" +
                    (from is { Host.Length: > 0 } ? $"; to allow pages from {from.Host}, start the node with --allowed-host {from.Host}." : "."));
        }

        if (token is not null)
        {
            var header = r.Headers.Authorization.ToString();
            const string scheme = "Bearer ";
            if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
                return (StatusCodes.Status401Unauthorized,
                    $"this node's control API needs its token: send 'Authorization: Bearer TOKEN' (nrtc: set {ApiAccess.TokenVariable} or give --api-token-file FILE).");
            // Hashes of equal length, compared in constant time: the answer's timing tells nothing about the token.
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim())), token))
                return (StatusCodes.Status401Unauthorized,
                    $"the API token sent is not this node's; give the token the node was started with (nrtc: {ApiAccess.TokenVariable} or --api-token-file FILE).");
        }

        var json = r.ContentType is { } type
            ? MediaTypeHeaderValue.TryParse(type, out var media) && JsonTypes.Contains(media.MediaType ?? "")
            : r.ContentLength is null or 0 && r.Headers.TransferEncoding.Count == 0;
        return json
            ? null
            : (StatusCodes.Status415UnsupportedMediaType,
                $"the control API takes no body or a JSON one (Content-Type: application/json), not {(r.ContentType is { } t ? $"'{t}'" : "a body without a type")}: " +
                "forms and text are refused so that no web page can send them; give the parameters in the query string.");
    }

    /// <summary>JSON bodies: GeoJSON too, as STAC items are pushed (<c>POST /api/items</c>); no web page can send either without asking.</summary>
    private static readonly HashSet<string> JsonTypes = new(["application/json", "application/geo+json"], StringComparer.OrdinalIgnoreCase);

    /// <summary>The names a request may give in Host: loopback, the listen address (every address of the machine for 0.0.0.0 or ::), --allowed-host.</summary>
    private static HashSet<string> HostNames(ApiAccess access, IPAddress listen)
    {
        IEnumerable<IPAddress> addresses = IsWildcard(listen)
            ? NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(u => u.Address)
            : [listen];
        return [.. new[] { "localhost" }.Concat(addresses.Select(a => a.ToString())).Concat(access.AllowedHosts).Select(Normalize)];
    }

    private static bool IsWildcard(IPAddress listen) => listen.Equals(IPAddress.Any) || listen.Equals(IPAddress.IPv6Any);

    /// <summary>One spelling per host: IP addresses in their canonical form without brackets, names in lower case without a final dot.</summary>
    private static string Normalize(string host)
    {
        var bare = host.Trim().Trim('[', ']');
        return IPAddress.TryParse(bare, out var ip) ? ip.ToString() : bare.TrimEnd('.').ToLowerInvariant();
    }
}
