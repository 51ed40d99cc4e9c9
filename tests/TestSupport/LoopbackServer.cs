using System.Net;
using System.Text;

namespace NrtCluster.TestSupport;

/// <summary>An HTTP server on 127.0.0.1 and a free port, running a handler per request until disposed.</summary>
public sealed class LoopbackServer : IAsyncDisposable
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
            port = Loopback.FreePort();
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
