using NrtCluster.Actors.Jobs;
using NrtCluster.Actors.Tiles;
using NrtCluster.Host.Http;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Tests.Http;

/// <summary>The job progress the control API writes and <c>--node</c> reads back.</summary>
public sealed class JobProgressJsonTests
{
    [Fact]
    public void RepeatsAndRetriesRoundTripAndOlderNodesAnswersReadAsNone()
    {
        var tile = new TileId(2, 1);
        var progress = new JobProgress("ff-1", JobKind.FastForward, 0, 0, 1,
            [new TileProgress(tile, TileJobStatus.Running, new DateOnly(2022, 1, 10), 6, 9, "Repeated", DaysQuarantined: 1, DaysRepeated: 3, Retries: 2)], false, null);
        var json = JobProgressJson.Write(progress);
        Assert.Equal((2, 3, 1), ((int)json["daysApplied"]!, (int)json["daysRepeated"]!, (int)json["daysQuarantined"]!));
        Assert.Equal(progress.Tiles.Single(), JobProgressJson.Read(json).Tiles.Single());

        var tileJson = json["tiles"]![0]!.AsObject();
        tileJson.Remove("daysRepeated");
        tileJson.Remove("retries");
        Assert.Equal(progress.Tiles.Single() with { DaysRepeated = 0, Retries = 0 }, JobProgressJson.Read(json).Tiles.Single());
    }
}
