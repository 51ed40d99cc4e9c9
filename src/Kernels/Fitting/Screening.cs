using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NrtCluster.Kernels.Fitting;

/// <summary>
/// Outlier screening of a block's history before the fit (spec 3.2; reference <c>nrt.outliers</c>): the observations it
/// rejects become NaN in ws.Y. Each screen returns how many it removed.
/// </summary>
internal static class Screening
{
    /// <summary>CCDC_RIRLS screening threshold on green (above) and SWIR (below) robust residuals, in reflectance.</summary>
    private const double CcdcReflectance = 0.04;

    /// <summary>
    /// Spec 3.2 Shewhart: NaN where |X*beta - y| of the OLS fit exceeds <paramref name="limit"/> population standard
    /// deviations. Lanes whose OLS system is singular leave the fit (mask 4 in <paramref name="blockMask"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long Shewhart(Design design, BlockWorkspace ws, double limit, Span<byte> blockMask)
    {
        int w = ws.Width;
        BlockSolvers.WeightedLeastSquares(design, ws, ws.Active, minimumNorm: false);
        ws.DropUnsolved(blockMask);
        // Population standard deviation per lane, two-pass as NumPy's nanstd, vectorised across lanes; the first
        // pass (the sums) runs with the residuals.
        int nv = w / Vector<double>.Count;
        var mean = ws.LaneFactor.AsSpan();
        var spread = ws.LaneMask.AsSpan();
        mean.Clear();
        spread.Clear();
        BlockSolvers.Residuals(design, ws, ws.Y, predictionMinusObservation: true, mean);
        var meanV = MemoryMarshal.Cast<double, Vector<double>>(mean);
        var spreadV = MemoryMarshal.Cast<double, Vector<double>>(spread);
        var zero = Vector<double>.Zero;
        for (int b = 0; b < w; b++)
            mean[b] /= Math.Max(1, ws.Count[b]);
        for (int t = 0; t < ws.Times; t++)
        {
            var res = MemoryMarshal.Cast<double, Vector<double>>(ws.Residuals.AsSpan(t * w, w));
            for (int v = 0; v < nv; v++)
            {
                var dev = res[v] - meanV[v];
                spreadV[v] += Vector.ConditionalSelect(Vector.Equals(dev, dev), dev * dev, zero);
            }
        }
        for (int b = 0; b < w; b++)
            spread[b] = ws.Active[b] ? limit * Math.Sqrt(spread[b] / ws.Count[b]) : double.PositiveInfinity;
        // |e| > limit is false where e is NaN (no observation) and for lanes not fitted (limit +inf).
        var removed = Vector<long>.Zero;
        var nan = new Vector<double>(double.NaN);
        for (int t = 0; t < ws.Times; t++)
        {
            var res = MemoryMarshal.Cast<double, Vector<double>>(ws.Residuals.AsSpan(t * w, w));
            var y = MemoryMarshal.Cast<double, Vector<double>>(ws.Y.AsSpan(t * w, w));
            for (int v = 0; v < nv; v++)
            {
                var outlier = Vector.GreaterThan(Vector.Abs(res[v]), spreadV[v]);
                y[v] = Vector.ConditionalSelect(outlier, nan, y[v]);
                removed -= outlier;
            }
        }
        return Vector.Sum(removed);
    }

    /// <summary>
    /// Spec 3.2 CCDC_RIRLS: NaN where the RIRLS residual of the green reflectance is above 0.04 * scaling factor (a cloud)
    /// or that of the SWIR reflectance below minus it (a shadow); pixels [p0, p0 + lanes) of the green and SWIR cubes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long CcdcRirls(Design design, BlockWorkspace ws, FitOptions options, HistoryCube green, HistoryCube swir, int p0, int lanes)
    {
        int w = ws.Width;
        double limit = CcdcReflectance * options.ScalingFactor;
        long removed = 0;
        foreach (var (aux, sign) in new[] { (green, 1.0), (swir, -1.0) })
        {
            ws.Load(aux, p0, lanes, ws.Aux);
            BlockSolvers.Rirls(design, ws, ws.Aux, ws.Active, options);
            for (int t = 0; t < ws.Times; t++)
            {
                for (int b = 0; b < w; b++)
                {
                    int i = t * w + b;
                    if (ws.Active[b] && sign * ws.Residuals[i] > limit && !double.IsNaN(ws.Y[i]))
                    {
                        ws.Y[i] = double.NaN;
                        removed++;
                    }
                }
            }
        }
        return removed;
    }

    /// <summary>What a caller should be told about a fit's screening: CCDC_RIRLS removing more than half suggests a wrong scaling factor.</summary>
    public static IReadOnlyList<string> Warnings(FitOptions options, long removed, long validBefore) =>
        options.Screening == OutlierScreening.CcdcRirls && removed > validBefore / 2.0
            ?
            [
                string.Create(CultureInfo.InvariantCulture,
                    $"CCDC_RIRLS screening removed {removed} of {validBefore} valid observations (more than half): " +
                    $"is scaling_factor = {options.ScalingFactor} right for the green and SWIR reflectances?"),
            ]
            : [];
}
