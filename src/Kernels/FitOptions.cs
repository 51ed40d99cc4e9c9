using System.Text.Json;

namespace NrtCluster.Kernels;

/// <summary>How the stable history is fitted (spec 3.3-3.6).</summary>
public enum FitMethod { Ols, Rirls, Roc, CcdcStable }

/// <summary>Optional outlier screening before the fit (spec 3.2).</summary>
public enum OutlierScreening { None, Shewhart, CcdcRirls }

/// <summary>Fit options; defaults as in the reference implementation.</summary>
public sealed record FitOptions
{
    public FitMethod Method { get; init; } = FitMethod.Ols;
    public OutlierScreening Screening { get; init; } = OutlierScreening.None;
    /// <summary>Shewhart control limit, in population standard deviations.</summary>
    public double L { get; init; } = 5;
    /// <summary>RIRLS: iterations including the initial least-squares fit.</summary>
    public int MaxIter { get; init; } = 50;
    /// <summary>RIRLS: Tukey bisquare tuning constant.</summary>
    public double Tune { get; init; } = 4.685;
    /// <summary>RIRLS: MAD divisor.</summary>
    public double ScaleConstant { get; init; } = 0.6745;
    public bool UpdateScale { get; init; } = true;
    /// <summary>RIRLS: convergence tolerance on coefficient increases.</summary>
    public double Tol { get; init; } = 1e-8;
    /// <summary>ROC: significance level of the recursive CUSUM test.</summary>
    public double Alpha { get; init; } = 0.05;
    /// <summary>CCDC_RIRLS: reflectance scaling factor (0.04 reflectance thresholds are multiplied by it).</summary>
    public double ScalingFactor { get; init; } = 1;
    /// <summary>CCDC-stable: stability threshold in RMSE units.</summary>
    public double Threshold { get; init; } = 3;

    private static readonly string[] MethodNames = ["OLS", "RIRLS", "ROC", "CCDC-stable"];
    private static readonly string[] ScreeningNames = ["Shewhart", "CCDC_RIRLS", "null"];
    private static readonly string[] Keys =
        ["method", "screen_outliers", "L", "maxiter", "tune", "scale_constant", "update_scale", "tol", "alpha", "scaling_factor", "threshold"];

    /// <summary>
    /// Options from the reference (nrt) names, as in a conformance case's <c>fit</c> object. Unknown keys or values:
    /// <see cref="OptionException"/> naming them and listing the accepted ones.
    /// </summary>
    public static FitOptions FromReference(IReadOnlyDictionary<string, JsonElement> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new FitOptions();
        foreach (var (key, value) in options)
        {
            result = key switch
            {
                "method" => result with { Method = ParseMethod(value) },
                "screen_outliers" => result with { Screening = ParseScreening(value) },
                "L" => result with { L = Number(key, value) },
                "maxiter" => result with { MaxIter = Integer(key, value) },
                "tune" => result with { Tune = Number(key, value) },
                "scale_constant" => result with { ScaleConstant = Number(key, value) },
                "update_scale" => result with { UpdateScale = Boolean(key, value) },
                "tol" => result with { Tol = Number(key, value) },
                "alpha" => result with { Alpha = Number(key, value) },
                "scaling_factor" => result with { ScalingFactor = Number(key, value) },
                "threshold" => result with { Threshold = Number(key, value) },
                _ => throw new OptionException(key, $"unknown fit option '{key}'; valid: {string.Join(", ", Keys)}"),
            };
        }
        return result;
    }

    /// <summary>Parses a reference method name (OLS, RIRLS, ROC, CCDC-stable).</summary>
    public static FitMethod ParseMethod(string name) => name switch
    {
        "OLS" => FitMethod.Ols,
        "RIRLS" => FitMethod.Rirls,
        "ROC" => FitMethod.Roc,
        "CCDC-stable" => FitMethod.CcdcStable,
        _ => throw new OptionException("method", $"unknown fit method '{name}'; valid: {string.Join(", ", MethodNames)}"),
    };

    /// <summary>Parses a reference screening name (Shewhart, CCDC_RIRLS; null or "null" for none).</summary>
    public static OutlierScreening ParseScreening(string? name) => name switch
    {
        null or "null" => OutlierScreening.None,
        "Shewhart" => OutlierScreening.Shewhart,
        "CCDC_RIRLS" => OutlierScreening.CcdcRirls,
        _ => throw new OptionException("screen_outliers", $"unknown outlier screening '{name}'; valid: {string.Join(", ", ScreeningNames)}"),
    };

    private static FitMethod ParseMethod(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? ParseMethod(value.GetString()!)
        : throw new OptionException("method", $"fit option 'method' must be one of {string.Join(", ", MethodNames)}, got {Shown(value)}");

    private static OutlierScreening ParseScreening(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => OutlierScreening.None,
        JsonValueKind.String => ParseScreening(value.GetString()),
        _ => throw new OptionException("screen_outliers",
            $"fit option 'screen_outliers' must be one of {string.Join(", ", ScreeningNames)}, got {Shown(value)}"),
    };

    private static double Number(string key, JsonElement value) => value.ValueKind == JsonValueKind.Number
        ? value.GetDouble()
        : throw new OptionException(key, $"fit option '{key}' must be a number, got {Shown(value)}");

    private static int Integer(string key, JsonElement value) => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i)
        ? i
        : throw new OptionException(key, $"fit option '{key}' must be an integer, got {Shown(value)}");

    private static bool Boolean(string key, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new OptionException(key, $"fit option '{key}' must be true or false, got {Shown(value)}"),
    };

    /// <summary>An option's value as its writer wrote it: text in quotes, anything else as is.</summary>
    internal static string Shown(JsonElement value) => value.ValueKind == JsonValueKind.String ? $"'{value.GetString()}'" : value.GetRawText();
}
