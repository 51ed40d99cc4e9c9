using System.Collections.Immutable;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Serialization;
using NrtCluster.Actors.Sources;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tests.Poller;

/// <summary>The poller's pure state: cursor and overlap, dedupe, settle delay, grouping by solar day, per-tile order.</summary>
public sealed class PollerStateTests
{
    private static readonly DateTime T0 = new(2024, 6, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly PollerRules Rules = new(T0, TimeSpan.FromDays(3), TimeSpan.FromHours(2));
    private static readonly TileId A = new(0, 0), B = new(1, 0), C = new(0, 1);

    private static DiscoveredItem Item(string id, DateTime acquired, params TileId[] tiles) =>
        new(id, $"https://stac.example/items/{id}", acquired, DateOnly.FromDateTime(acquired), [.. tiles]);

    private static PollerCommand.Found Found(IReadOnlyList<DiscoveredItem> items, DateTime nowUtc) => new(items, nowUtc, Rules);

    private static PollerState Run(PollerState state, PollerCommand command)
    {
        foreach (var e in state.Decide(command)) state = state.Apply(e);
        return state;
    }

    [Fact]
    public void First_search_starts_at_the_initial_start_then_at_the_cursor_minus_the_overlap()
    {
        var state = PollerState.Empty;
        Assert.Equal(T0, state.SearchFromUtc(Rules));

        var acquired = new DateTime(2024, 6, 10, 10, 30, 0, DateTimeKind.Utc);
        state = Run(state, Found([Item("a", acquired.AddDays(-1), A), Item("b", acquired, A)], acquired.AddHours(5)));

        Assert.Equal(acquired, state.CursorUtc);
        Assert.Equal(acquired - TimeSpan.FromDays(3), state.SearchFromUtc(Rules));
    }

    [Fact]
    public void An_id_found_again_with_another_datetime_is_reported_and_opens_no_day()
    {
        var day1 = new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc);
        var state = Run(PollerState.Empty, Found([Item("a", day1, A)], day1.AddHours(1)));
        state = Run(state, new PollerCommand.Tick(day1.AddHours(4)));
        // The provider republishes "a" five days later; "b" is genuinely new.
        var found = Found([Item("a", day1.AddDays(5), A), Item("b", day1.AddDays(5), B)], day1.AddDays(5).AddHours(1));

        var repeated = state.Repeated(found.Items);
        Assert.Equal("a", Assert.Single(repeated).Id);
        Assert.Equal("https://stac.example/items/a", repeated[0].Source);
        Assert.Contains("already found with datetime 2024-06-10T10:00:00Z (now 2024-06-15T10:00:00Z); the first version is kept", repeated[0].Reason);
        Assert.Empty(state.Repeated([Item("a", day1, A)]));

        var discovered = Assert.Single(state.Decide(found).OfType<ItemsDiscovered>());
        Assert.Equal(["b"], discovered.Items.Select(i => i.Id));
        state = Run(Run(state, found), new PollerCommand.Tick(day1.AddDays(6)));
        Assert.Equal([DateOnly.FromDateTime(day1), DateOnly.FromDateTime(day1.AddDays(5))], state.LastDispatched.Values.Order());
        Assert.Equal(DateOnly.FromDateTime(day1), state.LastDispatched[A]);
    }

    /// <summary>
    /// A pushed item waits its settle delay like a found one and leaves the cursor where the searches put it; found later
    /// (or pushed again) it is not new, so its day is sent to the tiles once.
    /// </summary>
    [Fact]
    public void A_pushed_item_settles_like_a_found_one_leaves_the_cursor_and_is_not_new_when_found_later()
    {
        var polled = new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc);
        var state = Run(PollerState.Empty, Found([Item("a", polled, A)], polled.AddHours(1)));
        state = Run(state, new PollerCommand.Tick(polled.AddHours(4)));

        var pushedAt = polled.AddDays(5);
        var pushed = Item("b", pushedAt.AddHours(-1), A, B);
        var discovered = Assert.Single(state.Decide(new PollerCommand.Pushed([pushed, pushed], pushedAt, Rules)).OfType<ItemsDiscovered>());
        Assert.Equal(["b"], discovered.Items.Select(i => i.Id));
        Assert.Null(discovered.CursorUtc);
        Assert.Equal(pushedAt + Rules.SettleDelay, discovered.SettleUntilUtc);
        state = Run(state, new PollerCommand.Pushed([pushed], pushedAt, Rules));
        Assert.Equal(polled, state.CursorUtc);
        Assert.Empty(state.Decide(new PollerCommand.Tick(pushedAt.AddHours(1))));

        state = Run(state, new PollerCommand.Tick(pushedAt + Rules.SettleDelay));
        Assert.Equal(DateOnly.FromDateTime(pushed.AcquiredUtc), state.LastDispatched[B]);
        Assert.Equal(2, state.Outbox.Count(o => o.Day == DateOnly.FromDateTime(pushed.AcquiredUtc)));
        Assert.Empty(state.Decide(Found([pushed], pushedAt.AddHours(3))));
        Assert.Empty(state.Decide(new PollerCommand.Pushed([pushed], pushedAt.AddHours(3), Rules)));
    }

    [Fact]
    public void Items_already_seen_produce_no_event_and_older_ids_are_forgotten_past_the_overlap()
    {
        var day1 = new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc);
        var state = Run(PollerState.Empty, Found([Item("a", day1, A)], day1.AddHours(1)));

        Assert.Empty(state.Decide(Found([Item("a", day1, A)], day1.AddHours(2))));

        var later = day1.AddDays(5);
        var events = state.Decide(Found([Item("a", day1, A), Item("z", later, A)], later.AddHours(1)));
        var discovered = Assert.IsType<ItemsDiscovered>(Assert.Single(events));
        Assert.Equal(["z"], discovered.Items.Select(i => i.Id));

        state = state.Apply(discovered);
        // "a" is remembered for the id memory (a year by default), so a republished "a" would be recognised.
        Assert.Equal(["a", "z"], state.Seen.Keys.Order());

        // With a memory no longer than the overlap, "a" is older than the new cursor minus the overlap: no search can return it again.
        var shortMemory = Rules with { IdMemory = TimeSpan.Zero };
        var forgetting = Run(PollerState.Empty, Found([Item("a", day1, A)], day1.AddHours(1)));
        forgetting = forgetting.Apply(Assert.Single(forgetting.Decide(new PollerCommand.Found([Item("z", later, A)], later.AddHours(1), shortMemory))));
        Assert.Equal(["z"], forgetting.Seen.Keys);
    }

    [Fact]
    public void A_day_waits_its_settle_delay_and_late_granules_of_that_day_join_it()
    {
        var acquired = new DateTime(2024, 6, 10, 10, 30, 0, DateTimeKind.Utc);
        var found = acquired.AddHours(3);
        var state = Run(PollerState.Empty, Found([Item("g2", acquired.AddSeconds(30), B)], found));
        Assert.Equal(found + Rules.SettleDelay, state.NextSettleUtc);

        Assert.Empty(state.Decide(new PollerCommand.Tick(found + Rules.SettleDelay - TimeSpan.FromSeconds(1))));

        // A late granule of the same day, found an hour later, joins it without moving the deadline.
        state = Run(state, Found([Item("g1", acquired, A)], found.AddHours(1)));
        Assert.Single(state.Pending);
        Assert.Equal(found + Rules.SettleDelay, state.NextSettleUtc);

        var dispatched = Assert.IsType<DayDispatched>(Assert.Single(state.Decide(new PollerCommand.Tick(found + Rules.SettleDelay))));
        Assert.Equal(DateOnly.FromDateTime(acquired), dispatched.Day);
        Assert.Equal(acquired, dispatched.AcquiredUtc);
        Assert.Equal(["g1", "g2"], dispatched.Items.Select(i => i.Id));
        Assert.Equal([A, B], dispatched.Tiles.ToArray());

        state = state.Apply(dispatched);
        Assert.Empty(state.Pending);
        Assert.Null(state.NextSettleUtc);
        Assert.Equal([(A, dispatched.Day), (B, dispatched.Day)], state.Outbox.Select(o => (o.Tile, o.Day)));
        Assert.All(state.Outbox, o => Assert.Equal(["g1", "g2"], o.Items.Select(i => i.Id)));
    }

    [Fact]
    public void Days_group_by_solar_day_and_dispatch_oldest_first_never_overtaking_a_settling_older_day()
    {
        var d1 = new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc);
        var d2 = d1.AddDays(2);
        var state = Run(PollerState.Empty, Found([Item("d2", d2, A)], d2.AddHours(1)));
        // An older day found later is still settling when the newer one is due: the newer one waits for it.
        state = Run(state, Found([Item("d1", d1, A, B)], d2.AddHours(2)));
        Assert.Equal([DateOnly.FromDateTime(d1), DateOnly.FromDateTime(d2)], state.Pending.Keys);

        Assert.Empty(state.Decide(new PollerCommand.Tick(d2.AddHours(1) + Rules.SettleDelay)));

        var events = state.Decide(new PollerCommand.Tick(d2.AddHours(2) + Rules.SettleDelay));
        Assert.Equal([DateOnly.FromDateTime(d1), DateOnly.FromDateTime(d2)], events.Cast<DayDispatched>().Select(d => d.Day));
        foreach (var e in events) state = state.Apply(e);
        Assert.Equal([(A, DateOnly.FromDateTime(d1)), (B, DateOnly.FromDateTime(d1)), (A, DateOnly.FromDateTime(d2))],
            state.Outbox.Select(o => (o.Tile, o.Day)));
    }

    [Fact]
    public void A_late_granule_of_a_sent_day_reaches_only_tiles_that_have_not_moved_past_it()
    {
        var d1 = new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc);
        var d2 = d1.AddDays(5);
        var state = Run(PollerState.Empty, Found([Item("a1", d1, A)], d1.AddHours(1)));
        state = Run(state, new PollerCommand.Tick(d1.AddHours(1) + Rules.SettleDelay));
        state = Run(state, Found([Item("a2", d2, B)], d2.AddHours(1)));
        state = Run(state, new PollerCommand.Tick(d2.AddHours(1) + Rules.SettleDelay));

        // Published a day late: day 1 again, touching A (has day 1), B (already at day 2) and C (new).
        state = Run(state, Found([Item("late", d1.AddMinutes(1), A, B, C)], d2.AddHours(2)));
        var dispatched = Assert.IsType<DayDispatched>(Assert.Single(state.Decide(new PollerCommand.Tick(d2.AddHours(2) + Rules.SettleDelay))));
        Assert.Equal([C], dispatched.Tiles.ToArray());
        Assert.Equal(["late"], dispatched.Items.Select(i => i.Id));
    }

    /// <summary>A tile writes its report after the day ending its batch: the last of a poll cycle's or a backfill's days for it.</summary>
    [Fact]
    public void Only_each_tiles_last_day_waiting_in_the_outbox_ends_its_batch()
    {
        var d1 = new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc);
        // One poll cycle finds three days: A has all three, B the first.
        var state = Run(PollerState.Empty, Found([Item("x", d1, A, B), Item("y", d1.AddDays(1), A), Item("z", d1.AddDays(2), A)], d1.AddDays(2)));
        state = Run(state, new PollerCommand.Tick(d1.AddDays(2) + Rules.SettleDelay));
        Assert.Equal([(A, d1, false), (B, d1, true), (A, d1.AddDays(1), false), (A, d1.AddDays(2), true)],
            state.Outbox.Select(o => (o.Tile, o.AcquiredUtc, o.EndsBatch)));

        // Once a day is handed over its batch is fixed; a later day joins the batch of the days still waiting.
        state = Run(state, new PollerCommand.HandedOver(A, DateOnly.FromDateTime(d1)));
        state = Run(state, new PollerCommand.HandedOver(B, DateOnly.FromDateTime(d1)));
        var backfill = Backfill(d1.AddDays(2).AddHours(-1), new BackfillTile(A, 1), new BackfillTile(B, 1));
        state = Run(state, new PollerCommand.Backfill(backfill, [Item("w", d1.AddDays(4), A, B)]));
        Assert.Equal([(A, d1.AddDays(1), false), (A, d1.AddDays(2), false), (A, d1.AddDays(4), true), (B, d1.AddDays(4), true)],
            state.Outbox.Select(o => (o.Tile, o.AcquiredUtc, o.EndsBatch)));
    }

    [Fact]
    public void Handing_over_removes_that_tile_message_and_keeps_the_rest_in_order()
    {
        var d1 = new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc);
        var state = Run(PollerState.Empty, Found([Item("x", d1, A, B), Item("y", d1.AddDays(1), A)], d1.AddHours(1)));
        state = Run(state, new PollerCommand.Tick(d1.AddHours(1) + Rules.SettleDelay));
        Assert.Equal((A, DateOnly.FromDateTime(d1)), (state.NextToHandOver!.Tile, state.NextToHandOver.Day));

        state = Run(state, new PollerCommand.HandedOver(A, DateOnly.FromDateTime(d1)));
        Assert.Equal([(B, DateOnly.FromDateTime(d1)), (A, DateOnly.FromDateTime(d1.AddDays(1)))], state.Outbox.Select(o => (o.Tile, o.Day)));
        // A second confirmation of the same hand-over (a redelivered reply) changes nothing.
        Assert.Empty(state.Decide(new PollerCommand.HandedOver(A, DateOnly.FromDateTime(d1))));
    }

    [Fact]
    public void Snapshot_and_events_survive_the_binary_format()
    {
        var d1 = new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc);
        var state = PollerState.Empty;
        var events = new List<IPollerEvent>();
        foreach (var command in new PollerCommand[]
                 {
                     Found([Item("x", d1, A, B), Item("y", d1.AddDays(1), C)], d1.AddHours(1)),
                     new PollerCommand.Tick(d1.AddHours(1) + Rules.SettleDelay),
                     Found([Item("z", d1.AddDays(2), A)], d1.AddDays(2)),
                 })
        {
            foreach (var e in state.Decide(command))
            {
                var copy = (IPollerEvent)PipelineFormat.Read(PipelineFormat.Write(e), PipelineFormat.ManifestOf(e));
                events.Add(copy);
                state = state.Apply(e);
            }
        }
        var replayed = events.Aggregate(PollerState.Empty, (s, e) => s.Apply(e));
        var snapshot = (PollerSnapshot)PipelineFormat.Read(PipelineFormat.Write(state.ToSnapshot()), "PollerSnapshot");
        foreach (var other in new[] { replayed, PollerState.FromSnapshot(snapshot) })
        {
            Assert.Equal(state.CursorUtc, other.CursorUtc);
            Assert.Equal(state.Seen.OrderBy(kv => kv.Key), other.Seen.OrderBy(kv => kv.Key));
            Assert.Equal(state.Pending.Values.Select(Describe), other.Pending.Values.Select(Describe));
            Assert.Equal(state.LastDispatched.OrderBy(kv => kv.Key.Column), other.LastDispatched.OrderBy(kv => kv.Key.Column));
            Assert.Equal(state.Outbox.Select(Describe), other.Outbox.Select(Describe));
        }
    }

    private static string Describe(PendingDay p) =>
        $"{p.Day} {p.AcquiredUtc:O} {string.Join(",", p.Items)} {string.Join(",", p.Tiles)} {p.SettleUntilUtc:O}";

    private static string Describe(ObserveDay o) => $"{o.Tile} {o.Day} {o.AcquiredUtc:O} {string.Join(",", o.Items)} fit {o.FitNumber}";

    private static Backfill Backfill(DateTime fromUtc, params BackfillTile[] tiles) => new("ff", [.. tiles], fromUtc, fromUtc.AddDays(30));

    [Fact]
    public void A_backfill_queues_its_days_at_once_and_only_days_newer_than_each_tile_was_sent_leaving_out_the_historys_last_day()
    {
        var history = new DateTime(2024, 6, 1, 10, 0, 0, DateTimeKind.Utc);
        DateOnly Day(int d) => DateOnly.FromDateTime(history.AddDays(d));
        // The poller sent day 5 to A already; day 9 is still settling.
        var state = Run(PollerState.Empty, Found([Item("b", history.AddDays(5), A, B)], history.AddDays(5)));
        state = Run(state, new PollerCommand.Tick(history.AddDays(5) + Rules.SettleDelay));
        state = Run(state, Found([Item("c", history.AddDays(9), A)], history.AddDays(9)));
        state = state with { Outbox = [] };

        var items = new[] { Item("h", history, A), Item("a", history.AddDays(2), A), Item("b", history.AddDays(5), A, B), Item("c", history.AddDays(9), A) };
        var request = Backfill(history, new BackfillTile(A, 1), new BackfillTile(B, 1), new BackfillTile(C, 1));
        var events = state.Decide(new PollerCommand.Backfill(request, items));
        // Nothing waits for a settle delay, and A's day 2 is not sent after its day 5: each tile keeps time order.
        Assert.Equal([(Day(9), "c", A)], events.Cast<DayBackfilled>().SelectMany(d => d.Tiles.Select(t => (d.Day, string.Join(",", d.Items.Select(i => i.Id)), t))));
        state = events.Aggregate(state, (s, e) => s.Apply(e));
        Assert.Equal([Day(9)], state.Pending.Keys);
        Assert.Equal([(A, Day(9))], state.Outbox.Select(o => (o.Tile, o.Day)));
        // The days the job waits for: every day of the range touching each tile, sent now or before; none for C.
        var plan = PollerState.BackfillDays(request, items);
        Assert.Equal([(A, Day(2)), (A, Day(5)), (B, Day(5)), (A, Day(9))], plan.Select(d => (d.Tile, d.Day)));
        // The settling day 9 reaches no tile twice.
        state = Run(state, new PollerCommand.Tick(history.AddDays(10)));
        Assert.Equal([(A, Day(9))], state.Outbox.Select(o => (o.Tile, o.Day)));
    }

    [Fact]
    public void A_tile_on_a_newer_fit_has_its_delivery_reset_and_its_days_queued_again_for_that_fit()
    {
        var day1 = new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc);
        var items = new[] { Item("a", day1, A, B), Item("b", day1.AddDays(2), A, B) };
        var state = Run(PollerState.Empty, new PollerCommand.Backfill(Backfill(day1.AddDays(-1), new BackfillTile(A, 1), new BackfillTile(B, 1)), items));
        Assert.All(state.Outbox, o => Assert.Equal(1, o.FitNumber));
        Assert.Empty(Run(state, new PollerCommand.Backfill(Backfill(day1.AddDays(-1), new BackfillTile(A, 1), new BackfillTile(B, 1)), items)).Outbox
            .Except(state.Outbox));

        // A was refitted: its days not handed over yet are dropped and it is sent both again, for fit 2; B is left as it was.
        var events = state.Decide(new PollerCommand.Backfill(Backfill(day1.AddDays(-1), new BackfillTile(A, 2), new BackfillTile(B, 1)), items));
        Assert.Equal(new DeliveryReset(A, 2), events[0]);
        state = events.Aggregate(state, (s, e) => s.Apply(e));
        Assert.Equal(
            [(B, DateOnly.FromDateTime(day1), 1), (B, DateOnly.FromDateTime(day1.AddDays(2)), 1), (A, DateOnly.FromDateTime(day1), 2), (A, DateOnly.FromDateTime(day1.AddDays(2)), 2)],
            state.Outbox.Select(o => (o.Tile, o.Day, o.FitNumber)));
        Assert.Equal(2, state.FitOf(A));

        // A requeue restarts a tile on its fit; the fits survive a snapshot.
        var restarted = Run(state with { Outbox = [] }, new PollerCommand.Backfill(Backfill(day1.AddDays(-1), new BackfillTile(A, 2, Restart: true)), items));
        Assert.Equal([(A, 2), (A, 2)], restarted.Outbox.Select(o => (o.Tile, o.FitNumber)));
        var copy = PollerState.FromSnapshot((PollerSnapshot)PipelineFormat.Read(PipelineFormat.Write(restarted.ToSnapshot()), "PollerSnapshot"));
        Assert.Equal(2, copy.FitOf(A));
        Assert.Equal(1, copy.FitOf(B));
        Assert.Equal(restarted.Outbox.Select(Describe), copy.Outbox.Select(Describe));
    }
}
