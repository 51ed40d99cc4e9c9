using Akka.Actor;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Reports;
using NrtCluster.Actors.Tests.Support;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tests.Reports;

public sealed class ReportStateTests
{
    private static readonly TileId A = new(0, 0), B = new(1, 0);
    private static readonly DateOnly D1 = new(2024, 6, 10), D2 = new(2024, 6, 15);

    private static TileAlert Alert(TileId tile, DateOnly day, long newBreaks, string? path) =>
        new(tile, day, newBreaks, new MaskTotals(1, 90, 2, newBreaks, 7), path);

    /// <summary>Each command decided, and its events applied, in turn.</summary>
    private static ReportState Run(ReportState state, params ReportCommand[] commands) =>
        commands.Aggregate(state, (s, c) => s.Decide(c).Aggregate(s, (x, e) => x.Apply(e)));

    private static ReportState Record(ReportState state, params TileAlert[] alerts) => Run(state, [.. alerts.Select(a => new ReportCommand.RecordAlert(a))]);

    [Fact]
    public void Statistics_per_day_and_tile_count_a_repeated_tile_day_once_and_the_feed_lists_breaks_since_a_date()
    {
        var state = Record(ReportState.Empty,
            Alert(A, D1, 5, "/r/a.tif"), Alert(B, D1, 0, "/r/b.tif"), Alert(A, D2, 3, "/r/a.tif"),
            Alert(A, D2, 4, "/r/a.tif")); // the same tile and day again (a redelivery after a restart): replaces, counts once

        var stats = state.Statistics();
        Assert.Equal([new DayStatistics(D1, 2, 5), new DayStatistics(D2, 1, 4)], stats.Days.ToArray());
        var a = stats.Tiles.Single(t => t.Tile == A);
        Assert.Equal((D2, 2, 9L, 4L), (a.LastDay, a.DaysReported, a.NewBreaks, a.Totals.Breaks));
        var b = stats.Tiles.Single(t => t.Tile == B);
        Assert.Equal((D1, 1, 0L), (b.LastDay, b.DaysReported, b.NewBreaks));

        Assert.Equal([(A, D1, 5L), (A, D2, 4L)], state.Feed(D1).Entries.Select(e => (e.Tile, e.Day, e.NewBreaks)));
        Assert.Equal([(A, D2, 4L)], state.Feed(D1.AddDays(1)).Entries.Select(e => (e.Tile, e.Day, e.NewBreaks)));
        Assert.Empty(state.Feed(D2.AddDays(1)).Entries);
    }

    /// <summary>
    /// A requeued day: the tile goes back before it, its repeat of the last day kept writes that day's alert again, and the
    /// day and the later ones applied again replace their alerts, so statistics and feed end as in the undisturbed run.
    /// </summary>
    [Fact]
    public void Days_applied_again_after_a_requeue_replace_their_alerts_and_end_as_in_the_undisturbed_run()
    {
        var d3 = D2.AddDays(5);
        var undisturbed = Record(ReportState.Empty, Alert(A, D1, 5, "/r/a.tif"), Alert(A, D2, 3, "/r/a.tif"), Alert(A, d3, 2, "/r/a.tif"), Alert(B, D2, 1, "/r/b.tif"));
        // D2 quarantined on A: d3 applied without it gave other breaks; then the requeue.
        var requeued = Record(ReportState.Empty, Alert(A, D1, 5, "/r/a.tif"), Alert(B, D2, 1, "/r/b.tif"), Alert(A, d3, 6, "/r/a.tif"),
            Alert(A, D1, 5, "/r/a.tif"), Alert(A, D2, 3, "/r/a.tif"), Alert(A, d3, 2, "/r/a.tif"));

        var (expected, actual) = (undisturbed.Statistics(), requeued.Statistics());
        Assert.Equal(expected.Days.ToArray(), actual.Days.ToArray());
        Assert.Equal(expected.Tiles.ToArray(), actual.Tiles.ToArray());
        Assert.Equal(undisturbed.Feed(D1).Entries.ToArray(), requeued.Feed(D1).Entries.ToArray());
    }

    [Fact]
    public void The_mosaic_is_rebuilt_only_when_the_set_of_tile_reports_changes()
    {
        Assert.Null(ReportState.Empty.MosaicToBuild);
        var state = Record(ReportState.Empty, Alert(A, D1, 5, "/r/a.tif"));
        Assert.Equal(["/r/a.tif"], state.MosaicToBuild!.Value.ToArray());
        state = Run(state, new ReportCommand.NoteMosaic("/r/mosaic.vrt", ["/r/a.tif"]));
        Assert.Equal("/r/mosaic.vrt", state.MosaicPath);
        Assert.Null(state.MosaicToBuild);

        state = Record(state, Alert(A, D2, 1, "/r/a.tif"));
        Assert.Null(state.MosaicToBuild);

        state = Record(state, Alert(B, D2, 0, "/r/b.tif"));
        Assert.Equal(["/r/a.tif", "/r/b.tif"], state.MosaicToBuild!.Value.ToArray());
    }
}

/// <summary>The aggregator on a real node: SQLite journal, real GeoTIFF tile reports, the VRT built by GDAL.</summary>
public sealed class ReportAggregatorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static ActorSystem StartSystem(string folder) => AkkaProfiles.Start(new NodeOptions(NodeProfile.Embedded, folder)
    {
        HoconFolder = RepoPaths.HoconFolder,
        ExtraHocon = "akka.loglevel = WARNING",
    });

    private sealed record Tiles(TileId A, TileId B, string ReportA, string ReportB, DateOnly Day, MaskTotals Totals);

    /// <summary>Two tiles side by side with a real report each, a day and the totals of one break pixel for their alerts.</summary>
    private static Tiles TwoTiles(string folder)
    {
        var (a, b) = (new TileId(0, 0), new TileId(1, 0));
        return new(a, b, WriteReport(folder, a, 100), WriteReport(folder, b, 120), new DateOnly(2024, 6, 10), new MaskTotals(0, 63, 0, 1, 0));
    }

    private static string WriteReport(string folder, TileId tile, ushort detectionDay)
    {
        var grid = new ProcessingGrid("EPSG:3857", 100, 0, 10_000, 8);
        var box = grid.TileGeoBox(new TileId(tile.Column, tile.Row));
        string path = Path.Combine(folder, "tiles", tile.ToString(), "report.tif");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var mask = Enumerable.Repeat((ushort)1, box.PixelCount).ToArray();
        mask[0] = 3;
        var dates = new ushort[box.PixelCount];
        dates[0] = detectionDay;
        GeoTiffWriter.Write(path, box, [("mask", mask), ("detection_date", dates)], RasterDataType.UInt16, null, cog: false);
        return path;
    }

    [Fact]
    public async Task Alerts_give_the_feed_and_statistics_the_mosaic_covers_every_tile_and_all_survive_a_restart()
    {
        using var temp = new TempFolder();
        var (a, b, reportA, reportB, d1, totals) = TwoTiles(temp.Path);
        string mosaic = Path.Combine(temp.Path, "reports", "mosaic.vrt");
        var settings = new ReportAggregatorSettings(mosaic, new GdalVrtMosaicBuilder(), SnapshotEvery: 2);

        var system = StartSystem(temp.Path);
        try
        {
            var aggregator = ReportAggregatorSingleton.Start(system, settings);
            aggregator.Tell(new TileAlert(a, d1, 1, totals, reportA));
            aggregator.Tell(new TileAlert(b, d1, 0, totals with { Breaks = 0 }, reportB));
            aggregator.Tell(new TileAlert(b, d1.AddDays(5), 1, totals, reportB));

            var stats = await Until(aggregator, s => s.MosaicSources.Length == 2 && s.Tiles.Length == 2 && s.Days.Length == 2);
            Assert.Equal(mosaic, stats.MosaicPath);
            using (var vrt = RasterDataset.Open(mosaic))
            {
                // Two 8 x 8 tiles side by side.
                Assert.Equal((16, 8), (vrt.Width, vrt.Height));
            }
            Assert.DoesNotContain(Directory.GetFiles(Path.GetDirectoryName(mosaic)!), f => f.EndsWith(".tmp.vrt", StringComparison.Ordinal));

            var feed = await aggregator.Ask<AlertFeed>(new GetAlertFeed(d1), Timeout);
            Assert.Equal([(a, d1, 1L), (b, d1.AddDays(5), 1L)], feed.Entries.Select(e => (e.Tile, e.Day, e.NewBreaks)));
        }
        finally
        {
            await system.Terminate();
        }

        system = StartSystem(temp.Path);
        try
        {
            var aggregator = ReportAggregatorSingleton.Start(system, settings);
            var stats = await aggregator.Ask<AlertStatistics>(GetAlertStatistics.Instance, Timeout);
            Assert.Equal([new DayStatistics(d1, 2, 1), new DayStatistics(d1.AddDays(5), 1, 1)], stats.Days.ToArray());
            Assert.Equal([reportA, reportB], stats.MosaicSources.ToArray());
            var feed = await aggregator.Ask<AlertFeed>(new GetAlertFeed(d1.AddDays(1)), Timeout);
            Assert.Equal([(b, d1.AddDays(5))], feed.Entries.Select(e => (e.Tile, e.Day)));
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>
    /// A file stands where the mosaic's folder should be, so every build fails: each alert tries again, and the log says so
    /// once, naming the folder and the cause. Once the folder can be made, the next alert builds the mosaic and the log says so.
    /// </summary>
    [Fact]
    public async Task A_mosaic_that_cannot_be_written_is_reported_once_per_cause_and_built_with_the_next_alert_once_it_can()
    {
        using var temp = new TempFolder();
        var (a, b, reportA, reportB, d1, totals) = TwoTiles(temp.Path);
        string blocker = Path.Combine(temp.Path, "reports");
        File.WriteAllText(blocker, "not a folder");
        string mosaic = Path.Combine(blocker, "mosaic.vrt");

        var system = StartSystem(temp.Path);
        try
        {
            var warnings = WarningListener.Listen(system);
            var aggregator = ReportAggregatorSingleton.Start(system, new ReportAggregatorSettings(mosaic, new GdalVrtMosaicBuilder()));
            for (int day = 0; day < 5; day++)
            {
                aggregator.Tell(new TileAlert(day % 2 == 0 ? a : b, d1.AddDays(day), 1, totals, day % 2 == 0 ? reportA : reportB));
                await Until(aggregator, s => s.Days.Length == day + 1);
                // Lets the build this alert started fail before the next alert, so every alert is a failed attempt.
                await Task.Delay(300);
            }
            Assert.Empty((await Until(aggregator, _ => true)).MosaicSources);
            var failed = warnings.Where(w => w.Contains("Rebuilding the mosaic", StringComparison.Ordinal)).ToList();
            Assert.Equal($"cannot write the mosaic to {blocker}", Assert.Single(failed).Split(": ")[1]);

            File.Delete(blocker);
            aggregator.Tell(new TileAlert(a, d1.AddDays(5), 1, totals, reportA));
            var stats = await Until(aggregator, s => s.MosaicSources.Length == 2);
            Assert.Equal([reportA, reportB], stats.MosaicSources.ToArray());
            Assert.True(File.Exists(mosaic));
            Assert.Single(warnings, w => w.Contains("rebuilt again, after failing", StringComparison.Ordinal));
            Assert.Single(warnings, w => w.Contains("Rebuilding the mosaic", StringComparison.Ordinal));
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>
    /// On PostgreSQL (the cluster profile), the database stops: the alert being stored fails, the aggregator stops and its
    /// restarts fail (its health says restarting, with the alerts kept for it); alerts keep arriving; the database starts:
    /// the aggregator runs again and has recorded every alert, the ones of the outage included.
    /// </summary>
    [Fact]
    public async Task Alerts_arriving_while_its_database_is_down_are_kept_and_recorded_once_it_returns()
    {
        using var temp = new TempFolder();
        using var postgres = new TempPostgres();
        var system = AkkaProfiles.Start(new NodeOptions(NodeProfile.Cluster, temp.Path)
        {
            HoconFolder = RepoPaths.HoconFolder, Port = 0, PostgresConnectionString = postgres.ConnectionString,
            ExtraHocon = "akka.loglevel = WARNING\nnrtcluster.singletons { min-backoff = 200ms, max-backoff = 1s }",
        });
        try
        {
            var aggregator = ReportAggregatorSingleton.Start(system, new ReportAggregatorSettings(Path.Combine(temp.Path, "mosaic.vrt"), new GdalVrtMosaicBuilder()));
            var tile = new TileId(0, 0);
            var day = new DateOnly(2024, 6, 1);
            TileAlert Alert(int i) => new(tile, day.AddDays(i), i, new MaskTotals(0, 63, 0, i, 0), null);
            await Health(aggregator, h => h.Running);
            aggregator.Tell(Alert(0));
            await Until(aggregator, s => s.Days.Length == 1);

            postgres.Stop();
            for (int i = 1; i <= 5; i++) aggregator.Tell(Alert(i));
            var restarting = await Health(aggregator, h => !h.Running && h.FailedStarts >= 2);
            Assert.Equal(5, restarting.Kept);
            Assert.StartsWith("report-aggregator is restarting: stopped ", restarting.Describe());
            for (int i = 6; i <= 10; i++) aggregator.Tell(Alert(i));

            postgres.Start();
            var stats = await Until(aggregator, s => s.Days.Length == 11);
            Assert.Equal(Enumerable.Range(0, 11).Select(i => day.AddDays(i)), stats.Days.Select(d => d.Day));
            Assert.Equal(11, Assert.Single(stats.Tiles).DaysReported);
            var running = await Health(aggregator, h => h.Running && h.Kept == 0);
            Assert.Equal(0, running.FailedStarts);
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static Task<SingletonHealth> Health(IActorRef singleton, Func<SingletonHealth, bool> done) =>
        Eventually.Until(() => singleton.Ask<SingletonHealth>(GetSingletonHealth.Instance, Timeout), done, TimeSpan.FromSeconds(90),
            health => $"The singleton never reached the expected state; last: {health.Describe()}.");

    private static async Task<AlertStatistics> Until(IActorRef aggregator, Func<AlertStatistics, bool> done) =>
        (await Eventually.Until<AlertStatistics?>(async () =>
            {
                // A question asked while the aggregator restarts is dropped: asked again after a short wait.
                try { return await aggregator.Ask<AlertStatistics>(GetAlertStatistics.Instance, TimeSpan.FromSeconds(5)); }
                catch (AskTimeoutException) { return null; }
            }, stats => stats is not null && done(stats), TimeSpan.FromSeconds(90),
            stats => $"Aggregator never reached the expected state; last: {stats?.Days.Length} days, {stats?.Tiles.Length} tiles, {stats?.MosaicSources.Length} mosaic sources."))!;
}
