using System.Collections.Immutable;
using NrtCluster.Actors.State;

namespace NrtCluster.Actors.Tiles;

/// <summary>Commands the tile state decides on. Unlike the wire messages they carry the pixels, loaded by the actor.</summary>
public abstract record TileCommand
{
    private TileCommand() { }

    public sealed record Fit(FitTile Request, HistoryStack History) : TileCommand;

    /// <param name="LeftOut">Items of the day that could not be read; recorded with the applied day.</param>
    public sealed record Observe(ObserveDay Request, float[] Pixels, ImmutableArray<LeftOutItem> LeftOut = default) : TileCommand;

    /// <param name="NowUtc">When the day is set aside (recorded with it).</param>
    /// <param name="SequenceNr">The sequence number the quarantine's state will be stored with (kept for a requeue).</param>
    public sealed record Quarantine(QuarantineDay Request, DateTime NowUtc, long SequenceNr) : TileCommand;

    /// <param name="Day">The quarantined day to go back before (<see cref="TileState.RequeueTarget"/>).</param>
    /// <param name="Before">The state stored with that day's quarantine, loaded by the actor; null when the store no longer has it.</param>
    public sealed record Rewind(QuarantinedDay Day, TileSnapshot? Before) : TileCommand;

    public sealed record Report(string? ReportPath) : TileCommand;

    public sealed record Status : TileCommand;
}

/// <summary>
/// What a command leads to: the reply and, when the command changes the tile, the event recording the change, the state
/// after it (stored first, as the snapshot of the event's sequence number) and, for a fit, the model to store before both.
/// </summary>
public sealed record TileDecision(INrtSerializable Reply, ITileEvent? Event = null, TileState? Next = null, TileModel? ModelToStore = null)
{
    public static TileDecision ReplyOnly(INrtSerializable reply) => new(reply);
}

/// <summary>
/// The state of one tile: which fit it is on, its monitoring state, every applied solar day and the days set aside
/// (quarantined) because their items could not be loaded.
/// Pure: <see cref="Decide"/> computes the next state, and the event recording it, from a command, without side effects;
/// the days are strictly increasing, so a redelivered or older observation can never be applied, and a day queued for an
/// older fit than the tile's is dropped.
/// The state is stored as a <see cref="TileSnapshot"/> after every change and the fitted model once per fit, apart from
/// it, referenced by fit number and attached with <see cref="WithModel"/> after it is loaded.
/// </summary>
public sealed record TileState(
    TileKey Tile,
    int FitNumber,
    FitSummary? Fit,
    TileModel? Model,
    LayerSet? Monitoring,
    ImmutableArray<AppliedDay> Days,
    MaskTotals Totals,
    ImmutableArray<QuarantinedDay> Quarantined)
{
    public const string MaskLayer = "mask";
    public const string DetectionDateLayer = "detection_date";

    public static TileState Empty(TileKey tile) =>
        new(tile, 0, null, null, null, ImmutableArray<AppliedDay>.Empty, MaskTotals.Zero, ImmutableArray<QuarantinedDay>.Empty);

    public bool IsFitted => FitNumber > 0;

    /// <summary>True when the model of the current fit is attached (it must be, before a day can be decided).</summary>
    public bool HasModel => Model is not null && Model.FitNumber == FitNumber;

    public DateOnly? LastDay => Days.IsEmpty ? null : Days[^1].Day;

    /// <summary>Why a day would not be applied (null when it would be): checked before any pixel is loaded.</summary>
    /// <param name="fitNumber">The fit the day was queued for (<see cref="ObserveDay.FitNumber"/>).</param>
    public AckOutcome? CheckDay(DateOnly day, int fitNumber = 1)
    {
        if (!IsFitted) return AckOutcome.NotFitted;
        if (fitNumber < FitNumber) return AckOutcome.Superseded;
        if (LastDay is not { } last) return null;
        if (day == last) return AckOutcome.Repeated;
        if (day < last)
            return Days.Any(d => d.Day == day) ? AckOutcome.Repeated
                // Set aside before: answered as such, so a repeated fast-forward does not take the hole for a lost day.
                : Quarantined.Any(q => q.Day == day) ? AckOutcome.Quarantined
                : AckOutcome.Older;
        return null;
    }

    public TileDecision Decide(TileCommand command, IMonitorEngine engine) => command switch
    {
        TileCommand.Fit fit => DecideFit(fit, engine),
        TileCommand.Observe observe => DecideObserve(observe, engine),
        TileCommand.Report report => TileDecision.ReplyOnly(new TileReport(Tile, FitNumber, LastDay, Totals, report.ReportPath)),
        TileCommand.Quarantine quarantine => DecideQuarantine(quarantine),
        TileCommand.Rewind rewind => DecideRewind(rewind),
        TileCommand.Status => TileDecision.ReplyOnly(new TileStatus(Tile, FitNumber, Fit, LastDay, Days, Totals) { Quarantined = Quarantined }),
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "Unknown tile command."),
    };

    private TileDecision DecideFit(TileCommand.Fit command, IMonitorEngine engine)
    {
        var request = command.Request;
        if (IsFitted && !request.Replace)
            return TileDecision.ReplyOnly(new FitAck(Tile, FitNumber, AckOutcome.AlreadyFitted,
                $"tile {Tile} is already fitted (fit {FitNumber}); send FitTile with Replace = true to refit and restart monitoring"));
        if (request.HistoryEnd < request.HistoryStart)
            return TileDecision.ReplyOnly(new FitAck(Tile, FitNumber, AckOutcome.Failed,
                $"history period {request.HistoryStart:yyyy-MM-dd}..{request.HistoryEnd:yyyy-MM-dd} ends before it starts"));

        var history = command.History;
        history.Validate();
        var output = engine.Fit(history);
        CheckMonitoringLayers(output.Monitoring, history.Pixels, engine);

        int next = FitNumber + 1;
        var summary = new FitSummary(request.HistoryStart, request.HistoryEnd, history.Dates.Length, history.Height, history.Width, engine.Description);
        var model = new TileModel(Tile, next, output.Model);
        return new TileDecision(
            new FitAck(Tile, next, AckOutcome.Fitted, $"fitted on {history.Dates.Length} dates, {history.Height} x {history.Width} pixels"),
            new ModelFitted(Tile, next, summary),
            this with
            {
                FitNumber = next,
                Fit = summary,
                Model = model,
                Monitoring = output.Monitoring,
                Days = ImmutableArray<AppliedDay>.Empty,
                // Monitoring restarts: the old fit's skipped days are sent again by the next fast-forward.
                Quarantined = ImmutableArray<QuarantinedDay>.Empty,
                Totals = CountMask(output.Monitoring[MaskLayer].ValuesAs<byte>()),
            },
            model);
    }

    private TileDecision DecideObserve(TileCommand.Observe command, IMonitorEngine engine)
    {
        var request = command.Request;
        if (CheckDay(request.Day, request.FitNumber) is { } refused)
            return TileDecision.ReplyOnly(new DayAck(Tile, request.Day, refused, Explain(refused, request.Day, request.FitNumber)));
        if (!HasModel)
            throw new InvalidOperationException($"Tile {Tile}: the model of fit {FitNumber} is not loaded; a day cannot be applied without it.");

        var before = Monitoring!;
        int pixels = before[MaskLayer].Length;
        if (command.Pixels.Length != pixels)
            throw new ArgumentException($"Tile {Tile}, day {request.Day:yyyy-MM-dd}: the observation has {command.Pixels.Length} pixels, the tile {pixels}.");

        var after = engine.Step(Model!.Layers, before, command.Pixels, request.AcquiredUtc);
        CheckMonitoringLayers(after, pixels, engine);
        long newBreaks = CountNewBreaks(before[MaskLayer].ValuesAs<byte>(), after[MaskLayer].ValuesAs<byte>());
        var day = new AppliedDay(request.Day, request.AcquiredUtc, [.. request.Items.Select(i => i.Id)], newBreaks)
        {
            LeftOut = command.LeftOut.IsDefault ? [] : command.LeftOut,
        };
        var leftOut = day.LeftOut.IsEmpty ? "" : $"; without {string.Join(", ", day.LeftOut.Select(i => i.ItemId))}, which cannot be read";
        return new TileDecision(
            new DayAck(Tile, request.Day, AckOutcome.Applied, $"{newBreaks} new breaks{leftOut}"),
            new DayApplied(Tile, day),
            this with
            {
                Monitoring = after,
                Days = Days.Add(day),
                Totals = CountMask(after[MaskLayer].ValuesAs<byte>()),
                // A quarantined day that loads now (its item was fixed) is applied like any other and leaves the list.
                Quarantined = Quarantined.RemoveAll(q => q.Day == request.Day),
            });
    }

    /// <summary>
    /// Sets a day aside without touching the monitoring state or the applied days. A day already applied or older than
    /// the last applied one is acknowledged with that outcome and not recorded (it can no longer hold the tile back);
    /// a day already in the list is acknowledged again unchanged.
    /// </summary>
    private TileDecision DecideQuarantine(TileCommand.Quarantine command)
    {
        var request = command.Request;
        if (Quarantined.Any(q => q.Day == request.Day))
            return TileDecision.ReplyOnly(new DayAck(Tile, request.Day, AckOutcome.Quarantined, $"day {request.Day:yyyy-MM-dd} is already quarantined"));
        if (CheckDay(request.Day, FitNumber) is { } refused)
            return TileDecision.ReplyOnly(new DayAck(Tile, request.Day, refused, $"not quarantined: {Explain(refused, request.Day)}"));
        var day = new QuarantinedDay(request.Day, [.. request.Items.Select(i => i.Id)], request.Reason, command.NowUtc)
        {
            SnapshotSequenceNr = command.SequenceNr,
        };
        return new TileDecision(
            new DayAck(Tile, request.Day, AckOutcome.Quarantined, $"day {request.Day:yyyy-MM-dd} quarantined: {request.Reason}"),
            new DayQuarantined(Tile, day),
            this with { Quarantined = [.. Quarantined.Add(day).OrderBy(q => q.Day)] });
    }

    /// <summary>
    /// The quarantined day a <see cref="RequeueDay"/> goes back before (the named one, or the earliest), or the reply
    /// refusing it: the tile is not fitted, has no quarantined day, or not that one.
    /// </summary>
    public (QuarantinedDay? Day, DayAck? Refused) RequeueTarget(RequeueDay request)
    {
        var target = request.Day is { } d ? Quarantined.FirstOrDefault(q => q.Day == d) : Quarantined.FirstOrDefault();
        if (target is not null) return (target, null);
        var day = request.Day ?? LastDay ?? default;
        string detail = !IsFitted ? $"tile {Tile} is not fitted; nothing to requeue"
            : Quarantined.IsEmpty ? $"tile {Tile} has no quarantined day; nothing to requeue"
            : $"day {request.Day:yyyy-MM-dd} is not quarantined on tile {Tile} (quarantined: {string.Join(", ", Quarantined.Select(q => q.Day.ToString("yyyy-MM-dd")))})";
        return (null, new DayAck(Tile, day, AckOutcome.NotQuarantined, detail));
    }

    /// <summary>
    /// Goes back to the state stored with a quarantine: the monitoring state, applied days and totals before the day (a
    /// quarantine changes nothing else), with the days quarantined before it still listed. The day and every later one can
    /// then be applied again, in order; a later day quarantined too is simply sent again. Refused (Failed, nothing changed)
    /// when that state is no longer stored or belongs to another fit.
    /// </summary>
    private TileDecision DecideRewind(TileCommand.Rewind command)
    {
        var q = command.Day;
        string? refused = command.Before switch
        {
            _ when !Quarantined.Any(x => x.Day == q.Day && x.SnapshotSequenceNr == q.SnapshotSequenceNr) => $"day {q.Day:yyyy-MM-dd} is not quarantined on tile {Tile}",
            null => $"the state of tile {Tile} before {q.Day:yyyy-MM-dd} was not kept (quarantined before this version, or its snapshot " +
                "was deleted); refit the tile (fit --replace) and fast-forward to include the day",
            { FitNumber: var fit } when fit != FitNumber => $"the state kept before {q.Day:yyyy-MM-dd} belongs to fit {fit}, the tile is on fit {FitNumber}",
            { Days: var days } when !days.IsEmpty && days[^1].Day >= q.Day =>
                $"the state kept before {q.Day:yyyy-MM-dd} has applied {days[^1].Day:yyyy-MM-dd} already; it is not the state before the day",
            _ => null,
        };
        if (refused is not null)
            return TileDecision.ReplyOnly(new DayAck(Tile, q.Day, AckOutcome.Failed, $"cannot requeue: {refused}"));

        var before = command.Before!;
        int again = Days.Count(d => d.Day > q.Day);
        var last = before.Days.IsEmpty ? "none" : before.Days[^1].Day.ToString("yyyy-MM-dd");
        return new TileDecision(
            new DayAck(Tile, q.Day, AckOutcome.Rewound,
                $"back to its state before {q.Day:yyyy-MM-dd} (last applied {last}); {q.Day:yyyy-MM-dd} and the {again} day(s) applied after it are to be applied again"),
            new TileRewound(Tile, q.Day, q.SnapshotSequenceNr),
            this with
            {
                Monitoring = before.Monitoring,
                Days = before.Days,
                Totals = before.Totals,
                Quarantined = Quarantined.RemoveAll(d => d.Day >= q.Day),
            });
    }

    /// <summary>Attaches the model of the current fit (loaded from the model store, or just fitted).</summary>
    public TileState WithModel(TileModel model)
    {
        if (model.Tile != Tile) throw new ArgumentException($"Model of tile {model.Tile} given to tile {Tile}.");
        if (model.FitNumber != FitNumber)
            throw new ArgumentException($"Tile {Tile}: model of fit {model.FitNumber} given, the tile is on fit {FitNumber}.");
        return this with { Model = model };
    }

    public TileSnapshot ToSnapshot() => new(Tile, FitNumber, Fit, Monitoring, Days, Totals) { Quarantined = Quarantined };

    public static TileState FromSnapshot(TileSnapshot s) => new(s.Tile, s.FitNumber, s.Fit, null, s.Monitoring, s.Days, s.Totals, s.Quarantined);

    public static MaskTotals CountMask(ReadOnlySpan<byte> mask)
    {
        Span<long> counts = stackalloc long[256];
        foreach (var m in mask) counts[m]++;
        return new MaskTotals(counts[0], counts[1], counts[2], counts[3], counts[4]);
    }

    private static long CountNewBreaks(ReadOnlySpan<byte> before, ReadOnlySpan<byte> after)
    {
        long n = 0;
        for (int i = 0; i < after.Length; i++)
            if (after[i] == 3 && before[i] != 3) n++;
        return n;
    }

    private void CheckMonitoringLayers(LayerSet monitoring, int pixels, IMonitorEngine engine)
    {
        foreach (var (name, type) in new[] { (MaskLayer, LayerType.UInt8), (DetectionDateLayer, LayerType.UInt16) })
        {
            var layer = monitoring.Find(name);
            if (layer is null || layer.Type != type || layer.Length != pixels)
                throw new InvalidOperationException(
                    $"Tile {Tile}: monitor '{engine.Description}' must keep a '{name}' layer of {pixels} {type} values in its monitoring state; it has {layer?.ToString() ?? "none"}.");
        }
    }

    private string Explain(AckOutcome outcome, DateOnly day, int fitNumber = 1) => outcome switch
    {
        AckOutcome.Superseded =>
            $"day {day:yyyy-MM-dd} was queued for fit {fitNumber}, the tile is on fit {FitNumber}; dropped (the fast-forward after the refit sends it again)",
        AckOutcome.NotFitted => $"tile {Tile} is not fitted yet; fit it before sending days",
        AckOutcome.Repeated => $"day {day:yyyy-MM-dd} was already applied; ignored",
        AckOutcome.Older => $"day {day:yyyy-MM-dd} is older than the last applied day {LastDay:yyyy-MM-dd}; ignored to keep time order",
        AckOutcome.Quarantined =>
            $"day {day:yyyy-MM-dd} is quarantined ({Quarantined.First(q => q.Day == day).Reason}) and older than the last applied day {LastDay:yyyy-MM-dd}; " +
            "once its items can be read, 'nrtc requeue' applies it and the days after it again",
        _ => outcome.ToString(),
    };
}
