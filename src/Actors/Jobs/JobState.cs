using System.Collections.Immutable;
using NrtCluster.Actors.Tiles;

namespace NrtCluster.Actors.Jobs;

/// <summary>What happened to one tile of a job.</summary>
public abstract record JobEvent(TileKey Tile)
{
    public sealed record TileStarted(TileKey Tile) : JobEvent(Tile);

    /// <summary>The tile acknowledged a day (applied, repeated or older: all leave it at or past that day).</summary>
    public sealed record DayDone(TileKey Tile, DateOnly Day, AckOutcome Outcome) : JobEvent(Tile);

    /// <summary>The tile could not load the day (after the job's attempts) and set it aside; it counts as done.</summary>
    public sealed record DayQuarantined(TileKey Tile, DateOnly Day, string Reason) : JobEvent(Tile);

    /// <summary>The tile did not answer; its current message is sent again.</summary>
    public sealed record Retrying(TileKey Tile, string Detail) : JobEvent(Tile);

    public sealed record TileDone(TileKey Tile, string Detail) : JobEvent(Tile);

    public sealed record TileFailed(TileKey Tile, string Detail) : JobEvent(Tile);
}

/// <summary>
/// A job's progress, pure: each tile's status, days done of its total (applied, repeated and quarantined apart), retries and
/// the day it is at.
/// </summary>
public sealed record JobState(string JobId, JobKind Kind, ImmutableSortedDictionary<TileKey, TileProgress> Tiles, string? Error)
{
    /// <param name="daysPerTile">Every tile of the job with its number of days to apply (0 for a fit).</param>
    public static JobState Start(string jobId, JobKind kind, IEnumerable<KeyValuePair<TileKey, int>> daysPerTile) => new(
        jobId,
        kind,
        ImmutableSortedDictionary.CreateRange(
            Comparer<TileKey>.Create((a, b) => a.Row != b.Row ? a.Row.CompareTo(b.Row) : a.Column.CompareTo(b.Column)),
            daysPerTile.Select(kv => KeyValuePair.Create(kv.Key, new TileProgress(kv.Key, TileJobStatus.Waiting, null, 0, kv.Value, null)))),
        null);

    public int Done => Tiles.Values.Count(t => t.Status == TileJobStatus.Done);
    public int Failed => Tiles.Values.Count(t => t.Status == TileJobStatus.Failed);
    public bool Finished => Error is not null || Tiles.Values.All(t => t.Status is TileJobStatus.Done or TileJobStatus.Failed);

    public JobState Apply(JobEvent e)
    {
        var t = Tiles.TryGetValue(e.Tile, out var found)
            ? found
            : throw new ArgumentException($"Tile {e.Tile} is not part of job {JobId}.", nameof(e));
        var next = e switch
        {
            JobEvent.TileStarted => t with { Status = TileJobStatus.Running },
            JobEvent.DayDone d => t with
            {
                CurrentDay = d.Day, DaysDone = t.DaysDone + 1, DaysRepeated = t.DaysRepeated + (d.Outcome == AckOutcome.Repeated ? 1 : 0),
                Detail = d.Outcome.ToString(),
            },
            JobEvent.DayQuarantined q => t with
            {
                CurrentDay = q.Day, DaysDone = t.DaysDone + 1, DaysQuarantined = t.DaysQuarantined + 1, Detail = $"{q.Day:yyyy-MM-dd} quarantined: {q.Reason}",
            },
            JobEvent.Retrying r => t with { Detail = r.Detail, Retries = t.Retries + 1 },
            JobEvent.TileDone d => t with { Status = TileJobStatus.Done, Detail = d.Detail },
            JobEvent.TileFailed f => t with { Status = TileJobStatus.Failed, Detail = f.Detail },
            _ => throw new ArgumentOutOfRangeException(nameof(e), e, "Unknown job event."),
        };
        return this with { Tiles = Tiles.SetItem(e.Tile, next) };
    }

    /// <summary>The job could not run at all (e.g. the archive search for a fast-forward failed).</summary>
    public JobState Fail(string error) => this with { Error = error };

    public JobProgress Progress() => new(JobId, Kind, Done, Failed, Tiles.Count, [.. Tiles.Values], Finished, Error);
}
