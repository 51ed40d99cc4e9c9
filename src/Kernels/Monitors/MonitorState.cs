namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// The large part of a monitor's state, fixed once <c>fit</c> has run (persisted once). Arrays are per pixel
/// (P = Height*Width, row-major) unless stated; a monitor fills only the arrays it uses, the others are null.
/// </summary>
public sealed record FittedModel
{
    public required int Height { get; init; }
    public required int Width { get; init; }
    /// <summary>k x P, index [coef*P + pixel], float32 as the reference stores it.</summary>
    public required float[] Beta { get; init; }
    /// <summary>EWMA: population std of the fit residuals; CuSum/MoSum: std with divisor count - k.</summary>
    public float[]? Sigma { get; init; }
    /// <summary>EWMA control limit (constant after fit).</summary>
    public float[]? EwmaBoundary { get; init; }
    /// <summary>IQR: 25th and 75th percentiles of the fit residuals.</summary>
    public double[]? Q25 { get; init; }
    public double[]? Q75 { get; init; }
    /// <summary>CCDC: root mean square of the fit residuals.</summary>
    public float[]? Rmse { get; init; }
    /// <summary>CuSum/MoSum: number of non-NaN fit residuals.</summary>
    public ushort[]? HistSize { get; init; }
    /// <summary>MoSum: floor(histsize*h).</summary>
    public short[]? WinSize { get; init; }
    /// <summary>MoSum: max(winsize), the window's first dimension.</summary>
    public int WindowLength { get; init; }
    /// <summary>Day number of each pixel's first fitted observation (kept when save_fit_start).</summary>
    public ushort[]? FitStart { get; init; }
    /// <summary>CuSum/MoSum critical value of the monitoring test.</summary>
    public double CriticalValue { get; init; }

    public int Pixels => Height * Width;
}

/// <summary>
/// The small part of a monitor's state that changes with every monitored date (persisted after each step).
/// Arrays are per pixel; the monitor mutates them in place, so take <see cref="Copy"/> for a snapshot.
/// </summary>
public sealed record MonitoringState
{
    /// <summary>Mask codes (<see cref="MaskCodes"/>).</summary>
    public required byte[] Mask { get; init; }
    /// <summary>Day number of the confirmed break, 0 until then.</summary>
    public required ushort[] DetectionDate { get; init; }
    /// <summary>EWMA and CuSum process (float64; float32 precision until the first monitored date, as the reference); MoSum: the window sum.</summary>
    public double[]? Process { get; init; }
    /// <summary>IQR and CCDC consecutive-outlier counters.</summary>
    public byte[]? Counter { get; init; }
    /// <summary>CuSum/MoSum: observations so far (history plus monitored).</summary>
    public ushort[]? N { get; init; }
    /// <summary>CuSum/MoSum boundary of the last valid observation, NaN before any.</summary>
    public double[]? Boundary { get; init; }
    /// <summary>MoSum window, per pixel contiguous: index [pixel*WindowLength + slot].</summary>
    public double[]? Window { get; init; }
    /// <summary>Number of monitored dates so far.</summary>
    public int Steps { get; set; }

    private byte[]? confidence;
    private float[]? magnitude;

    /// <summary>
    /// Alert confidence (<see cref="ConfidenceCodes"/>). Not part of the reference's state: a state restored without it
    /// (stored before confidence existed) starts with zeros, made on first use.
    /// </summary>
    public byte[] Confidence { get => confidence ??= new byte[Mask.Length]; init => confidence = value; }

    /// <summary>How far beyond the boundary the observation that raised or confirmed the alert lay, in boundaries (0: no alert); zeros like <see cref="Confidence"/>.</summary>
    public float[] Magnitude { get => magnitude ??= new float[Mask.Length]; init => magnitude = value; }

    /// <summary>
    /// Haze gate: 1 where the pixel's last valid observation was set aside by the gate. Its next one is stepped whatever
    /// the gate decides, so a lasting change (a fire over most of a tile) breaks one observation late instead of never.
    /// Null until the gate first fires (and always with the gate off).
    /// </summary>
    public byte[]? HazeHeld { get; set; }

    /// <summary>A deep copy (every array cloned).</summary>
    public MonitoringState Copy() => new()
    {
        Mask = (byte[])Mask.Clone(),
        DetectionDate = (ushort[])DetectionDate.Clone(),
        Process = (double[]?)Process?.Clone(),
        Counter = (byte[]?)Counter?.Clone(),
        N = (ushort[]?)N?.Clone(),
        Boundary = (double[]?)Boundary?.Clone(),
        Window = (double[]?)Window?.Clone(),
        Steps = Steps,
        Confidence = (byte[])Confidence.Clone(),
        Magnitude = (float[])Magnitude.Clone(),
        HazeHeld = (byte[]?)HazeHeld?.Clone(),
    };
}
