using System.Net;

namespace NrtCluster.Geo.Stac;

/// <summary>Timeouts and retries for every HTTP request of the STAC client, the catalog reader and the token signer.</summary>
public sealed record StacHttpOptions
{
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after the first attempt on 429, 5xx, timeouts and connection errors.</summary>
    public int MaxRetries { get; init; } = 4;

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest Retry-After honoured; a server asking for more is waited on for this long.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How to wait between attempts (replaceable so tests can record the waits).</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; init; } = Task.Delay;

    public static StacHttpOptions Default { get; } = new();
}

/// <summary>An HTTP request to a STAC service failed for good (after retries where retrying made sense).</summary>
public sealed class StacHttpException(string method, string url, HttpStatusCode? status, string problem, Exception? inner = null)
    : StacException($"{method} {url} failed: {problem}", inner)
{
    public string Url { get; } = url;
    public HttpStatusCode? StatusCode { get; } = status;

    /// <summary>
    /// True when asking again cannot help: the server answered a client error (404 Not Found, 410 Gone, 403...) other than
    /// 408 and 429. Timeouts, throttling, 5xx and connection failures are transient.
    /// </summary>
    public bool Permanent => StatusCode is { } s && (int)s is >= 400 and < 500 && s is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests);
}

/// <summary>Sends requests with a per-request timeout and retries with backoff on 429/5xx, honouring Retry-After.</summary>
internal sealed class StacHttp(HttpClient http, StacHttpOptions options)
{
    public StacHttpOptions Options => options;

    /// <summary>Sends the request built by <paramref name="makeRequest"/> (called once per attempt) and returns the body.</summary>
    public async Task<string> SendAsync(Func<HttpRequestMessage> makeRequest, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = makeRequest();
            var method = request.Method.Method;
            var url = request.RequestUri?.ToString() ?? "(no URL)";
            var canRetry = attempt < options.MaxRetries;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.RequestTimeout);
            TimeSpan wait;
            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token)
                    .ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode) return body;
                var status = response.StatusCode;
                var retryable = status == HttpStatusCode.TooManyRequests || (int)status >= 500;
                if (!retryable || !canRetry)
                {
                    var snippet = body.Length > 300 ? body[..300] + "..." : body;
                    throw new StacHttpException(method, url, status,
                        $"HTTP {(int)status} {response.ReasonPhrase}{(retryable ? $" after {attempt + 1} attempts" : "")}{(snippet.Length == 0 ? "" : $"; response: {snippet}")}");
                }
                wait = RetryAfter(response) ?? Backoff(attempt);
            }
            catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
            {
                if (!canRetry)
                    throw new StacHttpException(method, url, null,
                        $"no complete response within {options.RequestTimeout.TotalSeconds:0.#} s after {attempt + 1} attempts", e);
                wait = Backoff(attempt);
            }
            catch (HttpRequestException e)
            {
                if (!canRetry)
                    throw new StacHttpException(method, url, e.StatusCode, $"{e.Message} (after {attempt + 1} attempts)", e);
                wait = Backoff(attempt);
            }
            await options.Delay(wait, ct).ConfigureAwait(false);
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        TimeSpan? wait = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (wait is null) return null;
        if (wait < TimeSpan.Zero) return TimeSpan.Zero;
        return wait > options.MaxRetryAfter ? options.MaxRetryAfter : wait;
    }

    private TimeSpan Backoff(int attempt)
    {
        var full = options.InitialBackoff.TotalMilliseconds * Math.Pow(2, attempt);
        var capped = Math.Min(full, options.MaxBackoff.TotalMilliseconds);
        // Jitter keeps many pollers that failed together from retrying together.
        return TimeSpan.FromMilliseconds(capped * (0.5 + Random.Shared.NextDouble() / 2));
    }
}
