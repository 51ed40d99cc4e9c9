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
using NrtCluster.Actors.Sources;
using NrtCluster.Geo.Grid;

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
            var tile = new TileId(4, -2);
            var day = new DateOnly(2024, 6, 10);
            object[] messages =
            [
                PollNow.Instance,
                new PollCompleted(3, 1, new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc), null)
                {
                    NewTileDays = [(tile, day), (new TileId(5, -2), day)], Rejected = [new RejectedItem(null, "http://s/search features[2]", "no id")],
                },
                new PollerStatus(null, 7, [day], 2, null, "search failed") { Rejected = [new RejectedItem("x", "http://s/search", "bad bbox")], RejectedCount = 3 },
                new DayDispatched(day, new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc), [new ItemRef("a", "https://x/a")], [tile]),
                new ItemsPushed([new DiscoveredItem("a", "https://x/a", new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc), day, [tile])],
                    [new RejectedItem("c", "http://n/api/items features[2]", "bad bbox")]),
                new ItemsPushedRecorded(["a"], [new RejectedItem(null, "http://n/api/items features[3]", "no id")]),
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

    /// <summary>
    /// The poller keeps what a tile reads of each item it found (in its events, pending days and outbox) and reads its
    /// journal of version 4, when items were an id and href alone.
    /// </summary>
    [Fact]
    public void What_a_tile_reads_of_an_item_survives_the_pollers_journal_and_version_4_events_read_without_it()
    {
        var tile = new TileId(4, -2);
        var day = new DateOnly(2024, 6, 10);
        var time = new DateTime(2024, 6, 10, 10, 0, 0, DateTimeKind.Utc);
        var described = SerializationTests.Described("a");
        var found = new DiscoveredItem("a", described.Href, time, day, [tile]) { Assets = described.Assets };
        var discovered = (ItemsDiscovered)PipelineFormat.Read(PipelineFormat.Write(new ItemsDiscovered([found, found with { Id = "b", Assets = null }], time, null, time)), "ItemsDiscovered");
        Assert.Equal(described, discovered.Items[0].Ref);
        Assert.Null(discovered.Items[1].Assets);
        var dispatched = (DayDispatched)PipelineFormat.Read(PipelineFormat.Write(new DayDispatched(day, time, [described], [tile])), "DayDispatched");
        Assert.Equal(described, Assert.Single(dispatched.Items));
        var snapshot = new PollerSnapshot(time, [("a", time)], [new PendingDay(day, time, [described], [tile], time)], [],
            [new ObserveDay(tile, day, time, [described])]);
        var read = (PollerSnapshot)PipelineFormat.Read(PipelineFormat.Write(snapshot), "PollerSnapshot");
        Assert.Equal(described, Assert.Single(Assert.Single(read.Pending).Items));
        Assert.Equal(described, Assert.Single(Assert.Single(read.Outbox).Items));

        // Version 4: a discovered item and an item reference end after their fields, with no description.
        static byte[] V4(Action<BinaryWriter> fields)
        {
            using var stream = new MemoryStream();
            using (var w = new BinaryWriter(stream)) { w.Write((byte)4); fields(w); }
            return stream.ToArray();
        }
        var oldDiscovered = (ItemsDiscovered)PipelineFormat.Read(V4(w =>
        {
            w.Write(1); w.Write("a"); w.Write("https://stac/items/a"); w.Write(time.Ticks); w.Write(day.DayNumber); w.Write(1); w.Write(tile.Column); w.Write(tile.Row);
            w.Write(time.Ticks); w.Write(false); w.Write(time.Ticks);
        }), "ItemsDiscovered");
        Assert.Equal(new ItemRef("a", "https://stac/items/a"), Assert.Single(oldDiscovered.Items).Ref);
        Assert.Equal([tile], oldDiscovered.Items[0].Tiles.ToArray());
        var oldDispatched = (DayDispatched)PipelineFormat.Read(V4(w =>
        {
            w.Write(day.DayNumber); w.Write(time.Ticks); w.Write(1); w.Write("a"); w.Write("https://stac/items/a"); w.Write(1); w.Write(tile.Column); w.Write(tile.Row);
        }), "DayDispatched");
        Assert.Equal(new ItemRef("a", "https://stac/items/a"), Assert.Single(oldDispatched.Items));
        Assert.Equal([tile], oldDispatched.Tiles.ToArray());
    }
}
