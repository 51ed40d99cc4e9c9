using System.Collections.Immutable;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Actors.Poller;

/// <summary>
/// Marker for the poller's, report aggregator's and jobs' messages, events and snapshots: written by
/// <see cref="PipelineSerializer"/> (bound in hocon/base.conf).
/// </summary>
public interface IPipelineMessage;

/// <summary>A STAC item the poller found: what it needs to dispatch it (never the item document itself).</summary>
/// <param name="Tiles">The tiles its footprint intersects, decided when it was found.</param>
public sealed record DiscoveredItem(string Id, string Href, DateTime AcquiredUtc, DateOnly SolarDay, ImmutableArray<TileKey> Tiles)
{
    /// <summary>What a tile reads of the item (<see cref="ItemRef.Assets"/>); null when it could not be described.</summary>
    public ItemAssets? Assets { get; init; }

    /// <summary>The reference a tile is sent.</summary>
    public ItemRef Ref => new(Id, Href) { Assets = Assets };
}

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
    public ImmutableArray<(TileKey Tile, DateOnly Day)> NewTileDays { get; init; } = [];

    /// <summary>The items of this search that were rejected (not dispatched), and why.</summary>
    public ImmutableArray<RejectedItem> Rejected { get; init; } = [];
}

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
/// New items were found. Self-contained so a replay does not depend on today's settings: the settle deadline of
/// days they open, the new cursor, and the age below which seen ids are forgotten (the search never returns them again).
/// </summary>
public sealed record ItemsDiscovered(
    ImmutableArray<DiscoveredItem> Items, DateTime SettleUntilUtc, DateTime? CursorUtc, DateTime ForgetSeenBeforeUtc) : IPollerEvent;

/// <summary>A settled solar day was sent to the tiles it touches (one <see cref="ObserveDay"/> each, queued in the outbox).</summary>
public sealed record DayDispatched(DateOnly Day, DateTime AcquiredUtc, ImmutableArray<ItemRef> Items, ImmutableArray<TileKey> Tiles) : IPollerEvent;

/// <summary>The outbox head was stored in the durable reliable-delivery queue, which now owns its delivery.</summary>
public sealed record ObservationHandedOver(TileKey Tile, DateOnly Day) : IPollerEvent;

/// <summary>A solar day waiting for late granules until <see cref="SettleUntilUtc"/>.</summary>
public sealed record PendingDay(DateOnly Day, DateTime AcquiredUtc, ImmutableArray<ItemRef> Items, ImmutableArray<TileKey> Tiles, DateTime SettleUntilUtc);

public sealed record PollerSnapshot(
    DateTime? CursorUtc,
    ImmutableArray<(string Id, DateTime AcquiredUtc)> Seen,
    ImmutableArray<PendingDay> Pending,
    ImmutableArray<(TileKey Tile, DateOnly Day)> LastDispatched,
    ImmutableArray<ObserveDay> Outbox) : IPipelineMessage;
