using System.Globalization;

namespace NrtCluster.Geo.Patches;

/// <summary>How many patches of which size: the demo's summary.</summary>
public static class PatchSummary
{
    /// <summary>Upper bounds (exclusive) of the area bins in hectares; the last bin is everything larger.</summary>
    public static IReadOnlyList<double> BinEdgesHa { get; } = [0.5, 1, 5, 20];

    /// <summary>Patch counts per area bin: "&lt;0.5 ha", "0.5-1 ha", "1-5 ha", "5-20 ha", "&gt;=20 ha".</summary>
    public static IReadOnlyList<(string Bin, int Count)> AreaHistogram(IEnumerable<AlertPatch> patches)
    {
        var counts = new int[BinEdgesHa.Count + 1];
        foreach (var p in patches)
        {
            var bin = 0;
            while (bin < BinEdgesHa.Count && p.AreaHa >= BinEdgesHa[bin]) bin++;
            counts[bin]++;
        }
        string N(double v) => v.ToString(CultureInfo.InvariantCulture);
        return counts.Select((c, i) => (
            i == 0 ? $"<{N(BinEdgesHa[0])} ha" : i == BinEdgesHa.Count ? $">={N(BinEdgesHa[^1])} ha" : $"{N(BinEdgesHa[i - 1])}-{N(BinEdgesHa[i])} ha", c)).ToList();
    }
}
