using System.Globalization;

namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// The scene-level haze gate: when at least <see cref="Share"/> of the observed monitored pixels (and at least
/// <see cref="MinPixels"/> of them) would leave the monitor's boundary on one acquisition, the acquisition is an
/// atmospheric event (unflagged haze, a bad atmospheric correction), not a disturbance: it is set aside for those
/// pixels (stepped as no observation); the others step normally. <see cref="Off"/> (the kernels' default) keeps
/// every step identical to the reference's.
/// </summary>
public sealed record HazeGate(double Share, int MinPixels)
{
    /// <summary>No gate: every observation is monitored, as the reference does.</summary>
    public static HazeGate Off { get; } = new(0, 0);

    /// <summary>The default of a project: half the observed monitored pixels, at least 200 of them
    /// (setting a day aside only delays a pixel's next step, so a small tile's days may be gated too).</summary>
    public static HazeGate Default { get; } = new(0.5, 200);

    public bool Enabled => Share > 0;

    /// <summary>Whether a day with <paramref name="exceeding"/> of <paramref name="observed"/> pixels leaving the boundary is set aside.</summary>
    public bool Gates(long observed, long exceeding) => Enabled && observed > 0 && observed >= MinPixels && exceeding >= Share * observed;

    /// <summary>Checks the gate; the message names the setting.</summary>
    public void Validate()
    {
        if (!(Share is >= 0 and <= 1))
            throw new OptionException("share", string.Create(CultureInfo.InvariantCulture, $"the haze gate's share must lie in [0, 1] (0 = off), got {Share}."));
        if (MinPixels < 0)
            throw new OptionException("min-pixels", $"the haze gate's min-pixels must be 0 or more, got {MinPixels}.");
    }

    public override string ToString() => Enabled
        ? string.Create(CultureInfo.InvariantCulture, $"haze gate share {Share}, min {MinPixels} px")
        : "haze gate off";
}

/// <summary>What the haze gate did on one monitoring step: observed monitored pixels, and how many it set aside (0: the day was not gated).</summary>
public readonly record struct HazeGateStep(long Observed, long SetAside)
{
    public bool Gated => SetAside > 0;
}
