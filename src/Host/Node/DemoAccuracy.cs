using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Node;

/// <summary>Per-pixel agreement of tile reports with a synthetic archive's ground truth, over monitored forest pixels.</summary>
/// <param name="Disturbed">Forest pixels cleared after the history (the positives).</param>
/// <param name="Detected">Of those, detected on or after the clearing day.</param>
/// <param name="FalseAlarms">Breaks on pixels not cleared, or before their clearing day.</param>
/// <param name="MedianLagDays">Median of detection day minus clearing day over the detected; null if none.</param>
/// <param name="EdgeFalseAlarms">Of the false alarms, those next to a cleared pixel (8-neighbourhood): mixed pixels at a clearing's edge.</param>
public sealed record DemoAccuracy(long MonitoredPixels, long Disturbed, long Detected, long FalseAlarms, long EdgeFalseAlarms, long Breaks, double? MedianLagDays)
{
    public double Recall => Disturbed == 0 ? 0 : (double)Detected / Disturbed;
    public double Precision => Detected + FalseAlarms == 0 ? 0 : (double)Detected / (Detected + FalseAlarms);
    public double F1 => Recall + Precision == 0 ? 0 : 2 * Recall * Precision / (Recall + Precision);

    /// <summary>
    /// Compares each tile's report (bands mask, detection_date) with the truth raster (day number of the clearing, 0 none)
    /// and forest map, both warped nearest onto the tile. Pixels cleared during the history are left out (the fit sees them).
    /// </summary>
    public static DemoAccuracy Evaluate(ProcessingGrid grid, IEnumerable<(TileKey Tile, string Report)> reports, string truthRaster,
        string forestRaster, DateOnly historyEnd)
    {
        int historyEndDay = historyEnd.DayNumber - new DateOnly(1970, 1, 1).DayNumber;
        long monitored = 0, disturbed = 0, detected = 0, falseAlarms = 0, edgeFalseAlarms = 0, breaks = 0;
        var lags = new List<int>();
        foreach (var (tile, report) in reports)
        {
            var box = grid.TileGeoBox(tile.ToTileId());
            var truth = Warp.Band<ushort>(truthRaster, box, new WarpOptions(Resampling.Nearest, RasterDataType.UInt16, null, 0));
            var forest = Warp.Band<byte>(forestRaster, box, new WarpOptions(Resampling.Nearest, RasterDataType.Byte, null, 0));
            using var dataset = RasterDataset.Open(report);
            var mask = dataset.ReadBand<ushort>(1);
            var date = dataset.ReadBand<ushort>(2);
            for (int i = 0; i < mask.Length; i++)
            {
                if (mask[i] == 3) breaks++;
                if (forest[i] != 1 || (mask[i] != 1 && mask[i] != 3)) continue;
                if (truth[i] != 0 && truth[i] <= historyEndDay) continue;
                monitored++;
                bool positive = truth[i] > historyEndDay;
                if (positive) disturbed++;
                if (mask[i] != 3) continue;
                if (positive && date[i] >= truth[i])
                {
                    detected++;
                    lags.Add(date[i] - truth[i]);
                }
                else
                {
                    falseAlarms++;
                    if (!positive && NextToClearing(truth, box.Width, box.Height, i, historyEndDay)) edgeFalseAlarms++;
                }
            }
        }
        lags.Sort();
        double? median = lags.Count == 0 ? null
            : lags.Count % 2 == 1 ? lags[lags.Count / 2] : (lags[lags.Count / 2 - 1] + lags[lags.Count / 2]) / 2.0;
        return new DemoAccuracy(monitored, disturbed, detected, falseAlarms, edgeFalseAlarms, breaks, median);
    }

    private static bool NextToClearing(ushort[] truth, int width, int height, int pixel, int historyEndDay)
    {
        int row = pixel / width, col = pixel % width;
        for (int r = Math.Max(0, row - 1); r <= Math.Min(height - 1, row + 1); r++)
            for (int c = Math.Max(0, col - 1); c <= Math.Min(width - 1, col + 1); c++)
                if (truth[r * width + c] > historyEndDay) return true;
        return false;
    }
}
