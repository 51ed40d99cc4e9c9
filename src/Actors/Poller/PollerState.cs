using System.Collections.Immutable;
using System.Globalization;
using NrtCluster.Actors.Sources;
using NrtCluster.Geo.Stac;
using NrtCluster.Actors.Tiles;

namespace NrtCluster.Actors.Poller;

/// <summary>How the poller searches and dispatches.</summary>
/// <param name="InitialStartUtc">Where the first search starts (e.g. the end of the fitted history).</param>
/// <param name="Overlap">Each search starts this long before the cursor, so items published late (with an older datetime) are still found.</param>
/// <param name="SettleDelay">How long a solar day waits after its first item is found, so late granules of the same day join it.</param>
public sealed record PollerRules(DateTime InitialStartUtc, TimeSpan Overlap, TimeSpan SettleDelay)
{
    /// <summary>
    /// How long an id is remembered after the cursor passed it (never less than the overlap): a provider republishing
    /// an item with a newer datetime within this time is reported, not taken as a new granule of another day.
    /// </summary>
    public TimeSpan IdMemory { get; init; } = TimeSpan.FromDays(400);

    /// <summary>Seen ids acquired before this, relative to the cursor, are forgotten.</summary>
    public TimeSpan ForgetAfter => IdMemory > Overlap ? IdMemory : Overlap;

    public void Validate()
    {
        if (InitialStartUtc.Kind != DateTimeKind.Utc)
            throw new ArgumentException($"The poller's initial start {InitialStartUtc:O} must be a UTC time.", nameof(InitialStartUtc));
        if (Overlap < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Overlap), Overlap, "The search overlap window cannot be negative.");
        if (SettleDelay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(SettleDelay), SettleDelay, "The settle delay cannot be negative.");
    }
}

/// <summary>What the poller actor asks its state to decide.</summary>
public abstract record PollerCommand
{
    /// <summary>A search returned these items (all of them, seen or not) at <paramref name="NowUtc"/>.</summary>
    public sealed record Found(IReadOnlyList<DiscoveredItem> Items, DateTime NowUtc) : PollerCommand;

    /// <summary>Time passed: dispatch the days whose settle delay is over.</summary>
    public sealed record Tick(DateTime NowUtc) : PollerCommand;

    /// <summary>The outbox head was stored in the reliable-delivery queue.</summary>
    public sealed record HandedOver(TileKey Tile, DateOnly Day) : PollerCommand;
}

/// <summary>
/// The STAC poller's state, pure: the cursor, the ids already seen (for <see cref="PollerRules.IdMemory"/>), the solar days
/// waiting for late granules, the last day sent to each tile, and the outbox of tile messages not yet handed to
/// reliable delivery. <see cref="Decide"/> turns a command into events; <see cref="Apply"/> folds an event in.
/// Invariant: a tile is sent a day only if it is newer than every day sent to it before, so each tile receives
/// its days once and in time order (a late granule of an already-sent day still reaches tiles that did not get that day).
/// </summary>
public sealed record PollerState(
    DateTime? CursorUtc,
    ImmutableDictionary<string, DateTime> Seen,
    ImmutableSortedDictionary<DateOnly, PendingDay> Pending,
    ImmutableDictionary<TileKey, DateOnly> LastDispatched,
    ImmutableList<ObserveDay> Outbox)
{
    public static PollerState Empty { get; } = new(
        null,
        ImmutableDictionary<string, DateTime>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableSortedDictionary<DateOnly, PendingDay>.Empty,
        ImmutableDictionary<TileKey, DateOnly>.Empty,
        ImmutableList<ObserveDay>.Empty);

    /// <summary>Where the next search starts: the cursor minus the overlap window, or the initial start.</summary>
    public DateTime SearchFromUtc(PollerRules rules) => CursorUtc is { } cursor ? cursor - rules.Overlap : rules.InitialStartUtc;

    /// <summary>The earliest settle deadline of a pending day, when the next <see cref="PollerCommand.Tick"/> is due.</summary>
    public DateTime? NextSettleUtc => Pending.Count == 0 ? null : Pending.Values.Min(p => p.SettleUntilUtc);

    public ObserveDay? NextToHandOver => Outbox.IsEmpty ? null : Outbox[0];

    public ImmutableArray<IPollerEvent> Decide(PollerCommand command, PollerRules rules) => command switch
    {
        PollerCommand.Found f => DecideFound(f, rules),
        PollerCommand.Tick t => DecideTick(t.NowUtc),
        PollerCommand.HandedOver h when Outbox.FirstOrDefault(o => o.Tile == h.Tile && o.Day == h.Day) is not null =>
            [new ObservationHandedOver(h.Tile, h.Day)],
        PollerCommand.HandedOver => [],
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "Unknown poller command."),
    };

    /// <summary>
    /// Found items whose id this poller has seen with another acquisition time: a provider republishing an item with a
    /// new datetime. They are not new (the first version was dispatched, <see cref="Decide"/> leaves them out); each is
    /// reported, so a granule never opens a second solar day. Ids are remembered for <see cref="PollerRules.IdMemory"/>.
    /// </summary>
    public ImmutableArray<RejectedItem> Repeated(IEnumerable<DiscoveredItem> items) =>
    [
        .. items.Where(i => Seen.TryGetValue(i.Id, out var first) && first != i.AcquiredUtc)
            .Select(i => new RejectedItem(i.Id, i.Href, string.Create(CultureInfo.InvariantCulture,
                $"the id was already found with datetime {Seen[i.Id]:yyyy-MM-ddTHH:mm:ssZ} (now {i.AcquiredUtc:yyyy-MM-ddTHH:mm:ssZ}); the first version is kept, this one is left out"))),
    ];

    private ImmutableArray<IPollerEvent> DecideFound(PollerCommand.Found found, PollerRules rules)
    {
        var fresh = found.Items
            .Where(i => !Seen.ContainsKey(i.Id))
            .GroupBy(i => i.Id, StringComparer.Ordinal).Select(g => g.Last())
            .OrderBy(i => i.AcquiredUtc).ThenBy(i => i.Id, StringComparer.Ordinal)
            .ToImmutableArray();
        if (fresh.IsEmpty) return [];
        var newest = fresh.Max(i => i.AcquiredUtc);
        var cursor = CursorUtc is { } c && c > newest ? c : newest;
        return [new ItemsDiscovered(fresh, found.NowUtc + rules.SettleDelay, cursor, cursor - rules.ForgetAfter)];
    }

    private ImmutableArray<IPollerEvent> DecideTick(DateTime nowUtc)
    {
        var events = ImmutableArray.CreateBuilder<IPollerEvent>();
        var last = LastDispatched;
        // Oldest first, stopping at the first day still settling: a newer day never overtakes an older pending one.
        foreach (var pending in Pending.Values)
        {
            if (pending.SettleUntilUtc > nowUtc) break;
            var tiles = pending.Tiles.Where(t => !last.TryGetValue(t, out var sent) || sent < pending.Day).ToImmutableArray();
            events.Add(new DayDispatched(pending.Day, pending.AcquiredUtc, pending.Items, tiles));
            foreach (var t in tiles) last = last.SetItem(t, pending.Day);
        }
        return events.ToImmutable();
    }

    public PollerState Apply(IPollerEvent e) => e switch
    {
        ItemsDiscovered d => ApplyDiscovered(d),
        DayDispatched d => this with
        {
            Pending = Pending.Remove(d.Day),
            LastDispatched = d.Tiles.Aggregate(LastDispatched, (m, t) => m.SetItem(t, d.Day)),
            // Each tile's previous day from the poller rides along, so the tile waits for it rather than skipping it.
            Outbox = Outbox.AddRange(d.Tiles.Select(t =>
                new ObserveDay(t, d.Day, d.AcquiredUtc, d.Items, LastDispatched.TryGetValue(t, out var before) ? before : null))),
        },
        ObservationHandedOver h => this with
        {
            Outbox = Outbox.FindIndex(o => o.Tile == h.Tile && o.Day == h.Day) is var i and >= 0 ? Outbox.RemoveAt(i) : Outbox,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(e), e, "Unknown poller event."),
    };

    private PollerState ApplyDiscovered(ItemsDiscovered d)
    {
        var seen = Seen.SetItems(d.Items.Select(i => KeyValuePair.Create(i.Id, i.AcquiredUtc)));
        seen = seen.RemoveRange(seen.Where(kv => kv.Value < d.ForgetSeenBeforeUtc).Select(kv => kv.Key).ToArray());
        var pending = Pending;
        foreach (var day in d.Items.GroupBy(i => i.SolarDay))
        {
            var items = day.Select(i => (i.AcquiredUtc, Ref: i.Ref)).ToList();
            var tiles = day.SelectMany(i => i.Tiles);
            if (pending.TryGetValue(day.Key, out var open))
            {
                items.AddRange(open.Items.Select(r => (Seen.GetValueOrDefault(r.Id, open.AcquiredUtc), r)));
                tiles = tiles.Concat(open.Tiles);
            }
            // Granules in time order (then id): the order the tile mosaics them, first valid pixel wins.
            var ordered = items.OrderBy(x => x.AcquiredUtc).ThenBy(x => x.Ref.Id, StringComparer.Ordinal).ToList();
            pending = pending.SetItem(day.Key, new PendingDay(
                day.Key,
                ordered[0].AcquiredUtc,
                [.. ordered.Select(x => x.Ref)],
                [.. tiles.Distinct().OrderBy(t => t.Row).ThenBy(t => t.Column)],
                open?.SettleUntilUtc ?? d.SettleUntilUtc));
        }
        return this with { Seen = seen, Pending = pending, CursorUtc = d.CursorUtc ?? CursorUtc };
    }

    public PollerSnapshot ToSnapshot() => new(
        CursorUtc,
        [.. Seen.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value))],
        [.. Pending.Values],
        [.. LastDispatched.OrderBy(kv => kv.Key.Row).ThenBy(kv => kv.Key.Column).Select(kv => (kv.Key, kv.Value))],
        [.. Outbox]);

    public static PollerState FromSnapshot(PollerSnapshot s) => new(
        s.CursorUtc,
        ImmutableDictionary.CreateRange(StringComparer.Ordinal, s.Seen.Select(x => KeyValuePair.Create(x.Id, x.AcquiredUtc))),
        ImmutableSortedDictionary.CreateRange(s.Pending.Select(p => KeyValuePair.Create(p.Day, p))),
        ImmutableDictionary.CreateRange(s.LastDispatched.Select(x => KeyValuePair.Create(x.Tile, x.Day))),
        ImmutableList.CreateRange(s.Outbox));
}
