namespace NrtCluster.Kernels;

/// <summary>
/// Per-pixel alert confidence (uint8) in the monitoring state; the report's <c>confidence</c> layer holds
/// <see cref="None"/>, <see cref="Low"/> or <see cref="High"/> (README, "Alert confidence and magnitude").
/// </summary>
public static class ConfidenceCodes
{
    /// <summary>No alert.</summary>
    public const byte None = 0;
    /// <summary>IQR, CCDC: an outlier run that has not reached the boundary yet. EWMA, CuSum, MoSum: a break awaiting its next valid observation.</summary>
    public const byte Low = 1;
    /// <summary>A confirmed break.</summary>
    public const byte High = 2;
    /// <summary>EWMA, CuSum, MoSum: a break whose next valid observation did not confirm it; reported as low and no longer checked.</summary>
    public const byte Unconfirmed = 3;

    /// <summary>The code a report gives: <see cref="Unconfirmed"/> is low.</summary>
    public static byte Reported(byte code) => code == Unconfirmed ? Low : code;
}
