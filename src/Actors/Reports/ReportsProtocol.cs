using System.Collections.Immutable;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Reports;

// The aggregator consumes the tiles' TileAlert (Tiles/TileProtocol.cs) and persists it as its own event.

/// <summary>New breaks reported for days on or after <paramref name="Since"/>, oldest first. Replied with <see cref="AlertFeed"/>.</summary>
public sealed record GetAlertFeed(DateOnly Since) : IPipelineMessage;

/// <summary>One tile's new breaks on one solar day.</summary>
public sealed record AlertEntry(TileId Tile, DateOnly Day, long NewBreaks, string? ReportPath);

public sealed record AlertFeed(DateOnly Since, ImmutableArray<AlertEntry> Entries) : IPipelineMessage;

public sealed record GetAlertStatistics : IPipelineMessage
{
    public static GetAlertStatistics Instance { get; } = new();
}

/// <summary>Per solar day: how many tiles reported it and the new breaks they found.</summary>
public sealed record DayStatistics(DateOnly Day, int Tiles, long NewBreaks);

/// <summary>Per tile: its latest report and the new breaks summed over every reported day.</summary>
public sealed record TileStatistics(TileId Tile, DateOnly LastDay, int DaysReported, long NewBreaks, MaskTotals Totals, string? ReportPath);

/// <param name="MosaicPath">The VRT over all tile reports; null until one was built.</param>
/// <param name="MosaicSources">The tile reports the current mosaic was built from.</param>
public sealed record AlertStatistics(
    ImmutableArray<DayStatistics> Days, ImmutableArray<TileStatistics> Tiles, string? MosaicPath, ImmutableArray<string> MosaicSources) : IPipelineMessage;

// ---- Persisted.

public interface IReportEvent : IPipelineMessage;

/// <summary>A tile alert was recorded (a repeated alert of a tile and day replaces the earlier one).</summary>
public sealed record AlertRecorded(TileAlert Alert) : IReportEvent;

/// <summary>The mosaic at <paramref name="Path"/> now covers exactly <paramref name="Sources"/>.</summary>
public sealed record MosaicBuilt(string Path, ImmutableArray<string> Sources) : IReportEvent;

public sealed record ReportSnapshot(
    ImmutableArray<TileStatistics> Tiles, ImmutableArray<AlertEntry> Entries, string? MosaicPath, ImmutableArray<string> MosaicSources) : IPipelineMessage;
