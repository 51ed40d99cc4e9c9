using System.Collections.Immutable;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using NrtCluster.Actors.Jobs;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Reports;
using NrtCluster.Actors.Sources;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Stac;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Serialization;

/// <summary>Akka serializer for the poller's, aggregator's and jobs' messages, events and snapshots.</summary>
public sealed class PipelineSerializer(ExtendedActorSystem system)
    : FormatSerializer(system, SerializerId, PipelineFormat.ManifestOf, PipelineFormat.Write, PipelineFormat.Read)
{
    public const int SerializerId = 7302;
}

/// <summary>The binary format of <see cref="IPipelineMessage"/>s: a version byte, then the fields; tile messages inside use <see cref="NrtBinaryFormat"/>.</summary>
public static class PipelineFormat
{
    // 2: job progress carries each tile's quarantined days; 3: also its repeated days and retries, and a poll the tile-days it found;
    // 4: rejected items; 5: discovered items and item references carry what a tile reads of the item (ItemRef.Assets);
    // 6: the poller's snapshot ends with the tiles' fits (DeliveryReset). Older versions (persisted poller and report state,
    // messages of older nodes) are still read.
    private const byte Version = 6;

    private static readonly Dictionary<Type, string> Manifests = new()
    {
        [typeof(PollNow)] = "PollNow",
        [typeof(PollCompleted)] = "PollCompleted",
        [typeof(GetPollerStatus)] = "GetPollerStatus",
        [typeof(PollerStatus)] = "PollerStatus",
        [typeof(ItemsDiscovered)] = "ItemsDiscovered",
        [typeof(ItemsPushed)] = "ItemsPushed",
        [typeof(ItemsPushedRecorded)] = "ItemsPushedRecorded",
        [typeof(DayDispatched)] = "DayDispatched",
        [typeof(ObservationHandedOver)] = "ObservationHandedOver",
        [typeof(DayBackfilled)] = "DayBackfilled",
        [typeof(DeliveryReset)] = "DeliveryReset",
        [typeof(Backfill)] = "Backfill",
        [typeof(BackfillQueued)] = "BackfillQueued",
        [typeof(PollerSnapshot)] = "PollerSnapshot",
        [typeof(GetAlertFeed)] = "GetAlertFeed",
        [typeof(AlertFeed)] = "AlertFeed",
        [typeof(GetAlertStatistics)] = "GetAlertStatistics",
        [typeof(AlertStatistics)] = "AlertStatistics",
        [typeof(AlertRecorded)] = "AlertRecorded",
        [typeof(MosaicBuilt)] = "MosaicBuilt",
        [typeof(ReportSnapshot)] = "ReportSnapshot",
        [typeof(GetJobProgress)] = "GetJobProgress",
        [typeof(JobProgress)] = "JobProgress",
        [typeof(GetSingletonHealth)] = "GetSingletonHealth",
        [typeof(SingletonHealth)] = "SingletonHealth",
    };

    public static IEnumerable<Type> Types => Manifests.Keys;

    public static string ManifestOf(object message) =>
        Manifests.TryGetValue(message.GetType(), out var m)
            ? m
            : throw new ArgumentException($"PipelineFormat cannot write {message.GetType().FullName}; add it to the format and its manifest table.");

    public static byte[] Write(object message)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Version);
            switch (message)
            {
                case PollNow or GetPollerStatus or GetAlertStatistics or GetJobProgress or GetSingletonHealth: break;
                case SingletonHealth m: w.Write(m.Name); w.Write(m.Running); w.Write(m.FailedStarts); WriteTime(w, m.SinceUtc); w.Write(m.Kept); break;
                case PollCompleted m:
                    w.Write(m.NewItems); w.Write(m.PendingDays); WriteOptionalTime(w, m.CursorUtc); WriteOptionalString(w, m.Error);
                    WriteArray(w, m.NewTileDays, (w, x) => { WriteTile(w, x.Tile); WriteDay(w, x.Day); });
                    WriteArray(w, m.Rejected, WriteRejected);
                    break;
                case PollerStatus m:
                    WriteOptionalTime(w, m.CursorUtc); w.Write(m.SeenItems); WriteArray(w, m.PendingDays, WriteDay); w.Write(m.Outbox);
                    WriteOptionalTime(w, m.LastPollUtc); WriteOptionalString(w, m.LastError);
                    WriteArray(w, m.Rejected, WriteRejected); w.Write(m.RejectedCount);
                    break;
                case ItemsDiscovered m:
                    WriteArray(w, m.Items, WriteDiscovered); WriteTime(w, m.SettleUntilUtc); WriteOptionalTime(w, m.CursorUtc); WriteTime(w, m.ForgetSeenBeforeUtc);
                    break;
                case ItemsPushed m: WriteArray(w, m.Items, WriteDiscovered); WriteArray(w, m.Rejected, WriteRejected); break;
                case ItemsPushedRecorded m: WriteArray(w, m.Accepted, (w, id) => w.Write(id)); WriteArray(w, m.Rejected, WriteRejected); break;
                case DayDispatched m: WriteDay(w, m.Day); WriteTime(w, m.AcquiredUtc); WriteArray(w, m.Items, WriteItem); WriteArray(w, m.Tiles, WriteTile); break;
                case ObservationHandedOver m: WriteTile(w, m.Tile); WriteDay(w, m.Day); break;
                case DayBackfilled m: WriteDay(w, m.Day); WriteTime(w, m.AcquiredUtc); WriteArray(w, m.Items, WriteItem); WriteArray(w, m.Tiles, WriteTile); break;
                case DeliveryReset m: WriteTile(w, m.Tile); w.Write(m.FitNumber); break;
                case Backfill m:
                    w.Write(m.JobId); WriteArray(w, m.Tiles, (w, t) => { WriteTile(w, t.Tile); w.Write(t.FitNumber); w.Write(t.Restart); });
                    WriteTime(w, m.FromUtc); WriteTime(w, m.ToUtc);
                    break;
                case BackfillQueued m:
                    w.Write(m.JobId); WriteArray(w, m.Days, (w, t) => { WriteTile(w, t.Tile); WriteArray(w, t.Days, WriteDay); });
                    WriteOptionalString(w, m.Error); WriteArray(w, m.Rejected, WriteRejected);
                    break;
                case PollerSnapshot m:
                    WriteOptionalTime(w, m.CursorUtc);
                    WriteArray(w, m.Seen, (w, s) => { w.Write(s.Id); WriteTime(w, s.AcquiredUtc); });
                    WriteArray(w, m.Pending, WritePending);
                    WriteArray(w, m.LastDispatched, (w, x) => { WriteTile(w, x.Tile); WriteDay(w, x.Day); });
                    WriteArray(w, m.Outbox, WriteTileMessage);
                    WriteArray(w, m.Fits, (w, x) => { WriteTile(w, x.Tile); w.Write(x.FitNumber); });
                    break;
                case GetAlertFeed m: WriteDay(w, m.Since); break;
                case AlertFeed m: WriteDay(w, m.Since); WriteArray(w, m.Entries, WriteEntry); break;
                case AlertStatistics m:
                    WriteArray(w, m.Days, (w, d) => { WriteDay(w, d.Day); w.Write(d.Tiles); w.Write(d.NewBreaks); });
                    WriteArray(w, m.Tiles, WriteTileStatistics); WriteOptionalString(w, m.MosaicPath); WriteArray(w, m.MosaicSources, (w, s) => w.Write(s));
                    break;
                case AlertRecorded m: WriteTileMessage(w, m.Alert); break;
                case MosaicBuilt m: w.Write(m.Path); WriteArray(w, m.Sources, (w, s) => w.Write(s)); break;
                case ReportSnapshot m:
                    WriteArray(w, m.Tiles, WriteTileStatistics); WriteArray(w, m.Entries, WriteEntry);
                    WriteOptionalString(w, m.MosaicPath); WriteArray(w, m.MosaicSources, (w, s) => w.Write(s));
                    break;
                case JobProgress m:
                    w.Write(m.JobId); w.Write((byte)m.Kind); w.Write(m.TilesDone); w.Write(m.TilesFailed); w.Write(m.TilesTotal);
                    WriteArray(w, m.Tiles, WriteTileProgress); w.Write(m.Finished); WriteOptionalString(w, m.Error);
                    break;
                default: throw new ArgumentException($"PipelineFormat cannot write {message.GetType().FullName}.");
            }
        }
        return stream.ToArray();
    }

    public static object Read(byte[] bytes, string manifest)
    {
        using var r = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
        byte version = r.ReadByte();
        if (version is < 1 or > Version)
            throw new InvalidDataException($"'{manifest}' was written in pipeline format version {version}; this build reads versions 1 to {Version}.");
        return manifest switch
        {
            "PollNow" => PollNow.Instance,
            "GetPollerStatus" => GetPollerStatus.Instance,
            "GetAlertStatistics" => GetAlertStatistics.Instance,
            "GetJobProgress" => GetJobProgress.Instance,
            "GetSingletonHealth" => GetSingletonHealth.Instance,
            "SingletonHealth" => new SingletonHealth(r.ReadString(), r.ReadBoolean(), r.ReadInt32(), ReadTime(r), r.ReadInt32()),
            "PollCompleted" => new PollCompleted(r.ReadInt32(), r.ReadInt32(), ReadOptionalTime(r), ReadOptionalString(r))
            {
                NewTileDays = version >= 3 ? ReadArray(r, r => (ReadTile(r), ReadDay(r))) : [],
                Rejected = version >= 4 ? ReadArray(r, ReadRejected) : [],
            },
            "PollerStatus" => ReadPollerStatus(r, version),
            "ItemsDiscovered" => new ItemsDiscovered(ReadArray(r, r => ReadDiscovered(r, version)), ReadTime(r), ReadOptionalTime(r), ReadTime(r)),
            "ItemsPushed" => new ItemsPushed(ReadArray(r, r => ReadDiscovered(r, version)), ReadArray(r, ReadRejected)),
            "ItemsPushedRecorded" => new ItemsPushedRecorded(ReadArray(r, r => r.ReadString()), ReadArray(r, ReadRejected)),
            "DayDispatched" => new DayDispatched(ReadDay(r), ReadTime(r), ReadArray(r, r => ReadItem(r, version)), ReadArray(r, ReadTile)),
            "ObservationHandedOver" => new ObservationHandedOver(ReadTile(r), ReadDay(r)),
            "DayBackfilled" => new DayBackfilled(ReadDay(r), ReadTime(r), ReadArray(r, r => ReadItem(r, version)), ReadArray(r, ReadTile)),
            "DeliveryReset" => new DeliveryReset(ReadTile(r), r.ReadInt32()),
            "Backfill" => new Backfill(r.ReadString(), ReadArray(r, r => new BackfillTile(ReadTile(r), r.ReadInt32(), r.ReadBoolean())), ReadTime(r), ReadTime(r)),
            "BackfillQueued" => new BackfillQueued(r.ReadString(), ReadArray(r, r => (ReadTile(r), ReadArray(r, ReadDay))), ReadOptionalString(r))
            {
                Rejected = ReadArray(r, ReadRejected),
            },
            "PollerSnapshot" => new PollerSnapshot(
                ReadOptionalTime(r),
                ReadArray(r, r => (r.ReadString(), ReadTime(r))),
                ReadArray(r, r => ReadPending(r, version)),
                ReadArray(r, r => (ReadTile(r), ReadDay(r))),
                ReadArray(r, r => (ObserveDay)ReadTileMessage(r)))
            {
                Fits = version >= 6 ? ReadArray(r, r => (ReadTile(r), r.ReadInt32())) : [],
            },
            "GetAlertFeed" => new GetAlertFeed(ReadDay(r)),
            "AlertFeed" => new AlertFeed(ReadDay(r), ReadArray(r, ReadEntry)),
            "AlertStatistics" => new AlertStatistics(
                ReadArray(r, r => new DayStatistics(ReadDay(r), r.ReadInt32(), r.ReadInt64())),
                ReadArray(r, ReadTileStatistics), ReadOptionalString(r), ReadArray(r, r => r.ReadString())),
            "AlertRecorded" => new AlertRecorded((TileAlert)ReadTileMessage(r)),
            "MosaicBuilt" => new MosaicBuilt(r.ReadString(), ReadArray(r, r => r.ReadString())),
            "ReportSnapshot" => new ReportSnapshot(ReadArray(r, ReadTileStatistics), ReadArray(r, ReadEntry), ReadOptionalString(r), ReadArray(r, r => r.ReadString())),
            "JobProgress" => new JobProgress(r.ReadString(), (JobKind)r.ReadByte(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(),
                ReadArray(r, r => ReadTileProgress(r, version)), r.ReadBoolean(), ReadOptionalString(r)),
            _ => throw new InvalidDataException($"Unknown pipeline manifest '{manifest}': written by a newer or different build?"),
        };
    }

    // ---- records

    private static PollerStatus ReadPollerStatus(BinaryReader r, byte version)
    {
        var status = new PollerStatus(ReadOptionalTime(r), r.ReadInt32(), ReadArray(r, ReadDay), r.ReadInt32(), ReadOptionalTime(r), ReadOptionalString(r));
        return version >= 4 ? status with { Rejected = ReadArray(r, ReadRejected), RejectedCount = r.ReadInt32() } : status;
    }

    private static void WriteRejected(BinaryWriter w, RejectedItem i) { WriteOptionalString(w, i.Id); w.Write(i.Source); w.Write(i.Reason); }
    private static RejectedItem ReadRejected(BinaryReader r) => new(ReadOptionalString(r), r.ReadString(), r.ReadString());

    private static void WriteDiscovered(BinaryWriter w, DiscoveredItem i)
    {
        w.Write(i.Id); w.Write(i.Href); WriteTime(w, i.AcquiredUtc); WriteDay(w, i.SolarDay); WriteArray(w, i.Tiles, WriteTile);
        NrtBinaryFormat.WriteOptionalAssets(w, i.Assets);
    }

    private static DiscoveredItem ReadDiscovered(BinaryReader r, byte version)
    {
        var item = new DiscoveredItem(r.ReadString(), r.ReadString(), ReadTime(r), ReadDay(r), ReadArray(r, ReadTile));
        return version >= 5 ? item with { Assets = NrtBinaryFormat.ReadOptionalAssets(r, item.Id) } : item;
    }

    private static void WritePending(BinaryWriter w, PendingDay p)
    {
        WriteDay(w, p.Day); WriteTime(w, p.AcquiredUtc); WriteArray(w, p.Items, WriteItem); WriteArray(w, p.Tiles, WriteTile); WriteTime(w, p.SettleUntilUtc);
    }

    private static PendingDay ReadPending(BinaryReader r, byte version) =>
        new(ReadDay(r), ReadTime(r), ReadArray(r, r => ReadItem(r, version)), ReadArray(r, ReadTile), ReadTime(r));

    private static void WriteEntry(BinaryWriter w, AlertEntry e) { WriteTile(w, e.Tile); WriteDay(w, e.Day); w.Write(e.NewBreaks); WriteOptionalString(w, e.ReportPath); }
    private static AlertEntry ReadEntry(BinaryReader r) => new(ReadTile(r), ReadDay(r), r.ReadInt64(), ReadOptionalString(r));

    private static void WriteTileStatistics(BinaryWriter w, TileStatistics t)
    {
        WriteTile(w, t.Tile); WriteDay(w, t.LastDay); w.Write(t.DaysReported); w.Write(t.NewBreaks);
        w.Write(t.Totals.NotMonitored); w.Write(t.Totals.Monitored); w.Write(t.Totals.Unstable); w.Write(t.Totals.Breaks); w.Write(t.Totals.TooFew);
        WriteOptionalString(w, t.ReportPath);
    }

    private static TileStatistics ReadTileStatistics(BinaryReader r) => new(
        ReadTile(r), ReadDay(r), r.ReadInt32(), r.ReadInt64(),
        new MaskTotals(r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64()),
        ReadOptionalString(r));

    private static void WriteTileProgress(BinaryWriter w, TileProgress p)
    {
        WriteTile(w, p.Tile); w.Write((byte)p.Status); w.Write(p.CurrentDay.HasValue); if (p.CurrentDay is { } d) WriteDay(w, d);
        w.Write(p.DaysDone); w.Write(p.DaysTotal); WriteOptionalString(w, p.Detail); w.Write(p.DaysQuarantined); w.Write(p.DaysRepeated); w.Write(p.Retries);
    }

    private static TileProgress ReadTileProgress(BinaryReader r, byte version) => new(
        ReadTile(r), (TileJobStatus)r.ReadByte(), r.ReadBoolean() ? ReadDay(r) : null, r.ReadInt32(), r.ReadInt32(), ReadOptionalString(r),
        version >= 2 ? r.ReadInt32() : 0, version >= 3 ? r.ReadInt32() : 0, version >= 3 ? r.ReadInt32() : 0);

    /// <summary>A tile protocol message in the tiles' own format, with its manifest.</summary>
    private static void WriteTileMessage(BinaryWriter w, object message)
    {
        w.Write(NrtBinaryFormat.ManifestOf(message));
        var bytes = NrtBinaryFormat.Write(message);
        w.Write(bytes.Length);
        w.Write(bytes);
    }

    private static object ReadTileMessage(BinaryReader r)
    {
        string manifest = r.ReadString();
        return NrtBinaryFormat.Read(r.ReadBytes(r.ReadInt32()), manifest);
    }

    // ---- scalars

    private static void WriteItem(BinaryWriter w, ItemRef i) => NrtBinaryFormat.WriteItem(w, i);
    private static ItemRef ReadItem(BinaryReader r, byte version) => NrtBinaryFormat.ReadItem(r, withAssets: version >= 5);

    private static void WriteTile(BinaryWriter w, TileId t) { w.Write(t.Column); w.Write(t.Row); }
    private static TileId ReadTile(BinaryReader r) => new(r.ReadInt32(), r.ReadInt32());

    private static void WriteDay(BinaryWriter w, DateOnly d) => w.Write(d.DayNumber);
    private static DateOnly ReadDay(BinaryReader r) => DateOnly.FromDayNumber(r.ReadInt32());

    private static void WriteTime(BinaryWriter w, DateTime t) => w.Write(t.ToUniversalTime().Ticks);
    private static DateTime ReadTime(BinaryReader r) => new(r.ReadInt64(), DateTimeKind.Utc);

    private static void WriteOptionalTime(BinaryWriter w, DateTime? t) { w.Write(t.HasValue); if (t is { } v) WriteTime(w, v); }
    private static DateTime? ReadOptionalTime(BinaryReader r) => r.ReadBoolean() ? ReadTime(r) : null;

    private static void WriteOptionalString(BinaryWriter w, string? s) { w.Write(s is not null); if (s is not null) w.Write(s); }
    private static string? ReadOptionalString(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    private static void WriteArray<T>(BinaryWriter w, ImmutableArray<T> items, Action<BinaryWriter, T> write)
    {
        w.Write(items.Length);
        foreach (var item in items) write(w, item);
    }

    private static ImmutableArray<T> ReadArray<T>(BinaryReader r, Func<BinaryReader, T> read)
    {
        int n = r.ReadInt32();
        if (n < 0) throw new InvalidDataException($"Negative array length {n} in a pipeline message.");
        var items = ImmutableArray.CreateBuilder<T>(n);
        for (int i = 0; i < n; i++) items.Add(read(r));
        return items.MoveToImmutable();
    }
}
