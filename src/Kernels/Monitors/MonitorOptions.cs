namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// Constructor options shared by every monitor (reference names: <c>trend</c>, <c>harmonic_order</c>,
/// <c>sensitivity</c>, <c>save_fit_start</c>). Each monitor's record carries its own defaults (spec 4).
/// </summary>
public abstract record MonitorOptions
{
    public bool Trend { get; init; } = true;
    public int HarmonicOrder { get; init; } = 2;
    public double Sensitivity { get; init; }
    /// <summary>Keep and export <c>fit_start</c> (day number of the first observation of the fitted window).</summary>
    public bool SaveFitStart { get; init; }
    /// <summary>The scene-level haze gate (not a reference option): off by default, so steps match the reference's.</summary>
    public HazeGate HazeGate { get; init; } = HazeGate.Off;

    /// <summary>k = 1 + trend + 2*order.</summary>
    public int Columns => Regressors.Columns(Trend, HarmonicOrder);
}

/// <summary>EWMA (spec 4.2): <c>lambda_</c>, <c>threshold_outlier</c>.</summary>
public sealed record EwmaOptions : MonitorOptions
{
    public EwmaOptions() => Sensitivity = 2;
    public double Lambda { get; init; } = 0.3;
    public double ThresholdOutlier { get; init; } = 10;
}

/// <summary>CuSum (spec 4.3): <c>sensitivity</c> is the significance level.</summary>
public sealed record CuSumOptions : MonitorOptions
{
    public CuSumOptions() => Sensitivity = 0.05;
}

/// <summary>MoSum (spec 4.4): <c>sensitivity</c> in [0.001, 0.05], window <c>h</c> in {0.25, 0.5, 1}.</summary>
public sealed record MoSumOptions : MonitorOptions
{
    public MoSumOptions() => Sensitivity = 0.05;
    public double H { get; init; } = 0.25;
}

/// <summary>The outlier-counting monitors (IQR, CCDC): a break after <c>boundary</c> consecutive outliers.</summary>
public abstract record CountingOptions : MonitorOptions
{
    public int Boundary { get; init; } = 3;
}

/// <summary>IQR (spec 4.5): outlier bounds at <c>sensitivity</c> IQRs.</summary>
public sealed record IqrOptions : CountingOptions
{
    public IqrOptions()
    {
        HarmonicOrder = 3;
        Sensitivity = 1.5;
    }
}

/// <summary>CCDC (spec 4.6): outliers beyond <c>sensitivity</c> RMSEs.</summary>
public sealed record CcdcOptions : CountingOptions
{
    public CcdcOptions() => Sensitivity = 3;
}
