using System.Net.Http.Headers;
using System.Net.Sockets;

namespace NrtCluster.Geo.Gdal;

/// <summary>
/// Why a file GDAL reads over HTTP could not be read, when GDAL does not say: it reports a URL it could not reach (and, from
/// its cache, one that failed before) as "does not exist in the file system", and a refused connection as a curl error. One
/// small request (the file's first byte) tells a refused connection, a timeout, an unknown host and the server's HTTP status apart.
/// </summary>
internal static class RemoteCause
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static readonly HttpClient Client = new(new SocketsHttpHandler { ConnectTimeout = Timeout }) { Timeout = Timeout };

    /// <summary>The http(s) URL a <c>/vsicurl/</c> path reads; null for other paths (local files, object stores whose requests are signed).</summary>
    internal static Uri? HttpUrl(string? path) =>
        path is not null && path.StartsWith("/vsicurl/", StringComparison.Ordinal)
        && Uri.TryCreate(path["/vsicurl/".Length..], UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url
            : null;

    /// <summary>
    /// What one request for the first byte of <paramref name="url"/> meets, e.g. "connection refused to 127.0.0.1:8090" or
    /// "HTTP 404 from 127.0.0.1:8090" (the phrasing <see cref="GdalException.Permanent"/> classifies).
    /// </summary>
    internal static string Probe(Uri url)
    {
        var endpoint = $"{url.IdnHost}:{url.Port}";
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new RangeHeaderValue(0, 0);
        try
        {
            using var response = Client.Send(request, HttpCompletionOption.ResponseHeadersRead);
            return response.IsSuccessStatusCode
                ? $"HTTP {(int)response.StatusCode} from {url.Authority} now (it failed when GDAL read it)"
                : $"HTTP {(int)response.StatusCode} from {url.Authority}";
        }
        catch (HttpRequestException e)
        {
            return (e.InnerException as SocketException)?.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => $"connection refused to {endpoint}",
                SocketError.TimedOut => $"timed out after {Timeout.TotalSeconds:0} s connecting to {endpoint}",
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => $"host name '{url.IdnHost}' could not be resolved",
                SocketError.NetworkUnreachable or SocketError.HostUnreachable => $"no route to {endpoint}",
                _ when e.HttpRequestError == HttpRequestError.SecureConnectionError => $"the TLS handshake with {endpoint} failed",
                _ => $"no answer from {endpoint} ({e.InnerException?.Message ?? e.Message})",
            };
        }
        catch (TaskCanceledException)
        {
            return $"timed out after {Timeout.TotalSeconds:0} s waiting for {endpoint}";
        }
    }
}
