using System.Collections.Immutable;
using NrtCluster.Actors.Sources;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Stac;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Poller;

// ---- Commands and queries.

/// <summary>Search the archive now (besides the interval). Replied with <see cref="PollCompleted"/> once the result is persisted.</summary>
public sealed record PollNow : IPipelineMessage
{
    public static PollNow Instance { get; } = new();
}

/// <summary>A search finished: how many items were new, and the state after it.</summary>
/// <param name="NewItems">Items this poller had not seen; their days may still be ones the tiles applied (e.g. by a fast-forward).</param>
/// <param name="Error">Why the search failed (the poller retries on its interval); null on success.</param>
public sealed record PollCompleted(int NewItems, int PendingDays, DateTime? CursorUtc, string? Error) : IPipelineMessage
{
    /// <summary>Each tile and solar day the new items cover, once: what the tiles are handed once the days settle.</summary>
    public ImmutableArray<(TileId Tile, DateOnly Day)> NewTileDays { get; init; } = [];

    /// <summary>The items of this search that were rejected (not dispatched), and why.</summary>
    public ImmutableArray<RejectedItem> Rejected { get; init; } = [];
}

/// <summary>A tile a <see cref="Backfill"/> covers, with the fit it is on (read from its status by the job).</summary>
/// <param name="Restart">
/// Send the range again from its start even if the tile was sent those days before: the tile went back before them (a requeue).
/// </param>
public sealed record BackfillTile(TileId Tile, int FitNumber, bool Restart = false);

/// <summary>
/// Search the archive from <paramref name="FromUtc"/> (the end of the history, excluded) to <paramref name="ToUtc"/> and queue
/// every solar day found for <paramref name="Tiles"/> in the outbox at once (no settle delay), like polled days: a tile is sent
/// a day only if it is newer than every day sent to it before. A tile on a newer fit than the poller last heard of (a refit),
/// or one to <see cref="BackfillTile.Restart"/>, first has its delivery position reset (<see cref="DeliveryReset"/>), so its
/// days are sent again from the start. Replied with <see cref="BackfillQueued"/> once the queued days are persisted.
/// </summary>
public sealed record Backfill(string JobId, ImmutableArray<BackfillTile> Tiles, DateTime FromUtc, DateTime ToUtc) : IPipelineMessage;

/// <summary>
/// What a <see cref="Backfill"/> found: each tile's solar days in the range, oldest first, whether queued now or sent before
/// (the tile applies each once); or why the search failed.
/// </summary>
public sealed record BackfillQueued(string JobId, ImmutableArray<(TileId Tile, ImmutableArray<DateOnly> Days)> Days, string? Error) : IPipelineMessage
{
    /// <summary>The items of the search that were rejected (not queued), and why.</summary>
    public ImmutableArray<RejectedItem> Rejected { get; init; } = [];
}

/// <summary>
/// Items a provider pushed to a node (<c>POST /api/items</c>), checked and placed on the project's tiles there: the poller
/// records those whose id it has not seen as it records polled ones (<see cref="ItemsDiscovered"/>, the cursor left as it
/// is), so they take the same settle delay, dedupe and delivery. <paramref name="Rejected"/>: items of the same push the node
/// rejected, kept with the poller's rejected items. Replied with <see cref="ItemsPushedRecorded"/> once persisted.
/// </summary>
public sealed record ItemsPushed(ImmutableArray<DiscoveredItem> Items, ImmutableArray<RejectedItem> Rejected) : IPipelineMessage;

/// <summary>
/// What the poller made of an <see cref="ItemsPushed"/>: the ids it recorded (the others it had already, found or pushed
/// before), and the rejected items with why (those of the push, and ids seen before with another datetime).
/// </summary>
public sealed record ItemsPushedRecorded(ImmutableArray<string> Accepted, ImmutableArray<RejectedItem> Rejected) : IPipelineMessage;

public sealed record GetPollerStatus : IPipelineMessage
{
    public static GetPollerStatus Instance { get; } = new();
}

/// <param name="PendingDays">Solar days waiting for their settle delay.</param>
/// <param name="Outbox">Tile messages decided but not yet stored in the reliable-delivery queue.</param>
public sealed record PollerStatus(
    DateTime? CursorUtc, int SeenItems, ImmutableArray<DateOnly> PendingDays, int Outbox, DateTime? LastPollUtc, string? LastError) : IPipelineMessage
{
    /// <summary>The latest items rejected since the poller started (at most <see cref="StacPoller.RejectedKept"/>), newest last.</summary>
    public ImmutableArray<RejectedItem> Rejected { get; init; } = [];

    /// <summary>Distinct items rejected since the poller started.</summary>
    public int RejectedCount { get; init; }
}

// ---- Persisted events (the poller's journal) and snapshot.

public interface IPollerEvent : IPipelineMessage;

/// <summary>
/// New items were found (or pushed). Self-contained so a replay does not depend on today's settings: the settle deadline of
/// days they open, the new cursor (null: unchanged, as for pushed items), and the age below which seen ids are forgotten
/// (the search never returns them again).
/// </summary>
public sealed record ItemsDiscovered(
    ImmutableArray<DiscoveredItem> Items, DateTime SettleUntilUtc, DateTime? CursorUtc, DateTime ForgetSeenBeforeUtc) : IPollerEvent;

/// <summary>A settled solar day was sent to the tiles it touches (one <see cref="ObserveDay"/> each, queued in the outbox).</summary>
public sealed record DayDispatched(DateOnly Day, DateTime AcquiredUtc, ImmutableArray<ItemRef> Items, ImmutableArray<TileId> Tiles) : IPollerEvent;

/// <summary>
/// A backfilled solar day queued in the outbox for <paramref name="Tiles"/> (those of the days' items touching them), at once
/// and without touching the days that wait for their settle delay.
/// </summary>
public sealed record DayBackfilled(DateOnly Day, DateTime AcquiredUtc, ImmutableArray<ItemRef> Items, ImmutableArray<TileId> Tiles) : IPollerEvent;

/// <summary>
/// The tile's delivery position starts again (it was refitted, or rewound by a requeue): no day counts as sent to it, its
/// messages not yet handed over are dropped, and its next days are queued for fit <paramref name="FitNumber"/>, so the tile
/// drops any day still in delivery that was queued for an older fit.
/// </summary>
public sealed record DeliveryReset(TileId Tile, int FitNumber) : IPollerEvent;

/// <summary>The outbox head was stored in the durable reliable-delivery queue, which now owns its delivery.</summary>
public sealed record ObservationHandedOver(TileId Tile, DateOnly Day) : IPollerEvent;

/// <summary>A solar day waiting for late granules until <see cref="SettleUntilUtc"/>.</summary>
public sealed record PendingDay(DateOnly Day, DateTime AcquiredUtc, ImmutableArray<ItemRef> Items, ImmutableArray<TileId> Tiles, DateTime SettleUntilUtc);

public sealed record PollerSnapshot(
    DateTime? CursorUtc,
    ImmutableArray<(string Id, DateTime AcquiredUtc)> Seen,
    ImmutableArray<PendingDay> Pending,
    ImmutableArray<(TileId Tile, DateOnly Day)> LastDispatched,
    ImmutableArray<ObserveDay> Outbox) : IPipelineMessage
{
    /// <summary>Each tile's fit its days are queued for, when not the first (see <see cref="DeliveryReset"/>).</summary>
    public ImmutableArray<(TileId Tile, int FitNumber)> Fits { get; init; } = [];
}
