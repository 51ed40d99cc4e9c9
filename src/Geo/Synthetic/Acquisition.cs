namespace NrtCluster.Geo.Synthetic;

/// <summary>One overpass: both granules are acquired at <see cref="Time"/> (same datatake, same sensing time).</summary>
public sealed record Acquisition(int Index, DateTimeOffset Time, string Platform, string ProcessingBaseline)
{
    public DateOnly Date => DateOnly.FromDateTime(Time.UtcDateTime);

    /// <summary>Baseline 04.00 and later store reflectance*10000 + 1000.</summary>
    public int DnOffset => string.CompareOrdinal(ProcessingBaseline, "04.00") >= 0 ? 1000 : 0;

    /// <summary>"S2A" or "S2B", the prefix of product names.</summary>
    public string Mission => Platform == "sentinel-2a" ? "S2A" : "S2B";

    /// <summary>
    /// Every revisit from options.Start to options.End: S2A and S2B alternate, sensing between 10:20 and 10:50 UTC,
    /// baseline 02.14 before 2022-01-25 and 04.00 from then on.
    /// </summary>
    public static IReadOnlyList<Acquisition> Schedule(SyntheticArchiveOptions options)
    {
        var seed = Noise.Hash((ulong)options.Seed, 201);
        var list = new List<Acquisition>();
        var index = 0;
        for (var date = options.Start; date <= options.End; date = date.AddDays(options.RevisitDays), index++)
        {
            var milliseconds = (long)(Noise.Uniform(seed, date.DayNumber) * 30 * 60 * 1000);
            var time = new DateTimeOffset(date.ToDateTime(new TimeOnly(10, 20)), TimeSpan.Zero).AddMilliseconds(milliseconds);
            list.Add(new Acquisition(index, time, index % 2 == 0 ? "sentinel-2a" : "sentinel-2b", BaselineOn(date)));
        }
        return list;
    }

    /// <summary>The overpass <paramref name="revisits"/> revisits after this one (beyond the archive's end: a granule published later).</summary>
    public Acquisition After(int revisitDays, int revisits = 1)
    {
        var time = Time.AddDays(revisitDays * revisits);
        return new Acquisition(Index + revisits, time, (Index + revisits) % 2 == 0 ? "sentinel-2a" : "sentinel-2b", BaselineOn(DateOnly.FromDateTime(time.UtcDateTime)));
    }

    private static string BaselineOn(DateOnly date) => date >= SyntheticArchiveOptions.BaselineOffsetStart ? "04.00" : "02.14";
}
