namespace NrtCluster.Geo.Stac;

/// <summary>
/// The items of one solar day: one observation, its granules mosaicked first-valid-pixel-wins in the order of
/// <see cref="Items"/> (by datetime, then id). <see cref="AcquisitionTime"/> is the earliest item's datetime.
/// </summary>
public sealed record Observation(DateOnly SolarDay, IReadOnlyList<StacItem> Items, DateTimeOffset AcquisitionTime);

public static class SolarDays
{
    /// <summary>
    /// The local solar day of an item: its UTC datetime shifted by longitude/15 hours, longitude taken at the centre
    /// of its bbox (or geometry). Keeps one orbit pass on one date where a UTC date might split it.
    /// </summary>
    public static DateOnly Of(StacItem item)
    {
        var (lon, _) = item.Centre;
        return DateOnly.FromDateTime(item.DateTime.UtcDateTime.AddHours(lon / 15.0));
    }

    /// <summary>
    /// Groups items into observations by solar day, oldest first; an item id seen twice is kept once (the later
    /// occurrence wins, as paged searches can repeat items).
    /// </summary>
    public static IReadOnlyList<Observation> Group(IEnumerable<StacItem> items) =>
        [.. Group(items, i => i.Id, i => i.DateTime.UtcDateTime, Of).Select(d => new Observation(d.Day, d.Items, d.Items[0].DateTime))];

    /// <summary>
    /// The one grouping of items into solar days, for STAC items and for the poller's records of them alike: each id once
    /// (the later occurrence wins), days oldest first, each day's items by acquisition time then id (the order a tile
    /// mosaics them, first valid pixel wins).
    /// </summary>
    public static IReadOnlyList<(DateOnly Day, T[] Items)> Group<T>(IEnumerable<T> items, Func<T, string> id, Func<T, DateTime> acquiredUtc, Func<T, DateOnly> solarDay)
    {
        var unique = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var item in items) unique[id(item)] = item;
        return [.. unique.Values
            .GroupBy(solarDay)
            .OrderBy(g => g.Key)
            .Select(g => (g.Key, g.OrderBy(acquiredUtc).ThenBy(id, StringComparer.Ordinal).ToArray()))];
    }
}
