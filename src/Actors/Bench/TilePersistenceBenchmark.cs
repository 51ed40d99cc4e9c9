using System.Collections.Immutable;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Akka.Actor;
using Microsoft.Data.Sqlite;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Serialization;
using NrtCluster.Actors.State;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Bench;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Bench;

/// <summary>Figures of one <see cref="TilePersistenceBenchmark"/> run. Per-day times are medians over the applied days.</summary>
public sealed record TilePersistenceFigures(
    int Size, int HistoryDates, int Days,
    long ModelBytes, long ModelRawBytes, long FitSnapshotBytes, long FitEventBytes,
    long DaySnapshotBytes, long DayEventBytes, long StateRawBytes,
    TimeSpan FitCompute, TimeSpan FitRoundTrip,
    TimeSpan ObservationLoad, TimeSpan Step, TimeSpan Report, TimeSpan Persist,
    TimeSpan Encode, TimeSpan Decode, TimeSpan Recovery)
{
    /// <summary>The tile actor's own timings of the days (<c>nrtc_stage_seconds</c>, <see cref="Telemetry"/>): median per stage.</summary>
    public IReadOnlyDictionary<string, TimeSpan> StageMedians { get; init; } = new Dictionary<string, TimeSpan>();

    /// <summary>A day's work without persistence: loading the observation, the monitor step, writing the report.</summary>
    public TimeSpan DayWork => ObservationLoad + Step + Report;

    /// <summary>What persisting adds to the step alone (the lower bound of a day's work).</summary>
    public double PersistShareOfStep => Persist / Step;

    /// <summary>What persisting adds to a whole day's work; the budget is at most 25%.</summary>
    public double PersistShareOfDay => Persist / DayWork;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"""
        tile {Size} x {Size}, history {HistoryDates} dates, {Days} days applied through the tile actor (embedded SQLite), CuSum
          per fit:   model {ModelBytes / 1e6:F2} MB ({ModelRawBytes / 1e6:F2} MB raw) + state snapshot {FitSnapshotBytes / 1e6:F2} MB + event {FitEventBytes} B; fit {FitCompute.TotalSeconds:F2} s compute, {FitRoundTrip.TotalSeconds:F2} s with storing
          per day:   state snapshot {DaySnapshotBytes / 1e6:F2} MB ({StateRawBytes / 1e6:F2} MB raw) + event {DayEventBytes} B; encoding the state {Encode.TotalMilliseconds:F0} ms, decoding {Decode.TotalMilliseconds:F0} ms
          a day:     load observation {ObservationLoad.TotalMilliseconds:F0} ms (GDAL, 2 UTM granules warped) + step {Step.TotalMilliseconds:F0} ms + report GeoTIFF {Report.TotalMilliseconds:F0} ms = {DayWork.TotalMilliseconds:F0} ms; persisting {Persist.TotalMilliseconds:F0} ms (state snapshot + event, until the reply)
          persistence adds {PersistShareOfDay:P0} to the day's work ({PersistShareOfStep:P0} of the step alone); budget 25%
          recovery:  {Recovery.TotalSeconds:F2} s (state snapshot + model, in a new actor system; target 2 s)
          nrtc_stage_seconds medians per day: {string.Join(", ", StageMedians.Select(s => $"{s.Key} {s.Value.TotalMilliseconds:F0} ms"))} (load here: the synthetic frame's copy)
        """);
}

/// <summary>
/// Measures what a tile costs to persist and recover: a synthetic tile (harmonic NDVI with noise and clouds) is fitted
/// and monitored through the real tile actor on the embedded profile, then recovered in a new actor system. Persisting a
/// day is the actor's round trip minus the step and the load it timed itself; the rest of a day's work is timed apart
/// on the same tile size: a real observation load (<see cref="ObservationBenchmark"/>) and the real report writer.
/// </summary>
public static class TilePersistenceBenchmark
{
    public static async Task<TilePersistenceFigures> RunAsync(string outputFolder, string hoconFolder, int size, int historyDates, int days)
    {
        if (size < 10 || historyDates < 10 || days < 1)
            throw new ArgumentOutOfRangeException(nameof(size), "Use a tile of at least 10 x 10 pixels, at least 10 history dates and at least 1 day.");
        var tile = new TileId(0, 0);
        var kernels = new KernelMonitorEngine("CuSum",
            new Dictionary<string, System.Text.Json.JsonElement> { ["trend"] = Json("false") },
            new Dictionary<string, System.Text.Json.JsonElement> { ["method"] = Json("\"OLS\"") });
        var engine = new TimedEngine(kernels);
        var source = new SyntheticSource(size, historyDates, days);

        var clock = Stopwatch.StartNew();
        var fitOutput = kernels.Fit(await source.LoadHistoryAsync(tile, default, default, CancellationToken.None));
        var fitCompute = clock.Elapsed;

        var options = new NodeOptions(NodeProfile.Embedded, outputFolder) { HoconFolder = hoconFolder, ExtraHocon = "akka.loglevel = WARNING" };
        var timeout = TimeSpan.FromMinutes(10);
        var settings = new TileActorSettings(engine, source, null, null, 2, timeout);
        TimeSpan fitRoundTrip;
        var steps = new List<TimeSpan>();
        var persists = new List<TimeSpan>();
        TileState final;
        var system = AkkaProfiles.Start(options);
        var stages = new Dictionary<string, List<TimeSpan>>();
        using var listener = StageListener(Telemetry.Get(system), stages);
        try
        {
            var region = TileSharding.Start(system, settings);
            // The first message also waits for the cluster and the shard coordinator: keep that out of the fit's time.
            await region.Ask<TileStatus>(new GetTileStatus(tile), timeout);
            clock.Restart();
            await region.Ask<FitAck>(new FitTile(tile, source.HistoryStart, source.HistoryEnd), timeout);
            fitRoundTrip = clock.Elapsed;
            for (int i = 0; i < days; i++)
            {
                var date = source.DateOf(historyDates + i);
                clock.Restart();
                var ack = await region.Ask<DayAck>(new ObserveDay(tile, DateOnly.FromDateTime(date), date, [new ItemRef($"synthetic-{i}", $"synthetic://{i}")]), timeout);
                var roundTrip = clock.Elapsed;
                if (ack.Outcome != AckOutcome.Applied) throw new InvalidOperationException($"Benchmark day {date:yyyy-MM-dd} was not applied: {ack.Outcome} {ack.Detail}");
                steps.Add(engine.LastStep);
                persists.Add(roundTrip - engine.LastStep - source.LastLoad);
            }
            final = await region.Ask<TileState>(new TileActor.GetTileState(tile), timeout);
        }
        finally
        {
            await system.Terminate();
        }

        system = AkkaProfiles.Start(options);
        TimeSpan recovery;
        try
        {
            var region = TileSharding.Start(system, settings);
            // Warm the cluster and the shard with another (empty) tile, so only the tile's own recovery is timed.
            await region.Ask<TileStatus>(new GetTileStatus(new TileId(1, 0)), timeout);
            clock.Restart();
            await region.Ask<TileStatus>(new GetTileStatus(tile), timeout);
            recovery = clock.Elapsed;
        }
        finally
        {
            await system.Terminate();
        }

        var snapshot = final.ToSnapshot();
        var encode = Median(3, () => NrtBinaryFormat.Write(snapshot));
        var encoded = NrtBinaryFormat.Write(snapshot);
        var decode = Median(3, () => NrtBinaryFormat.Read(encoded, NrtBinaryFormat.ManifestOf(snapshot)));
        var observation = ObservationBenchmark.Run(size, repeats: 3, cubeObservations: 0, distinctDays: 1, workFolder: outputFolder);
        var report = ReportTime(outputFolder, size, kernels, tile, final);

        string db = Path.Combine(outputFolder, "nrtcluster.db");
        string pid = TileActor.PersistenceIdOf(tile);
        return new TilePersistenceFigures(size, historyDates, days,
            Scalar(db, $"SELECT MAX(LENGTH(payload)) FROM snapshot WHERE persistence_id = '{TileActor.ModelPersistenceIdOf(tile)}'"),
            fitOutput.Model.ByteSize,
            NrtBinaryFormat.Write(new TileSnapshot(tile, 1, final.Fit, fitOutput.Monitoring, [], MaskTotals.Zero)).Length,
            Scalar(db, $"SELECT MAX(LENGTH(payload)) FROM event_journal WHERE persistence_id = '{pid}' AND manifest = 'ModelFitted'"),
            Scalar(db, $"SELECT LENGTH(payload) FROM snapshot WHERE persistence_id = '{pid}' ORDER BY sequence_nr DESC LIMIT 1"),
            Scalar(db, $"SELECT MAX(LENGTH(payload)) FROM event_journal WHERE persistence_id = '{pid}' AND manifest = 'DayApplied'"),
            final.Monitoring!.ByteSize,
            fitCompute, fitRoundTrip,
            TimeSpan.FromMilliseconds(observation.ObservationMedianMs), Median(steps), report, Median(persists),
            encode, decode, recovery)
        {
            StageMedians = stages.ToDictionary(kv => kv.Key, kv => Median(kv.Value)),
        };
    }

    /// <summary>Collects the tile actor's stage timings from the node's meter as they are recorded.</summary>
    public static MeterListener StageListener(Telemetry telemetry, Dictionary<string, List<TimeSpan>> stages)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, telemetry) && instrument.Name == "nrtc.stage") l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key != "stage") continue;
                lock (stages)
                {
                    var key = (string)tag.Value!;
                    if (!stages.TryGetValue(key, out var list)) stages[key] = list = [];
                    list.Add(TimeSpan.FromSeconds(seconds));
                }
            }
        });
        listener.Start();
        return listener;
    }

    /// <summary>The real report writer on a grid whose tiles have the benchmark's size (median of 3 writes).</summary>
    private static TimeSpan ReportTime(string outputFolder, int size, KernelMonitorEngine kernels, TileId tile, TileState state)
    {
        var writer = new GeoTiffTileReportWriter(new ProcessingGrid("EPSG:3035", 20, 4_000_000, 3_500_000, size), outputFolder, ["mask", "detection_date"], kernels);
        return Median(3, () => writer.WriteAsync(tile, state.LastDay!.Value, state.Model!.Layers, state.Monitoring!, CancellationToken.None).GetAwaiter().GetResult());
    }

    private static TimeSpan Median(int runs, Func<object> work)
    {
        var times = new List<TimeSpan>();
        for (int i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            GC.KeepAlive(work());
            times.Add(clock.Elapsed);
        }
        return Median(times);
    }

    private static TimeSpan Median(List<TimeSpan> times)
    {
        times.Sort();
        return times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
    }

    private static System.Text.Json.JsonElement Json(string text) => System.Text.Json.JsonDocument.Parse(text).RootElement.Clone();

    private static long Scalar(string db, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={db}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is long value ? value : 0;
    }

    /// <summary>The kernels' engine, timing each step (the actor runs one command at a time, so the last step is the day's).</summary>
    private sealed class TimedEngine(KernelMonitorEngine inner) : IMonitorEngine
    {
        private long _lastStepTicks;

        public TimeSpan LastStep => TimeSpan.FromTicks(Interlocked.Read(ref _lastStepTicks));

        public string Description => inner.Description;

        public FitOutput Fit(TileHistory history) => inner.Fit(history);

        public Layer Report(LayerSet model, LayerSet monitoring, IReadOnlyList<string> layers) => inner.Report(model, monitoring, layers);

        public void WriteNrtState(string path, LayerSet model, LayerSet monitoring, TileCoordinates where) => inner.WriteNrtState(path, model, monitoring, where);

        public FitOutput ReadNrtState(string path, TileCoordinates where) => inner.ReadNrtState(path, where);

        public StepOutput Step(LayerSet model, LayerSet monitoring, ReadOnlySpan<float> observation, DateTime acquiredUtc)
        {
            var clock = Stopwatch.StartNew();
            var next = inner.Step(model, monitoring, observation, acquiredUtc);
            Interlocked.Exchange(ref _lastStepTicks, clock.Elapsed.Ticks);
            return next;
        }
    }

    /// <summary>Harmonic NDVI-like series with noise and 30% clouds, every 5 days from 2019-01-01 10:30 UTC; deterministic.</summary>
    private sealed class SyntheticSource(int size, int historyDates, int days) : IObservationSource
    {
        private static readonly DateTime Start = new(2019, 1, 1, 10, 30, 0, DateTimeKind.Utc);
        private readonly ImmutableArray<float[]> _monitoring = [.. Enumerable.Range(historyDates, days).Select(i => Frame(size, i))];
        private long _lastLoadTicks;

        public TimeSpan LastLoad => TimeSpan.FromTicks(Interlocked.Read(ref _lastLoadTicks));

        public DateTime DateOf(int index) => Start.AddDays(5 * index);
        public DateOnly HistoryStart => DateOnly.FromDateTime(DateOf(0));
        public DateOnly HistoryEnd => DateOnly.FromDateTime(DateOf(historyDates - 1));

        private static float[] Frame(int size, int index)
        {
            var frame = new float[size * size];
            double year = 2 * Math.PI * 5 * index / 365.25;
            Parallel.For(0, size, row =>
            {
                for (int col = 0; col < size; col++)
                {
                    int p = row * size + col;
                    uint h = Hash((uint)p, (uint)index);
                    frame[p] = (h & 1023) < 307
                        ? float.NaN
                        : (float)(0.6 + 0.002 * (p % 97) + 0.15 * Math.Cos(year) + 0.05 * Math.Sin(year) + ((h >> 10) & 1023) / 1023.0 * 0.06 - 0.03);
                }
            });
            return frame;
        }

        public Task<TileHistory> LoadHistoryAsync(TileId tile, DateOnly start, DateOnly end, CancellationToken cancellationToken)
        {
            var values = new float[(long)historyDates * size * size];
            for (int t = 0; t < historyDates; t++) Frame(size, t).CopyTo(values, (long)t * size * size);
            return Task.FromResult(TileHistory.Of(size, size, [.. Enumerable.Range(0, historyDates).Select(DateOf)], values));
        }

        /// <summary>The monitoring frames are made up front, so a day's load in the actor is a copy (timed, and subtracted).</summary>
        public Task<ObservationLoad> LoadObservationAsync(TileId tile, DateOnly day, DateTime acquiredUtc, IReadOnlyList<ItemRef> items, CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            int index = (int)Math.Round((acquiredUtc - Start).TotalDays / 5) - historyDates;
            var frame = (float[])_monitoring[index].Clone();
            Interlocked.Exchange(ref _lastLoadTicks, clock.Elapsed.Ticks);
            return Task.FromResult(new ObservationLoad(frame));
        }

        private static uint Hash(uint a, uint b)
        {
            uint h = a * 0x9E3779B1u ^ (b + 0x7F4A7C15u) * 0x85EBCA77u;
            h ^= h >> 15; h *= 0x2C1B3C6Du; h ^= h >> 12; h *= 0x297A2D39u; h ^= h >> 15;
            return h;
        }
    }
}
