using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace NrtCluster.Kernels;

/// <summary>Critical values and distribution functions of the ROC, CuSum and MoSum tests (spec 3.6, 4.3, 4.4).</summary>
public static class CriticalValues
{
    /// <summary>Standard normal cumulative distribution function.</summary>
    public static double NormalCdf(double x) => 0.5 * MathNet.Numerics.SpecialFunctions.Erfc(-x / Math.Sqrt(2));

    /// <summary>Standard normal density.</summary>
    public static double NormalPdf(double x) => Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);

    /// <summary>P-value of the recursive CUSUM statistic under Brownian motion (linear below 0.3, as the reference).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double BrownianMotionPValue(double x)
    {
        if (x < 0.3)
            return 1 - 0.1464 * x;
        return 2 * (1 - NormalCdf(3 * x)
                    + Math.Exp(-4 * x * x) * (NormalCdf(x) + NormalCdf(5 * x) - 1)
                    - Math.Exp(-16 * x * x) * (1 - NormalCdf(x)));
    }

    /// <summary>ROC critical value: the root in [0, 20] of BrownianMotionPValue(x) = alpha (0.05 gives 0.9478982340418134).</summary>
    public static double Roc(double alpha)
    {
        if (!(alpha > 0 && alpha < 1))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "ROC alpha must be in (0, 1).");
        return Root(x => BrownianMotionPValue(x) - alpha, 0, 20, nameof(alpha), alpha);
    }

    /// <summary>CuSum critical value: the x in [0, 10] where 2*(F(x) - x*f(x)) = 2 - sensitivity.</summary>
    public static double CuSum(double sensitivity)
    {
        if (!(sensitivity > 0 && sensitivity < 2))
            throw new ArgumentOutOfRangeException(nameof(sensitivity), sensitivity, "CuSum sensitivity must be in (0, 2).");
        return Root(x => 2 * (NormalCdf(x) - x * NormalPdf(x)) - (2 - sensitivity), 0, 10, nameof(sensitivity), sensitivity);
    }

    private static readonly Lazy<MoSumTable> Table = new(MoSumTable.Load);

    /// <summary>
    /// MoSum critical value: linear interpolation, at 1 - sensitivity, of the strucchange table row for window
    /// fraction <paramref name="h"/> (0.25, 0.5 or 1), period 10, "max" functional.
    /// </summary>
    public static double MoSum(double h, double sensitivity)
    {
        var table = Table.Value;
        if (!table.Rows.TryGetValue(h, out var row))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"MoSum window fraction h = {h} is not tabulated; use one of 0.25, 0.5, 1."), nameof(h));
        if (!(sensitivity >= 0.001 && sensitivity <= 0.05))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"MoSum sensitivity = {sensitivity} is outside the tabulated range [0.001, 0.05]."), nameof(sensitivity));
        return Interpolate(table.Levels, row, 1 - sensitivity);
    }

    private static double Interpolate(double[] xs, double[] ys, double x)
    {
        if (x <= xs[0])
            return ys[0];
        for (int i = 1; i < xs.Length; i++)
        {
            if (x <= xs[i])
                return ys[i - 1] + (x - xs[i - 1]) * (ys[i] - ys[i - 1]) / (xs[i] - xs[i - 1]);
        }
        return ys[^1];
    }

    /// <summary>Bisection to full double precision; the functions here are monotone on the bracket.</summary>
    private static double Root(Func<double, double> f, double lo, double hi, string name, double value)
    {
        double flo = f(lo), fhi = f(hi);
        if (Math.Sign(flo) == Math.Sign(fhi))
            throw new ArgumentOutOfRangeException(name, value, $"No critical value in [{lo}, {hi}] for {name} = {value}.");
        for (int i = 0; i < 200; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi)
                break;
            double fm = f(mid);
            if (fm == 0)
                return mid;
            if (Math.Sign(fm) == Math.Sign(flo))
            {
                lo = mid;
                flo = fm;
            }
            else
            {
                hi = mid;
            }
        }
        return 0.5 * (lo + hi);
    }

    private sealed record MoSumTable(double[] Levels, Dictionary<double, double[]> Rows)
    {
        private const string ResourceName = "NrtCluster.Kernels.mosum_crit_table.json";
        private const string Period = "10";

        public static MoSumTable Load()
        {
            using var stream = typeof(CriticalValues).Assembly.GetManifestResourceStream(ResourceName)
                ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing from NrtCluster.Kernels.");
            using var doc = JsonDocument.Parse(stream);
            var root = doc.RootElement;
            var levels = root.GetProperty("sig_levels").EnumerateArray().Select(ParseNumber).ToArray();
            var rows = new Dictionary<double, double[]>();
            foreach (var h in root.EnumerateObject())
            {
                if (h.Name == "sig_levels")
                    continue;
                var row = h.Value.GetProperty(Period).GetProperty("max").EnumerateArray().Select(ParseNumber).ToArray();
                if (row.Length != levels.Length)
                    throw new InvalidOperationException($"MoSum table row h={h.Name} has {row.Length} values for {levels.Length} levels.");
                rows[double.Parse(h.Name, CultureInfo.InvariantCulture)] = row;
            }
            return new MoSumTable(levels, rows);
        }

        private static double ParseNumber(JsonElement e) => e.ValueKind == JsonValueKind.String
            ? double.Parse(e.GetString()!, CultureInfo.InvariantCulture)
            : e.GetDouble();
    }
}
