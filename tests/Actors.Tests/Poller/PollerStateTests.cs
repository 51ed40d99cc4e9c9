using System.Collections.Immutable;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Serialization;
using NrtCluster.Actors.Sources;
using NrtCluster.Actors.Tiles;

namespace NrtCluster.Actors.Tests.Poller;

/// <summary>The poller's pure state: cursor and overlap, dedupe, settle delay, grouping by solar day, per-tile order.</summary>
public sealed class PollerStateTests
{
    private static readonly DateTime T0 = new(2024, 6, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly PollerRules Rules = new(T0, TimeSpan.FromDays(3), TimeSpan.FromHours(2));
    private static readonly TileKey A = new(0, 0), B = new(1, 0), C = new(0, 1);

    private static DiscoveredItem Item(string id, DateTime acquired, params TileKey[] tiles) =>
        new(id, $"https://stac.example/items/{id}", acquired, DateOnly.FromDateTime(acquired), [.. tiles]);

    private static PollerState Run(PollerState state, PollerCommand command)
    {
        foreach (var e in state.Decide(command, Rules)) state = state.Apply(e);
        return state;
    }

    [Fact]
    public void First_search_starts_at_the_initial_start_then_at_the_cursor_minus_the_overlap()
    {
        var state = PollerState.Empty;
        Assert.Equal(T0, state.SearchFromUtc(Rules));

        var acquired = new DateTime(2024, 6, 10, 10, 30, 0, DateTimeKind.Utc);
        state = Run(state, new PollerCommand.Found([Item("a", acquired.AddDays(-1), A), Item("b", acquired, A)], acquired.AddHours(5)));

        Assert.Equal(acquired, state.CursorUtc);
        Assert.Equal(acquired - TimeSpan.FromDays(3), state.SearchFromUtc(Rules));
    }

    [Fact]
    public void An_id_found_again_with_another_datetime_is_reported_and_opens_no_day()
    {
        var day1 = new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc);
        var state = Run(PollerState.Empty, new PollerCommand.Found([Item("a", day1, A)], day1.AddHours(1)));
        state = Run(state, new PollerCommand.Tick(day1.AddHours(4)));
        // The provider republishes "a" five days later; "b" is genuinely new.
        var found = new PollerCommand.Found([Item("a", day1.AddDays(5), A), Item("b", day1.AddDays(5), B)], day1.AddDays(5).AddHours(1));

        var repeated = state.Repeated(found.Items);
        Assert.Equal("a", Assert.Single(repeated).Id);
        Assert.Equal("https://stac.example/items/a", repeated[0].Source);
        Assert.Contains("already found with datetime 2024-06-10T10:00:00Z (now 2024-06-15T10:00:00Z); the first version is kept", repeated[0].Reason);
        Assert.Empty(state.Repeated([Item("a", day1, A)]));

        var discovered = Assert.Single(state.Decide(found, Rules).OfType<ItemsDiscovered>());
        Assert.Equal(["b"], discovered.Items.Select(i => i.Id));
        state = Run(Run(state, found), new PollerCommand.Tick(day1.AddDays(6)));
        Assert.Equal([DateOnly.FromDateTime(day1), DateOnly.FromDateTime(day1.AddDays(5))], state.LastDispatched.Values.Order());
        Assert.Equal(DateOnly.FromDateTime(day1), state.LastDispatched[A]);
    }

    [Fact]
    public void Items_already_seen_produce_no_event_and_older_ids_are_forgotten_past_the_overlap()
    {
        var day1 = new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc);
        var state = Run(PollerState.Empty, new PollerCommand.Found([Item("a", day1, A)], day1.AddHours(1)));

        Assert.Empty(state.Decide(new PollerCommand.Found([Item("a", day1, A)], day1.AddHours(2)), Rules));

        var later = day1.AddDays(5);
        var events = state.Decide(new PollerCommand.Found([Item("a", day1, A), Item("z", later, A)], later.AddHours(1)), Rules);
        var discovered = Assert.IsType<ItemsDiscovered>(Assert.Single(events));
        Assert.Equal(["z"], discovered.Items.Select(i => i.Id));

        state = state.Apply(discovered);
        // "a" is remembered for the id memory (a year by default), so a republished "a" would be recognised.
        Assert.Equal(["a", "z"], state.Seen.Keys.Order());

        // With a memory no longer than the overlap, "a" is older than the new cursor minus the overlap: no search can return it again.
        var shortMemory = Rules with { IdMemory = TimeSpan.Zero };
        var forgetting = Run(PollerState.Empty, new PollerCommand.Found([Item("a", day1, A)], day1.AddHours(1)));
        forgetting = forgetting.Apply(Assert.Single(forgetting.Decide(new PollerCommand.Found([Item("z", later, A)], later.AddHours(1)), shortMemory)));
        Assert.Equal(["z"], forgetting.Seen.Keys);
    }

    [Fact]
    public void A_day_waits_its_settle_delay_and_late_granules_of_that_day_join_it()
    {
        var acquired = new DateTime(2024, 6, 10, 10, 30, 0, DateTimeKind.Utc);
        var found = acquired.AddHours(3);
        var state = Run(PollerState.Empty, new PollerCommand.Found([Item("g2", acquired.AddSeconds(30), B)], found));
        Assert.Equal(found + Rules.SettleDelay, state.NextSettleUtc);

        Assert.Empty(state.Decide(new PollerCommand.Tick(found + Rules.SettleDelay - TimeSpan.FromSeconds(1)), Rules));

        // A late granule of the same day, found an hour later, joins it without moving the deadline.
        state = Run(state, new PollerCommand.Found([Item("g1", acquired, A)], found.AddHours(1)));
        Assert.Single(state.Pending);
        Assert.Equal(found + Rules.SettleDelay, state.NextSettleUtc);

        var dispatched = Assert.IsType<DayDispatched>(Assert.Single(state.Decide(new PollerCommand.Tick(found + Rules.SettleDelay), Rules)));
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
        var state = Run(PollerState.Empty, new PollerCommand.Found([Item("d2", d2, A)], d2.AddHours(1)));
        // An older day found later is still settling when the newer one is due: the newer one waits for it.
        state = Run(state, new PollerCommand.Found([Item("d1", d1, A, B)], d2.AddHours(2)));
        Assert.Equal([DateOnly.FromDateTime(d1), DateOnly.FromDateTime(d2)], state.Pending.Keys);

        Assert.Empty(state.Decide(new PollerCommand.Tick(d2.AddHours(1) + Rules.SettleDelay), Rules));

        var events = state.Decide(new PollerCommand.Tick(d2.AddHours(2) + Rules.SettleDelay), Rules);
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
        var state = Run(PollerState.Empty, new PollerCommand.Found([Item("a1", d1, A)], d1.AddHours(1)));
        state = Run(state, new PollerCommand.Tick(d1.AddHours(1) + Rules.SettleDelay));
        state = Run(state, new PollerCommand.Found([Item("a2", d2, B)], d2.AddHours(1)));
        state = Run(state, new PollerCommand.Tick(d2.AddHours(1) + Rules.SettleDelay));

        // Published a day late: day 1 again, touching A (has day 1), B (already at day 2) and C (new).
        state = Run(state, new PollerCommand.Found([Item("late", d1.AddMinutes(1), A, B, C)], d2.AddHours(2)));
        var dispatched = Assert.IsType<DayDispatched>(Assert.Single(state.Decide(new PollerCommand.Tick(d2.AddHours(2) + Rules.SettleDelay), Rules)));
        Assert.Equal([C], dispatched.Tiles.ToArray());
        Assert.Equal(["late"], dispatched.Items.Select(i => i.Id));
    }

    [Fact]
    public void Handing_over_removes_that_tile_message_and_keeps_the_rest_in_order()
    {
        var d1 = new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc);
        var state = Run(PollerState.Empty, new PollerCommand.Found([Item("x", d1, A, B), Item("y", d1.AddDays(1), A)], d1.AddHours(1)));
        state = Run(state, new PollerCommand.Tick(d1.AddHours(1) + Rules.SettleDelay));
        Assert.Equal((A, DateOnly.FromDateTime(d1)), (state.NextToHandOver!.Tile, state.NextToHandOver.Day));

        state = Run(state, new PollerCommand.HandedOver(A, DateOnly.FromDateTime(d1)));
        Assert.Equal([(B, DateOnly.FromDateTime(d1)), (A, DateOnly.FromDateTime(d1.AddDays(1)))], state.Outbox.Select(o => (o.Tile, o.Day)));
        // A second confirmation of the same hand-over (a redelivered reply) changes nothing.
        Assert.Empty(state.Decide(new PollerCommand.HandedOver(A, DateOnly.FromDateTime(d1)), Rules));
    }

    [Fact]
    public void Snapshot_and_events_survive_the_binary_format()
    {
        var d1 = new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc);
        var state = PollerState.Empty;
        var events = new List<IPollerEvent>();
        foreach (var command in new PollerCommand[]
                 {
                     new PollerCommand.Found([Item("x", d1, A, B), Item("y", d1.AddDays(1), C)], d1.AddHours(1)),
                     new PollerCommand.Tick(d1.AddHours(1) + Rules.SettleDelay),
                     new PollerCommand.Found([Item("z", d1.AddDays(2), A)], d1.AddDays(2)),
                 })
        {
            foreach (var e in state.Decide(command, Rules))
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

    private static string Describe(ObserveDay o) => $"{o.Tile} {o.Day} {o.AcquiredUtc:O} {string.Join(",", o.Items)}";

    [Fact]
    public void Each_day_sent_to_a_tile_names_the_day_the_poller_sent_it_before()
    {
        var day1 = new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc);
        var day2 = day1.AddDays(2);
        var state = Run(PollerState.Empty, new PollerCommand.Found([Item("a", day1, A)], day1));
        state = Run(state, new PollerCommand.Tick(day1 + Rules.SettleDelay));
        state = Run(state, new PollerCommand.Found([Item("b", day2, A, B)], day2));
        state = Run(state, new PollerCommand.Tick(day2 + Rules.SettleDelay));

        Assert.Equal(
            [(A, DateOnly.FromDateTime(day1), (DateOnly?)null), (A, DateOnly.FromDateTime(day2), DateOnly.FromDateTime(day1)), (B, DateOnly.FromDateTime(day2), null)],
            state.Outbox.Select(o => (o.Tile, o.Day, o.After)));
    }

    [Fact]
    public void A_fast_forward_plan_chains_each_tiles_days_and_leaves_out_the_historys_last_day()
    {
        var history = new DateTime(2024, 6, 1, 10, 0, 0, DateTimeKind.Utc);
        var items = new[] { Item("h", history, A), Item("a", history.AddDays(2), A), Item("b", history.AddDays(5), A, B), Item("c", history.AddDays(9), A) };
        var plan = ItemDiscovery.PlanByTile(items, history);
        Assert.Equal(
            [(DateOnly.FromDateTime(history.AddDays(2)), (DateOnly?)null), (DateOnly.FromDateTime(history.AddDays(5)), DateOnly.FromDateTime(history.AddDays(2))),
             (DateOnly.FromDateTime(history.AddDays(9)), DateOnly.FromDateTime(history.AddDays(5)))],
            plan[A].Select(d => (d.Day, d.After)));
        Assert.Equal([(DateOnly.FromDateTime(history.AddDays(5)), (DateOnly?)null)], plan[B].Select(d => (d.Day, d.After)));
        Assert.Equal(4, ItemDiscovery.PlanByTile(items)[A].Length);
    }
}
