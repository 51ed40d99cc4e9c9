using System.Globalization;

namespace NrtCluster.Actors.Tiles;

/// <summary>
/// The one rule for a day a tile answers Failed for a reason that may pass (a timeout, an HTTP 5xx, a refused connection),
/// applied by the poller's reliable delivery, the one sender of days: sent again with a backoff
/// doubling from <paramref name="MinBackoff"/> to <paramref name="MaxBackoff"/> until <paramref name="Window"/> has passed
/// since the first failure of that day, then quarantined. An asset host down for minutes thus costs a delay, not the day;
/// failures that cannot pass are quarantined by the tile at once and never reach this rule.
/// </summary>
public sealed record RetryWindow(TimeSpan Window, TimeSpan MinBackoff, TimeSpan MaxBackoff)
{
    public static RetryWindow Default { get; } = new(TimeSpan.FromHours(6), TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(10));

    /// <summary><c>nrtcluster.tiles.{retry-window, retry-min-backoff, retry-max-backoff}</c> (hocon/base.conf), else <see cref="Default"/>.</summary>
    public static RetryWindow FromConfig(Akka.Configuration.Config config)
    {
        // The setting it replaced would otherwise be ignored without a word, and the operator would expect 5 failures to quarantine.
        if (config.HasPath("nrtcluster.tiles.quarantine-after-failures"))
            throw new ArgumentException(
                "nrtcluster.tiles.quarantine-after-failures is no longer read: a day is retried until nrtcluster.tiles.retry-window " +
                "(default 6h) has passed since its first failure; remove the setting and set retry-window instead (0 quarantines at the first failure).",
                nameof(config));
        var d = Default;
        var window = new RetryWindow(
            config.GetTimeSpan("nrtcluster.tiles.retry-window", d.Window, allowInfinite: false),
            config.GetTimeSpan("nrtcluster.tiles.retry-min-backoff", d.MinBackoff, allowInfinite: false),
            config.GetTimeSpan("nrtcluster.tiles.retry-max-backoff", d.MaxBackoff, allowInfinite: false));
        window.Validate();
        return window;
    }

    public void Validate()
    {
        if (Window < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(Window), Window, "nrtcluster.tiles.retry-window cannot be negative (0 quarantines a day at its first failure).");
        if (MinBackoff <= TimeSpan.Zero || MaxBackoff < MinBackoff)
            throw new ArgumentOutOfRangeException(nameof(MaxBackoff), MaxBackoff,
                "The retry backoff must be 0 < nrtcluster.tiles.retry-min-backoff <= nrtcluster.tiles.retry-max-backoff.");
    }

    /// <summary>The wait before retry <paramref name="retry"/> (1 for the first): the minimum doubled per earlier retry, up to the maximum.</summary>
    public TimeSpan Backoff(int retry) =>
        TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, MinBackoff.Ticks * (1L << Math.Clamp(retry - 1, 0, 30))));

    /// <summary>
    /// What to do after failure number <paramref name="failures"/> of a day first failing at <paramref name="firstFailureUtc"/>:
    /// the wait before sending it again (never past the window's end, so the last attempt is made when it closes), or null
    /// once the window has passed: quarantine it.
    /// </summary>
    public TimeSpan? NextWait(DateTime firstFailureUtc, DateTime nowUtc, int failures)
    {
        var left = firstFailureUtc + Window - nowUtc;
        if (left <= TimeSpan.Zero) return null;
        var wait = Backoff(failures);
        return wait < left ? wait : left;
    }

    /// <summary>The quarantine reason once the window has passed, e.g. "failing since 12:01:03 UTC (7 attempts in 6h, the retry window): ...".</summary>
    public string GaveUp(DateTime firstFailureUtc, int failures, string lastFailure) => string.Create(CultureInfo.InvariantCulture,
        $"failing since {firstFailureUtc:yyyy-MM-dd HH:mm:ss} UTC ({failures} attempts within the retry window of {Describe(Window)}, nrtcluster.tiles.retry-window): {lastFailure}");

    /// <summary>
    /// A retrying day as the operator reads it: when it is sent again and when it is quarantined if it still fails,
    /// e.g. "attempt 3 at 12:01:13 UTC (quarantined if still failing at 2026-12-06 18:01:03 UTC) after: day 2022-01-15 failed: ...".
    /// </summary>
    public string Retrying(DateTime firstFailureUtc, DateTime nextUtc, int failures, string lastFailure) => string.Create(CultureInfo.InvariantCulture,
        $"attempt {failures + 1} at {nextUtc:HH:mm:ss} UTC (quarantined if still failing at {firstFailureUtc + Window:yyyy-MM-dd HH:mm:ss} UTC) after: {lastFailure}");

    /// <summary>A duration in its largest whole unit, e.g. 6h, 90s, 250ms.</summary>
    public static string Describe(TimeSpan t) =>
        t.Ticks % TimeSpan.TicksPerHour == 0 && t >= TimeSpan.FromHours(1) ? $"{(long)t.TotalHours}h"
        : t.Ticks % TimeSpan.TicksPerMinute == 0 && t >= TimeSpan.FromMinutes(1) ? $"{(long)t.TotalMinutes}min"
        : t.Ticks % TimeSpan.TicksPerSecond == 0 && t >= TimeSpan.FromSeconds(1) ? $"{(long)t.TotalSeconds}s"
        : string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:0.###}ms");
}
