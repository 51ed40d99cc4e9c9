using System.Text.Json;

namespace NrtCluster.Kernels.Monitors;

/// <summary>Builds monitors and fit options from the reference's names (a conformance case's <c>monitor</c>, <c>init</c> and <c>fit</c>).</summary>
public static class MonitorFactory
{
    /// <summary>Monitor names as the reference's classes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["EWMA", "CuSum", "MoSum", "IQR", "CCDC"];

    private static readonly string[] CommonKeys = ["trend", "harmonic_order", "sensitivity", "save_fit_start"];

    /// <summary>
    /// A monitor of class <paramref name="name"/> with constructor options <paramref name="init"/> (reference names:
    /// trend, harmonic_order, sensitivity, save_fit_start, and lambda_/threshold_outlier for EWMA, h for MoSum,
    /// boundary for IQR and CCDC). Unknown names: <see cref="ArgumentException"/> listing the valid ones; unknown or
    /// bad options: <see cref="OptionException"/> naming the option.
    /// </summary>
    public static BaseMonitor Create(string name, IReadOnlyDictionary<string, JsonElement>? init = null, byte[]? mask = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        init ??= new Dictionary<string, JsonElement>();
        return name switch
        {
            "EWMA" => new Ewma(Apply(new EwmaOptions(), init, name, ["lambda_", "threshold_outlier"], (o, k, v) => k switch
            {
                "lambda_" => o with { Lambda = Number(name, k, v) },
                _ => o with { ThresholdOutlier = Number(name, k, v) },
            }), mask),
            "CuSum" => new CuSum(Apply(new CuSumOptions(), init, name, [], (o, _, _) => o), mask),
            "MoSum" => new MoSum(Apply(new MoSumOptions(), init, name, ["h"], (o, k, v) => o with { H = Number(name, k, v) }), mask),
            "IQR" => new Iqr(Apply(new IqrOptions(), init, name, ["boundary"], (o, k, v) => o with { Boundary = Integer(name, k, v) }), mask),
            "CCDC" => new Ccdc(Apply(new CcdcOptions(), init, name, ["boundary"], (o, k, v) => o with { Boundary = Integer(name, k, v) }), mask),
            _ => throw new ArgumentException($"Unknown monitor '{name}'; valid monitors: {string.Join(", ", Names)}."),
        };
    }

    /// <summary>
    /// A fitted monitor rebuilt from its persisted parts; the monitor class follows the options' type.
    /// It continues exactly where the monitor that produced <paramref name="model"/> and <paramref name="state"/> stopped.
    /// </summary>
    public static BaseMonitor Restore(MonitorOptions options, FittedModel model, MonitoringState state) => options switch
    {
        EwmaOptions o => new Ewma(o, model, state),
        CuSumOptions o => new CuSum(o, model, state),
        MoSumOptions o => new MoSum(o, model, state),
        IqrOptions o => new Iqr(o, model, state),
        CcdcOptions o => new Ccdc(o, model, state),
        null => throw new ArgumentNullException(nameof(options)),
        _ => throw new ArgumentException($"No monitor for options of type {options.GetType().Name}.", nameof(options)),
    };

    /// <summary>
    /// Fit options for <paramref name="monitor"/>: its default method and screening (the reference's <c>fit</c>
    /// signature) unless <paramref name="fit"/> names them, other options from <paramref name="fit"/>.
    /// </summary>
    public static FitOptions FitOptionsFor(BaseMonitor monitor, IReadOnlyDictionary<string, JsonElement>? fit)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        if (fit is null || fit.Count == 0) return monitor.DefaultFit;
        var parsed = FitOptions.FromReference(fit);
        var defaults = monitor.DefaultFit;
        return parsed with
        {
            Method = fit.ContainsKey("method") ? parsed.Method : defaults.Method,
            Screening = fit.ContainsKey("screen_outliers") ? parsed.Screening : defaults.Screening,
        };
    }

    private static T Apply<T>(T options, IReadOnlyDictionary<string, JsonElement> init, string monitor, string[] ownKeys,
        Func<T, string, JsonElement, T> own) where T : MonitorOptions
    {
        foreach (var (key, value) in init)
        {
            options = key switch
            {
                "trend" => options with { Trend = Boolean(monitor, key, value) },
                "harmonic_order" => options with { HarmonicOrder = Integer(monitor, key, value) },
                "sensitivity" => options with { Sensitivity = Number(monitor, key, value) },
                "save_fit_start" => options with { SaveFitStart = Boolean(monitor, key, value) },
                _ when ownKeys.Contains(key) => own(options, key, value),
                _ => throw new OptionException(key,
                    $"unknown option '{key}' for {monitor}; valid: {string.Join(", ", CommonKeys.Concat(ownKeys))}"),
            };
        }
        return options;
    }

    private static double Number(string monitor, string key, JsonElement value) => value.ValueKind == JsonValueKind.Number
        ? value.GetDouble()
        : throw new OptionException(key, $"{monitor} option '{key}' must be a number, got {FitOptions.Shown(value)}");

    private static int Integer(string monitor, string key, JsonElement value) => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i)
        ? i
        : throw new OptionException(key, $"{monitor} option '{key}' must be an integer, got {FitOptions.Shown(value)}");

    private static bool Boolean(string monitor, string key, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new OptionException(key, $"{monitor} option '{key}' must be true or false, got {FitOptions.Shown(value)}"),
    };
}
