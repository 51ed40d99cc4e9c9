namespace NrtCluster.Host.Bench;

/// <summary>
/// A deterministic Sentinel-2-like vegetation-index tile: per-pixel harmonic seasonality (annual and semi-annual),
/// Gaussian-ish noise, NaN clouds (about 30%), acquisitions every 5 days at mid-morning.
/// Values depend only on (seed, date index, pixel), so any date can be generated on its own.
/// </summary>
public sealed class SimulatedTile(int size, int historyDates, int monitoringDates, ulong seed = 20170101)
{
    private static readonly DateTime Start = new(2017, 1, 2, 10, 20, 0, DateTimeKind.Utc);

    public int Size { get; } = size;
    public int Pixels => Size * Size;
    public DateTime[] HistoryDates { get; } = Dates(0, historyDates, seed);
    public DateTime[] MonitoringDates { get; } = Dates(historyDates, monitoringDates, seed);

    /// <summary>The history cube, T x H x W float32.</summary>
    public float[] History()
    {
        var values = new float[(long)HistoryDates.Length * Pixels];
        Parallel.For(0, HistoryDates.Length, t => Fill(t, HistoryDates[t], values.AsSpan(t * Pixels, Pixels)));
        return values;
    }

    /// <summary>Monitoring date <paramref name="index"/> into <paramref name="target"/> (H x W).</summary>
    public void Monitoring(int index, Span<float> target) => Fill(HistoryDates.Length + index, MonitoringDates[index], target);

    private void Fill(int dateIndex, DateTime date, Span<float> target)
    {
        var year = date.Year + (date.DayOfYear - 1 + date.TimeOfDay.TotalDays) / 365.25;
        var c1 = Math.Cos(2 * Math.PI * year);
        var s1 = Math.Sin(2 * Math.PI * year);
        var c2 = Math.Cos(4 * Math.PI * year);
        for (int p = 0; p < target.Length; p++)
        {
            var h = Hash(seed, (ulong)p);
            // Per-pixel amplitude and phase from the pixel hash, noise and clouds from the (date, pixel) hash.
            var amplitude = 0.1 + 0.15 * Unit(h);
            var phase = Unit(h >> 16);
            var n = Hash(h, (ulong)dateIndex);
            if (Unit(n) < 0.3)
            {
                target[p] = float.NaN;
                continue;
            }
            var noise = (Unit(n >> 8) + Unit(n >> 24) + Unit(n >> 40) - 1.5) * 0.05;
            target[p] = (float)(0.6 + amplitude * (c1 * (1 - phase) + s1 * phase) + 0.03 * c2 + noise);
        }
    }

    private static DateTime[] Dates(int first, int count, ulong seed) =>
        Enumerable.Range(first, count).Select(i => Start.AddDays(5 * i).AddSeconds(Hash(seed, (ulong)i) % 1800)).ToArray();

    private static double Unit(ulong h) => (h & 0xFFFF) / 65536.0;

    private static ulong Hash(ulong a, ulong b)
    {
        // splitmix64 finaliser of the combined key.
        var z = a * 0x9E3779B97F4A7C15UL + b + 0x632BE59BD9B4E019UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
