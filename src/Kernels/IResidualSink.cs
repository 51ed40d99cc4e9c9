namespace NrtCluster.Kernels;

/// <summary>
/// Receives each pixel's float32 fit residuals (length T, cube date order; NaN where there is no observation or it was
/// not used by the fit; all 0 for pixels not fitted, i.e. mask != 1 at fit time).
/// Called concurrently for distinct pixels: implementations write only that pixel's slots.
/// </summary>
public interface IResidualSink
{
    void Accept(int pixel, ReadOnlySpan<float> residuals);
}
