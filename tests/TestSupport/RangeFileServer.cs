using System.Collections.Concurrent;
using System.Net;

namespace NrtCluster.TestSupport;

/// <summary>
/// A static file server on 127.0.0.1 with HTTP Range support (what GDAL's /vsicurl/ needs to read COGs by window).
/// Serves the files of one folder; counts requests and bytes so tests can check that reads are partial, and holds the
/// requests the test names until it releases them (an archive slow exactly where the test wants a system to be caught).
/// </summary>
public sealed class RangeFileServer : IDisposable
{
    private readonly LoopbackServer _server;
    private readonly string _root;
    private long _requests;
    private long _bytesSent;
    private Func<string, bool> _held = _ => false;
    private TaskCompletionSource _release = Released();
    private readonly ConcurrentDictionary<string, bool> _heldAgents = new();

    public RangeFileServer(string root)
    {
        _root = Path.GetFullPath(root);
        _server = new LoopbackServer(Handle);
    }

    public string BaseUrl => _server.BaseUrl;
    public long Requests => Interlocked.Read(ref _requests);
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>When set, every request is answered with this status and no body (a server in trouble).</summary>
    public int? FailWith { get; set; }

    /// <summary>
    /// From now on, requests for the paths (relative, '/'-separated) <paramref name="which"/> names wait until
    /// <see cref="Release"/> or until the returned hold is disposed (so a failing test does not leave them waiting).
    /// </summary>
    public IDisposable Hold(Func<string, bool> which)
    {
        _release.TrySetResult();
        _heldAgents.Clear();
        _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _held = which;
        return new Releaser(this);
    }

    /// <summary>Whether a request from a client of this User-Agent has been held since the last <see cref="Hold"/>.</summary>
    public bool HasHeld(string userAgent) => _heldAgents.ContainsKey(userAgent);

    /// <summary>Answers the held requests and holds no more.</summary>
    public void Release()
    {
        _held = _ => false;
        _release.TrySetResult();
    }

    private sealed class Releaser(RangeFileServer server) : IDisposable
    {
        public void Dispose() => server.Release();
    }

    private static TaskCompletionSource Released()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }

    public string UrlOf(string localPath) => BaseUrl + Path.GetRelativePath(_root, localPath).Replace('\\', '/');

    private async Task Handle(HttpListenerContext context)
    {
        Interlocked.Increment(ref _requests);
        var relative = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath.TrimStart('/'));
        var release = _release.Task;
        if (_held(relative))
        {
            _heldAgents[context.Request.UserAgent ?? ""] = true;
            await release;
        }
        var response = context.Response;
        try
        {
            if (FailWith is { } status)
            {
                response.StatusCode = status;
                return;
            }
            var path = Path.GetFullPath(Path.Combine(_root, relative));
            if (!path.StartsWith(_root, StringComparison.Ordinal) || !File.Exists(path))
            {
                response.StatusCode = 404;
                return;
            }
            var bytes = File.ReadAllBytes(path);
            long start = 0, end = bytes.Length - 1;
            var range = context.Request.Headers["Range"];
            response.AddHeader("Accept-Ranges", "bytes");
            if (range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && !range.Contains(','))
            {
                var parts = range["bytes=".Length..].Split('-');
                if (parts[0].Length > 0)
                {
                    start = long.Parse(parts[0]);
                    if (parts[1].Length > 0) end = Math.Min(long.Parse(parts[1]), bytes.Length - 1);
                }
                else
                {
                    start = Math.Max(0, bytes.Length - long.Parse(parts[1]));
                }
                if (start >= bytes.Length)
                {
                    response.StatusCode = 416;
                    response.AddHeader("Content-Range", $"bytes */{bytes.Length}");
                    return;
                }
                response.StatusCode = 206;
                response.AddHeader("Content-Range", $"bytes {start}-{end}/{bytes.Length}");
            }
            var length = end - start + 1;
            response.ContentLength64 = length;
            if (context.Request.HttpMethod != "HEAD")
            {
                response.OutputStream.Write(bytes, (int)start, (int)length);
                Interlocked.Add(ref _bytesSent, length);
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException)
        {
            // The client went away (GDAL cancels reads it no longer needs).
        }
        finally
        {
            try { response.Close(); } catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { }
        }
    }

    public void Dispose()
    {
        Release();
        _server.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
    }
}
