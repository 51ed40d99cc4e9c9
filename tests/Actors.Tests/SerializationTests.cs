using System.Collections.Immutable;
using Akka.Actor;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Serialization;
using NrtCluster.Actors.State;
using NrtCluster.Actors.Tests.Support;
using NrtCluster.Actors.Tiles;

namespace NrtCluster.Actors.Tests;

public sealed class SerializationTests
{
    private static readonly TileKey Tile = new(12, -3);

    private static LayerSet SampleLayers()
    {
        var floats = new float[] { 0.5f, float.NaN, BitConverter.Int32BitsToSingle(0x7FC00123), -0f, float.PositiveInfinity, 1e-30f };
        return new LayerSet(
        [
            Layer.Of("mask", new byte[] { 0, 1, 2, 3, 4, 1 }, 2, 3),
            Layer.Of("detection_date", new ushort[] { 0, 18_500, 0, 65_535, 1, 2 }, 2, 3),
            Layer.Of("winsize", new short[] { -1, 0, 1, 2, 3, short.MinValue }, 2, 3),
            Layer.Of("steps", new[] { 42 }, 1),
            Layer.Of("beta", floats, 1, 2, 3),
            Layer.Of("process", new[] { double.NaN, 1.0 / 3, -2, 0, double.Epsilon, 7 }, 2, 3),
        ]);
    }

    public static TheoryData<INrtSerializable> Messages()
    {
        var layers = SampleLayers();
        var day = new AppliedDay(new DateOnly(2024, 5, 17), new DateTime(2024, 5, 17, 9, 30, 1, DateTimeKind.Utc), ["S2A_1", "S2B_2"], 12);
        var totals = new MaskTotals(1, 2, 3, 4, 5);
        var summary = new FitSummary(new DateOnly(2019, 1, 1), new DateOnly(2021, 12, 31), 180, 2, 3, "CuSum {}");
        return new TheoryData<INrtSerializable>
        {
            new FitTile(Tile, new DateOnly(2019, 1, 1), new DateOnly(2021, 12, 31), true),
            new ObserveDay(Tile, day.Day, day.AcquiredUtc, [new ItemRef("S2A_1", "https://stac/items/S2A_1"), new ItemRef("S2B_2", "file:///x/S2B_2.json")]),
            new GetTileReport(Tile),
            new GetTileStatus(Tile),
            new TileActor.GetTileState(Tile),
            new FitAck(Tile, 2, AckOutcome.Fitted, "fitted"),
            new DayAck(Tile, day.Day, AckOutcome.Older, "older"),
            new TileReport(Tile, 1, null, totals, null),
            new TileReport(Tile, 1, day.Day, totals, "/out/r.tif"),
            new TileStatus(Tile, 1, summary, day.Day, [day, day with { Day = day.Day.AddDays(5) }], totals),
            new TileStatus(Tile, 0, null, null, [], MaskTotals.Zero),
            new TileAlert(Tile, day.Day, 12, totals, "/out/r.tif"),
            new ModelFitted(Tile, 3, summary, layers),
            new DayApplied(Tile, day, layers),
            new TileModel(Tile, 3, layers),
            new TileSnapshot(Tile, 3, summary, layers, [day], totals),
            new TileSnapshot(Tile, 0, null, null, [], MaskTotals.Zero),
        };
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_message_round_trips_to_the_same_bytes(INrtSerializable message)
    {
        byte[] bytes = NrtBinaryFormat.Write(message);
        string manifest = NrtBinaryFormat.ManifestOf(message);
        object read = NrtBinaryFormat.Read(bytes, manifest);
        Assert.IsType(message.GetType(), read);
        Assert.Equal(bytes, NrtBinaryFormat.Write(read));
    }

    [Fact]
    public void Layers_round_trip_bit_exact_including_NaN_payloads()
    {
        var layers = SampleLayers();
        var read = (TileModel)NrtBinaryFormat.Read(NrtBinaryFormat.Write(new TileModel(Tile, 1, layers)), "TileModel");
        Assert.Equal(layers, read.Layers);
        Assert.Equal(0x7FC00123, BitConverter.SingleToInt32Bits(read.Layers["beta"].ValuesAs<float>()[2]));
        Assert.Equal([1, 2, 3], read.Layers["beta"].Shape);
    }

    [Fact]
    public void Monitoring_state_of_a_real_tile_is_stored_compressed()
    {
        var data = ConformanceCase.Load("ewma_ols_shewhart");
        var fit = data.Engine().Fit(data.HistoryStack());
        int raw = (int)(fit.Model.ByteSize + fit.Monitoring.ByteSize);
        int stored = NrtBinaryFormat.Write(new TileModel(Tile, 1, fit.Model)).Length + NrtBinaryFormat.Write(new DayApplied(Tile,
            new AppliedDay(new DateOnly(2020, 1, 1), DateTime.UnixEpoch, [], 0), fit.Monitoring)).Length;
        Assert.True(stored < raw, $"stored {stored} B for {raw} B of arrays");
    }

    [Fact]
    public void Unknown_types_manifests_and_versions_are_refused_with_a_reason()
    {
        Assert.Contains("cannot write", Assert.Throws<ArgumentException>(() => NrtBinaryFormat.ManifestOf("text")).Message);
        Assert.Contains("Unknown manifest 'Nope'", Assert.Throws<InvalidDataException>(() => NrtBinaryFormat.Read([1], "Nope")).Message);
        Assert.Contains("version 9", Assert.Throws<InvalidDataException>(() => NrtBinaryFormat.Read([9], "GetTileStatus")).Message);
    }

    [Fact]
    public void The_profiles_bind_every_project_message_to_the_binary_serializer()
    {
        using var temp = new TempFolder();
        var system = ActorSystem.Create("serialization", AkkaProfiles.Load(new NodeOptions(NodeProfile.Embedded, temp.Path) { HoconFolder = RepoPaths.HoconFolder }));
        try
        {
            foreach (var message in Messages())
            {
                var serializer = system.Serialization.FindSerializerFor(message);
                Assert.IsType<NrtSerializer>(serializer);
                var bytes = serializer.ToBinary(message);
                var read = system.Serialization.Deserialize(bytes, NrtSerializer.SerializerId, NrtBinaryFormat.ManifestOf(message));
                Assert.Equal(bytes, NrtBinaryFormat.Write(read));
            }
        }
        finally
        {
            system.Terminate().Wait();
        }
    }
}
