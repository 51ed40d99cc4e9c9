using System.Globalization;

namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// A fitted monitor in the reference package's own form, what its <c>to_netcdf</c> stores and <c>from_netcdf</c> reads
/// back: the object's arrays, named and typed as <see cref="BaseMonitor.ExportState"/> gives them, and its scalar
/// attributes (the constructor options under the names the object keeps them: EWMA's <c>threshold_outlier</c> is its
/// <c>threshold</c>) with <c>monitoring_strategy</c>. Rebuilds a fitted monitor from that form.
/// </summary>
public static class ReferenceState
{
    /// <summary>The reference object's <c>monitoring_strategy</c> of a monitor class (EWMA, CuSum, MoSum, IQR, CCDC).</summary>
    public static string StrategyOf(string monitor) => monitor.ToUpperInvariant();

    /// <summary>
    /// The scalar attributes the reference object of this monitor holds (bool, int, double or string values), in the
    /// order it sets them.
    /// </summary>
    public static IReadOnlyList<(string Name, object Value)> Scalars(string monitor, MonitorOptions options)
    {
        var scalars = new List<(string, object)> { ("trend", options.Trend), ("harmonic_order", options.HarmonicOrder) };
        switch (options)
        {
            case EwmaOptions o:
                scalars.AddRange([("lambda_", o.Lambda), ("sensitivity", o.Sensitivity), ("threshold", o.ThresholdOutlier)]);
                break;
            case CuSumOptions o:
                scalars.AddRange([("sensitivity", o.Sensitivity), ("critval", CriticalValues.CuSum(o.Sensitivity))]);
                break;
            case MoSumOptions o:
                scalars.AddRange([("sensitivity", o.Sensitivity), ("h", o.H)]);
                break;
            case CountingOptions o:
                scalars.AddRange([("boundary", o.Boundary), ("sensitivity", o.Sensitivity)]);
                break;
        }
        scalars.Add(("monitoring_strategy", StrategyOf(monitor)));
        return scalars;
    }

    /// <summary>
    /// The options of <paramref name="expected"/> that <paramref name="scalars"/> (a reference object's attributes) give
    /// another value, as "name: file value, expected value"; empty when they agree. Attributes the object does not keep
    /// (EWMA's threshold is not read back by the reference either) are compared when present.
    /// </summary>
    public static IReadOnlyList<string> Differences(string monitor, MonitorOptions expected, IReadOnlyDictionary<string, object> scalars)
    {
        var differences = new List<string>();
        foreach (var (name, value) in Scalars(monitor, expected))
        {
            if (name == "critval" || !scalars.TryGetValue(name, out var found))
                continue;
            bool same = value is string s
                ? string.Equals(s, found as string, StringComparison.OrdinalIgnoreCase)
                : found is not string && Math.Abs(Number(value) - Number(found)) <= 1e-6 * Math.Max(1, Math.Abs(Number(value)));
            if (!same)
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"{name} is {Shown(found)} in the file, {Shown(value)} in the project"));
        }
        return differences;
    }

    /// <summary>
    /// The fitted monitor of <paramref name="options"/> (its class follows their type) holding <paramref name="arrays"/>:
    /// beta (k x H x W), mask, and the monitor's own (EWMA: sigma, boundary, process; CuSum: sigma, histsize, n, boundary,
    /// process; IQR: q25, q75; CCDC: rmse), with detection_date, fit_start and the counters' process when present (the
    /// reference creates them on the first monitored date). MoSum is not rebuilt: its window's layout is the kernels' own.
    /// </summary>
    public static BaseMonitor Restore(MonitorOptions options, IReadOnlyList<ReferenceLayer> arrays)
    {
        var byName = arrays.ToDictionary(a => a.Name);
        ReferenceLayer Need(string name) => byName.TryGetValue(name, out var a) ? a
            : throw new ArgumentException($"the state has no '{name}' array, which a fitted {options.GetType().Name.Replace("Options", "")} monitor has.");
        var beta = Need("beta");
        if (beta.Shape.Length != 3)
            throw new ArgumentException($"beta must be coefficients x y x x, it has {beta.Shape.Length} dimensions.");
        int height = beta.Shape[1], width = beta.Shape[2], pixels = height * width;
        T[]? Optional<T>(string name) where T : unmanaged =>
            byName.TryGetValue(name, out var a) ? Values<T>(a, name == "beta" ? beta.Shape[0] * pixels : pixels) : null;
        T[] Required<T>(string name) where T : unmanaged => Values<T>(Need(name), pixels);
        var detection = Optional<ushort>("detection_date");
        var model = new FittedModel
        {
            Height = height,
            Width = width,
            Beta = Values<float>(beta, beta.Shape[0] * pixels),
            FitStart = options.SaveFitStart ? Optional<ushort>("fit_start") : null,
        };
        var state = new MonitoringState
        {
            Mask = Required<byte>("mask"),
            DetectionDate = detection ?? new ushort[pixels],
            // The reference keeps no count of monitored dates; it creates detection_date on the first one.
            Steps = detection is null ? 0 : 1,
        };
        return options switch
        {
            EwmaOptions o => new Ewma(o, model with { Sigma = Required<float>("sigma"), EwmaBoundary = Required<float>("boundary") },
                state with { Process = Required<double>("process") }),
            CuSumOptions o => new CuSum(o, model with
            {
                Sigma = Required<float>("sigma"),
                HistSize = Required<ushort>("histsize"),
                CriticalValue = CriticalValues.CuSum(o.Sensitivity),
            }, state with { Process = Required<double>("process"), N = Required<ushort>("n"), Boundary = Required<double>("boundary") }),
            IqrOptions o => new Iqr(o, model with { Q25 = Required<double>("q25"), Q75 = Required<double>("q75") },
                state with { Counter = Optional<byte>("process") ?? new byte[pixels] }),
            CcdcOptions o => new Ccdc(o, model with { Rmse = Required<float>("rmse") },
                state with { Counter = Optional<byte>("process") ?? new byte[pixels] }),
            _ => throw new ArgumentException($"a {options.GetType().Name.Replace("Options", "")} state cannot be imported; EWMA, CuSum, IQR and CCDC states can."),
        };
    }

    /// <summary>The layer's values as <typeparamref name="T"/> (converted from the type the file holds), checked to be <paramref name="count"/>.</summary>
    private static T[] Values<T>(ReferenceLayer layer, int count) where T : unmanaged
    {
        if (layer.Data.Length != count)
            throw new ArgumentException($"'{layer.Name}' holds {layer.Data.Length} values, {count} expected for the state's shape.");
        if (layer.Data is T[] same) return (T[])same.Clone();
        var result = new T[count];
        for (int i = 0; i < count; i++)
        {
            var value = layer.Data.GetValue(i)!;
            try
            {
                result[i] = (T)Convert.ChangeType(value, typeof(T), CultureInfo.InvariantCulture);
            }
            catch (OverflowException)
            {
                throw new ArgumentException($"'{layer.Name}' holds {value}, which does not fit the type the monitor keeps it in.");
            }
        }
        return result;
    }

    private static double Number(object value) => Convert.ToDouble(value, CultureInfo.InvariantCulture);

    private static string Shown(object value) => value switch
    {
        bool b => b ? "true" : "false",
        string s => s,
        _ => Number(value).ToString("G6", CultureInfo.InvariantCulture),
    };
}
