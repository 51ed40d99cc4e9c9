using System.Collections.Immutable;
using NrtCluster.Actors.State;
using NrtCluster.Kernels;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tiles;

/// <summary>
/// Commands the tile state decides on. Unlike the wire messages they carry what the decision needs from outside: the
/// pixels the actor loaded and the monitor engine that fits and steps them.
/// </summary>
public abstract record TileCommand
{
    private TileCommand() { }

    public sealed record Fit(FitTile Request, TileHistory History, IMonitorEngine Engine) : TileCommand;

    /// <param name="LeftOut">Items of the day that could not be read; recorded with the applied day.</param>
    public sealed record Observe(ObserveDay Request, float[] Pixels, IMonitorEngine Engine, ImmutableArray<LeftOutItem> LeftOut = default) : TileCommand;

    /// <param name="NowUtc">When the day is set aside (recorded with it).</param>
    /// <param name="SequenceNr">The sequence number the quarantine's state will be stored with (kept for a requeue).</param>
    public sealed record Quarantine(QuarantineDay Request, DateTime NowUtc, long SequenceNr) : TileCommand;

    /// <param name="Day">The quarantined day to go back before (<see cref="TileState.RequeueTarget"/>).</param>
    /// <param name="Before">The state stored with that day's quarantine, loaded by the actor; null when the store no longer has it.</param>
    public sealed record Rewind(QuarantinedDay Day, TileSnapshot? Before) : TileCommand;

    /// <summary>A fitted monitor read from a file nrt wrote (<see cref="ImportTileState"/>): stored as a new fit.</summary>
    public sealed record Import(ImportTileState Request, FitOutput Output, IMonitorEngine Engine) : TileCommand;

    /// <param name="Forest">The new forest mask on the tile (1 = forest), read by the actor from the request's raster.</param>
    /// <param name="NowUtc">When the mask is updated (recorded with it).</param>
    public sealed record UpdateMask(Tiles.UpdateMask Request, byte[] Forest, DateTime NowUtc) : TileCommand;

    public sealed record Report(string? ReportPath) : TileCommand;

    public sealed record Status : TileCommand;
}

/// <summary>
/// What the tile state decides: the journal's small record (<see cref="Record"/>) together with the computed state that
/// applying it needs (the layers after a fit or a day, the state gone back to), kept in memory only. The actor stores the
/// state after the event as the snapshot of the record's sequence number, then the record; recovery starts from that
/// snapshot, so a record is never applied without the state it carries here.
/// </summary>
public abstract record TileEvent
{
    private TileEvent() { }

    /// <summary>What the journal keeps of the event.</summary>
    public abstract ITileEvent Record { get; }

    /// <param name="Monitoring">The monitoring state the fit starts from.</param>
    /// <param name="Warnings">What the fit warned of (e.g. a screening that removed most observations): replied and logged.</param>
    public sealed record Fitted(ModelFitted Fit, TileModel Model, LayerSet Monitoring, IReadOnlyList<string> Warnings) : TileEvent
    {
        public override ITileEvent Record => Fit;
    }

    /// <param name="Monitoring">The monitoring state after the day.</param>
    public sealed record Applied(DayApplied Step, LayerSet Monitoring) : TileEvent
    {
        public override ITileEvent Record => Step;
    }

    public sealed record Quarantined(DayQuarantined Quarantine) : TileEvent
    {
        public override ITileEvent Record => Quarantine;
    }

    /// <param name="Before">The state kept with the quarantine, gone back to.</param>
    public sealed record Rewound(TileRewound Rewind, TileSnapshot Before) : TileEvent
    {
        public override ITileEvent Record => Rewind;
    }

    /// <param name="Monitoring">The monitoring state with the new mask.</param>
    public sealed record MaskChanged(MaskUpdated Update, LayerSet Monitoring) : TileEvent
    {
        public override ITileEvent Record => Update;
    }
}

/// <summary>
/// What the actor does with a command, derived from the decision: the event to store (a tile command decides at most one,
/// as every change is stored as its own snapshot), the state after it, the reply and, for a fit, the model to store
/// before both.
/// </summary>
public sealed record TileDecision(TileEvent? Event, TileState Next, INrtSerializable Reply)
{
    public static TileDecision Of(TileState state, TileCommand command)
    {
        var events = state.Decide(command);
        var e = events.SingleOrDefault();
        return new TileDecision(e, e is null ? state : state.Apply(e), state.Reply(command, events));
    }

    public TileModel? ModelToStore => (Event as TileEvent.Fitted)?.Model;
}

/// <summary>
/// The state of one tile: which fit it is on, its monitoring state, every applied solar day and the days set aside
/// (quarantined) because their items could not be loaded.
/// Pure: <see cref="Decide"/> says what a command means as events, without side effects, and <see cref="Apply"/> folds an
/// event into the next state; <see cref="Reply"/> answers the command from the state it was decided on and its events.
/// The days are strictly increasing, so a redelivered or older observation can never be applied, and a day queued for an
/// older fit than the tile's is dropped.
/// The state is stored as a <see cref="TileSnapshot"/> after every change and the fitted model once per fit, apart from
/// it, referenced by fit number and attached with <see cref="WithModel"/> after it is loaded.
/// </summary>
public sealed record TileState(
    TileId Tile,
    int FitNumber,
    FitSummary? Fit,
    TileModel? Model,
    LayerSet? Monitoring,
    ImmutableArray<AppliedDay> Days,
    MaskTotals Totals,
    ImmutableArray<QuarantinedDay> Quarantined) : IDecider<TileState, TileCommand, TileEvent>
{
    public const string MaskLayer = "mask";
    public const string DetectionDateLayer = "detection_date";

    /// <summary>
    /// The mask code each pixel had right after the fit (0 not fitted, 1 fitted, 2 unstable, 4 too few observations), kept in
    /// the monitoring state from the first forest mask update on: it says which pixels have a fit and may be monitored again.
    /// Before that update it is not needed: monitoring only turns 1 into 3, so the fit's codes follow from the mask.
    /// </summary>
    public const string FitMaskLayer = "fit_mask";

    public static TileState Empty(TileId tile) =>
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

    /// <summary>
    /// The events a command means: none for a query or a refused change (<see cref="Answer"/>), else the one change.
    /// Fitting and stepping the monitor happen here (with the command's engine), so the events carry their results.
    /// </summary>
    public IReadOnlyList<TileEvent> Decide(TileCommand command) => Answer(command) is not null ? [] : command switch
    {
        TileCommand.Fit fit => [DecideFit(fit)],
        TileCommand.Import import => [DecideImport(import)],
        TileCommand.Observe observe => [DecideObserve(observe)],
        TileCommand.Quarantine q => [new TileEvent.Quarantined(new DayQuarantined(Tile,
            new QuarantinedDay(q.Request.Day, [.. q.Request.Items.Select(i => i.Id)], q.Request.Reason, q.NowUtc) { SnapshotSequenceNr = q.SequenceNr }))],
        TileCommand.Rewind r => [new TileEvent.Rewound(new TileRewound(Tile, r.Day.Day, r.Day.SnapshotSequenceNr), r.Before!)],
        TileCommand.UpdateMask u => [DecideMask(u)],
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "Unknown tile command."),
    };

    public TileState Apply(TileEvent e) => e switch
    {
        TileEvent.Fitted f => this with
        {
            FitNumber = f.Fit.FitNumber,
            Fit = f.Fit.Summary,
            Model = f.Model,
            Monitoring = f.Monitoring,
            Days = [],
            // Monitoring restarts: the old fit's skipped days are sent again by the next fast-forward.
            Quarantined = [],
            Totals = CountMask(f.Monitoring),
        },
        TileEvent.Applied a => this with
        {
            Monitoring = a.Monitoring,
            Days = Days.Add(a.Step.Day),
            Totals = CountMask(a.Monitoring),
            // A quarantined day that loads now (its item was fixed) is applied like any other and leaves the list.
            Quarantined = Quarantined.RemoveAll(q => q.Day == a.Step.Day.Day),
        },
        TileEvent.Quarantined q => this with { Quarantined = [.. Quarantined.Add(q.Quarantine.Day).OrderBy(d => d.Day)] },
        // The state kept with the quarantine (a quarantine changes nothing else), with the days quarantined before it still listed.
        TileEvent.Rewound r => this with
        {
            Monitoring = r.Before.Monitoring,
            Days = r.Before.Days,
            Totals = r.Before.Totals,
            Quarantined = Quarantined.RemoveAll(d => d.Day >= r.Rewind.Day),
        },
        TileEvent.MaskChanged m => this with { Monitoring = m.Monitoring, Totals = CountMask(m.Monitoring) },
        _ => throw new ArgumentOutOfRangeException(nameof(e), e, "Unknown tile event."),
    };

    /// <summary>The reply to <paramref name="command"/>, from this state (the one it was decided on) and the events decided.</summary>
    public INrtSerializable Reply(TileCommand command, IReadOnlyList<TileEvent> events) => events switch
    {
        [] => Answer(command) ?? throw new ArgumentException($"Tile {Tile}: {command.GetType().Name} changes the tile; its reply needs the events decided.", nameof(events)),
        [TileEvent.Fitted { Fit: var f }] when command is TileCommand.Import import =>
            new FitAck(Tile, f.FitNumber, AckOutcome.Fitted,
                $"state imported from {import.Request.Path} ({f.Summary.Height} x {f.Summary.Width} pixels); monitoring continues after {f.Summary.HistoryEnd:yyyy-MM-dd}"),
        [TileEvent.Fitted { Fit: var f } fitted] =>
            new FitAck(Tile, f.FitNumber, AckOutcome.Fitted,
                $"fitted on {f.Summary.HistoryDates} dates, {f.Summary.Height} x {f.Summary.Width} pixels{string.Concat(fitted.Warnings.Select(w => "; warning: " + w))}"),
        [TileEvent.Applied { Step.Day: var day }] => new DayAck(Tile, day.Day, AckOutcome.Applied,
            $"{day.NewBreaks} new breaks" + (day.LeftOut.IsEmpty ? "" : $"; without {string.Join(", ", day.LeftOut.Select(i => i.ItemId))}, which cannot be read")),
        [TileEvent.Quarantined { Quarantine.Day: var q }] => new DayAck(Tile, q.Day, AckOutcome.Quarantined, $"day {q.Day:yyyy-MM-dd} quarantined: {q.Reason}"),
        [TileEvent.Rewound { Rewind.Day: var day, Before.Days: var before }] => new DayAck(Tile, day, AckOutcome.Rewound,
            $"back to its state before {day:yyyy-MM-dd} (last applied {(before.IsEmpty ? "none" : before[^1].Day.ToString("yyyy-MM-dd"))}); " +
            $"{day:yyyy-MM-dd} and the {Days.Count(d => d.Day > day)} day(s) applied after it are to be applied again"),
        [TileEvent.MaskChanged { Update: var u }] => new MaskAck(Tile, FitNumber, AckOutcome.MaskUpdated,
            $"forest mask updated from {u.Source} without a refit (fit {FitNumber}): {u.Change}", u.Change),
        _ => throw new ArgumentException($"Tile {Tile}: a tile command decides at most one event, not {string.Join(", ", events.Select(x => x.GetType().Name))}.", nameof(events)),
    };

    /// <summary>
    /// The reply to a command that changes nothing: a query, or a change refused (a repeated day, a tile not fitted, a
    /// requeue that cannot go back); null when the command changes the tile.
    /// </summary>
    private INrtSerializable? Answer(TileCommand command) => command switch
    {
        TileCommand.Fit fit => RefuseFit(fit.Request),
        // An operator's explicit choice: it replaces a fitted tile as a refit does.
        TileCommand.Import => null,
        TileCommand.Observe observe => RefuseDay(observe.Request),
        TileCommand.Quarantine q => RefuseQuarantine(q.Request),
        TileCommand.Rewind r => RefuseRewind(r),
        TileCommand.UpdateMask u => RefuseMask(u),
        TileCommand.Report report => new TileReport(Tile, FitNumber, LastDay, Totals, report.ReportPath),
        TileCommand.Status => new TileStatus(Tile, FitNumber, Fit, LastDay, Days, Totals) { Quarantined = Quarantined },
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "Unknown tile command."),
    };

    /// <summary>Why a fit would change nothing, as its reply (null when it would fit): checked before the history is loaded.</summary>
    public FitAck? RefuseFit(FitTile request) =>
        IsFitted && !request.Replace
            ? new FitAck(Tile, FitNumber, AckOutcome.AlreadyFitted,
                $"tile {Tile} is already fitted (fit {FitNumber}); send FitTile with Replace = true to refit and restart monitoring")
        : request.HistoryEnd < request.HistoryStart
            ? new FitAck(Tile, FitNumber, AckOutcome.Failed,
                $"history period {request.HistoryStart:yyyy-MM-dd}..{request.HistoryEnd:yyyy-MM-dd} ends before it starts")
        : null;

    /// <summary>Why a mask update would change nothing, as its reply (null when it would): checked before the raster is read.</summary>
    public MaskAck? RefuseMask(UpdateMask request) =>
        IsFitted ? null
            : new MaskAck(Tile, FitNumber, AckOutcome.NotFitted, $"tile {Tile} is not fitted; its fit reads the project's forest mask", null);

    /// <summary>Why a day would not be applied, as its reply (null when it would be): checked before any pixel is loaded.</summary>
    public DayAck? RefuseDay(ObserveDay request) =>
        CheckDay(request.Day, request.FitNumber) is { } refused ? new DayAck(Tile, request.Day, refused, Explain(refused, request.Day, request.FitNumber)) : null;

    private TileEvent.Fitted DecideFit(TileCommand.Fit command)
    {
        var (request, history, engine) = command;
        history.Validate();
        var output = engine.Fit(history);
        CheckMonitoringLayers(output.Monitoring, history.Pixels, engine);
        int next = FitNumber + 1;
        var summary = new FitSummary(request.HistoryStart, request.HistoryEnd, history.Dates.Length, history.Height, history.Width, engine.Description);
        return new TileEvent.Fitted(new ModelFitted(Tile, next, summary), new TileModel(Tile, next, output.Model), output.Monitoring, output.Warnings);
    }

    private TileEvent.Fitted DecideImport(TileCommand.Import command)
    {
        var (request, output, engine) = command;
        int height = request.Where.Height, width = request.Where.Width;
        CheckMonitoringLayers(output.Monitoring, height * width, engine);
        int next = FitNumber + 1;
        // No history dates were read: the fit came from the file, recorded with the engine.
        var summary = new FitSummary(request.HistoryStart, request.HistoryEnd, 0, height, width, $"{engine.Description}, imported from nrt netCDF {request.Path}");
        return new TileEvent.Fitted(new ModelFitted(Tile, next, summary), new TileModel(Tile, next, output.Model), output.Monitoring, []);
    }

    private TileEvent.Applied DecideObserve(TileCommand.Observe command)
    {
        var request = command.Request;
        if (!HasModel)
            throw new InvalidOperationException($"Tile {Tile}: the model of fit {FitNumber} is not loaded; a day cannot be applied without it.");

        var before = Monitoring!;
        int pixels = before[MaskLayer].Length;
        if (command.Pixels.Length != pixels)
            throw new ArgumentException($"Tile {Tile}, day {request.Day:yyyy-MM-dd}: the observation has {command.Pixels.Length} pixels, the tile {pixels}.");

        var (stepped, gate) = command.Engine.Step(Model!.Layers, before, command.Pixels, request.AcquiredUtc);
        var after = KeepFitMask(before, stepped);
        CheckMonitoringLayers(after, pixels, command.Engine);
        long newBreaks = CountNewBreaks(before[MaskLayer].ValuesAs<byte>(), after[MaskLayer].ValuesAs<byte>());
        var day = new AppliedDay(request.Day, request.AcquiredUtc, [.. request.Items.Select(i => i.Id)], newBreaks)
        {
            LeftOut = command.LeftOut.IsDefault ? [] : command.LeftOut,
            HazeObserved = gate.Observed,
            HazeSetAside = gate.SetAside,
        };
        return new TileEvent.Applied(new DayApplied(Tile, day), after);
    }

    /// <summary>The engine's state after a step, with the tile's own <see cref="FitMaskLayer"/> carried over (the engine knows only its own layers).</summary>
    private static LayerSet KeepFitMask(LayerSet before, LayerSet after) =>
        before.Find(FitMaskLayer) is { } fitMask && after.Find(FitMaskLayer) is null ? new LayerSet([.. after, fitMask]) : after;

    private MaskAck? RefuseMask(TileCommand.UpdateMask command)
    {
        if (RefuseMask(command.Request) is { } refused) return refused;
        int pixels = Monitoring![MaskLayer].Length;
        if (command.Forest.Length != pixels)
            return new MaskAck(Tile, FitNumber, AckOutcome.Failed,
                $"the forest mask read for tile {Tile} has {command.Forest.Length} pixels, the tile {pixels}; nothing changed", null);
        var (_, _, change) = ForestMaskUpdate.Apply(Monitoring, command.Forest);
        return change.ChangesNothing
            ? new MaskAck(Tile, FitNumber, AckOutcome.MaskUpdated, $"the forest mask changes no monitored pixel of tile {Tile}: {change}", change)
            : null;
    }

    private TileEvent.MaskChanged DecideMask(TileCommand.UpdateMask command)
    {
        var (mask, fitMask, change) = ForestMaskUpdate.Apply(Monitoring!, command.Forest);
        int h = Monitoring![MaskLayer].Shape[0], w = Monitoring[MaskLayer].Shape[1];
        var layers = Monitoring.Where(l => l.Name is not (MaskLayer or FitMaskLayer))
            .Prepend(Layer.Of(MaskLayer, mask, h, w)).Append(Layer.Of(FitMaskLayer, fitMask, h, w));
        string source = command.Request.RasterPath ?? "every pixel (no forest mask)";
        return new TileEvent.MaskChanged(new MaskUpdated(Tile, source, change, command.NowUtc), new LayerSet(layers));
    }

    /// <summary>
    /// A quarantine sets a day aside without touching the monitoring state or the applied days. A day already applied or
    /// older than the last applied one is acknowledged with that outcome and not recorded (it can no longer hold the tile
    /// back); a day already in the list is acknowledged again unchanged.
    /// </summary>
    private DayAck? RefuseQuarantine(QuarantineDay request) =>
        Quarantined.Any(q => q.Day == request.Day)
            ? new DayAck(Tile, request.Day, AckOutcome.Quarantined, $"day {request.Day:yyyy-MM-dd} is already quarantined")
        : CheckDay(request.Day, FitNumber) is { } refused
            ? new DayAck(Tile, request.Day, refused, $"not quarantined: {Explain(refused, request.Day)}")
        : null;

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
    /// A rewind goes back to the state stored with a quarantine: the day and every later one can then be applied again, in
    /// order; a later day quarantined too is simply sent again. Refused (Failed, nothing changed) when that state is no
    /// longer stored or belongs to another fit.
    /// </summary>
    private DayAck? RefuseRewind(TileCommand.Rewind command)
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
        return refused is null ? null : new DayAck(Tile, q.Day, AckOutcome.Failed, $"cannot requeue: {refused}");
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
        return new MaskTotals(counts[MaskCodes.NotMonitored], counts[MaskCodes.Monitored], counts[MaskCodes.Unstable], counts[MaskCodes.Break],
            counts[MaskCodes.TooFewObservations]);
    }

    private static MaskTotals CountMask(LayerSet monitoring) => CountMask(monitoring[MaskLayer].ValuesAs<byte>());

    private static long CountNewBreaks(ReadOnlySpan<byte> before, ReadOnlySpan<byte> after)
    {
        long n = 0;
        for (int i = 0; i < after.Length; i++)
            if (after[i] == MaskCodes.Break && before[i] != MaskCodes.Break) n++;
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
