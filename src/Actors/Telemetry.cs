using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Akka.Actor;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors;

/// <summary>What became of a tile-day sent to a tile (the <c>outcome</c> of <c>nrtc_tile_days_applied_total</c>).</summary>
public enum TileDayOutcome
{
    /// <summary>The tile applied the day and stored it.</summary>
    Applied,
    /// <summary>The tile had the day already: sent again (a redelivery), or found applied by a fast-forward, which did not send it.</summary>
    Repeated,
    /// <summary>The tile could not load the day and set it aside.</summary>
    Quarantined,
}

/// <summary>One tile's data freshness as this node knows it: what the lag gauge and the web map's freshness panel read.</summary>
/// <param name="LastDay">The tile's last applied solar day; null before its first.</param>
/// <param name="Quarantined">Days in the tile's quarantine list.</param>
/// <param name="NewestInArchive">The newest solar day of the archive touching the tile that this node's poller found; null when not known here.</param>
public sealed record TileFreshness(TileId Tile, DateOnly? LastDay, int Quarantined, DateOnly? NewestInArchive)
{
    /// <summary>Days the tile is behind the archive; null when either end is not known.</summary>
    public int? LagDays => LastDay is { } last && NewestInArchive is { } newest ? Math.Max(0, newest.DayNumber - last.DayNumber) : null;
}

/// <summary>
/// The node's instruments (System.Diagnostics.Metrics, meter <see cref="MeterName"/>), one set per actor system, so that
/// nodes sharing a process (tests) keep apart: each meter's <see cref="Meter.Scope"/> is its node's <see cref="Telemetry"/>,
/// which the node's exporter selects. The instruments, as a Prometheus scrape names them:
/// <list type="bullet">
/// <item><c>nrtc_tile_days_applied_total{outcome}</c>: tile-days applied, repeated, quarantined (<see cref="TileDayOutcome"/>);</item>
/// <item><c>nrtc_stage_seconds{stage}</c>: time per step of a tile-day, <c>search</c> (the poller's archive search),
/// <c>load</c> (reading the day's pixels), <c>monitor</c> (the monitoring step), <c>persist</c> (state and event stored),
/// <c>report</c> (the tile's report written);</item>
/// <item><c>nrtc_poll_seconds</c>: one poll cycle, from its start to the found items stored;</item>
/// <item><c>nrtc_tile_lag_days{tile}</c>: days each tile hosted here is behind the newest day the poller found for it;</item>
/// <item><c>nrtc_shards</c>: tile shards hosted by this node.</item>
/// </list>
/// </summary>
public sealed class Telemetry : IExtension, IDisposable
{
    public const string MeterName = "NrtCluster";

    /// <summary>The stage names of <c>nrtc_stage_seconds</c>.</summary>
    public const string Search = "search", Load = "load", Monitor = "monitor", Persist = "persist", Report = "report";

    // From 5 ms (a small tile's step) to 10 min (a slow archive search), roughly doubling.
    private static readonly double[] SecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

    private readonly Counter<long> _tileDays;
    private readonly Histogram<double> _stages;
    private readonly Histogram<double> _polls;
    private readonly ConcurrentDictionary<TileId, (DateOnly? LastDay, int Quarantined)> _hosted = new();
    private readonly ConcurrentDictionary<TileId, DateOnly> _archive = new();
    private Func<int?>? _shards;

    public Telemetry()
    {
        Meter = new Meter(new MeterOptions(MeterName) { Scope = this });
        _tileDays = Meter.CreateCounter<long>("nrtc.tile_days.applied", "{tile_day}", "Tile-days sent to this node's tiles, by outcome: applied, repeated, quarantined.");
        // Every outcome is a series from the start (at 0), so a rate over it is defined before its first tile-day.
        foreach (var outcome in Enum.GetValues<TileDayOutcome>()) _tileDays.Add(0, Outcome(outcome));
        _stages = Meter.CreateHistogram("nrtc.stage", "s", "Time per step of a tile-day: search, load, monitor, persist, report.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _polls = Meter.CreateHistogram("nrtc.poll", "s", "Time per poll cycle: archive search and the found items stored.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        Meter.CreateObservableGauge("nrtc.tile_lag", ObserveLag, "d", "Days each tile hosted by this node is behind the newest archive day found for it.");
        Meter.CreateObservableGauge("nrtc.shards", () => _shards?.Invoke() is { } count ? [new Measurement<int>(count)] : Array.Empty<Measurement<int>>(),
            "{shard}", "Tile shards hosted by this node.");
    }

    /// <summary>The node's meter; its scope is this object.</summary>
    public Meter Meter { get; }

    public static Telemetry Get(ActorSystem system) => system.WithExtension<Telemetry, TelemetryProvider>();

    public void TileDay(TileDayOutcome outcome) => _tileDays.Add(1, Outcome(outcome));

    private static KeyValuePair<string, object?> Outcome(TileDayOutcome outcome) => new("outcome", outcome switch
    {
        TileDayOutcome.Applied => "applied",
        TileDayOutcome.Repeated => "repeated",
        _ => "quarantined",
    });

    /// <summary>Records a stage that started at <paramref name="startedTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>) and ends now.</summary>
    public void Stage(string stage, long startedTimestamp) =>
        _stages.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, new KeyValuePair<string, object?>("stage", stage));

    public void Poll(long startedTimestamp) => _polls.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds);

    /// <summary>A tile running on this node changed (or recovered): its last applied day and quarantined days.</summary>
    public void TileHere(TileId tile, DateOnly? lastDay, int quarantined) => _hosted[tile] = (lastDay, quarantined);

    /// <summary>A tile stopped on this node (moved, the node leaving): no longer reported here.</summary>
    public void TileGone(TileId tile) => _hosted.TryRemove(tile, out _);

    /// <summary>The poller found a solar day of the archive touching the tile (kept wherever the tile runs).</summary>
    public void ArchiveDay(TileId tile, DateOnly day) => _archive.AddOrUpdate(tile, day, (_, newest) => newest >= day ? newest : day);

    /// <summary>Counts the shards this node hosts when the gauge is read (the tile sharding registers it); null: not known now.</summary>
    public void ObserveShards(Func<int?> count) => _shards = count;

    /// <summary>The tiles running on this node, by id.</summary>
    public IReadOnlyList<TileFreshness> Freshness() =>
    [
        .. _hosted.Select(kv => new TileFreshness(kv.Key, kv.Value.LastDay, kv.Value.Quarantined, _archive.TryGetValue(kv.Key, out var d) ? d : null))
            .OrderBy(f => f.Tile.Row).ThenBy(f => f.Tile.Column),
    ];

    private IEnumerable<Measurement<int>> ObserveLag() =>
        Freshness().Where(f => f.LagDays is not null)
            .Select(f => new Measurement<int>(f.LagDays!.Value, new KeyValuePair<string, object?>("tile", f.Tile.ToString())));

    public void Dispose() => Meter.Dispose();

    private sealed class TelemetryProvider : ExtensionIdProvider<Telemetry>
    {
        public override Telemetry CreateExtension(ExtendedActorSystem system)
        {
            var telemetry = new Telemetry();
            // Instruments of a stopped node would otherwise stay published for the process's listeners.
            system.RegisterOnTermination(telemetry.Dispose);
            return telemetry;
        }
    }
}
