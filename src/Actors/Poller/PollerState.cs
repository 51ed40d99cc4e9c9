using System.Collections.Immutable;
using System.Globalization;
using NrtCluster.Actors.Sources;
using NrtCluster.Geo.Stac;
using NrtCluster.Actors.State;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;

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

/// <summary>What the poller actor asks its state to decide; each carries what the decision needs from outside.</summary>
public abstract record PollerCommand
{
    /// <summary>A search returned these items (all of them, seen or not) at <paramref name="NowUtc"/>.</summary>
    public sealed record Found(IReadOnlyList<DiscoveredItem> Items, DateTime NowUtc, PollerRules Rules) : PollerCommand;

    /// <summary>Time passed: dispatch the days whose settle delay is over.</summary>
    public sealed record Tick(DateTime NowUtc) : PollerCommand;

    /// <summary>The outbox head was stored in the reliable-delivery queue.</summary>
    public sealed record HandedOver(TileId Tile, DateOnly Day) : PollerCommand;

    /// <summary>
    /// A provider pushed these items (<see cref="ItemsPushed"/>): recorded like found ones, but the cursor stays where the
    /// searches left it, as a pushed item says nothing about what the archive holds before it.
    /// </summary>
    public sealed record Pushed(IReadOnlyList<DiscoveredItem> Items, DateTime NowUtc, PollerRules Rules) : PollerCommand;

    /// <summary>A <see cref="Poller.Backfill"/>'s search returned these items.</summary>
    public sealed record Backfill(Poller.Backfill Request, IReadOnlyList<DiscoveredItem> Items) : PollerCommand;
}

/// <summary>
/// The STAC poller's state, pure: the cursor, the ids already seen (for <see cref="PollerRules.IdMemory"/>), the solar days
/// waiting for late granules, the last day sent to each tile and the fit it is sent for, and the outbox of tile messages not
/// yet handed to reliable delivery. <see cref="Decide"/> turns a command into events; <see cref="Apply"/> folds an event in.
/// Invariant: a tile is sent a day only if it is newer than every day sent to it since its last <see cref="DeliveryReset"/>,
/// polled or backfilled alike, so each tile receives its days once and in time order (a late granule of an already-sent
/// day still reaches tiles that did not get that day).
/// </summary>
public sealed record PollerState(
    DateTime? CursorUtc,
    ImmutableDictionary<string, DateTime> Seen,
    ImmutableSortedDictionary<DateOnly, PendingDay> Pending,
    ImmutableDictionary<TileId, DateOnly> LastDispatched,
    ImmutableList<ObserveDay> Outbox) : IDecider<PollerState, PollerCommand, IPollerEvent>
{
    public static PollerState Empty { get; } = new(
        null,
        ImmutableDictionary<string, DateTime>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableSortedDictionary<DateOnly, PendingDay>.Empty,
        ImmutableDictionary<TileId, DateOnly>.Empty,
        ImmutableList<ObserveDay>.Empty);

    /// <summary>Tiles whose days are queued for a later fit than the first (see <see cref="DeliveryReset"/>).</summary>
    public ImmutableDictionary<TileId, int> Fits { get; init; } = ImmutableDictionary<TileId, int>.Empty;

    /// <summary>The fit a tile's days are queued for: the first unless a refit reset its delivery.</summary>
    public int FitOf(TileId tile) => Fits.GetValueOrDefault(tile, 1);

    /// <summary>Where the next search starts: the cursor minus the overlap window, or the initial start.</summary>
    public DateTime SearchFromUtc(PollerRules rules) => CursorUtc is { } cursor ? cursor - rules.Overlap : rules.InitialStartUtc;

    /// <summary>The earliest settle deadline of a pending day, when the next <see cref="PollerCommand.Tick"/> is due.</summary>
    public DateTime? NextSettleUtc => Pending.Count == 0 ? null : Pending.Values.Min(p => p.SettleUntilUtc);

    public ObserveDay? NextToHandOver => Outbox.IsEmpty ? null : Outbox[0];

    public IReadOnlyList<IPollerEvent> Decide(PollerCommand command) => command switch
    {
        PollerCommand.Found f => Discovered(f.Items, f.NowUtc, f.Rules, moveCursor: true),
        PollerCommand.Pushed p => Discovered(p.Items, p.NowUtc, p.Rules, moveCursor: false),
        PollerCommand.Tick t => DecideTick(t.NowUtc),
        PollerCommand.HandedOver h when Outbox.FirstOrDefault(o => o.Tile == h.Tile && o.Day == h.Day) is not null =>
            [new ObservationHandedOver(h.Tile, h.Day)],
        PollerCommand.HandedOver => [],
        PollerCommand.Backfill b => DecideBackfill(b),
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

    /// <summary>Items grouped into solar days the one way every sender of days groups them (<see cref="SolarDays.Group{T}"/>).</summary>
    public static IReadOnlyList<(DateOnly Day, DiscoveredItem[] Items)> ByDay(IEnumerable<DiscoveredItem> items) =>
        SolarDays.Group(items, i => i.Id, i => i.AcquiredUtc, i => i.SolarDay);

    /// <summary>The items whose id is new, recorded with the settle deadline of the days they open (polled and pushed alike).</summary>
    private IReadOnlyList<IPollerEvent> Discovered(IReadOnlyList<DiscoveredItem> items, DateTime nowUtc, PollerRules rules, bool moveCursor)
    {
        var fresh = ByDay(items.Where(i => !Seen.ContainsKey(i.Id))).SelectMany(d => d.Items).ToImmutableArray();
        if (fresh.IsEmpty) return [];
        var newest = fresh.Max(i => i.AcquiredUtc);
        DateTime? cursor = !moveCursor ? null : CursorUtc is { } c && c > newest ? c : newest;
        var forgetBefore = (cursor ?? CursorUtc ?? rules.InitialStartUtc) - rules.ForgetAfter;
        return [new ItemsDiscovered(fresh, nowUtc + rules.SettleDelay, cursor, forgetBefore)];
    }

    private IReadOnlyList<IPollerEvent> DecideTick(DateTime nowUtc)
    {
        var events = new List<IPollerEvent>();
        var last = LastDispatched;
        // Oldest first, stopping at the first day still settling: a newer day never overtakes an older pending one.
        foreach (var pending in Pending.Values)
        {
            if (pending.SettleUntilUtc > nowUtc) break;
            var tiles = pending.Tiles.Where(t => !last.TryGetValue(t, out var sent) || sent < pending.Day).ToImmutableArray();
            events.Add(new DayDispatched(pending.Day, pending.AcquiredUtc, pending.Items, tiles));
            foreach (var t in tiles) last = last.SetItem(t, pending.Day);
        }
        return events;
    }

    /// <summary>
    /// Each backfilled tile's solar days in the range, oldest first, with the items of the day touching it: the days a day
    /// of the history (acquired at or before the range's start) is left out of, as it belongs to the fit.
    /// </summary>
    public static ImmutableArray<(TileId Tile, DateOnly Day, DateTime AcquiredUtc, ImmutableArray<ItemRef> Items)> BackfillDays(
        Backfill request, IEnumerable<DiscoveredItem> items)
    {
        var wanted = request.Tiles.Select(t => t.Tile).ToHashSet();
        return
        [
            .. ByDay(items).SelectMany(day => day.Items
                .SelectMany(i => i.Tiles.Where(wanted.Contains).Select(t => (Tile: t, Item: i)))
                .GroupBy(x => x.Tile)
                .Select(g => (g.Key, day.Day, g.First().Item.AcquiredUtc, g.Select(x => new ItemRef(x.Item.Id, x.Item.Href)).ToImmutableArray())))
                .Where(d => d.AcquiredUtc > request.FromUtc)
                .OrderBy(d => d.Day).ThenBy(d => d.Key.Row).ThenBy(d => d.Key.Column),
        ];
    }

    private IReadOnlyList<IPollerEvent> DecideBackfill(PollerCommand.Backfill command)
    {
        var events = new List<IPollerEvent>();
        var last = LastDispatched;
        foreach (var t in command.Request.Tiles.Where(t => t.Restart || t.FitNumber > FitOf(t.Tile)))
        {
            events.Add(new DeliveryReset(t.Tile, Math.Max(t.FitNumber, FitOf(t.Tile))));
            last = last.Remove(t.Tile);
        }
        // Tiles of one day with the same items share one event.
        foreach (var day in BackfillDays(command.Request, command.Items)
                     .Where(d => !last.TryGetValue(d.Tile, out var sent) || sent < d.Day)
                     .GroupBy(d => (d.Day, d.AcquiredUtc, Items: string.Join('\n', d.Items.Select(i => i.Id))))
                     .OrderBy(g => g.Key.Day))
        {
            var first = day.First();
            events.Add(new DayBackfilled(first.Day, first.AcquiredUtc, first.Items, [.. day.Select(d => d.Tile)]));
        }
        return events;
    }

    public PollerState Apply(IPollerEvent e) => e switch
    {
        ItemsDiscovered d => ApplyDiscovered(d),
        DayDispatched d => (this with { Pending = Pending.Remove(d.Day) }).Queue(d.Day, d.AcquiredUtc, d.Items, d.Tiles),
        DayBackfilled d => Queue(d.Day, d.AcquiredUtc, d.Items, d.Tiles),
        DeliveryReset r => this with
        {
            LastDispatched = LastDispatched.Remove(r.Tile),
            Outbox = Outbox.RemoveAll(o => o.Tile == r.Tile),
            Fits = r.FitNumber == 1 ? Fits.Remove(r.Tile) : Fits.SetItem(r.Tile, r.FitNumber),
        },
        ObservationHandedOver h => this with
        {
            Outbox = Outbox.FindIndex(o => o.Tile == h.Tile && o.Day == h.Day) is var i and >= 0 ? Outbox.RemoveAt(i) : Outbox,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(e), e, "Unknown poller event."),
    };

    /// <summary>
    /// Puts one <see cref="ObserveDay"/> per tile in the outbox, for the fit the tile is on, and records the day as its last.
    /// The new day ends the tile's batch (<see cref="ObserveDay.EndsBatch"/>): a day of the tile still waiting in the outbox
    /// no longer does, so a backfill or a poll cycle queueing many days has the tile write its report once, after the last.
    /// </summary>
    private PollerState Queue(DateOnly day, DateTime acquiredUtc, ImmutableArray<ItemRef> items, ImmutableArray<TileId> tiles)
    {
        var queued = tiles.ToHashSet();
        var outbox = Outbox.ToBuilder();
        for (int i = 0; i < outbox.Count; i++)
            if (outbox[i].EndsBatch && queued.Contains(outbox[i].Tile)) outbox[i] = outbox[i] with { EndsBatch = false };
        outbox.AddRange(tiles.Select(t => new ObserveDay(t, day, acquiredUtc, items, FitOf(t))));
        return this with
        {
            LastDispatched = tiles.Aggregate(LastDispatched, (m, t) => m.SetItem(t, day)),
            Outbox = outbox.ToImmutable(),
        };
    }

    private PollerState ApplyDiscovered(ItemsDiscovered d)
    {
        var seen = Seen.SetItems(d.Items.Select(i => KeyValuePair.Create(i.Id, i.AcquiredUtc)));
        seen = seen.RemoveRange(seen.Where(kv => kv.Value < d.ForgetSeenBeforeUtc).Select(kv => kv.Key).ToArray());
        // The open days the new items join, as items again, so old and new granules are ordered together.
        var days = d.Items.Select(i => i.SolarDay).ToHashSet();
        var open = Pending.Values.Where(p => days.Contains(p.Day)).SelectMany(p =>
            p.Items.Select(r => new DiscoveredItem(r.Id, r.Href, Seen.GetValueOrDefault(r.Id, p.AcquiredUtc), p.Day, p.Tiles)));
        var pending = Pending;
        foreach (var (day, items) in ByDay(open.Concat(d.Items)))
        {
            pending = pending.SetItem(day, new PendingDay(
                day,
                items[0].AcquiredUtc,
                [.. items.Select(i => i.Ref)],
                [.. items.SelectMany(i => i.Tiles).Distinct().OrderBy(t => t.Row).ThenBy(t => t.Column)],
                Pending.TryGetValue(day, out var before) ? before.SettleUntilUtc : d.SettleUntilUtc));
        }
        return this with { Seen = seen, Pending = pending, CursorUtc = d.CursorUtc ?? CursorUtc };
    }

    public PollerSnapshot ToSnapshot() => new(
        CursorUtc,
        [.. Seen.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value))],
        [.. Pending.Values],
        [.. LastDispatched.OrderBy(kv => kv.Key.Row).ThenBy(kv => kv.Key.Column).Select(kv => (kv.Key, kv.Value))],
        [.. Outbox])
    {
        Fits = [.. Fits.OrderBy(kv => kv.Key.Row).ThenBy(kv => kv.Key.Column).Select(kv => (kv.Key, kv.Value))],
    };

    public static PollerState FromSnapshot(PollerSnapshot s) => new(
        s.CursorUtc,
        ImmutableDictionary.CreateRange(StringComparer.Ordinal, s.Seen.Select(x => KeyValuePair.Create(x.Id, x.AcquiredUtc))),
        ImmutableSortedDictionary.CreateRange(s.Pending.Select(p => KeyValuePair.Create(p.Day, p))),
        ImmutableDictionary.CreateRange(s.LastDispatched.Select(x => KeyValuePair.Create(x.Tile, x.Day))),
        ImmutableList.CreateRange(s.Outbox))
    {
        Fits = ImmutableDictionary.CreateRange(s.Fits.Select(x => KeyValuePair.Create(x.Tile, x.FitNumber))),
    };
}
