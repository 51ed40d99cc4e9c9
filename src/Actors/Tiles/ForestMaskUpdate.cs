using NrtCluster.Actors.State;
using NrtCluster.Kernels;

namespace NrtCluster.Actors.Tiles;

/// <summary>
/// What a new forest mask does to a fitted tile's mask codes, without refitting (nrt's <c>update_mask</c>): a pixel leaving
/// the forest is no longer monitored (0); a pixel entering it takes back the code its fit gave it (1 monitored, 2 unstable,
/// 4 too few observations) and so is monitored again only when it has a fit: a pixel that was never fitted stays out (0)
/// until a refit; a confirmed break (3) keeps its break and date wherever the forest is now. Pixels inside the forest
/// before and after keep their code, and every other layer (process, counters, windows) is untouched: a pixel that comes
/// back resumes its monitoring where it stopped.
/// </summary>
public static class ForestMaskUpdate
{
    /// <returns>The new mask, the fit's codes (<see cref="TileState.FitMaskLayer"/>) and what changed.</returns>
    public static (byte[] Mask, byte[] FitMask, MaskChange Change) Apply(LayerSet monitoring, ReadOnlySpan<byte> forest)
    {
        var current = monitoring[TileState.MaskLayer].ValuesAs<byte>();
        if (forest.Length != current.Length)
            throw new ArgumentException($"The forest mask has {forest.Length} pixels, the tile {current.Length}.", nameof(forest));
        var fitMask = monitoring.Find(TileState.FitMaskLayer)?.ValuesAs<byte>() ?? FitMaskOf(current);
        var mask = (byte[])current.Clone();
        long left = 0, entered = 0, notFitted = 0, breaksKept = 0;
        for (int i = 0; i < mask.Length; i++)
        {
            bool isForest = forest[i] == 1;
            switch (current[i])
            {
                case MaskCodes.Break:
                    if (!isForest) breaksKept++;
                    break;
                case MaskCodes.NotMonitored when isForest:
                    mask[i] = fitMask[i];
                    if (fitMask[i] == MaskCodes.NotMonitored) notFitted++;
                    else entered++;
                    break;
                case not MaskCodes.NotMonitored when !isForest:
                    mask[i] = MaskCodes.NotMonitored;
                    left++;
                    break;
            }
        }
        return (mask, fitMask, new MaskChange(left, entered, notFitted, breaksKept));
    }

    /// <summary>
    /// The fit's codes read off a mask no update has touched yet: monitoring only turns a monitored pixel (1) into a break (3),
    /// so a break was monitored after the fit and every other code is the fit's.
    /// </summary>
    private static byte[] FitMaskOf(byte[] mask)
    {
        var fit = (byte[])mask.Clone();
        for (int i = 0; i < fit.Length; i++)
            if (fit[i] == MaskCodes.Break) fit[i] = MaskCodes.Monitored;
        return fit;
    }
}
