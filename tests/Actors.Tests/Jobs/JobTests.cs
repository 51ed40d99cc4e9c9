using System.Collections.Immutable;
using Akka.Actor;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Jobs;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Tests.Poller;
using NrtCluster.Actors.Tests.Support;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Actors.Tests.Jobs;

public sealed class JobStateTests
{
    private static readonly TileKey A = new(0, 0), B = new(1, 0), C = new(2, 0);

    [Fact]
    public void Progress_counts_tiles_done_and_failed_and_reports_the_day_the_slowest_running_tile_is_at()
    {
        var d1 = new DateOnly(2024, 6, 10);
        var state = JobState.Start("ff-1", JobKind.FastForward, [new(A, 2), new(B, 2), new(C, 0)]);
        Assert.Equal((0, 0, 3, false), (state.Done, state.Failed, state.Tiles.Count, state.Finished));

        state = state.Apply(new JobEvent.TileStarted(A)).Apply(new JobEvent.TileStarted(B))
            .Apply(new JobEvent.DayDone(A, d1, AckOutcome.Applied)).Apply(new JobEvent.DayDone(A, d1.AddDays(3), AckOutcome.Applied))
            .Apply(new JobEvent.DayDone(B, d1, AckOutcome.Repeated));
        var progress = state.Progress();
        Assert.Equal(d1, progress.CurrentDay);
        Assert.Equal((2, 2), (progress.Tiles[0].DaysDone, progress.Tiles[0].DaysTotal));

        state = state.Apply(new JobEvent.TileDone(A, "at day 2")).Apply(new JobEvent.TileFailed(B, "NotFitted"))
            .Apply(new JobEvent.TileStarted(C)).Apply(new JobEvent.TileDone(C, "no new days"));
        progress = state.Progress();
        Assert.Equal((2, 1, 3, true), (progress.TilesDone, progress.TilesFailed, progress.TilesTotal, progress.Finished));
        Assert.Null(progress.CurrentDay);

        var copy = (JobProgress)PipelineFormat.Read(PipelineFormat.Write(progress), "JobProgress");
        Assert.Equal(progress.Tiles.ToArray(), copy.Tiles.ToArray());
        Assert.Equal((progress.JobId, progress.Kind, progress.Finished), (copy.JobId, copy.Kind, copy.Finished));
    }

    [Fact]
    public void A_tile_outside_the_job_is_named_in_the_error()
    {
        var state = JobState.Start("fit-1", JobKind.Fit, [new(A, 0)]);
        var error = Assert.Throws<ArgumentException>(() => state.Apply(new JobEvent.TileStarted(B)));
        Assert.Contains(B.ToString(), error.Message);
    }
}

/// <summary>Fit and fast-forward jobs over real tile actors (SQLite, conformance kernels) and a STAC API on 127.0.0.1.</summary>
public sealed class JobActorTests
{
    private static readonly ProcessingGrid Grid = new("EPSG:3857", 100, 0, 10_000, 10);
    private static readonly NetTopologySuite.Geometries.Geometry Area = LoopbackStac.Item("area", DateTime.UnixEpoch, 0.002, 0.02, 0.012, 0.03).Footprint;

    private static StacItem Granule(string id, DateTime acquired) => LoopbackStac.Item(id, acquired, 0.002, 0.02, 0.012, 0.03);

    private static async Task<JobProgress> Run(ActorSystem system, JobRequest request, IActorRef tiles, JobSettings? settings = null)
    {
        var job = system.ActorOf(JobActor.Props(request, tiles, settings ?? new JobSettings(2, TimeSpan.FromSeconds(60)), null));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            var progress = await job.Ask<JobProgress>(GetJobProgress.Instance, TimeSpan.FromSeconds(30));
            if (progress.Finished)
            {
                system.Stop(job);
                return progress;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Job {request.JobId} did not finish: {progress.TilesDone} of {progress.TilesTotal} done.");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Fit_then_fast_forward_all_tiles_of_the_area_and_a_second_fast_forward_changes_nothing()
    {
        var data = ConformanceCase.Load("cusum_roc");
        using var temp = new TempFolder();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        await using var stac = new LoopbackStac();
        var index = new GridTileFootprints(Grid, Area);
        var area = index.ProjectTiles.ToImmutableArray();
        var source = new CaseObservationSource(data);
        var from = data.MonitoringDates[0].AddDays(-1);
        stac.Publish(Granule("m0", data.MonitoringDates[0]), Granule("m1", data.MonitoringDates[1]), Granule("m2", data.MonitoringDates[2]),
            Granule("before", from.AddDays(-3)), Granule("after", data.MonitoringDates[10]));
        var archive = new StacApiArchive(new StacApiClient(http, stac.SearchUrl), new StacSearchRequest { Intersects = Area });

        var system = AkkaProfiles.Start(new NodeOptions(NodeProfile.Embedded, temp.Path) { HoconFolder = RepoPaths.HoconFolder, ExtraHocon = "akka.loglevel = WARNING" });
        try
        {
            var tiles = ReliableTileSharding.Start(system,
                new TileActorSettings(data.Engine(), source, new RawReportWriter(temp.Path), null, 2, TimeSpan.FromSeconds(60)), shardBlockSize: 4);

            var fit = await Run(system, new JobRequest.Fit("fit-1", area, data.HistoryStart, data.HistoryEnd), tiles);
            Assert.Equal((4, 0, 4), (fit.TilesDone, fit.TilesFailed, fit.TilesTotal));
            Assert.All(fit.Tiles, t => Assert.StartsWith("Fitted", t.Detail));

            var to = data.MonitoringDates[2].AddHours(1);
            var ff = await Run(system, new JobRequest.FastForward("ff-1", area, from, to, archive, index), tiles);
            Assert.Equal((4, 0, 4), (ff.TilesDone, ff.TilesFailed, ff.TilesTotal));
            Assert.All(ff.Tiles, t => Assert.Equal((3, 3, DateOnly.FromDateTime(data.MonitoringDates[2])), (t.DaysDone, t.DaysTotal, t.CurrentDay)));
            foreach (var t in area)
            {
                var state = await tiles.Ask<TileState>(new TileActor.GetTileState(t), TimeSpan.FromSeconds(30));
                Assert.Equal(data.MonitoringDates.Take(3).Select(DateOnly.FromDateTime), state.Days.Select(d => d.Day));
            }
            Assert.Equal(12, source.ObservationLoads);

            var again = await Run(system, new JobRequest.FastForward("ff-2", area, from, to, archive, index), tiles);
            Assert.Equal(4, again.TilesDone);
            // Every day was answered Repeated: nothing was loaded or applied again.
            Assert.All(again.Tiles, t => Assert.Equal(3, t.DaysDone));
            Assert.Equal(12, source.ObservationLoads);
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task A_day_lost_on_its_way_to_the_tile_is_sent_again_and_every_day_is_applied_once()
    {
        var data = ConformanceCase.Load("cusum_roc");
        using var temp = new TempFolder();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        await using var stac = new LoopbackStac();
        var index = new GridTileFootprints(Grid, Area);
        var area = index.ProjectTiles.ToImmutableArray();
        var from = data.MonitoringDates[0].AddDays(-1);
        stac.Publish(Granule("m0", data.MonitoringDates[0]), Granule("m1", data.MonitoringDates[1]), Granule("m2", data.MonitoringDates[2]));
        var archive = new StacApiArchive(new StacApiClient(http, stac.SearchUrl), new StacSearchRequest { Intersects = Area });

        var system = AkkaProfiles.Start(new NodeOptions(NodeProfile.Embedded, temp.Path) { HoconFolder = RepoPaths.HoconFolder, ExtraHocon = "akka.loglevel = WARNING" });
        try
        {
            var region = ReliableTileSharding.Start(system,
                new TileActorSettings(data.Engine(), new CaseObservationSource(data), new RawReportWriter(temp.Path), null, 2, TimeSpan.FromSeconds(60)), shardBlockSize: 4);
            var fit = await Run(system, new JobRequest.Fit("fit-1", area, data.HistoryStart, data.HistoryEnd), region);
            Assert.Equal(4, fit.TilesDone);

            // The second day of every tile is dropped twice, as a node leaving mid-way drops what its tiles had not answered.
            var lossy = system.ActorOf(Props.Create(() => new LosingRegion(region, DateOnly.FromDateTime(data.MonitoringDates[1]), 2)));
            var settings = new JobSettings(2, TimeSpan.FromMilliseconds(500)) { MinBackoff = TimeSpan.FromMilliseconds(50), MaxAttempts = 4 };
            var ff = await Run(system, new JobRequest.FastForward("ff-1", area, from, data.MonitoringDates[2].AddHours(1), archive, index), lossy, settings);
            Assert.Equal((4, 0), (ff.TilesDone, ff.TilesFailed));
            foreach (var t in area)
            {
                var state = await region.Ask<TileState>(new TileActor.GetTileState(t), TimeSpan.FromSeconds(30));
                Assert.Equal(data.MonitoringDates.Take(3).Select(DateOnly.FromDateTime), state.Days.Select(d => d.Day));
            }

            // Lost more often than the attempts allow: the tile fails and says why.
            var deaf = system.ActorOf(Props.Create(() => new LosingRegion(region, DateOnly.FromDateTime(data.MonitoringDates[2]).AddDays(1), int.MaxValue)));
            var later = data.MonitoringDates[2].AddDays(1).Date.AddHours(10);
            stac.Publish(Granule("m3", later));
            var failed = await Run(system, new JobRequest.FastForward("ff-2", area, from, later.AddHours(1), archive, index), deaf, settings);
            Assert.Equal(4, failed.TilesFailed);
            Assert.All(failed.Tiles, t => Assert.Contains("after 4 attempts", t.Detail));
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>Forwards to the tile region but drops the first <c>times</c> sends of one day to each tile.</summary>
    private sealed class LosingRegion : ReceiveActor
    {
        private readonly Dictionary<TileKey, int> _dropped = new();

        public LosingRegion(IActorRef region, DateOnly day, int times) =>
            ReceiveAny(m =>
            {
                if (m is ObserveDay o && o.Day == day && _dropped.GetValueOrDefault(o.Tile) < times)
                {
                    _dropped[o.Tile] = _dropped.GetValueOrDefault(o.Tile) + 1;
                    return;
                }
                region.Forward(m);
            });
    }
}
