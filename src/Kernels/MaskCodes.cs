namespace NrtCluster.Kernels;

/// <summary>Per-pixel state codes (uint8), as in the reference implementation.</summary>
public static class MaskCodes
{
    /// <summary>Not monitored (outside the area of interest).</summary>
    public const byte NotMonitored = 0;
    /// <summary>Monitored.</summary>
    public const byte Monitored = 1;
    /// <summary>Unstable history (ROC, CCDC-stable, EWMA), also a ROC/CCDC-stable pixel whose window is singular.</summary>
    public const byte Unstable = 2;
    /// <summary>Confirmed break: no longer monitored.</summary>
    public const byte Break = 3;
    /// <summary>Too few valid observations (fewer than 1.5*k), or a singular OLS/Shewhart system (e.g. every observation on one day).</summary>
    public const byte TooFewObservations = 4;
}
