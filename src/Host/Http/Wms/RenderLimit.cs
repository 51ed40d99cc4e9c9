using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Primitives;

namespace NrtCluster.Host.Http.Wms;

/// <summary>
/// How many maps the WMS draws at once (<c>nrtcluster.http.wms</c>), counted in full-size maps (4096 x 4096, the largest
/// served): a smaller map takes its share, one sixteenth per started megapixel, so a web-map tile (256 x 256) takes 1/16.
/// </summary>
/// <param name="MaxConcurrentRenders">Full-size maps drawn at once (the memory while drawing is about this many times one map's).</param>
/// <param name="Queue">Full-size maps waiting for a turn; a request beyond them is answered 503 at once.</param>
/// <param name="RetryAfter">What a refused client is told to wait (Retry-After).</param>
public sealed record RenderLimits(int MaxConcurrentRenders, int Queue, TimeSpan RetryAfter)
{
    private const string Path = "nrtcluster.http.wms";

    /// <summary>The node's core count (at least 2) at once, 4 waiting, retry after 5 s (as in hocon/base.conf).</summary>
    public static RenderLimits Default { get; } = new(Math.Max(2, Environment.ProcessorCount), 4, TimeSpan.FromSeconds(5));

    /// <summary><c>nrtcluster.http.wms.{max-concurrent-renders, queue, retry-after}</c>, else <see cref="Default"/>; checked.</summary>
    public static RenderLimits FromConfig(Akka.Configuration.Config config)
    {
        var d = Default;
        var limits = new RenderLimits(Read("max-concurrent-renders", k => config.GetInt(k, d.MaxConcurrentRenders)), Read("queue", k => config.GetInt(k, d.Queue)),
            Read("retry-after", k => config.GetTimeSpan(k, d.RetryAfter, allowInfinite: false)));
        if (limits.MaxConcurrentRenders < 1)
            throw new ArgumentException($"{Path}.max-concurrent-renders = {limits.MaxConcurrentRenders}: give at least 1 (maps drawn at once), or leave it out for the core count.");
        if (limits.Queue < 0)
            throw new ArgumentException($"{Path}.queue = {limits.Queue}: give 0 or more (maps waiting for a turn; 0 refuses at once when busy).");
        if (limits.RetryAfter < TimeSpan.FromSeconds(1))
            throw new ArgumentException($"{Path}.retry-after = {limits.RetryAfter}: give at least 1s (Retry-After counts whole seconds).");
        return limits;

        T Read<T>(string key, Func<string, T> read)
        {
            try { return read($"{Path}.{key}"); }
            catch (Exception e) when (e is FormatException or OverflowException or Akka.Configuration.ConfigurationException)
            {
                throw new ArgumentException($"{Path}.{key} = {config.GetValue($"{Path}.{key}")}: not {(typeof(T) == typeof(int) ? "a whole number" : "a duration such as 5s")}.", e);
            }
        }
    }
}

/// <summary>
/// The rate-limiting policy of <c>/wms</c> (ASP.NET Core rate limiting): GetMap requests share one concurrency limiter whose
/// permits are sixteenths of a full-size map (<see cref="RenderLimits"/>), so the pixels being drawn, and with them the
/// memory, are bounded whatever the mix of sizes; other WMS requests (capabilities, feature info, legends: small, fixed-size
/// answers) are not limited. A request the queue cannot take gets 503 with Retry-After and a WMS service exception naming the limit.
/// The XYZ tiles draw with turns of the same limiter (<see cref="AcquireAsync"/>), so maps and tiles together stay within it.
/// </summary>
public sealed class RenderLimit(RenderLimits limits) : IRateLimiterPolicy<int>
{
    /// <summary>Permits of one full-size (4096 x 4096) map: one per started megapixel.</summary>
    private const int FullMap = WmsRequest.MaxSize * WmsRequest.MaxSize / Megapixel;
    private const int Megapixel = 1 << 20;

    private readonly ConcurrencyLimiter _renders = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = limits.MaxConcurrentRenders * FullMap,
        QueueLimit = limits.Queue * FullMap,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    public RateLimitPartition<int> GetPartition(HttpContext httpContext)
    {
        var permits = Permits(httpContext.Request.Query);
        // One partition per weight, each a view of the shared limiter (partitions of ASP.NET Core's limiter are independent).
        return permits == 0 ? RateLimitPartition.GetNoLimiter(0) : new RateLimitPartition<int>(permits, p => new Share(_renders, p));
    }

    public Func<OnRejectedContext, CancellationToken, ValueTask> OnRejected => async (context, ct) =>
    {
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = RetryAfterSeconds;
        response.ContentType = "text/xml; charset=utf-8";
        await response.WriteAsync(new WmsException("NoApplicableCode", BusyMessage).ToXml(), ct).ConfigureAwait(false);
    };

    /// <summary>What a refused client is told to wait, in whole seconds (the Retry-After header).</summary>
    public string RetryAfterSeconds => ((int)Math.Ceiling(limits.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>Why a render was refused, naming the settings.</summary>
    public string BusyMessage =>
        $"The server is busy drawing maps: {limits.MaxConcurrentRenders} full-size maps at once (nrtcluster.http.wms.max-concurrent-renders) and " +
        $"{limits.Queue} waiting (nrtcluster.http.wms.queue) are taken; try again in {RetryAfterSeconds} s.";

    /// <summary>
    /// A turn to draw a <paramref name="width"/> x <paramref name="height"/> map outside the WMS's policy (the XYZ tiles, which
    /// answer from their ETag first and so take a turn only to draw): waits in the shared queue, or a lease that is not
    /// acquired when the queue is full.
    /// </summary>
    public ValueTask<RateLimitLease> AcquireAsync(int width, int height, CancellationToken ct) => _renders.AcquireAsync(Permits((long)width * height), ct);

    /// <summary>The permits a request takes: a GetMap's started megapixels (1..16); 0 for other requests.</summary>
    private static int Permits(IQueryCollection query)
    {
        // Query keys are case-insensitive here, as WMS parameter names are.
        if (!string.Equals(query["REQUEST"], "GetMap", StringComparison.OrdinalIgnoreCase)) return 0;
        // A bad size is refused by the map itself, quickly; it takes the smallest share meanwhile.
        static long Size(StringValues v) => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? Math.Clamp(n, 1, WmsRequest.MaxSize) : 1;
        return Permits(Size(query["WIDTH"]) * Size(query["HEIGHT"]));
    }

    private static int Permits(long pixels) => (int)((pixels + Megapixel - 1) / Megapixel);

    /// <summary>Takes <c>permits</c> permits of the shared limiter per permit asked.</summary>
    private sealed class Share(ConcurrencyLimiter shared, int permits) : RateLimiter
    {
        public override RateLimiterStatistics? GetStatistics() => shared.GetStatistics();

        // Never idle: the partition must not be disposed and recreated (it owns nothing).
        public override TimeSpan? IdleDuration => null;

        protected override RateLimitLease AttemptAcquireCore(int permitCount) => shared.AttemptAcquire(permitCount * permits);

        protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
            shared.AcquireAsync(permitCount * permits, cancellationToken);
    }
}
