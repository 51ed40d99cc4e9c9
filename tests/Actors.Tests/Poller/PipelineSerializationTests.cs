using System.Collections.Immutable;
using Akka.Delivery;
using Akka.Serialization;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Jobs;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Reports;
using NrtCluster.Actors.Serialization;
using NrtCluster.Actors.Tests.Support;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Stac;

namespace NrtCluster.Actors.Tests.Poller;

/// <summary>
/// What crosses the network or lands in the journal between nodes: the pipeline's own messages go through
/// <see cref="PipelineSerializer"/>, reliable delivery's envelopes and durable-queue events through Akka's binary
/// delivery serializer (which writes the tile message inside with <see cref="NrtSerializer"/>), none through JSON.
/// </summary>
public sealed class PipelineSerializationTests
{
    [Fact]
    public async Task Pipeline_messages_and_reliable_delivery_envelopes_use_binary_serializers_and_round_trip()
    {
        using var temp = new TempFolder();
        var system = AkkaProfiles.Start(new NodeOptions(NodeProfile.Embedded, temp.Path) { HoconFolder = RepoPaths.HoconFolder, ExtraHocon = "akka.loglevel = WARNING" });
        try
        {
            var serialization = system.Serialization;
            var tile = new TileKey(4, -2);
            var day = new DateOnly(2024, 6, 10);
            object[] messages =
            [
                PollNow.Instance,
                new PollCompleted(3, 1, new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc), null)
                {
                    NewTileDays = [(tile, day), (new TileKey(5, -2), day)], Rejected = [new RejectedItem(null, "http://s/search features[2]", "no id")],
                },
                new PollerStatus(null, 7, [day], 2, null, "search failed") { Rejected = [new RejectedItem("x", "http://s/search", "bad bbox")], RejectedCount = 3 },
                new DayDispatched(day, new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc), [new ItemRef("a", "https://x/a")], [tile]),
                new AlertRecorded(new TileAlert(tile, day, 5, new MaskTotals(1, 2, 3, 4, 5), "/r/t.tif")),
                new GetAlertFeed(day),
                new AlertFeed(day, [new AlertEntry(tile, day, 5, null)]),
                new MosaicBuilt("/r/m.vrt", ["/r/a.tif", "/r/b.tif"]),
                new SingletonHealth("report-aggregator", false, 3, new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc), 12),
                new JobProgress("ff", JobKind.FastForward, 1, 0, 2, [new TileProgress(tile, TileJobStatus.Running, day, 3, 9, "Applied", DaysQuarantined: 1, DaysRepeated: 1, Retries: 2)], false, null),
            ];
            foreach (var message in messages)
            {
                var serializer = serialization.FindSerializerFor(message);
                Assert.IsType<PipelineSerializer>(serializer);
                var bytes = serializer.ToBinary(message);
                var copy = serialization.Deserialize(bytes, serializer.Identifier, ((SerializerWithStringManifest)serializer).Manifest(message));
                Assert.Equal(PipelineFormat.Write(message), PipelineFormat.Write(copy));
            }

            // Version 3 (before rejected items) is still read: the same fields, no rejected items.
            var status = new PollerStatus(new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc), 7, [day], 2, null, "e");
            byte[] v3 = [3, .. PipelineFormat.Write(status)[1..^8]];
            Assert.Equal(PipelineFormat.Write(status), PipelineFormat.Write(PipelineFormat.Read(v3, "PollerStatus")));
            var completed = new PollCompleted(3, 1, null, null) { NewTileDays = [(tile, day)] };
            byte[] completedV3 = [3, .. PipelineFormat.Write(completed)[1..^4]];
            Assert.Equal(PipelineFormat.Write(completed), PipelineFormat.Write(PipelineFormat.Read(completedV3, "PollCompleted")));

            // Every pipeline type, by the marker binding of hocon/base.conf alone.
            foreach (var type in PipelineFormat.Types)
                Assert.IsType<PipelineSerializer>(serialization.FindSerializerForType(type));

            foreach (var type in new[]
                     {
                         typeof(ConsumerController.SequencedMessage<ITileMessage>),
                         typeof(DurableProducerQueue.MessageSent<ITileMessage>),
                         typeof(DurableProducerQueue.State<ITileMessage>),
                         typeof(ObserveDay),
                     })
                Assert.IsNotType<NewtonSoftJsonSerializer>(serialization.FindSerializerForType(type));
        }
        finally
        {
            await system.Terminate();
        }
    }
}
