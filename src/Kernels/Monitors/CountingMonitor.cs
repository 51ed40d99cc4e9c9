using System.Runtime.CompilerServices;

namespace NrtCluster.Kernels.Monitors;

/// <summary>
/// The outlier-counting monitors (IQR, CCDC; spec 4.5, 4.6): each pixel's process is a counter (uint8, wrapping as the
/// reference's) of consecutive outliers, and a break is confirmed when it reaches <c>boundary</c>. A monitor says what an
/// outlier is from the statistics of its fit residuals, which <typeparamref name="TSink"/> collects during the fit and
/// <typeparamref name="TTest"/> reads while monitoring (a struct, so the step's loop calls it directly, without a virtual call).
/// </summary>
public abstract class CountingMonitor<TSink, TTest> : BaseMonitor where TSink : IResidualSink where TTest : struct, IOutlierTest
{
    private readonly int boundary;

    protected CountingMonitor(CountingOptions options, byte[]? mask) : base(options, mask) => boundary = CheckBoundary(options.Boundary);

    /// <summary>Rebuilds a fitted monitor from its persisted state.</summary>
    protected CountingMonitor(CountingOptions options, FittedModel model, MonitoringState state) : base(options, model, state) =>
        boundary = CheckBoundary(options.Boundary);

    private static int CheckBoundary(int boundary) => boundary is < 1 or > byte.MaxValue
        ? throw new OptionException("boundary", $"boundary (consecutive outliers to confirm a break) must lie in 1..255, got {boundary}.")
        : boundary;

    /// <summary>A sink collecting the fit residuals' statistics of <paramref name="pixels"/> pixels.</summary>
    protected abstract TSink NewSink(int pixels);

    /// <summary>The fitted model with the statistics <paramref name="sink"/> collected.</summary>
    protected abstract FittedModel WithStatistics(FittedModel model, TSink sink);

    /// <summary>Checks that a restored model has the statistics <see cref="IsOutlier"/> reads.</summary>
    protected abstract void ValidateStatistics(FittedModel model);

    /// <summary>The outlier test over the fitted model's statistics.</summary>
    protected abstract TTest OutlierTest(FittedModel model);

    /// <summary>The monitor's own model layers (its residual statistics), for <see cref="BaseMonitor.ExportState"/>.</summary>
    protected abstract void AddStatisticLayers(List<ReferenceLayer> layers);

    protected sealed override (FittedModel Model, MonitoringState State) FitCore(
        HistoryCube history, FitOptions fitOptions, byte[] mask, HistoryCube? green, HistoryCube? swir)
    {
        var sink = NewSink(history.Pixels);
        var result = RunFit(history, fitOptions, mask, sink, green, swir);
        var state = new MonitoringState { Mask = mask, DetectionDate = new ushort[mask.Length], Counter = new byte[mask.Length] };
        return (WithStatistics(ModelOf(history, result), sink), state);
    }

    protected sealed override void Validate(FittedModel model, MonitoringState state)
    {
        ValidateStatistics(model);
        Require(state.Counter, "process", Name);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected sealed override void StepBlock(int start, int end, ReadOnlySpan<float> y, ReadOnlySpan<double> prediction, ushort day)
    {
        var s = State;
        var mask = s.Mask;
        var counter = s.Counter!;
        var confidence = s.Confidence;
        var magnitude = s.Magnitude;
        var test = OutlierTest(Model);
        for (int i = start; i < end; i++)
        {
            var v = y[i];
            if (mask[i] != MaskCodes.Monitored || !float.IsFinite(v)) continue;
            var r = v - prediction[i - start];
            // Low from the first counted outlier, high at the break; a run that ends before the boundary is no alert.
            if (test.IsOutlier(i, r))
            {
                counter[i] = unchecked((byte)(counter[i] + 1));
                magnitude[i] = test.Magnitude(i, r);
                confidence[i] = ConfidenceCodes.Low;
                if (counter[i] >= boundary)
                {
                    Break(s, i, day);
                    confidence[i] = ConfidenceCodes.High;
                }
            }
            else
            {
                counter[i] = 0;
                // Written only when a run ends: most pixels are not in one.
                if (confidence[i] != ConfidenceCodes.None)
                {
                    confidence[i] = ConfidenceCodes.None;
                    magnitude[i] = 0;
                }
            }
        }
    }

    /// <summary>The residual is an outlier (one step towards a break).</summary>
    protected sealed override bool Exceeds(int pixel, double residual) => OutlierTest(Model).IsOutlier(pixel, residual);

    protected sealed override double ProcessAt(int pixel) => State.Counter![pixel];

    protected sealed override void AddLayers(List<ReferenceLayer> layers)
    {
        AddStatisticLayers(layers);
        // The reference creates its process on the first monitored date.
        if (State.Steps > 0) layers.Add(Layer("process", State.Counter!));
    }
}

/// <summary>What an outlier-counting monitor counts: whether a pixel's residual (observation minus prediction) is an outlier.</summary>
public interface IOutlierTest
{
    bool IsOutlier(int pixel, double residual);

    /// <summary>How far an outlier's residual lies beyond the pixel's limit, in units of the limit's distance (above 1).</summary>
    float Magnitude(int pixel, double residual);
}
