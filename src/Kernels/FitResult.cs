namespace NrtCluster.Kernels;

/// <summary>What a history fit leaves for the monitors (the residuals go to the <see cref="IResidualSink"/>).</summary>
public sealed class FitResult
{
    /// <summary>k x P, index [coef*P + pixel], float32: 0 for pixels not fitted, NaN for ROC-unstable pixels.</summary>
    public required float[] Beta { get; init; }

    /// <summary>P day numbers (days since 1970-01-01) of the first observation of the fitted window, for ROC and CCDC-stable; else null. 0 for pixels not fitted or ROC-unstable.</summary>
    public ushort[]? FitStart { get; init; }

    /// <summary>k, the number of regressors.</summary>
    public int Columns { get; init; }

    /// <summary>Observations removed by outlier screening (over all monitored pixels).</summary>
    public long ScreenedOut { get; init; }

    /// <summary>Valid observations of the monitored pixels before screening.</summary>
    public long ValidBeforeScreening { get; init; }

    /// <summary>Warnings a caller should log (e.g. CCDC_RIRLS removed more than half of the observations).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
