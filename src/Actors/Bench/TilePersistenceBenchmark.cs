using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Microsoft.Data.Sqlite;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Tiles;

namespace NrtCluster.Actors.Bench;

/// <summary>Figures of one <see cref="TilePersistenceBenchmark"/> run.</summary>
public sealed record TilePersistenceFigures(
    int Size, int HistoryDates, int Days,
    long ModelBytes, long ModelRawBytes, long DayEventBytes, long DaySnapshotBytes, long StateRawBytes,
    TimeSpan FitCompute, TimeSpan FitRoundTrip, TimeSpan StepCompute, TimeSpan DayRoundTripMean, TimeSpan Recovery)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"""
        tile {Size} x {Size}, history {HistoryDates} dates, {Days} days applied (embedded SQLite)
          per fit:  model {ModelBytes / 1e6:F2} MB stored ({ModelRawBytes / 1e6:F2} MB raw); fit {FitCompute.TotalSeconds:F2} s compute, {FitRoundTrip.TotalSeconds:F2} s with persisting
          per day:  event {DayEventBytes / 1e6:F2} MB + snapshot {DaySnapshotBytes / 1e6:F2} MB stored ({StateRawBytes / 1e6:F2} MB raw state); step {StepCompute.TotalSeconds:F3} s compute, {DayRoundTripMean.TotalSeconds:F3} s per day with persisting
          recovery: {Recovery.TotalSeconds:F2} s (snapshot + events + model, in a new actor system)
        """);
}

/// <summary>
/// Measures what a tile costs to persist and recover: a synthetic tile (harmonic NDVI with noise and clouds) is fitted
/// and monitored through the real tile actor on the embedded profile, then recovered in a new actor system.
/// </summary>
public static class TilePersistenceBenchmark
{
    public static async Task<TilePersistenceFigures> RunAsync(string outputFolder, string hoconFolder, int size, int historyDates, int days)
    {
        var tile = new TileKey(0, 0);
        var engine = new KernelMonitorEngine("CuSum",
            new Dictionary<string, System.Text.Json.JsonElement> { ["trend"] = Json("false") },
            new Dictionary<string, System.Text.Json.JsonElement> { ["method"] = Json("\"OLS\"") });
        var source = new SyntheticSource(size, historyDates);

        var clock = Stopwatch.StartNew();
        var fitOutput = engine.Fit(await source.LoadHistoryAsync(tile, default, default, CancellationToken.None));
        var fitCompute = clock.Elapsed;
        clock.Restart();
        _ = engine.Step(fitOutput.Model, fitOutput.Monitoring, source.Frame(historyDates), source.DateOf(historyDates));
        var stepCompute = clock.Elapsed;

        var options = new NodeOptions(NodeProfile.Embedded, outputFolder) { HoconFolder = hoconFolder, ExtraHocon = "akka.loglevel = WARNING" };
        var timeout = TimeSpan.FromMinutes(10);
        TimeSpan fitRoundTrip, dayTotal = TimeSpan.Zero;
        var settings = new TileActorSettings(engine, source, null, null, 2, timeout);
        var system = AkkaProfiles.Start(options);
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
                await region.Ask<DayAck>(new ObserveDay(tile, DateOnly.FromDateTime(date), date, [new ItemRef($"synthetic-{i}", $"synthetic://{i}")]), timeout);
                dayTotal += clock.Elapsed;
            }
            await region.Ask<TileStatus>(new GetTileStatus(tile), timeout);
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
            clock.Restart();
            await region.Ask<TileStatus>(new GetTileStatus(tile), timeout);
            recovery = clock.Elapsed;
        }
        finally
        {
            await system.Terminate();
        }

        string db = Path.Combine(outputFolder, "nrtcluster.db");
        string pid = TileActor.PersistenceIdOf(tile);
        return new TilePersistenceFigures(size, historyDates, days,
            Scalar(db, $"SELECT MAX(LENGTH(payload)) FROM snapshot WHERE persistence_id = '{TileActor.ModelPersistenceIdOf(tile)}'"),
            fitOutput.Model.ByteSize,
            Scalar(db, $"SELECT MAX(LENGTH(payload)) FROM event_journal WHERE persistence_id = '{pid}' AND manifest = 'DayApplied'"),
            Scalar(db, $"SELECT MAX(LENGTH(payload)) FROM snapshot WHERE persistence_id = '{pid}'"),
            fitOutput.Monitoring.ByteSize,
            fitCompute, fitRoundTrip, stepCompute, days == 0 ? TimeSpan.Zero : dayTotal / days, recovery);
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

    /// <summary>Harmonic NDVI-like series with noise and 30% clouds, every 5 days from 2019-01-01 10:30 UTC; deterministic.</summary>
    private sealed class SyntheticSource(int size, int historyDates) : IObservationSource
    {
        private static readonly DateTime Start = new(2019, 1, 1, 10, 30, 0, DateTimeKind.Utc);

        public DateTime DateOf(int index) => Start.AddDays(5 * index);
        public DateOnly HistoryStart => DateOnly.FromDateTime(DateOf(0));
        public DateOnly HistoryEnd => DateOnly.FromDateTime(DateOf(historyDates - 1));

        public float[] Frame(int index)
        {
            var frame = new float[size * size];
            double year = 2 * Math.PI * (DateOf(index) - Start).TotalDays / 365.25;
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

        public Task<HistoryStack> LoadHistoryAsync(TileKey tile, DateOnly start, DateOnly end, CancellationToken cancellationToken)
        {
            var values = new float[(long)historyDates * size * size];
            for (int t = 0; t < historyDates; t++) Frame(t).CopyTo(values, (long)t * size * size);
            return Task.FromResult(new HistoryStack(size, size, [.. Enumerable.Range(0, historyDates).Select(DateOf)], values));
        }

        public Task<float[]> LoadObservationAsync(TileKey tile, DateOnly day, DateTime acquiredUtc, IReadOnlyList<ItemRef> items, CancellationToken cancellationToken) =>
            Task.FromResult(Frame((int)Math.Round((acquiredUtc - Start).TotalDays / 5)));

        private static uint Hash(uint a, uint b)
        {
            uint h = a * 0x9E3779B1u ^ (b + 0x7F4A7C15u) * 0x85EBCA77u;
            h ^= h >> 15; h *= 0x2C1B3C6Du; h ^= h >> 12; h *= 0x297A2D39u; h ^= h >> 15;
            return h;
        }
    }
}
