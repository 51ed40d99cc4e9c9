using System.Collections.Immutable;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.State;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Jobs;

/// <summary>What happened in a job.</summary>
public abstract record JobEvent
{
    /// <summary>What happened to one tile of the job.</summary>
    public abstract record OfTile(TileId Tile) : JobEvent;

    public sealed record TileStarted(TileId Tile) : OfTile(Tile);

    /// <summary>
    /// A fast-forward read the tile before asking for its days: the fit it is on and the days it had applied (counted as
    /// repeats when the job finds them applied).
    /// </summary>
    public sealed record PositionRead(TileId Tile, int FitNumber, ImmutableArray<DateOnly> AppliedBefore) : OfTile(Tile);

    /// <summary>The poller queued (or had sent before) these days of the job's range for the tile: what the tile is waited for.</summary>
    public sealed record DaysPlanned(TileId Tile, ImmutableArray<DateOnly> Days) : OfTile(Tile);

    /// <summary>
    /// A day is behind the tile: applied (by this job: Applied; before it: Repeated), or passed (Older: the tile moved past
    /// it, e.g. a later day was applied first; it will not be applied any more).
    /// </summary>
    public sealed record DayDone(TileId Tile, DateOnly Day, AckOutcome Outcome) : OfTile(Tile);

    /// <summary>The tile could not load the day (after the delivery's retries) and set it aside; it counts as done.</summary>
    public sealed record DayQuarantined(TileId Tile, DateOnly Day, string Reason) : OfTile(Tile);

    /// <summary>The tile did not answer; its current message is sent again (fits), or it is asked again (status).</summary>
    public sealed record Retrying(TileId Tile, string Detail) : OfTile(Tile);

    public sealed record TileDone(TileId Tile, string Detail) : OfTile(Tile);

    public sealed record TileFailed(TileId Tile, string Detail) : OfTile(Tile);

    /// <summary>The job could not run at all (e.g. the archive search for a fast-forward failed).</summary>
    public sealed record JobFailed(string Error) : JobEvent;
}

/// <summary>What a job actor asks its state to decide; each carries what the decision needs from outside.</summary>
public abstract record JobCommand
{
    /// <summary>A tile takes one of the job's places.</summary>
    public sealed record Start(TileId Tile) : JobCommand;

    /// <summary>A tile answered its fit.</summary>
    public sealed record FitAnswered(TileId Tile, object Reply) : JobCommand;

    /// <summary>A tile did not answer its <paramref name="Sent"/>th send (fit) or status read; <paramref name="MaxAttempts"/> sends at most.</summary>
    public sealed record Unanswered(TileId Tile, string Reason, int Sent, int MaxAttempts) : JobCommand;

    /// <summary>A fast-forward read a tile's status: before the backfill its position, afterwards how far it has come.</summary>
    public sealed record StatusRead(TileStatus Status) : JobCommand;

    /// <summary>The poller answered the fast-forward's <see cref="Backfill"/>.</summary>
    public sealed record Planned(BackfillQueued Queued) : JobCommand;

    public sealed record Fail(string Error) : JobCommand;
}

/// <summary>A fast-forward's view of one tile: the fit it read, the days applied before, the days planned and those behind it.</summary>
public sealed record TilePlan(int FitNumber, ImmutableHashSet<DateOnly> AppliedBefore, ImmutableArray<DateOnly>? Days, ImmutableHashSet<DateOnly> Done);

/// <summary>
/// A job's progress, pure: each tile's status, days done of its total (applied, repeated and quarantined apart), retries and
/// the day it is at. Decides what tiles' answers (fits) and statuses (fast-forwards) mean. A fast-forward tile is done once
/// each planned day is behind it: applied, quarantined, or passed (the tile applied a later day; a day it skipped so is
/// not applied any more, and counts as done, as nothing more can happen to it).
/// </summary>
public sealed record JobState(string JobId, JobKind Kind, ImmutableSortedDictionary<TileId, TileProgress> Tiles, string? Error)
    : IDecider<JobState, JobCommand, JobEvent>
{
    /// <param name="daysPerTile">Every tile of the job with its number of days to apply (0 for a fit, or until planned).</param>
    public static JobState Start(string jobId, JobKind kind, IEnumerable<KeyValuePair<TileId, int>> daysPerTile) => new(
        jobId,
        kind,
        ImmutableSortedDictionary.CreateRange(
            Comparer<TileId>.Create((a, b) => a.Row != b.Row ? a.Row.CompareTo(b.Row) : a.Column.CompareTo(b.Column)),
            daysPerTile.Select(kv => KeyValuePair.Create(kv.Key, new TileProgress(kv.Key, TileJobStatus.Waiting, null, 0, kv.Value, null)))),
        null);

    /// <summary>A fast-forward's tiles as read and planned.</summary>
    public ImmutableDictionary<TileId, TilePlan> Plans { get; init; } = ImmutableDictionary<TileId, TilePlan>.Empty;

    public int Done => Tiles.Values.Count(t => t.Status == TileJobStatus.Done);
    public int Failed => Tiles.Values.Count(t => t.Status == TileJobStatus.Failed);
    public bool Finished => Error is not null || Tiles.Values.All(t => t.Status is TileJobStatus.Done or TileJobStatus.Failed);

    /// <summary>True once every tile still running was read, so the backfill can be asked for.</summary>
    public bool PositionsRead => Tiles.Values.Where(t => t.Status == TileJobStatus.Running).All(t => Plans.ContainsKey(t.Tile));

    /// <summary>True once the poller answered the backfill.</summary>
    public bool IsPlanned => Plans.Values.Any(p => p.Days is not null) || Finished;

    public IReadOnlyList<JobEvent> Decide(JobCommand command) => command switch
    {
        _ when Finished => [],
        JobCommand.Start s => Tiles[s.Tile].Status == TileJobStatus.Waiting ? [new JobEvent.TileStarted(s.Tile)] : [],
        JobCommand.FitAnswered a => DecideFit(a.Tile, a.Reply),
        JobCommand.Unanswered u when u.Sent >= u.MaxAttempts => [new JobEvent.TileFailed(u.Tile, $"{u.Reason}, after {u.Sent} attempts")],
        JobCommand.Unanswered u => [new JobEvent.Retrying(u.Tile, $"attempt {u.Sent + 1} of {u.MaxAttempts} after: {u.Reason}")],
        JobCommand.StatusRead s when Tiles[s.Status.Tile].Status != TileJobStatus.Running => [],
        JobCommand.StatusRead s when !Plans.ContainsKey(s.Status.Tile) => DecidePosition(s.Status),
        JobCommand.StatusRead s => DecideStatus(s.Status),
        JobCommand.Planned p when p.Queued.Error is { } error => [new JobEvent.JobFailed(error)],
        JobCommand.Planned p => DecidePlanned(p.Queued),
        JobCommand.Fail f => [new JobEvent.JobFailed(f.Error)],
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "Unknown job command."),
    };

    private static IReadOnlyList<JobEvent> DecideFit(TileId tile, object reply) => reply switch
    {
        FitAck { Outcome: AckOutcome.Fitted or AckOutcome.AlreadyFitted } ack => [new JobEvent.TileDone(tile, $"{ack.Outcome} (fit {ack.FitNumber})")],
        FitAck ack => [new JobEvent.TileFailed(tile, $"{ack.Outcome}: {ack.Detail}")],
        _ => [new JobEvent.TileFailed(tile, $"unexpected answer {reply.GetType().Name}")],
    };

    private static IReadOnlyList<JobEvent> DecidePosition(TileStatus status) => status.FitNumber == 0
        ? [new JobEvent.TileFailed(status.Tile, $"tile {status.Tile} is not fitted yet; fit it (nrtc fit) before fast-forwarding")]
        : [new JobEvent.PositionRead(status.Tile, status.FitNumber, [.. status.Days.Select(d => d.Day)])];

    private IReadOnlyList<JobEvent> DecidePlanned(BackfillQueued queued)
    {
        var days = queued.Days.ToDictionary(d => d.Tile, d => d.Days);
        var events = new List<JobEvent>();
        foreach (var tile in Plans.Keys.Where(t => Tiles[t].Status == TileJobStatus.Running).OrderBy(t => t.Row).ThenBy(t => t.Column))
        {
            var planned = days.GetValueOrDefault(tile, []);
            events.Add(new JobEvent.DaysPlanned(tile, planned));
            if (planned.IsEmpty) events.Add(new JobEvent.TileDone(tile, "no new days"));
        }
        return events;
    }

    /// <summary>The planned days the status shows behind the tile since the last read, and the tile's end once none is left.</summary>
    private IReadOnlyList<JobEvent> DecideStatus(TileStatus status)
    {
        var tile = status.Tile;
        var plan = Plans[tile];
        if (plan.Days is not { } days) return [];
        var applied = status.Days.Select(d => d.Day).ToHashSet();
        var quarantined = status.Quarantined.ToDictionary(q => q.Day);
        var events = new List<JobEvent>();
        foreach (var day in days.Where(d => !plan.Done.Contains(d)))
        {
            if (applied.Contains(day))
                events.Add(new JobEvent.DayDone(tile, day, plan.AppliedBefore.Contains(day) ? AckOutcome.Repeated : AckOutcome.Applied));
            else if (quarantined.TryGetValue(day, out var q))
                events.Add(new JobEvent.DayQuarantined(tile, day, q.Reason));
            else if (status.LastDay is { } last && last > day)
                events.Add(new JobEvent.DayDone(tile, day, AckOutcome.Older));
        }
        if (status.ReportError is { } reportError)
        {
            // The day is stored but its report is missing, and the next days' would fail alike: the delivery holds the day and
            // writes the report once it can; the tile is failed so the operator hears of it now.
            events.Add(new JobEvent.TileFailed(tile, $"{reportError}; the days applied are stored: make room (or make the folder writable) and run " +
                "the same command again to write the missing reports"));
            return events;
        }
        int done = plan.Done.Count + events.Count;
        // The delivery retries a day the tile could not load: shown once per attempt, as the tile's status tells it.
        if (done < days.Length && status.Retrying is { } retrying && retrying != Tiles[tile].Detail)
            events.Add(new JobEvent.Retrying(tile, retrying));
        if (done == days.Length)
        {
            int inQuarantine = days.Count(quarantined.ContainsKey);
            events.Add(new JobEvent.TileDone(tile, inQuarantine == 0
                ? $"at {days[^1]:yyyy-MM-dd}"
                : $"at {days[^1]:yyyy-MM-dd}, {inQuarantine} day(s) quarantined (see the tile's status)"));
        }
        return events;
    }

    public JobState Apply(JobEvent e)
    {
        if (e is JobEvent.JobFailed failed) return this with { Error = failed.Error };
        var tile = ((JobEvent.OfTile)e).Tile;
        var t = Tiles.TryGetValue(tile, out var found)
            ? found
            : throw new ArgumentException($"Tile {tile} is not part of job {JobId}.", nameof(e));
        var plan = Plans.GetValueOrDefault(tile);
        var next = e switch
        {
            JobEvent.TileStarted => t with { Status = TileJobStatus.Running },
            JobEvent.PositionRead => t,
            JobEvent.DaysPlanned p => t with { DaysTotal = p.Days.Length },
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
        var plans = e switch
        {
            JobEvent.PositionRead r => Plans.SetItem(tile, new TilePlan(r.FitNumber, [.. r.AppliedBefore], null, [])),
            JobEvent.DaysPlanned p when plan is not null => Plans.SetItem(tile, plan with { Days = p.Days }),
            JobEvent.DayDone d when plan is not null => Plans.SetItem(tile, plan with { Done = plan.Done.Add(d.Day) }),
            JobEvent.DayQuarantined q when plan is not null => Plans.SetItem(tile, plan with { Done = plan.Done.Add(q.Day) }),
            _ => Plans,
        };
        return this with { Tiles = Tiles.SetItem(tile, next), Plans = plans };
    }

    public JobProgress Progress() => new(JobId, Kind, Done, Failed, Tiles.Count, [.. Tiles.Values], Finished, Error);
}
