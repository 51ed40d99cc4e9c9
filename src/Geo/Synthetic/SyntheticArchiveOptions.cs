namespace NrtCluster.Geo.Synthetic;

/// <summary>
/// What the synthetic Sentinel-2 L2A archive covers. The defaults make the demo archive: two 300 x 300 px (6 x 6 km)
/// granules at 20 m astride the UTM 32/33 boundary at 12°E, 48°N, every 5 days from 2019-01-01 to 2023-06-30,
/// with a three-year history ending 2021-12-31.
/// </summary>
public sealed record SyntheticArchiveOptions
{
    /// <summary>The date processing baseline 04.00 started: DNs carry +1000 from this date on.</summary>
    public static readonly DateOnly BaselineOffsetStart = new(2022, 1, 25);

    public int Seed { get; init; } = 1;

    /// <summary>Width and height of each granule window in 20 m pixels.</summary>
    public int GranuleSize { get; init; } = 300;

    public DateOnly Start { get; init; } = new(2019, 1, 1);

    /// <summary>Last acquisition date (inclusive).</summary>
    public DateOnly End { get; init; } = new(2023, 6, 30);

    public int RevisitDays { get; init; } = 5;

    /// <summary>Last day of the stable history: disturbances before it are "history", after it "monitoring".</summary>
    public DateOnly HistoryEnd { get; init; } = new(2021, 12, 31);

    public int MonitoringDisturbances { get; init; } = 6;

    public int HistoryDisturbances { get; init; } = 2;

    /// <summary>
    /// Days of thin haze the L2A classifier misses (SCL stays vegetation) in the monitoring period: the whole scene is
    /// brightened, the visible more than the near infrared, so NDVI drops by 0.1 to 0.3 for a day (see <see cref="SyntheticScene.HazeDates"/>).
    /// </summary>
    public int HazeDays { get; init; }

    /// <summary>Checks the options; the message names the option and what to give instead.</summary>
    public void Validate()
    {
        if (GranuleSize is < 20 or > 5490)
            throw new ArgumentException($"The granule size must be between 20 and 5490 pixels (20 m each), got {GranuleSize}.", nameof(GranuleSize));
        if (RevisitDays is < 1 or > 60)
            throw new ArgumentException($"The revisit interval must be between 1 and 60 days, got {RevisitDays}.", nameof(RevisitDays));
        if (End < Start)
            throw new ArgumentException($"The end date {End:yyyy-MM-dd} is before the start date {Start:yyyy-MM-dd}; give --end after --start.", nameof(End));
        if (HistoryEnd < Start || HistoryEnd >= End)
            throw new ArgumentException(
                $"The history end {HistoryEnd:yyyy-MM-dd} must lie in [{Start:yyyy-MM-dd}, {End:yyyy-MM-dd}) so that both a history and a monitoring period exist.",
                nameof(HistoryEnd));
        if (MonitoringDisturbances is < 0 or > 100 || HistoryDisturbances is < 0 or > 100)
            throw new ArgumentException($"Disturbance counts must be between 0 and 100, got {MonitoringDisturbances} (monitoring) and {HistoryDisturbances} (history).");
        if (HazeDays is < 0 or > 100)
            throw new ArgumentException($"The number of haze days must be between 0 and 100, got {HazeDays}.", nameof(HazeDays));
        if (Start.Year < 2015 || End.Year > 2100)
            throw new ArgumentException($"Sentinel-2 dates run from 2015; got {Start:yyyy-MM-dd} to {End:yyyy-MM-dd}.", nameof(Start));
    }
}
