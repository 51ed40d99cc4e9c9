using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace NrtCluster.Host.Http;

/// <summary>Starts the program's small web servers (a node's HTTP, the archive server) the same way.</summary>
public static class WebHosting
{
    /// <summary>
    /// Listens on <paramref name="address"/>:<paramref name="port"/> (0 picks a free port) with the endpoints <paramref name="map"/>
    /// adds (after <paramref name="configure"/> registered its services); returns the started app and its base URL (no trailing
    /// slash). A port in use is an error that says to give another.
    /// </summary>
    public static async Task<(WebApplication App, string BaseUrl)> StartAsync(IPAddress address, int port, Action<WebApplication> map, CancellationToken ct,
        Action<WebApplicationBuilder>? configure = null)
    {
        if (port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(port), $"The port must be between 0 and 65535, got {port}.");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, port));
        // Endpoints opt in to a limit with RequireRateLimiting (the WMS's maps: Wms/RenderLimit).
        builder.Services.AddRateLimiter(_ => { });
        configure?.Invoke(builder);
        var app = builder.Build();
        app.UseRateLimiter();
        map(app);
        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"Cannot listen on {address}:{port} ({e.Message}); give another --port.", e);
        }
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, url.TrimEnd('/'));
    }
}
