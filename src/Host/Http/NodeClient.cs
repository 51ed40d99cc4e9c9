using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using NrtCluster.Actors.Jobs;

namespace NrtCluster.Host.Http;

/// <summary>The node could not be reached or refused a request; the message names the node's URL and what to do.</summary>
public sealed class NodeRequestException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The command line's client of a running node's control endpoints (<see cref="ClusterEndpoints"/>).</summary>
public sealed class NodeClient : IDisposable
{
    private readonly HttpClient _http;

    /// <param name="baseUrl">e.g. http://127.0.0.1:8080, as printed by <c>nrtc run</c>.</param>
    /// <param name="token">The node's API token (<see cref="ApiAccess"/>), sent as a bearer token; null sends none.</param>
    public NodeClient(string baseUrl, string? token = null)
    {
        if (!Uri.TryCreate(baseUrl.TrimEnd('/') + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"--node '{baseUrl}' is not an http(s) URL; give the HTTP address 'nrtc run' printed, e.g. http://127.0.0.1:8080.");
        BaseUrl = baseUrl.TrimEnd('/');
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = uri, Timeout = TimeSpan.FromMinutes(2) };
        if (token is not null) _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
    }

    public string BaseUrl { get; }

    public Task<JsonObject> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, ct);

    public Task<JsonObject> PostAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Post, path, ct);

    /// <summary>Starts a job (the POST answers its id) and reports its progress every <paramref name="every"/> until it finished.</summary>
    public async Task<JobProgress> RunJobAsync(string startPath, Action<JobProgress> onProgress, TimeSpan every, CancellationToken ct)
    {
        var started = await PostAsync(startPath, ct).ConfigureAwait(false);
        var id = started["jobId"]?.GetValue<string>() ?? throw new NodeRequestException($"{BaseUrl}{startPath} answered no job id: {started.ToJsonString()}");
        return await FollowJobAsync(id, onProgress, every, ct).ConfigureAwait(false);
    }

    /// <summary>Reports the progress of the job <paramref name="id"/> every <paramref name="every"/> until it finished.</summary>
    public async Task<JobProgress> FollowJobAsync(string id, Action<JobProgress> onProgress, TimeSpan every, CancellationToken ct)
    {
        while (true)
        {
            var progress = JobProgressJson.Read(await GetAsync($"api/jobs/{Uri.EscapeDataString(id)}", ct).ConfigureAwait(false));
            onProgress(progress);
            if (progress.Finished) return progress;
            await Task.Delay(every, ct).ConfigureAwait(false);
        }
    }

    private async Task<JsonObject> SendAsync(HttpMethod method, string path, CancellationToken ct)
    {
        path = path.TrimStart('/');
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(new HttpRequestMessage(method, path), ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException || e.HttpRequestError == HttpRequestError.ConnectionError)
        {
            throw new NodeRequestException($"cannot reach the node at {BaseUrl} ({e.Message}); start one with 'nrtc run --profile cluster ...' " +
                                           "or give the HTTP address of a running node with --node.", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new NodeRequestException($"the node at {BaseUrl} did not answer {method} /{path} within {_http.Timeout.TotalSeconds:F0} s.", e);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            JsonNode? body = null;
            try { body = text.Length > 0 ? JsonNode.Parse(text) : null; }
            catch (JsonException) { }
            if (!response.IsSuccessStatusCode)
            {
                var error = body?["error"]?.GetValue<string>() ?? text;
                throw new NodeRequestException((int)response.StatusCode == 404 && body is null
                    ? $"the server at {BaseUrl} has no /{path}; is it a node started with 'nrtc run' (not 'nrtc serve')?"
                    : $"{BaseUrl}/{path}: {error}");
            }
            return body as JsonObject ?? throw new NodeRequestException($"{BaseUrl}/{path} answered something other than a JSON object: {text}");
        }
    }

    public void Dispose() => _http.Dispose();
}
