using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using NrtCluster.Host.Http;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// A loopback HTTP proxy in front of an archive server that can answer 503 to the asset files of chosen STAC items (an asset
/// host down) while the search and the item documents still answer. The Host header is passed on, so every URL the archive
/// server writes (item links, asset hrefs) points at the proxy.
/// </summary>
public sealed class FaultyAssetHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });
    private volatile string? _down;
    private int _refused;

    private FaultyAssetHost(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    /// <summary>Requests answered 503 so far.</summary>
    public int Refused => Volatile.Read(ref _refused);

    public static async Task<FaultyAssetHost> StartAsync(string upstream)
    {
        FaultyAssetHost? host = null;
        var (app, url) = await WebHosting.StartAsync(IPAddress.Loopback, 0, a => a.Run(c => host!.ForwardAsync(c, upstream)), CancellationToken.None);
        host = new FaultyAssetHost(app, url);
        return host;
    }

    /// <summary>From now on the asset files of <paramref name="itemId"/> are answered 503 Service Unavailable.</summary>
    public void TakeDown(string itemId) => _down = itemId;

    public void BringBack() => _down = null;

    private async Task ForwardAsync(HttpContext context, string upstream)
    {
        var path = context.Request.Path.Value ?? "/";
        if (_down is { } item && path.StartsWith("/files/", StringComparison.Ordinal) && path.Contains(item, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _refused);
            context.Response.StatusCode = 503;
            return;
        }
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), upstream + path + context.Request.QueryString);
        if (context.Request.ContentLength > 0 || context.Request.Headers.ContainsKey("Transfer-Encoding"))
        {
            request.Content = new StreamContent(context.Request.Body);
            if (context.Request.ContentType is { } type) request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
        }
        foreach (var (name, values) in context.Request.Headers)
            if (name is not ("Host" or "Content-Type" or "Content-Length" or "Transfer-Encoding"))
                request.Headers.TryAddWithoutValidation(name, values.ToArray());
        request.Headers.Host = context.Request.Host.Value;
        using var response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            if (name is not "Transfer-Encoding")
                context.Response.Headers[name] = values.ToArray();
        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
