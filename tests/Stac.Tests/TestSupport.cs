using System.Net;
using System.Net.Sockets;
using System.Text;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Geo.Stac.Tests;

internal static class Fixtures
{
    public static string StacDir => RepoRoot.Combine("tests", "data", "stac");

    public const string Cdse = "cdse-v1-S2C_MSIL2A_20250330T100051_N0511_R122_T33UWP_trimmed.json";
    public const string EarthSearchV0 = "earthsearch-v0-S2A_28QCH_20200714_0_L2A.json";
    public const string PlanetaryComputer = "planetary-computer-S2B_MSIL2A_20190629T212529_R043_T06VVN.json";
    public const string PlanetaryComputerRaster = "planetary-computer-S2B_MSIL2A_20190629T212529_R043_T06VVN_raster_ext.json";
    public const string NineGranules = "planetary-computer-itemcollection-20200606-9-granules-one-pass.geojson";
    public const string Tile35Mnm = "planetary-computer-itemcollection-35MNM-2020-jun-jul.geojson";
    public const string Collection = "planetary-computer-sentinel-2-l2a.collection.json";

    public static string PathOf(string name) => Path.Combine(StacDir, name);

    public static StacItem Item(string name)
    {
        var path = PathOf(name);
        return StacJson.ParseItem(StacJson.ParseDocument(File.ReadAllText(path), path), path);
    }

    public static IReadOnlyList<StacItem> Features(string name)
    {
        var path = PathOf(name);
        return StacJson.ParseFeatures(StacJson.ParseDocument(File.ReadAllText(path), path), path);
    }

    public static StacItem ParseItemJson(string json, string location = "/tmp/test-item.json") =>
        StacJson.ParseItem(StacJson.ParseDocument(json, location), location);

    /// <summary>An environment with S3 keys and nothing else.</summary>
    public static string? EnvWithS3Keys(string name) => name switch
    {
        "AWS_ACCESS_KEY_ID" => "test-key",
        "AWS_SECRET_ACCESS_KEY" => "test-secret",
        _ => null,
    };

    public static string? EmptyEnv(string name) => null;

    /// <summary>A client that never goes through a proxy, so 127.0.0.1 is reached directly.</summary>
    public static HttpClient NewHttpClient() => new(new SocketsHttpHandler { UseProxy = false });
}

/// <summary>An HTTP server on 127.0.0.1 and a free port, running a handler per request until disposed.</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Func<HttpListenerContext, Task> _handler;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();

    public LoopbackServer(Func<HttpListenerContext, Task> handler)
    {
        _handler = handler;
        _listener = Start(out var port);
        BaseUrl = $"http://127.0.0.1:{port}/";
        _loop = Task.Run(AcceptLoop);
    }

    public string BaseUrl { get; }

    private static HttpListener Start(out int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return listener;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    private async Task AcceptLoop()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening || _stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                try
                {
                    await _handler(context);
                }
                catch (Exception e)
                {
                    try
                    {
                        await Respond(context, 500, "text/plain", e.ToString());
                    }
                    catch (Exception)
                    {
                        // The client went away; nothing to answer.
                    }
                }
            });
        }
    }

    public static async Task Respond(HttpListenerContext context, int status, string contentType, string body,
        IReadOnlyDictionary<string, string>? headers = null)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        if (headers is not null)
            foreach (var (k, v) in headers) context.Response.Headers[k] = v;
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    public static Task Json(HttpListenerContext context, string json, int status = 200) =>
        Respond(context, status, "application/json", json);

    public static async Task<string> ReadBody(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    public static Dictionary<string, string> QueryOf(HttpListenerContext context)
    {
        var q = context.Request.QueryString;
        return q.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => q[k]!, StringComparer.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (ObjectDisposedException)
        {
            // Stopping the listener ends the accept loop this way on some runtimes.
        }
        _stop.Dispose();
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;
    public override DateTimeOffset GetUtcNow() => Now;
}
