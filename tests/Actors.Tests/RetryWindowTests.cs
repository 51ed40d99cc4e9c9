using Akka.Configuration;
using NrtCluster.Actors.Tests.Support;
using NrtCluster.Actors.Tiles;

namespace NrtCluster.Actors.Tests;

/// <summary>The one rule the poller's delivery and the jobs follow for a day that fails for a reason that may pass.</summary>
public sealed class RetryWindowTests
{
    private static readonly DateTime First = new(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_failing_day_is_retried_with_a_capped_backoff_until_its_window_has_passed_then_quarantined()
    {
        var rule = new RetryWindow(TimeSpan.FromHours(6), TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(10));
        Assert.Equal(TimeSpan.FromSeconds(5), rule.NextWait(First, First, 1));
        Assert.Equal(TimeSpan.FromSeconds(40), rule.NextWait(First, First.AddSeconds(35), 4));
        // Doubling stops at the maximum, however many failures.
        Assert.Equal(TimeSpan.FromMinutes(10), rule.NextWait(First, First.AddHours(1), 8));
        Assert.Equal(TimeSpan.FromMinutes(10), rule.NextWait(First, First.AddHours(2), 500));
        // The last attempt is made when the window closes, not after it.
        Assert.Equal(TimeSpan.FromSeconds(3), rule.NextWait(First, First.AddHours(6).AddSeconds(-3), 40));
        Assert.Null(rule.NextWait(First, First.AddHours(6), 41));
        Assert.Null(rule.NextWait(First, First.AddDays(1), 2));
        // A window of 0 quarantines at the first failure.
        Assert.Null((rule with { Window = TimeSpan.Zero }).NextWait(First, First, 1));

        Assert.Equal("attempt 4 at 12:00:40 UTC (quarantined if still failing at 2026-12-06 18:00:00 UTC) after: day 2022-01-15 failed: HTTP 503",
            rule.Retrying(First, First.AddSeconds(40), 3, "day 2022-01-15 failed: HTTP 503"));
        Assert.Equal("failing since 2026-12-06 12:00:00 UTC (41 attempts within the retry window of 6h, nrtcluster.tiles.retry-window): HTTP 503",
            rule.GaveUp(First, 41, "HTTP 503"));
    }

    [Fact]
    public void The_window_and_backoff_are_read_from_the_node_settings_and_bad_values_name_their_key()
    {
        var base_ = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(RepoPaths.HoconFolder, "base.conf")));
        Assert.Equal(new RetryWindow(TimeSpan.FromHours(6), TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(10)), RetryWindow.FromConfig(base_));
        var shorter = ConfigurationFactory.ParseString("nrtcluster.tiles { retry-window = 90s, retry-min-backoff = 200ms, retry-max-backoff = 1s }").WithFallback(base_);
        Assert.Equal(new RetryWindow(TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1)), RetryWindow.FromConfig(shorter));
        Assert.Equal(TimeSpan.FromSeconds(90), NrtCluster.Actors.Poller.ReliableTileSettings.FromConfig(shorter).Retry.Window);

        var bad = ConfigurationFactory.ParseString("nrtcluster.tiles { retry-min-backoff = 20m }").WithFallback(base_);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => RetryWindow.FromConfig(bad));
        Assert.Contains("nrtcluster.tiles.retry-min-backoff <= nrtcluster.tiles.retry-max-backoff", e.Message);
        var replaced = ConfigurationFactory.ParseString("nrtcluster.tiles.quarantine-after-failures = 5").WithFallback(base_);
        Assert.Contains("set retry-window instead", Assert.Throws<ArgumentException>(() => RetryWindow.FromConfig(replaced)).Message);
        Assert.Equal("6h", RetryWindow.Describe(TimeSpan.FromHours(6)));
        Assert.Equal("90s", RetryWindow.Describe(TimeSpan.FromSeconds(90)));
        Assert.Equal("250ms", RetryWindow.Describe(TimeSpan.FromMilliseconds(250)));
    }
}
