using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Node;

/// <summary>Per-pixel agreement of tile reports with a synthetic archive's ground truth, over monitored forest pixels.</summary>
/// <param name="Disturbed">Forest pixels cleared after the history (the positives).</param>
/// <param name="Detected">Of those, detected on or after the clearing day.</param>
/// <param name="FalseAlarms">Breaks on pixels not cleared, or before their clearing day.</param>
/// <param name="MedianLagDays">Median of detection day minus clearing day over the detected; null if none.</param>
/// <param name="StableFalseAlarms">Of the false alarms, those on forest pixels never cleared.</param>
/// <param name="EdgeFalseAlarms">
/// Of the false alarms, those on a pixel next to a cleared pixel (8-neighbourhood) dated on or after that clearing's
/// day: mixed pixels on a clearing's boundary, which the cubic warp also blends up to 40 m of the clearing into.
/// </param>
public sealed record DemoAccuracy(long MonitoredPixels, long Disturbed, long Detected, long FalseAlarms, long StableFalseAlarms, long EdgeFalseAlarms,
    long Breaks, double? MedianLagDays)
{
    public double Recall => Disturbed == 0 ? 0 : (double)Detected / Disturbed;
    public double Precision => PrecisionOf(FalseAlarms);
    public double F1 => F1Of(Precision);

    /// <summary>The share of stable (never cleared) monitored forest pixels that raised an alert.</summary>
    public double StableFalseAlarmRate => MonitoredPixels == Disturbed ? 0 : (double)StableFalseAlarms / (MonitoredPixels - Disturbed);

    /// <summary>Precision if the breaks on a clearing's edge after its day counted neither way.</summary>
    public double PrecisionWithoutEdges => PrecisionOf(FalseAlarms - EdgeFalseAlarms);

    public double F1WithoutEdges => F1Of(PrecisionWithoutEdges);

    private double PrecisionOf(long falseAlarms) => Detected + falseAlarms == 0 ? 0 : (double)Detected / (Detected + falseAlarms);

    private double F1Of(double precision) => Recall + precision == 0 ? 0 : 2 * Recall * precision / (Recall + precision);

    /// <summary>
    /// Compares each tile's report (bands mask, detection_date) with the truth raster (day number of the clearing, 0 none)
    /// and forest map, both warped nearest onto the tile. Pixels cleared during the history are left out (the fit sees them).
    /// </summary>
    public static DemoAccuracy Evaluate(ProcessingGrid grid, IEnumerable<(TileId Tile, string Report)> reports, string truthRaster,
        string forestRaster, DateOnly historyEnd)
    {
        int historyEndDay = historyEnd.DayNumber - new DateOnly(1970, 1, 1).DayNumber;
        long monitored = 0, disturbed = 0, detected = 0, falseAlarms = 0, stableFalseAlarms = 0, edgeFalseAlarms = 0, breaks = 0;
        var lags = new List<int>();
        foreach (var (tile, report) in reports)
        {
            var box = grid.TileGeoBox(tile);
            // The truth one pixel beyond the tile, so that clearings across a tile border count as neighbours.
            var (x0, y0) = box.Transform.Apply(-1, -1);
            var grown = box with { Width = box.Width + 2, Height = box.Height + 2, Transform = box.Transform with { X0 = x0, Y0 = y0 } };
            var truth = Warp.Band<ushort>(truthRaster, grown, new WarpOptions(Resampling.Nearest, RasterDataType.UInt16, null, 0));
            var forest = Warp.Band<byte>(forestRaster, box, new WarpOptions(Resampling.Nearest, RasterDataType.Byte, null, 0));
            using var dataset = RasterDataset.Open(report);
            var mask = dataset.ReadBand<ushort>(1);
            var date = dataset.ReadBand<ushort>(2);
            for (int i = 0; i < mask.Length; i++)
            {
                if (mask[i] == 3) breaks++;
                if (forest[i] != 1 || (mask[i] != 1 && mask[i] != 3)) continue;
                int g = (i / box.Width + 1) * grown.Width + i % box.Width + 1;
                if (truth[g] != 0 && truth[g] <= historyEndDay) continue;
                monitored++;
                bool positive = truth[g] > historyEndDay;
                if (positive) disturbed++;
                if (mask[i] != 3) continue;
                if (positive && date[i] >= truth[g])
                {
                    detected++;
                    lags.Add(date[i] - truth[g]);
                }
                else
                {
                    falseAlarms++;
                    if (positive) continue;
                    stableFalseAlarms++;
                    if (EarliestNeighbourClearing(truth, grown.Width, g, historyEndDay) <= date[i]) edgeFalseAlarms++;
                }
            }
        }
        lags.Sort();
        double? median = lags.Count == 0 ? null
            : lags.Count % 2 == 1 ? lags[lags.Count / 2] : (lags[lags.Count / 2 - 1] + lags[lags.Count / 2]) / 2.0;
        return new DemoAccuracy(monitored, disturbed, detected, falseAlarms, stableFalseAlarms, edgeFalseAlarms, breaks, median);
    }

    /// <summary>The earliest monitoring-period clearing day among the 8 neighbours of grown-raster pixel <paramref name="g"/>; int.MaxValue if none.</summary>
    private static int EarliestNeighbourClearing(ushort[] truth, int width, int g, int historyEndDay)
    {
        var earliest = int.MaxValue;
        foreach (var k in (ReadOnlySpan<int>)[g - width - 1, g - width, g - width + 1, g - 1, g + 1, g + width - 1, g + width, g + width + 1])
            if (truth[k] > historyEndDay) earliest = Math.Min(earliest, truth[k]);
        return earliest;
    }
}
