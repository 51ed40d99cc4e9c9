using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tests.Support;

/// <summary>Serves a conformance case's history and monitoring frames as a tile's pixels, counting the loads.</summary>
public sealed class CaseObservationSource(ConformanceCase data) : IObservationSource
{
    private int _observationLoads;
    private int _historyLoads;

    public int ObservationLoads => Volatile.Read(ref _observationLoads);
    public int HistoryLoads => Volatile.Read(ref _historyLoads);

    public Task<TileHistory> LoadHistoryAsync(TileId tile, DateOnly start, DateOnly end, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _historyLoads);
        return Task.FromResult(data.TileHistory());
    }

    public Task<ObservationLoad> LoadObservationAsync(TileId tile, DateOnly day, DateTime acquiredUtc, IReadOnlyList<ItemRef> items, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _observationLoads);
        int index = data.MonitoringDates.IndexOf(acquiredUtc);
        if (index < 0) throw new ArgumentException($"No monitoring frame at {acquiredUtc:O} in {data.Directory}.");
        return Task.FromResult(new ObservationLoad(data.Frame(index)));
    }
}
