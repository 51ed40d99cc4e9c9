using System.Collections.Immutable;
using Akka.Actor;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Serialization;
using NrtCluster.Actors.State;
using NrtCluster.Actors.Tests.Support;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Stac;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tests;

public sealed class SerializationTests
{
    private static readonly TileId Tile = new(12, -3);

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
        var quarantined = Quarantined();
        return new TheoryData<INrtSerializable>
        {
            new QuarantineDay(Tile, day.Day, day.AcquiredUtc, [new ItemRef("S2A_1", "https://stac/items/S2A_1")], "cannot read B04.tif"),
            new DayQuarantined(Tile, quarantined[0]),
            new DayAck(Tile, day.Day, AckOutcome.Quarantined, "quarantined"),
            new TileStatus(Tile, 1, summary, day.Day, [day], totals) { Quarantined = quarantined },
            new TileSnapshot(Tile, 3, summary, layers, [day], totals) { Quarantined = quarantined },
            new FitTile(Tile, new DateOnly(2019, 1, 1), new DateOnly(2021, 12, 31), true),
            new ObserveDay(Tile, day.Day, day.AcquiredUtc, [new ItemRef("S2A_1", "https://stac/items/S2A_1"), new ItemRef("S2B_2", "file:///x/S2B_2.json")]),
            new ObserveDay(Tile, day.Day, day.AcquiredUtc, [new ItemRef("S2A_1", "https://stac/items/S2A_1")], FitNumber: 3),
            new ObserveDay(Tile, day.Day, day.AcquiredUtc, [Described("S2A_1"), new ItemRef("S2B_2", "file:///x/S2B_2.json")]),
            new QuarantineDay(Tile, day.Day, day.AcquiredUtc, [Described("S2A_1")], "cannot read B04.tif"),
            new DayAck(Tile, day.Day, AckOutcome.Superseded, "queued for fit 1"),
            new TileStatus(Tile, 1, summary, day.Day, [day], totals) { ReportError = "cannot write reports to /out/tiles: no space left on device", Retrying = "attempt 3 at 12:01:13 UTC" },
            new RequeueDay(Tile, day.Day),
            new RequeueDay(Tile, null),
            new DayAck(Tile, day.Day, AckOutcome.Rewound, "rewound"),
            new TileRewound(Tile, day.Day, 41),
            new GetTileReport(Tile),
            new RewriteTileReport(Tile),
            new GetTileStatus(Tile),
            new ImportTileState(Tile, "/data/x3_y5.nc", new DateOnly(2019, 1, 1), new DateOnly(2021, 12, 31), new TileCoordinates(500000, 5000020, 20, 8, 6)),
            new ExportTileState(Tile, "/data/x3_y5.nc", new TileCoordinates(500000.5, 5000020, 10, 1000, 1000)),
            new TileStateWritten(Tile, 2, "/data/x3_y5.nc", "fit 2 written"),
            new TileStateWritten(Tile, 0, null, "not fitted"),
            new TileActor.GetTileState(Tile),
            new FitAck(Tile, 2, AckOutcome.Fitted, "fitted"),
            new DayAck(Tile, day.Day, AckOutcome.Older, "older"),
            new TileReport(Tile, 1, null, totals, null),
            new TileReport(Tile, 1, day.Day, totals, "/out/r.tif"),
            new TileStatus(Tile, 1, summary, day.Day, [day, day with { Day = day.Day.AddDays(5) }], totals),
            new TileStatus(Tile, 0, null, null, [], MaskTotals.Zero),
            new TileAlert(Tile, day.Day, 12, totals, "/out/r.tif"),
            new ModelFitted(Tile, 3, summary),
            new DayApplied(Tile, day),
            new DayApplied(Tile, day with { LeftOut = [new LeftOutItem("S2B_2", "cannot read B04.tif: not a TIFF")] }),
            new TileModel(Tile, 3, layers),
            new TileSnapshot(Tile, 3, summary, layers, [day], totals),
            new TileSnapshot(Tile, 0, null, null, [], MaskTotals.Zero),
        };
    }

    private static ImmutableArray<QuarantinedDay> Quarantined() =>
    [
        new(new DateOnly(2024, 5, 12), ["S2A_0", "S2B_0"], "day 2024-05-12 failed: cannot read /data/S2A_0/B04.tif: not a TIFF", new DateTime(2026, 11, 25, 6, 1, 2, DateTimeKind.Utc))
        {
            SnapshotSequenceNr = 41,
        },
        new(new DateOnly(2024, 5, 14), [], "HTTP 404", new DateTime(2026, 11, 25, 6, 1, 3, DateTimeKind.Utc)),
    ];

    [Fact]
    public void Quarantine_lists_round_trip_and_version_2_snapshots_read_with_an_empty_list()
    {
        var day = new AppliedDay(new DateOnly(2024, 5, 17), new DateTime(2024, 5, 17, 9, 30, 1, DateTimeKind.Utc), ["S2A_1"], 12);
        var snapshot = new TileSnapshot(Tile, 2, null, SampleLayers(), [day], new MaskTotals(1, 2, 3, 4, 5)) { Quarantined = Quarantined() };
        var read = (TileSnapshot)NrtBinaryFormat.Read(NrtBinaryFormat.Write(snapshot), "TileSnapshot");
        Assert.Equal(Quarantined().Select(q => (q.Day, string.Join(",", q.ItemIds), q.Reason, q.AtUtc)),
            read.Quarantined.Select(q => (q.Day, string.Join(",", q.ItemIds), q.Reason, q.AtUtc)));
        var status = (TileStatus)NrtBinaryFormat.Read(NrtBinaryFormat.Write(new TileStatus(Tile, 2, null, day.Day, [day], MaskTotals.Zero) { Quarantined = Quarantined() }), "TileStatus");
        Assert.Equal(Quarantined()[1].Reason, status.Quarantined[1].Reason);

        // Version 2 was version 3 without the trailing list (an int32 count of 0 here), and without the left-out items of
        // version 5 (an int32 count of 0 at the end of the day) and the haze gate's counts of version 10 (two int64), before the
        // 40 bytes of totals.
        byte[] v10 = NrtBinaryFormat.Write(snapshot with { Quarantined = [] });
        byte[] v2 = [.. v10[..^64], .. v10[^44..^4]];
        v2[0] = 2;
        var old = (TileSnapshot)NrtBinaryFormat.Read(v2, "TileSnapshot");
        Assert.Empty(old.Quarantined);
        Assert.Equal((snapshot.FitNumber, snapshot.Monitoring, snapshot.Totals), (old.FitNumber, old.Monitoring, old.Totals));
        Assert.Equal(day, old.Days.Single() with { ItemIds = day.ItemIds });
    }

    [Fact]
    public void Report_errors_of_replies_round_trip_and_answers_without_them_read_as_none()
    {
        const string error = "cannot write reports to /out/tiles: no space left on device (0 B free)";
        var ack = new DayAck(Tile, new DateOnly(2024, 5, 17), AckOutcome.Applied, "3 new breaks") { ReportError = error };
        var report = new TileReport(Tile, 1, new DateOnly(2024, 5, 17), MaskTotals.Zero, null) { ReportError = error };
        Assert.Equal(ack, NrtBinaryFormat.Read(NrtBinaryFormat.Write(ack), "DayAck"));
        Assert.Equal(report, NrtBinaryFormat.Read(NrtBinaryFormat.Write(report), "TileReport"));

        // An answer from a node of the layout before (no trailing optional string: its flag byte is missing).
        Assert.Equal(ack with { ReportError = null }, NrtBinaryFormat.Read(NrtBinaryFormat.Write(ack with { ReportError = null })[..^1], "DayAck"));
        Assert.Equal(report with { ReportError = null }, NrtBinaryFormat.Read(NrtBinaryFormat.Write(report with { ReportError = null })[..^1], "TileReport"));
    }

    [Fact]
    public void The_snapshot_kept_with_a_quarantined_day_round_trips_and_version_5_days_read_as_not_kept()
    {
        var day = Quarantined()[0];
        var read = ((DayQuarantined)NrtBinaryFormat.Read(NrtBinaryFormat.Write(new DayQuarantined(Tile, day)), "DayQuarantined")).Day;
        Assert.Equal((day.Day, day.Reason, day.AtUtc, 41L), (read.Day, read.Reason, read.AtUtc, read.SnapshotSequenceNr));

        // Version 5 is version 6 without the trailing sequence number (an int64 of 0 here).
        byte[] v5 = NrtBinaryFormat.Write(new DayQuarantined(Tile, day with { SnapshotSequenceNr = 0 }))[..^8];
        v5[0] = 5;
        var old = ((DayQuarantined)NrtBinaryFormat.Read(v5, "DayQuarantined")).Day;
        Assert.Equal((day.Day, day.Reason, day.AtUtc, 0L), (old.Day, old.Reason, old.AtUtc, old.SnapshotSequenceNr));
    }

    [Fact]
    public void Left_out_items_round_trip_and_version_4_days_read_with_none()
    {
        var day = new AppliedDay(new DateOnly(2024, 5, 17), new DateTime(2024, 5, 17, 9, 30, 1, DateTimeKind.Utc), ["S2A_1", "S2B_2"], 12)
        {
            LeftOut = [new LeftOutItem("S2B_2", "cannot read /data/S2B_2/B8A.tif: not a TIFF")],
        };
        var read = ((DayApplied)NrtBinaryFormat.Read(NrtBinaryFormat.Write(new DayApplied(Tile, day)), "DayApplied")).Day;
        Assert.Equal(day.LeftOut.ToArray(), read.LeftOut.ToArray());
        var status = (TileStatus)NrtBinaryFormat.Read(NrtBinaryFormat.Write(new TileStatus(Tile, 1, null, day.Day, [day], MaskTotals.Zero)), "TileStatus");
        Assert.Equal(day.LeftOut.ToArray(), status.Days.Single().LeftOut.ToArray());

        // Version 4 is version 5 without the left-out list (an int32 count of 0 here) and version 10's haze gate counts.
        byte[] v4 = NrtBinaryFormat.Write(new DayApplied(Tile, day with { LeftOut = [] }))[..^20];
        v4[0] = 4;
        var old = ((DayApplied)NrtBinaryFormat.Read(v4, "DayApplied")).Day;
        Assert.Empty(old.LeftOut);
        Assert.Equal((day.Day, day.AcquiredUtc, day.NewBreaks), (old.Day, old.AcquiredUtc, old.NewBreaks));
        Assert.Equal(day.ItemIds.ToArray(), old.ItemIds.ToArray());
    }

    [Fact]
    public void The_haze_gates_counts_of_a_day_round_trip_and_version_9_days_read_as_not_gated()
    {
        var day = new AppliedDay(new DateOnly(2022, 7, 14), new DateTime(2022, 7, 14, 10, 30, 0, DateTimeKind.Utc), ["S2A_1"], 0)
        {
            HazeObserved = 67_136,
            HazeSetAside = 51_750,
        };
        var read = ((DayApplied)NrtBinaryFormat.Read(NrtBinaryFormat.Write(new DayApplied(Tile, day)), "DayApplied")).Day;
        Assert.Equal((67_136L, 51_750L), (read.HazeObserved, read.HazeSetAside));
        Assert.Equal("set aside 51,750 of 67,136 observed monitored pixels (77%)", read.HazeGateSummary);

        // Version 9 is version 10 without the two trailing int64 counts.
        byte[] v9 = NrtBinaryFormat.Write(new DayApplied(Tile, day with { HazeObserved = 0, HazeSetAside = 0 }))[..^16];
        v9[0] = 9;
        var old = ((DayApplied)NrtBinaryFormat.Read(v9, "DayApplied")).Day;
        Assert.Equal((0L, 0L, null), (old.HazeObserved, old.HazeSetAside, old.HazeGateSummary));
        Assert.Equal((day.Day, day.AcquiredUtc), (old.Day, old.AcquiredUtc));
    }

    [Fact]
    public void An_observations_fit_and_batch_end_round_trip_and_older_observations_read_as_queued_for_the_first_fit_ending_a_batch()
    {
        var day = new ObserveDay(Tile, new DateOnly(2024, 5, 17), new DateTime(2024, 5, 17, 9, 30, 1, DateTimeKind.Utc),
            [new ItemRef("S2A_1", "https://stac/items/S2A_1")], FitNumber: 4) { EndsBatch = false };
        var read = (ObserveDay)NrtBinaryFormat.Read(NrtBinaryFormat.Write(day), "ObserveDay");
        Assert.Equal((day.Tile, day.Day, day.AcquiredUtc, 4, false), (read.Tile, read.Day, read.AcquiredUtc, read.FitNumber, read.EndsBatch));
        Assert.Equal(day.Items.ToArray(), read.Items.ToArray());
        Assert.True(((ObserveDay)NrtBinaryFormat.Read(NrtBinaryFormat.Write(day with { EndsBatch = true }), "ObserveDay")).EndsBatch);

        // Version 8 (in poller queues and snapshots written before) ends with the fit; every day then ended its batch.
        byte[] v8 = NrtBinaryFormat.Write(day)[..^1];
        v8[0] = 8;
        var eight = (ObserveDay)NrtBinaryFormat.Read(v8, "ObserveDay");
        Assert.Equal((4, true), (eight.FitNumber, eight.EndsBatch));

        // Versions 4 to 6 end with the day the sender sent before instead of the fit; version 3 with neither. Both read as
        // queued for the first fit.
        byte[] withoutFit = v8[..^4];
        byte[] v6 = [.. withoutFit, 1, .. BitConverter.GetBytes(new DateOnly(2024, 5, 12).DayNumber)];
        v6[0] = 6;
        byte[] v3 = [.. withoutFit];
        v3[0] = 3;
        foreach (var old in new[] { v6, v3 }.Select(b => (ObserveDay)NrtBinaryFormat.Read(b, "ObserveDay")))
        {
            Assert.Equal((day.Tile, day.Day, day.AcquiredUtc, 1, true), (old.Tile, old.Day, old.AcquiredUtc, old.FitNumber, old.EndsBatch));
            Assert.Equal(day.Items.ToArray(), old.Items.ToArray());
        }
    }

    /// <summary>An item reference with what a tile reads of the item, as the poller describes it.</summary>
    internal static ItemRef Described(string id) => new(id, $"https://stac/items/{id}")
    {
        Assets = new ItemAssets(id, $"https://stac/search?page=2 features[{id.Length}]", "sentinel-2-l2a",
        [
            new BandAsset(LogicalBand.Red, "red", $"https://cogs/{id}/B04.tif", new ReflectanceScaling(1e-4, -0.1, ScalingSource.ProcessingBaseline, "s2:processing_baseline 05.00 >= 04.00"), 0),
            new BandAsset(LogicalBand.Scl, "scl", $"s3://bucket/{id}/SCL.tif", new ReflectanceScaling(1, 0, ScalingSource.ClassLayer, "a class layer"), 255),
        ], ["red", "scl", "thumbnail"]),
    };

    [Fact]
    public void What_a_tile_reads_of_an_item_round_trips_and_version_6_items_read_without_it()
    {
        var time = new DateTime(2024, 5, 17, 9, 30, 1, DateTimeKind.Utc);
        var day = new ObserveDay(Tile, new DateOnly(2024, 5, 17), time, [Described("S2A_1"), new ItemRef("S2B_2", "file:///x/S2B_2.json")]);
        var read = (ObserveDay)NrtBinaryFormat.Read(NrtBinaryFormat.Write(day), "ObserveDay");
        Assert.Equal(day.Items.ToArray(), read.Items.ToArray());
        Assert.Equal(Described("S2A_1").Assets, read.Items[0].Assets);
        Assert.Null(read.Items[1].Assets);
        var quarantine = new QuarantineDay(Tile, day.Day, time, [Described("S2A_1")], "HTTP 404");
        Assert.Equal(Described("S2A_1").Assets, ((QuarantineDay)NrtBinaryFormat.Read(NrtBinaryFormat.Write(quarantine), "QuarantineDay")).Items[0].Assets);

        // Version 6 (in reliable-delivery queues and poller snapshots written before): each item is its id and href alone.
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream))
        {
            w.Write((byte)6); w.Write(Tile.Column); w.Write(Tile.Row); w.Write(day.Day.DayNumber); w.Write(time.Ticks);
            w.Write(2); w.Write("S2A_1"); w.Write("https://stac/items/S2A_1"); w.Write("S2B_2"); w.Write("file:///x/S2B_2.json");
            w.Write(false);
        }
        var old = (ObserveDay)NrtBinaryFormat.Read(stream.ToArray(), "ObserveDay");
        Assert.Equal((day.Tile, day.Day, day.AcquiredUtc), (old.Tile, old.Day, old.AcquiredUtc));
        Assert.Equal([new ItemRef("S2A_1", "https://stac/items/S2A_1"), new ItemRef("S2B_2", "file:///x/S2B_2.json")], old.Items.ToArray());
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
        var fit = data.Engine().Fit(data.TileHistory());
        int raw = (int)(fit.Model.ByteSize + fit.Monitoring.ByteSize);
        int stored = NrtBinaryFormat.Write(new TileModel(Tile, 1, fit.Model)).Length +
                     NrtBinaryFormat.Write(new TileSnapshot(Tile, 1, null, fit.Monitoring, [], MaskTotals.Zero)).Length;
        Assert.True(stored < raw, $"stored {stored} B for {raw} B of arrays");
        // The events are small records: the state lives in the snapshot of the same sequence number.
        Assert.True(NrtBinaryFormat.Write(new DayApplied(Tile, new AppliedDay(new DateOnly(2020, 1, 1), DateTime.UnixEpoch, ["S2A_1"], 0))).Length < 100);
    }

    [Fact]
    public void Each_array_gets_the_codec_that_suits_it_and_comes_back_bit_exact()
    {
        const int n = 200_000;
        var random = new Random(7);
        // Whole values repeat (a boundary that depends only on an observation count): compresses as raw bytes.
        var repeated = new double[n];
        for (int i = 0; i < n; i++) repeated[i] = Math.Sqrt(1 + i % 37) * 1.2345678901234;
        // Noise-like doubles (running sums): compressing them would not pay.
        var noise = new double[n];
        for (int i = 0; i < n; i++) noise[i] = random.NextDouble() * 1e3 - 500;
        // Small counts: their high bytes are all zero.
        var counts = new ushort[n];
        for (int i = 0; i < n; i++) counts[i] = (ushort)(40 + (i / 500) % 7);

        var layers = new LayerSet([Layer.Of("boundary", repeated, n), Layer.Of("process", noise, n), Layer.Of("n", counts, n)]);
        int Stored(Layer layer) => NrtBinaryFormat.Write(new TileModel(Tile, 1, new LayerSet([layer]))).Length;
        Assert.True(Stored(layers[0]) < n * 8 / 10, $"repeated doubles stored in {Stored(layers[0])} B");
        Assert.InRange(Stored(layers[1]), n * 8, n * 8 + 100);
        Assert.True(Stored(layers[2]) < n / 10, $"counts stored in {Stored(layers[2])} B");

        var read = (TileModel)NrtBinaryFormat.Read(NrtBinaryFormat.Write(new TileModel(Tile, 1, layers)), "TileModel");
        Assert.Equal(layers, read.Layers);
    }

    [Fact]
    public void Data_of_format_version_1_is_still_read()
    {
        // Version 1 wrote every array as [int32 length][LZ4 pickle of the byte-shuffled values], and the state inside the events.
        var layers = SampleLayers();
        byte[] V1(Action<BinaryWriter> body)
        {
            using var stream = new MemoryStream();
            using (var w = new BinaryWriter(stream))
            {
                w.Write((byte)1);
                w.Write(Tile.Column);
                w.Write(Tile.Row);
                body(w);
            }
            return stream.ToArray();
        }
        void V1Layers(BinaryWriter w)
        {
            w.Write(layers.Count);
            foreach (var layer in layers)
            {
                w.Write(layer.Name);
                w.Write((byte)layer.Type);
                w.Write((byte)layer.Shape.Count);
                foreach (var d in layer.Shape) w.Write(d);
                var raw = layer.AsBytes();
                int size = Layer.ElementSize(layer.Type), count = raw.Length / size;
                var shuffled = new byte[raw.Length];
                for (int i = 0; i < count; i++)
                    for (int b = 0; b < size; b++) shuffled[b * count + i] = raw[i * size + b];
                var packed = K4os.Compression.LZ4.LZ4Pickler.Pickle(shuffled);
                w.Write(packed.Length);
                w.Write(packed);
            }
        }

        var model = (TileModel)NrtBinaryFormat.Read(V1(w => { w.Write(4); V1Layers(w); }), "TileModel");
        Assert.Equal((4, layers), (model.FitNumber, model.Layers));
        var day = new DateOnly(2024, 5, 17);
        var applied = (DayApplied)NrtBinaryFormat.Read(V1(w =>
        {
            w.Write(day.DayNumber); w.Write(new DateTime(2024, 5, 17, 9, 30, 0, DateTimeKind.Utc).Ticks); w.Write(3L);
            w.Write(1); w.Write("S2A_1");
            V1Layers(w);
        }), "DayApplied");
        Assert.Equal((day, 3L, "S2A_1"), (applied.Day.Day, applied.Day.NewBreaks, applied.Day.ItemIds.Single()));
    }

    [Fact]
    public void Unknown_types_manifests_and_versions_are_refused_with_a_reason()
    {
        Assert.Contains("cannot write", Assert.Throws<ArgumentException>(() => NrtBinaryFormat.ManifestOf("text")).Message);
        Assert.Contains("Unknown manifest 'Nope'", Assert.Throws<InvalidDataException>(() => NrtBinaryFormat.Read([1], "Nope")).Message);
        Assert.Contains("version 11", Assert.Throws<InvalidDataException>(() => NrtBinaryFormat.Read([11], "GetTileStatus")).Message);
        var stored = NrtBinaryFormat.Write(new TileModel(Tile, 1, SampleLayers()));
        Assert.Throws<InvalidDataException>(() => NrtBinaryFormat.Read(stored[..^3], "TileModel"));
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
