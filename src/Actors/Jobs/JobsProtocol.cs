using System.Collections.Immutable;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Jobs;

public enum JobKind : byte
{
    /// <summary>Fit every tile of the area on its history period.</summary>
    Fit = 1,
    /// <summary>Apply every solar day from the end of the history to now to every tile, in time order.</summary>
    FastForward = 2,
}

public enum TileJobStatus : byte
{
    Waiting = 0,
    Running = 1,
    Done = 2,
    Failed = 3,
}

/// <summary>Asks a job actor where it is. Replied with <see cref="JobProgress"/>.</summary>
public sealed record GetJobProgress : IPipelineMessage
{
    public static GetJobProgress Instance { get; } = new();
}

/// <param name="CurrentDay">The solar day being applied (fast-forward) or the last one applied.</param>
/// <param name="Detail">Why the tile failed, or the last acknowledgement's outcome.</param>
/// <param name="DaysQuarantined">Days of <paramref name="DaysDone"/> the tile could not load and set aside (in its quarantine list).</param>
/// <param name="DaysRepeated">Days of <paramref name="DaysDone"/> the tile had applied before (acknowledged as repeats, not applied again).</param>
/// <param name="Retries">Messages sent to the tile again so far (no answer in time, or a day it could not load).</param>
public sealed record TileProgress(
    TileId Tile, TileJobStatus Status, DateOnly? CurrentDay, int DaysDone, int DaysTotal, string? Detail, int DaysQuarantined = 0, int DaysRepeated = 0,
    int Retries = 0)
{
    /// <summary>Days of <see cref="DaysDone"/> this job applied: neither repeats nor quarantined.</summary>
    public int DaysApplied => DaysDone - DaysRepeated - DaysQuarantined;
}

/// <summary>
/// A job's progress: tiles done and failed out of the total, and each tile's status and current date. Sent to the
/// job's subscriber on every change, with <see cref="Finished"/> set on the last one.
/// </summary>
public sealed record JobProgress(
    string JobId, JobKind Kind, int TilesDone, int TilesFailed, int TilesTotal, ImmutableArray<TileProgress> Tiles, bool Finished, string? Error)
    : IPipelineMessage
{
    /// <summary>The oldest solar day a running tile is at: how far the job has come in time.</summary>
    public DateOnly? CurrentDay => Tiles.Where(t => t.Status == TileJobStatus.Running && t.CurrentDay is not null).Min(t => t.CurrentDay);
}
