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
    public static IReadOnlyList<Observation> Group(IEnumerable<StacItem> items)
    {
        var unique = new Dictionary<string, StacItem>(StringComparer.Ordinal);
        foreach (var item in items) unique[item.Id] = item;
        return unique.Values
            .GroupBy(Of)
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var ordered = g.OrderBy(i => i.DateTime).ThenBy(i => i.Id, StringComparer.Ordinal).ToArray();
                return new Observation(g.Key, ordered, ordered[0].DateTime);
            })
            .ToArray();
    }
}
