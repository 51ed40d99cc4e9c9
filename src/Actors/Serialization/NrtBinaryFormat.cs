using System.Collections.Immutable;
using System.Text;
using NrtCluster.Actors.State;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Stac;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Serialization;

/// <summary>
/// The binary wire and storage format of the actors' messages, events and snapshots. Scalars are written with
/// <see cref="BinaryWriter"/>; each array is stored with the cheapest of three codecs that pays off, chosen on a sample of
/// it (<see cref="LayerCodec"/>). The manifest names the type; every format starts with a version byte so it can evolve.
/// Version 1 (one codec for every array, the monitoring state inside the events) and version 2 (before the quarantine
/// list, appended to the tile status and snapshot in version 3) are still read; version 3 is version 4 without the
/// trailing day an observation's sender sent before it (dropped when read); version 4 is version 5 without the items an
/// applied day was loaded without (<see cref="AppliedDay.LeftOut"/>, read as none); version 5 is version 6 without the
/// snapshot kept with a quarantined day (<see cref="QuarantinedDay.SnapshotSequenceNr"/>, read as 0: not kept); version 6 is
/// version 7 without what the tile reads of each item of a day (<see cref="ItemRef.Assets"/>, read as null: the tile reads
/// the item document); version 7 is version 8 with that sender's previous day where an observation now carries its
/// <see cref="ObserveDay.FitNumber"/> (read as 1); version 8 is version 9 without <see cref="ObserveDay.EndsBatch"/> (read as
/// true: the report is written after every such day, as it was); version 9 is version 10 without the haze gate's counts of an
/// applied day (<see cref="AppliedDay.HazeObserved"/>, <see cref="AppliedDay.HazeSetAside"/>, read as 0: not gated).
/// </summary>
public static class NrtBinaryFormat
{
    private const byte Version = 10;

    private static readonly Dictionary<Type, string> Manifests = new()
    {
        [typeof(FitTile)] = "FitTile",
        [typeof(ObserveDay)] = "ObserveDay",
        [typeof(QuarantineDay)] = "QuarantineDay",
        [typeof(RequeueDay)] = "RequeueDay",
        [typeof(GetTileReport)] = "GetTileReport",
        [typeof(RewriteTileReport)] = "RewriteTileReport",
        [typeof(GetTileStatus)] = "GetTileStatus",
        [typeof(ImportTileState)] = "ImportTileState",
        [typeof(ExportTileState)] = "ExportTileState",
        [typeof(TileStateWritten)] = "TileStateWritten",
        [typeof(TileActor.GetTileState)] = "GetTileState",
        [typeof(FitAck)] = "FitAck",
        [typeof(DayAck)] = "DayAck",
        [typeof(TileReport)] = "TileReport",
        [typeof(TileStatus)] = "TileStatus",
        [typeof(TileAlert)] = "TileAlert",
        [typeof(ModelFitted)] = "ModelFitted",
        [typeof(DayApplied)] = "DayApplied",
        [typeof(DayQuarantined)] = "DayQuarantined",
        [typeof(TileRewound)] = "TileRewound",
        [typeof(TileModel)] = "TileModel",
        [typeof(TileSnapshot)] = "TileSnapshot",
        [typeof(UpdateMask)] = "UpdateMask",
        [typeof(MaskAck)] = "MaskAck",
        [typeof(MaskUpdated)] = "MaskUpdated",
    };

    public static string ManifestOf(object message) =>
        Manifests.TryGetValue(message.GetType(), out var m)
            ? m
            : throw new ArgumentException($"NrtBinaryFormat cannot write {message.GetType().FullName}; add it to the format and its manifest table.");

    public static byte[] Write(object message)
    {
        // Arrays are compressed straight into the stream's buffer, sized once for the worst case, so a state of many
        // megabytes is copied only once more (into the returned array).
        using var stream = new MemoryStream(checked((int)Math.Min(int.MaxValue, 4096 + LayersIn(message).Sum(LayerCodec.MaxEncodedLength))));
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Version);
            switch (message)
            {
                case FitTile m: WriteTile(w, m.Tile); WriteDay(w, m.HistoryStart); WriteDay(w, m.HistoryEnd); w.Write(m.Replace); break;
                case ObserveDay m:
                    WriteTile(w, m.Tile); WriteDay(w, m.Day); WriteTime(w, m.AcquiredUtc);
                    WriteItems(w, m.Items); w.Write(m.FitNumber); w.Write(m.EndsBatch);
                    break;
                case QuarantineDay m:
                    WriteTile(w, m.Tile); WriteDay(w, m.Day); WriteTime(w, m.AcquiredUtc); WriteItems(w, m.Items); w.Write(m.Reason);
                    break;
                case RequeueDay m: WriteTile(w, m.Tile); WriteOptionalDay(w, m.Day); break;
                case GetTileReport m: WriteTile(w, m.Tile); break;
                case RewriteTileReport m: WriteTile(w, m.Tile); break;
                case GetTileStatus m: WriteTile(w, m.Tile); break;
                case ImportTileState m: WriteTile(w, m.Tile); w.Write(m.Path); WriteDay(w, m.HistoryStart); WriteDay(w, m.HistoryEnd); WriteCoordinates(w, m.Where); break;
                case ExportTileState m: WriteTile(w, m.Tile); w.Write(m.Path); WriteCoordinates(w, m.Where); break;
                case TileStateWritten m: WriteTile(w, m.Tile); w.Write(m.FitNumber); WriteOptionalString(w, m.Path); w.Write(m.Detail); break;
                case TileActor.GetTileState m: WriteTile(w, m.Tile); break;
                case FitAck m: WriteTile(w, m.Tile); w.Write(m.FitNumber); w.Write((byte)m.Outcome); w.Write(m.Detail); break;
                case DayAck m: WriteTile(w, m.Tile); WriteDay(w, m.Day); w.Write((byte)m.Outcome); w.Write(m.Detail); WriteOptionalString(w, m.ReportError); break;
                case TileReport m:
                    WriteTile(w, m.Tile); w.Write(m.FitNumber); WriteOptionalDay(w, m.LastDay); WriteTotals(w, m.Totals); WriteOptionalString(w, m.ReportPath);
                    WriteOptionalString(w, m.ReportError);
                    break;
                case TileStatus m:
                    WriteTile(w, m.Tile); w.Write(m.FitNumber); WriteOptionalSummary(w, m.Fit); WriteOptionalDay(w, m.LastDay);
                    WriteDays(w, m.Days); WriteTotals(w, m.Totals); WriteQuarantined(w, m.Quarantined); WriteOptionalString(w, m.ReportError);
                    WriteOptionalString(w, m.Retrying);
                    break;
                case TileAlert m:
                    WriteTile(w, m.Tile); WriteDay(w, m.Day); w.Write(m.NewBreaks); WriteTotals(w, m.Totals); WriteOptionalString(w, m.ReportPath);
                    break;
                case ModelFitted m: WriteTile(w, m.Tile); w.Write(m.FitNumber); WriteSummary(w, m.Summary); break;
                case DayApplied m: WriteTile(w, m.Tile); WriteAppliedDay(w, m.Day); break;
                case DayQuarantined m: WriteTile(w, m.Tile); WriteQuarantinedDay(w, m.Day); break;
                case TileRewound m: WriteTile(w, m.Tile); WriteDay(w, m.Day); w.Write(m.FromSequenceNr); break;
                case TileModel m: WriteTile(w, m.Tile); w.Write(m.FitNumber); WriteLayers(w, m.Layers); break;
                case TileSnapshot m:
                    WriteTile(w, m.Tile); w.Write(m.FitNumber); WriteOptionalSummary(w, m.Fit);
                    w.Write(m.Monitoring is not null); if (m.Monitoring is not null) WriteLayers(w, m.Monitoring);
                    WriteDays(w, m.Days); WriteTotals(w, m.Totals); WriteQuarantined(w, m.Quarantined);
                    break;
                case UpdateMask m: WriteTile(w, m.Tile); WriteOptionalString(w, m.RasterPath); w.Write(m.Threshold is not null); if (m.Threshold is { } t) w.Write(t); break;
                case MaskAck m:
                    WriteTile(w, m.Tile); w.Write(m.FitNumber); w.Write((byte)m.Outcome); w.Write(m.Detail);
                    w.Write(m.Change is not null); if (m.Change is not null) WriteMaskChange(w, m.Change);
                    WriteOptionalString(w, m.ReportError);
                    break;
                case MaskUpdated m: WriteTile(w, m.Tile); w.Write(m.Source); WriteMaskChange(w, m.Change); WriteTime(w, m.AtUtc); break;
                default: throw new ArgumentException($"NrtBinaryFormat cannot write {message.GetType().FullName}.");
            }
        }
        return stream.ToArray();
    }

    private static IEnumerable<LayerSet> LayersIn(object message) => message switch
    {
        TileModel m => [m.Layers],
        TileSnapshot { Monitoring: { } monitoring } => [monitoring],
        _ => [],
    };

    public static object Read(byte[] bytes, string manifest)
    {
        using var r = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
        byte version = r.ReadByte();
        if (version is < 1 or > Version)
            throw new InvalidDataException($"'{manifest}' was written in format version {version}; this build reads versions 1 to {Version}.");
        LayerSet Layers() => ReadLayers(r, bytes, version);
        return manifest switch
        {
            "FitTile" => new FitTile(ReadTile(r), ReadDay(r), ReadDay(r), r.ReadBoolean()),
            "ObserveDay" => ReadObserveDay(r, version),
            "QuarantineDay" => new QuarantineDay(ReadTile(r), ReadDay(r), ReadTime(r), ReadItems(r, version), r.ReadString()),
            "RequeueDay" => new RequeueDay(ReadTile(r), ReadOptionalDay(r)),
            "GetTileReport" => new GetTileReport(ReadTile(r)),
            "RewriteTileReport" => new RewriteTileReport(ReadTile(r)),
            "GetTileStatus" => new GetTileStatus(ReadTile(r)),
            "ImportTileState" => new ImportTileState(ReadTile(r), r.ReadString(), ReadDay(r), ReadDay(r), ReadCoordinates(r)),
            "ExportTileState" => new ExportTileState(ReadTile(r), r.ReadString(), ReadCoordinates(r)),
            "TileStateWritten" => new TileStateWritten(ReadTile(r), r.ReadInt32(), ReadOptionalString(r), r.ReadString()),
            "GetTileState" => new TileActor.GetTileState(ReadTile(r)),
            "FitAck" => new FitAck(ReadTile(r), r.ReadInt32(), (AckOutcome)r.ReadByte(), r.ReadString()),
            // Replies, never stored: the report error is read when present (an older node's answer ends before it).
            "DayAck" => new DayAck(ReadTile(r), ReadDay(r), (AckOutcome)r.ReadByte(), r.ReadString()) { ReportError = ReadTrailingString(r) },
            "TileReport" => new TileReport(ReadTile(r), r.ReadInt32(), ReadOptionalDay(r), ReadTotals(r), ReadOptionalString(r)) { ReportError = ReadTrailingString(r) },
            "TileStatus" => new TileStatus(ReadTile(r), r.ReadInt32(), ReadOptionalSummary(r), ReadOptionalDay(r), ReadDays(r, version), ReadTotals(r))
            {
                Quarantined = ReadQuarantined(r, version),
                ReportError = ReadTrailingString(r),
                Retrying = ReadTrailingString(r),
            },
            "TileAlert" => new TileAlert(ReadTile(r), ReadDay(r), r.ReadInt64(), ReadTotals(r), ReadOptionalString(r)),
            // Version 1 events carried the monitoring state; the snapshot of the same sequence number holds it now.
            "ModelFitted" => ReadThenSkipV1State(new ModelFitted(ReadTile(r), r.ReadInt32(), ReadSummary(r)), r, bytes, version),
            "DayApplied" => ReadThenSkipV1State(new DayApplied(ReadTile(r), ReadAppliedDay(r, version)), r, bytes, version),
            "DayQuarantined" => new DayQuarantined(ReadTile(r), ReadQuarantinedDay(r, version)),
            "TileRewound" => new TileRewound(ReadTile(r), ReadDay(r), r.ReadInt64()),
            "TileModel" => new TileModel(ReadTile(r), r.ReadInt32(), Layers()),
            "TileSnapshot" => new TileSnapshot(ReadTile(r), r.ReadInt32(), ReadOptionalSummary(r),
                r.ReadBoolean() ? Layers() : null, ReadDays(r, version), ReadTotals(r))
            {
                Quarantined = ReadQuarantined(r, version),
            },
            "UpdateMask" => new UpdateMask(ReadTile(r), ReadOptionalString(r), r.ReadBoolean() ? r.ReadDouble() : null),
            "MaskAck" => new MaskAck(ReadTile(r), r.ReadInt32(), (AckOutcome)r.ReadByte(), r.ReadString(), r.ReadBoolean() ? ReadMaskChange(r) : null)
            {
                ReportError = ReadOptionalString(r),
            },
            "MaskUpdated" => new MaskUpdated(ReadTile(r), r.ReadString(), ReadMaskChange(r), ReadTime(r)),
            _ => throw new InvalidDataException($"Unknown manifest '{manifest}': written by a newer or different build?"),
        };
    }

    // ---- layers

    private static T ReadThenSkipV1State<T>(T message, BinaryReader r, byte[] bytes, byte version)
    {
        if (version == 1) ReadLayers(r, bytes, version);
        return message;
    }

    private static void WriteLayers(BinaryWriter w, LayerSet layers)
    {
        w.Write(layers.Count);
        foreach (var layer in layers)
        {
            w.Write(layer.Name);
            w.Write((byte)layer.Type);
            w.Write((byte)layer.Shape.Count);
            foreach (var d in layer.Shape) w.Write(d);
            w.Flush();
            LayerCodec.Write((MemoryStream)w.BaseStream, layer.AsBytes(), Layer.ElementSize(layer.Type));
        }
    }

    /// <param name="bytes">The buffer under <paramref name="r"/>: arrays are decoded from it in place.</param>
    private static LayerSet ReadLayers(BinaryReader r, byte[] bytes, byte version)
    {
        int count = r.ReadInt32();
        var layers = new Layer[count];
        for (int i = 0; i < count; i++)
        {
            string name = r.ReadString();
            var type = (LayerType)r.ReadByte();
            var shape = new int[r.ReadByte()];
            for (int d = 0; d < shape.Length; d++) shape[d] = r.ReadInt32();
            var layer = Layer.Zeros(name, type, shape);
            var stream = r.BaseStream;
            stream.Position += version == 1
                ? LayerCodec.ReadVersion1(bytes.AsSpan((int)stream.Position), layer.WritableBytes(), Layer.ElementSize(type))
                : LayerCodec.Read(bytes.AsSpan((int)stream.Position), layer.WritableBytes(), Layer.ElementSize(type));
            layers[i] = layer;
        }
        return new LayerSet(layers);
    }

    // ---- scalars and records

    private static void WriteTile(BinaryWriter w, TileId t) { w.Write(t.Column); w.Write(t.Row); }
    private static TileId ReadTile(BinaryReader r) => new(r.ReadInt32(), r.ReadInt32());

    private static void WriteDay(BinaryWriter w, DateOnly d) => w.Write(d.DayNumber);
    private static DateOnly ReadDay(BinaryReader r) => DateOnly.FromDayNumber(r.ReadInt32());

    private static void WriteCoordinates(BinaryWriter w, TileCoordinates c)
    {
        w.Write(c.Left); w.Write(c.Top); w.Write(c.Resolution); w.Write(c.Width); w.Write(c.Height);
    }

    private static TileCoordinates ReadCoordinates(BinaryReader r) => new(r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadInt32(), r.ReadInt32());

    private static void WriteOptionalDay(BinaryWriter w, DateOnly? d) { w.Write(d.HasValue); if (d is { } v) WriteDay(w, v); }
    private static DateOnly? ReadOptionalDay(BinaryReader r) => r.ReadBoolean() ? ReadDay(r) : null;

    private static void WriteTime(BinaryWriter w, DateTime t) => w.Write(t.ToUniversalTime().Ticks);
    private static DateTime ReadTime(BinaryReader r) => new(r.ReadInt64(), DateTimeKind.Utc);

    private static void WriteMaskChange(BinaryWriter w, MaskChange c)
    {
        w.Write(c.Left); w.Write(c.Entered); w.Write(c.NotFitted); w.Write(c.BreaksKept);
    }

    private static MaskChange ReadMaskChange(BinaryReader r) => new(r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64());

    private static void WriteOptionalString(BinaryWriter w, string? s) { w.Write(s is not null); if (s is not null) w.Write(s); }
    private static string? ReadOptionalString(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    /// <summary>
    /// Versions 4 to 7 ended with the day the sender sent before (read and dropped: days have one sender now); before version
    /// 8 a day carried no fit number and is taken as queued for the first fit; before version 9 every day ended its batch.
    /// </summary>
    private static ObserveDay ReadObserveDay(BinaryReader r, byte version)
    {
        var day = new ObserveDay(ReadTile(r), ReadDay(r), ReadTime(r), ReadItems(r, version));
        if (version >= 9) return day with { FitNumber = r.ReadInt32(), EndsBatch = r.ReadBoolean() };
        if (version >= 8) return day with { FitNumber = r.ReadInt32() };
        if (version >= 4) ReadOptionalDay(r);
        return day;
    }

    /// <summary>An optional string appended to a reply after its first layout; absent (null) in an older node's answer.</summary>

    private static string? ReadTrailingString(BinaryReader r) => r.BaseStream.Position < r.BaseStream.Length ? ReadOptionalString(r) : null;

    private static void WriteItems(BinaryWriter w, ImmutableArray<ItemRef> items)
    {
        w.Write(items.Length);
        foreach (var item in items) WriteItem(w, item);
    }

    private static ImmutableArray<ItemRef> ReadItems(BinaryReader r, byte version)
    {
        var items = ImmutableArray.CreateBuilder<ItemRef>(r.ReadInt32());
        for (int i = 0; i < items.Capacity; i++) items.Add(ReadItem(r, withAssets: version >= 7));
        return items.MoveToImmutable();
    }

    /// <summary>An item reference with what the tile reads of it; the poller's format writes its items the same way.</summary>
    internal static void WriteItem(BinaryWriter w, ItemRef item)
    {
        w.Write(item.Id); w.Write(item.Href); WriteOptionalAssets(w, item.Assets);
    }

    /// <param name="withAssets">False for data written before items carried their assets.</param>
    internal static ItemRef ReadItem(BinaryReader r, bool withAssets)
    {
        string id = r.ReadString();
        return new ItemRef(id, r.ReadString()) { Assets = withAssets ? ReadOptionalAssets(r, id) : null };
    }

    internal static void WriteOptionalAssets(BinaryWriter w, ItemAssets? assets)
    {
        w.Write(assets is not null);
        if (assets is null) return;
        w.Write(assets.Source); WriteOptionalString(w, assets.Collection);
        w.Write(assets.Bands.Length);
        foreach (var b in assets.Bands)
        {
            w.Write((byte)b.Band); w.Write(b.AssetKey); w.Write(b.Href); w.Write(b.NoData);
            w.Write(b.Scaling.Scale); w.Write(b.Scaling.Offset); w.Write((byte)b.Scaling.Source); w.Write(b.Scaling.Reason);
        }
        w.Write(assets.AssetKeys.Length);
        foreach (var key in assets.AssetKeys) w.Write(key);
    }

    /// <param name="itemId">The id written before (with the reference or discovered item holding the assets).</param>
    internal static ItemAssets? ReadOptionalAssets(BinaryReader r, string itemId)
    {
        if (!r.ReadBoolean()) return null;
        string source = r.ReadString();
        string? collection = ReadOptionalString(r);
        var bands = ImmutableArray.CreateBuilder<BandAsset>(r.ReadInt32());
        for (int i = 0; i < bands.Capacity; i++)
            bands.Add(new BandAsset((LogicalBand)r.ReadByte(), r.ReadString(), r.ReadString(), NoData: r.ReadDouble(),
                Scaling: new ReflectanceScaling(r.ReadDouble(), r.ReadDouble(), (ScalingSource)r.ReadByte(), r.ReadString())));
        var keys = ImmutableArray.CreateBuilder<string>(r.ReadInt32());
        for (int i = 0; i < keys.Capacity; i++) keys.Add(r.ReadString());
        return new ItemAssets(itemId, source, collection, bands.MoveToImmutable(), keys.MoveToImmutable());
    }

    private static void WriteTotals(BinaryWriter w, MaskTotals t)
    {
        w.Write(t.NotMonitored); w.Write(t.Monitored); w.Write(t.Unstable); w.Write(t.Breaks); w.Write(t.TooFew);
    }

    private static MaskTotals ReadTotals(BinaryReader r) => new(r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64());

    private static void WriteSummary(BinaryWriter w, FitSummary s)
    {
        WriteDay(w, s.HistoryStart); WriteDay(w, s.HistoryEnd); w.Write(s.HistoryDates); w.Write(s.Height); w.Write(s.Width); w.Write(s.Engine);
    }

    private static FitSummary ReadSummary(BinaryReader r) =>
        new(ReadDay(r), ReadDay(r), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadString());

    private static void WriteOptionalSummary(BinaryWriter w, FitSummary? s) { w.Write(s is not null); if (s is not null) WriteSummary(w, s); }
    private static FitSummary? ReadOptionalSummary(BinaryReader r) => r.ReadBoolean() ? ReadSummary(r) : null;

    private static void WriteAppliedDay(BinaryWriter w, AppliedDay d)
    {
        WriteDay(w, d.Day); WriteTime(w, d.AcquiredUtc); w.Write(d.NewBreaks);
        WriteStrings(w, d.ItemIds);
        w.Write(d.LeftOut.Length);
        foreach (var item in d.LeftOut) { w.Write(item.ItemId); w.Write(item.Reason); }
        w.Write(d.HazeObserved); w.Write(d.HazeSetAside);
    }

    /// <summary>The items left out of the day were appended in version 5, the haze gate's counts in version 10: older data has none.</summary>
    private static AppliedDay ReadAppliedDay(BinaryReader r, byte version)
    {
        var day = ReadDay(r);
        var acquired = ReadTime(r);
        long newBreaks = r.ReadInt64();
        var ids = ReadStrings(r);
        if (version < 5) return new AppliedDay(day, acquired, ids, newBreaks);
        var leftOut = ImmutableArray.CreateBuilder<LeftOutItem>(r.ReadInt32());
        for (int i = 0; i < leftOut.Capacity; i++) leftOut.Add(new LeftOutItem(r.ReadString(), r.ReadString()));
        var applied = new AppliedDay(day, acquired, ids, newBreaks) { LeftOut = leftOut.MoveToImmutable() };
        return version < 10 ? applied : applied with { HazeObserved = r.ReadInt64(), HazeSetAside = r.ReadInt64() };
    }

    private static void WriteDays(BinaryWriter w, ImmutableArray<AppliedDay> days)
    {
        w.Write(days.Length);
        foreach (var d in days) WriteAppliedDay(w, d);
    }

    private static ImmutableArray<AppliedDay> ReadDays(BinaryReader r, byte version)
    {
        var days = ImmutableArray.CreateBuilder<AppliedDay>(r.ReadInt32());
        for (int i = 0; i < days.Capacity; i++) days.Add(ReadAppliedDay(r, version));
        return days.MoveToImmutable();
    }

    private static void WriteQuarantinedDay(BinaryWriter w, QuarantinedDay d)
    {
        WriteDay(w, d.Day); WriteStrings(w, d.ItemIds); w.Write(d.Reason); WriteTime(w, d.AtUtc); w.Write(d.SnapshotSequenceNr);
    }

    /// <summary>The snapshot kept with the day was appended in version 6: older data has none (0).</summary>
    private static QuarantinedDay ReadQuarantinedDay(BinaryReader r, byte version) =>
        new(ReadDay(r), ReadStrings(r), r.ReadString(), ReadTime(r)) { SnapshotSequenceNr = version >= 6 ? r.ReadInt64() : 0 };

    private static void WriteQuarantined(BinaryWriter w, ImmutableArray<QuarantinedDay> days)
    {
        w.Write(days.Length);
        foreach (var d in days) WriteQuarantinedDay(w, d);
    }

    /// <summary>The quarantine list, appended in version 3: older data has none.</summary>
    private static ImmutableArray<QuarantinedDay> ReadQuarantined(BinaryReader r, byte version)
    {
        if (version < 3) return [];
        var days = ImmutableArray.CreateBuilder<QuarantinedDay>(r.ReadInt32());
        for (int i = 0; i < days.Capacity; i++) days.Add(ReadQuarantinedDay(r, version));
        return days.MoveToImmutable();
    }

    private static void WriteStrings(BinaryWriter w, ImmutableArray<string> values)
    {
        w.Write(values.Length);
        foreach (var v in values) w.Write(v);
    }

    private static ImmutableArray<string> ReadStrings(BinaryReader r)
    {
        var values = ImmutableArray.CreateBuilder<string>(r.ReadInt32());
        for (int i = 0; i < values.Capacity; i++) values.Add(r.ReadString());
        return values.MoveToImmutable();
    }
}
