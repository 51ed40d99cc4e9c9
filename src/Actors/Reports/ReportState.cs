using System.Collections.Immutable;
using NrtCluster.Actors.State;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Reports;

/// <summary>What the report aggregator decides on.</summary>
public abstract record ReportCommand
{
    private ReportCommand() { }

    /// <summary>A tile's alert arrived.</summary>
    public sealed record RecordAlert(TileAlert Alert) : ReportCommand;

    /// <summary>The mosaic at <paramref name="Path"/> was rebuilt over <paramref name="Sources"/>.</summary>
    public sealed record NoteMosaic(string Path, ImmutableArray<string> Sources) : ReportCommand;
}

/// <summary>
/// The report aggregator's state, pure: every (tile, day) alert, each tile's latest report, and the sources of the
/// current mosaic. A tile and day reported twice (a redelivered day, a restarted tile) counts once.
/// </summary>
public sealed record ReportState(
    ImmutableDictionary<(TileId Tile, DateOnly Day), AlertEntry> Entries,
    ImmutableDictionary<TileId, TileStatistics> Tiles,
    string? MosaicPath,
    ImmutableArray<string> MosaicSources) : IDecider<ReportState, ReportCommand, IReportEvent>
{
    public static ReportState Empty { get; } = new(
        ImmutableDictionary<(TileId, DateOnly), AlertEntry>.Empty, ImmutableDictionary<TileId, TileStatistics>.Empty, null, []);

    /// <summary>Every alert is recorded (a repeat replaces the earlier one, see <see cref="Apply"/>), and every rebuilt mosaic.</summary>
    public IReadOnlyList<IReportEvent> Decide(ReportCommand command) => command switch
    {
        ReportCommand.RecordAlert c => [new AlertRecorded(c.Alert)],
        ReportCommand.NoteMosaic c => [new MosaicBuilt(c.Path, c.Sources)],
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "Unknown report command."),
    };

    /// <summary>The tile reports the mosaic must cover, in a stable order (tile row, then column).</summary>
    public ImmutableArray<string> WantedSources =>
    [
        .. Tiles.Values.Where(t => t.ReportPath is not null)
            .OrderBy(t => t.Tile.Row).ThenBy(t => t.Tile.Column)
            .Select(t => t.ReportPath!),
    ];

    /// <summary>The sources to rebuild the mosaic from when the set of tile reports changed; null when it is current.</summary>
    public ImmutableArray<string>? MosaicToBuild
    {
        get
        {
            var wanted = WantedSources;
            if (wanted.IsEmpty) return null;
            return MosaicPath is not null && wanted.SequenceEqual(MosaicSources, StringComparer.Ordinal) ? null : wanted;
        }
    }

    public ReportState Apply(IReportEvent e) => e switch
    {
        AlertRecorded { Alert: var a } => ApplyAlert(a),
        MosaicBuilt m => this with { MosaicPath = m.Path, MosaicSources = m.Sources },
        _ => throw new ArgumentOutOfRangeException(nameof(e), e, "Unknown report event."),
    };

    private ReportState ApplyAlert(TileAlert a)
    {
        var replaced = Entries.GetValueOrDefault((a.Tile, a.Day));
        var entries = Entries.SetItem((a.Tile, a.Day), new AlertEntry(a.Tile, a.Day, a.NewBreaks, a.ReportPath));
        var previous = Tiles.GetValueOrDefault(a.Tile);
        bool latest = previous is null || a.Day >= previous.LastDay;
        var stats = new TileStatistics(
            a.Tile,
            latest ? a.Day : previous!.LastDay,
            (previous?.DaysReported ?? 0) + (replaced is null ? 1 : 0),
            (previous?.NewBreaks ?? 0) - (replaced?.NewBreaks ?? 0) + a.NewBreaks,
            latest ? a.Totals : previous!.Totals,
            latest ? a.ReportPath ?? previous?.ReportPath : previous!.ReportPath);
        return this with { Entries = entries, Tiles = Tiles.SetItem(a.Tile, stats) };
    }

    /// <summary>Alerts with new breaks on days on or after <paramref name="since"/>, oldest day first.</summary>
    public AlertFeed Feed(DateOnly since) => new(since,
    [
        .. Entries.Values.Where(x => x.Day >= since && x.NewBreaks > 0)
            .OrderBy(x => x.Day).ThenBy(x => x.Tile.Row).ThenBy(x => x.Tile.Column),
    ]);

    public AlertStatistics Statistics() => new(
        [
            .. Entries.Values.GroupBy(x => x.Day).OrderBy(g => g.Key)
                .Select(g => new DayStatistics(g.Key, g.Count(), g.Sum(x => x.NewBreaks))),
        ],
        [.. Tiles.Values.OrderBy(t => t.Tile.Row).ThenBy(t => t.Tile.Column)],
        MosaicPath,
        MosaicSources);

    public ReportSnapshot ToSnapshot() => new(
        [.. Tiles.Values.OrderBy(t => t.Tile.Row).ThenBy(t => t.Tile.Column)],
        [.. Entries.Values.OrderBy(x => x.Day).ThenBy(x => x.Tile.Row).ThenBy(x => x.Tile.Column)],
        MosaicPath,
        MosaicSources);

    public static ReportState FromSnapshot(ReportSnapshot s) => new(
        ImmutableDictionary.CreateRange(s.Entries.Select(x => KeyValuePair.Create((x.Tile, x.Day), x))),
        ImmutableDictionary.CreateRange(s.Tiles.Select(t => KeyValuePair.Create(t.Tile, t))),
        s.MosaicPath,
        s.MosaicSources);
}
