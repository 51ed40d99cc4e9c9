using System.Collections.Immutable;
using System.Globalization;
using NrtCluster.Actors.State;
using NrtCluster.Geo.Stac;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tiles;

/// <summary>Marker for every type written by <see cref="Serialization.NrtSerializer"/> (bound in hocon/base.conf).</summary>
public interface INrtSerializable;

/// <summary>A message routed to one tile entity by cluster sharding.</summary>
public interface ITileMessage : INrtSerializable
{
    TileId Tile { get; }
}

/// <summary>A STAC item used by an observation: its id and the href of the item document.</summary>
public sealed record ItemRef(string Id, string Href)
{
    /// <summary>
    /// What the tile reads of the item, described where the item was found, so the tile does not fetch the document again;
    /// null (data of older versions, an item whose scaling could not be decided there) makes the tile read the document.
    /// </summary>
    public ItemAssets? Assets { get; init; }
}

// ---- Commands from outside (poller, jobs, operators). They carry references, never pixels:
// remoting frames are limited to 128 000 bytes and a tile's pixels are megabytes.

/// <summary>Fit the tile's model on its history period. <paramref name="Replace"/> refits a fitted tile and restarts monitoring.</summary>
public sealed record FitTile(TileId Tile, DateOnly HistoryStart, DateOnly HistoryEnd, bool Replace = false) : ITileMessage;

/// <summary>Apply one solar day, made of the given items, as a monitoring step.</summary>
/// <param name="FitNumber">
/// The fit the day was queued for. A tile on a later fit (refitted since) drops it, answered <see cref="AckOutcome.Superseded"/>:
/// the refit reset the tile's delivery and its days are sent again from the history end.
/// </param>
public sealed record ObserveDay(TileId Tile, DateOnly Day, DateTime AcquiredUtc, ImmutableArray<ItemRef> Items, int FitNumber = 1) : ITileMessage
{
    /// <summary>
    /// The last day queued for the tile for now (a fast-forward's last day, a poll cycle's): the tile writes its report after
    /// it. Days before it only store the state and send their alert, so a batch writes the report once
    /// (<c>nrtcluster.tiles.report-every-days</c> may ask for more). True in data of older versions.
    /// </summary>
    public bool EndsBatch { get; init; } = true;
}

/// <summary>
/// Set a solar day aside that cannot be applied (its items cannot be loaded: a missing or corrupt file, a 404), so the
/// tile's later days can go on. Recorded in the tile's quarantine list with <paramref name="Reason"/>; the same day sent
/// again later as an <see cref="ObserveDay"/> is still applied while it is newer than the last applied day.
/// </summary>
public sealed record QuarantineDay(TileId Tile, DateOnly Day, DateTime AcquiredUtc, ImmutableArray<ItemRef> Items, string Reason) : ITileMessage;

/// <summary>
/// Rewind the tile to its state before a quarantined day (<paramref name="Day"/>, or its earliest when null), kept since the
/// day was quarantined, so that the next fast-forward applies that day and every later one again, in order (an operator's
/// <c>nrtc requeue</c> once the day's items can be read). Replied with a <see cref="DayAck"/>: <see cref="AckOutcome.Rewound"/>,
/// <see cref="AckOutcome.NotQuarantined"/>, or Failed saying why the tile cannot be rewound.
/// </summary>
public sealed record RequeueDay(TileId Tile, DateOnly? Day) : ITileMessage;

public sealed record GetTileReport(TileId Tile) : ITileMessage;

/// <summary>
/// Write the tile's report again from its persisted state (an operator rebuilding lost outputs): replied with a
/// <see cref="TileReport"/> whose path is null when the tile is not fitted or has no report writer. Emits no alert.
/// </summary>
public sealed record RewriteTileReport(TileId Tile) : ITileMessage;

public sealed record GetTileStatus(TileId Tile) : ITileMessage;

/// <summary>
/// Replace the tile's model and monitoring state with the fitted monitor in <paramref name="Path"/>, a netCDF file written by
/// nrt's <c>to_netcdf</c> (the tile reads it itself: pixels never travel in messages), stored as a new fit over the project's
/// history period, so monitoring continues after <paramref name="HistoryEnd"/>. Replied with a <see cref="FitAck"/>: Fitted, or
/// Failed naming what differs from the project (monitor, options, shape) or why the file cannot be read.
/// </summary>
public sealed record ImportTileState(TileId Tile, string Path, DateOnly HistoryStart, DateOnly HistoryEnd, TileCoordinates Where) : ITileMessage;

/// <summary>Write the tile's fitted monitor to <paramref name="Path"/> as nrt's <c>to_netcdf</c> does; replied with a <see cref="TileStateWritten"/>.</summary>
public sealed record ExportTileState(TileId Tile, string Path, TileCoordinates Where) : ITileMessage;

/// <summary>The answer to <see cref="ExportTileState"/>: the file written, or null with why not in <paramref name="Detail"/>.</summary>
public sealed record TileStateWritten(TileId Tile, int FitNumber, string? Path, string Detail) : INrtSerializable;

/// <summary>
/// Change which pixels of a fitted tile are monitored to follow a new forest mask, without refitting (as nrt's
/// <c>update_mask</c>): the tile reads the raster itself (<paramref name="RasterPath"/> on the tile's grid, forest above
/// <paramref name="Threshold"/> as the fit reads it; a null path: every pixel is forest). Replied with a <see cref="MaskAck"/>.
/// </summary>
public sealed record UpdateMask(TileId Tile, string? RasterPath, double? Threshold) : ITileMessage;

// ---- Replies and alerts.

public enum AckOutcome : byte
{
    Fitted = 1,
    Applied = 2,
    /// <summary>The day was applied before (a redelivery): nothing changed.</summary>
    Repeated = 3,
    /// <summary>The day is older than the last applied day: applying it would break time order, nothing changed.</summary>
    Older = 4,
    NotFitted = 5,
    AlreadyFitted = 6,
    Failed = 7,
    /// <summary>The day was put in the tile's quarantine list (or was there already): nothing else changed.</summary>
    Quarantined = 8,
    // 9 was Gap (a day waiting for an earlier one from another sender); days have one sender now. Kept unused.
    /// <summary>The tile went back to its state before the requeued day: that day and the later ones can be applied again.</summary>
    Rewound = 10,
    /// <summary>A requeue named a day (or a tile) with no quarantined day: nothing changed.</summary>
    NotQuarantined = 11,
    /// <summary>The day was queued for an older fit than the tile's (it was refitted since): dropped, nothing changed.</summary>
    Superseded = 12,
    /// <summary>The tile's forest mask was updated (<see cref="UpdateMask"/>); with no pixel changed, nothing was stored.</summary>
    MaskUpdated = 13,
}

public sealed record FitAck(TileId Tile, int FitNumber, AckOutcome Outcome, string Detail) : INrtSerializable;

public sealed record DayAck(TileId Tile, DateOnly Day, AckOutcome Outcome, string Detail) : INrtSerializable
{
    /// <summary>
    /// Set when the tile tried to write its report for this answer (an applied day, or the last day sent again) and could not,
    /// e.g. "cannot write reports to /out/tiles: no space left on device (0 B free)": the day is stored, its report is missing.
    /// </summary>
    public string? ReportError { get; init; }
}

/// <summary>
/// What a forest mask update did to a tile's pixels (<see cref="ForestMaskUpdate"/>): <paramref name="Left"/> left the forest
/// (mask 0, not monitored), <paramref name="Entered"/> came back with their fit's code (monitored, unless their history was
/// unstable or too short), <paramref name="NotFitted"/> are forest now but were never fitted (they stay out until a refit),
/// <paramref name="BreaksKept"/> are breaks outside the new forest, kept as breaks.
/// </summary>
public sealed record MaskChange(long Left, long Entered, long NotFitted, long BreaksKept)
{
    public bool ChangesNothing => Left == 0 && Entered == 0;

    public override string ToString() =>
        $"{Left} pixels left the forest, {Entered} came back, {NotFitted} forest pixels without a fit stay out (refit to monitor them), " +
        $"{BreaksKept} breaks outside the forest kept";
}

/// <summary>The answer to an <see cref="UpdateMask"/>: MaskUpdated with what changed, NotFitted, or Failed saying why.</summary>
public sealed record MaskAck(TileId Tile, int FitNumber, AckOutcome Outcome, string Detail, MaskChange? Change) : INrtSerializable
{
    /// <summary>Why the report could not be rewritten after the update (as <see cref="DayAck.ReportError"/>); null when it was.</summary>
    public string? ReportError { get; init; }
}

/// <summary>Pixel counts per mask code (<see cref="Kernels.MaskCodes"/>).</summary>
public sealed record MaskTotals(long NotMonitored, long Monitored, long Unstable, long Breaks, long TooFew)
{
    public static MaskTotals Zero { get; } = new(0, 0, 0, 0, 0);
}

/// <summary>One applied solar day: what an operator reads to answer "which dates has this tile seen".</summary>
public sealed record AppliedDay(DateOnly Day, DateTime AcquiredUtc, ImmutableArray<string> ItemIds, long NewBreaks)
{
    /// <summary>Items of <see cref="ItemIds"/> that could not be read for good (a missing or corrupt file): the day was applied without them.</summary>
    public ImmutableArray<LeftOutItem> LeftOut { get; init; } = [];

    /// <summary>Monitored pixels observed on the day, as the haze gate counted them (0 with the gate off, or recorded before it).</summary>
    public long HazeObserved { get; init; }

    /// <summary>Of <see cref="HazeObserved"/>, the pixels the haze gate set aside (their observation left out as haze); 0: the day was not gated.</summary>
    public long HazeSetAside { get; init; }

    /// <summary>"set aside 51,750 of 67,136 observed monitored pixels (77%)" when the haze gate held the day; null otherwise.</summary>
    public string? HazeGateSummary => HazeSetAside == 0 ? null : string.Create(CultureInfo.InvariantCulture,
        $"set aside {HazeSetAside:N0} of {HazeObserved:N0} observed monitored pixels ({100.0 * HazeSetAside / HazeObserved:F0}%)");
}

/// <summary>An item of a solar day left out because it cannot be read (retrying cannot help), and why.</summary>
public sealed record LeftOutItem(string ItemId, string Reason);

/// <summary>A solar day set aside because its items could not be loaded: which items, why and when.</summary>
public sealed record QuarantinedDay(DateOnly Day, ImmutableArray<string> ItemIds, string Reason, DateTime AtUtc)
{
    /// <summary>
    /// The sequence number of the snapshot stored with the quarantine: the tile's state before the day (a quarantine changes
    /// nothing else), kept while the day is listed so <see cref="RequeueDay"/> can go back to it; 0 when not kept (older data).
    /// </summary>
    public long SnapshotSequenceNr { get; init; }
}

/// <summary>What a fit was made from.</summary>
public sealed record FitSummary(DateOnly HistoryStart, DateOnly HistoryEnd, int HistoryDates, int Height, int Width, string Engine);

public sealed record TileReport(TileId Tile, int FitNumber, DateOnly? LastDay, MaskTotals Totals, string? ReportPath) : INrtSerializable
{
    /// <summary>Why a <see cref="RewriteTileReport"/> could not write the report (as <see cref="DayAck.ReportError"/>); null otherwise.</summary>
    public string? ReportError { get; init; }
}

public sealed record TileStatus(
    TileId Tile, int FitNumber, FitSummary? Fit, DateOnly? LastDay, ImmutableArray<AppliedDay> Days, MaskTotals Totals) : INrtSerializable
{
    /// <summary>The days set aside because their items could not be loaded, oldest first.</summary>
    public ImmutableArray<QuarantinedDay> Quarantined { get; init; } = [];

    /// <summary>Why the tile's last report could not be written (<see cref="DayAck.ReportError"/>); null when it was.</summary>
    public string? ReportError { get; init; }

    /// <summary>The day the tile's delivery retries now, when it is sent again and why (<see cref="RetryWindow.Retrying"/>); null when none.</summary>
    public string? Retrying { get; init; }
}

/// <summary>
/// Emitted after every applied day, for the report aggregator: once its report is in place, or without a path when the
/// report waits for the last day of the batch (<see cref="ObserveDay.EndsBatch"/>).
/// </summary>
public sealed record TileAlert(TileId Tile, DateOnly Day, long NewBreaks, MaskTotals Totals, string? ReportPath) : INrtSerializable;

// ---- Persisted types. The fitted model is immutable after a fit and large; it is stored once per fit under its own
// persistence id (TileModel). The monitoring state changes every day; its state of record is the TileSnapshot that is
// stored with the sequence number of the event recording the change, before that event: the journal holds only small
// records of what happened (kept, a log of every fit and applied day) and never refers to a state that is not stored.

public interface ITileEvent : INrtSerializable
{
    TileId Tile { get; }
}

/// <summary>A fit happened. The model is the <see cref="TileModel"/> of the same fit number; the state it starts from is the snapshot of this event's sequence number.</summary>
public sealed record ModelFitted(TileId Tile, int FitNumber, FitSummary Summary) : ITileEvent;

/// <summary>A solar day was applied. The state after it is the snapshot of this event's sequence number.</summary>
public sealed record DayApplied(TileId Tile, AppliedDay Day) : ITileEvent;

/// <summary>A solar day was quarantined. The state with it in the quarantine list is the snapshot of this event's sequence number.</summary>
public sealed record DayQuarantined(TileId Tile, QuarantinedDay Day) : ITileEvent;

/// <summary>
/// The tile went back to the state kept with the quarantine of <paramref name="Day"/> (the snapshot <paramref name="FromSequenceNr"/>);
/// the state it is in now is the snapshot of this event's sequence number.
/// </summary>
public sealed record TileRewound(TileId Tile, DateOnly Day, long FromSequenceNr) : ITileEvent;

/// <summary>
/// The forest mask changed which pixels are monitored (<see cref="UpdateMask"/>), read from <paramref name="Source"/> at
/// <paramref name="AtUtc"/>. The state it made is the snapshot of this event's sequence number; the fit is unchanged.
/// </summary>
public sealed record MaskUpdated(TileId Tile, string Source, MaskChange Change, DateTime AtUtc) : ITileEvent;

/// <summary>The fitted model of one fit (immutable).</summary>
public sealed record TileModel(TileId Tile, int FitNumber, LayerSet Layers) : INrtSerializable;

/// <summary>Everything but the model: the state of record after each fit and applied day.</summary>
public sealed record TileSnapshot(
    TileId Tile, int FitNumber, FitSummary? Fit, LayerSet? Monitoring, ImmutableArray<AppliedDay> Days, MaskTotals Totals) : INrtSerializable
{
    public ImmutableArray<QuarantinedDay> Quarantined { get; init; } = [];
}
