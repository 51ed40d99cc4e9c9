using System.Text.Json;
using NrtCluster.Actors.State;
using NrtCluster.Kernels;
using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Actors.Tiles;

/// <summary>
/// <see cref="IMonitorEngine"/> over the kernels' monitors (src/Kernels/Monitors). A monitor is rebuilt for every step and
/// report by <see cref="MonitorFactory.Restore"/> from (options, fitted model, a copy of the monitoring state), which the
/// kernels guarantee continues exactly where the original was; the copy keeps the persisted state untouched.
/// </summary>
public sealed class KernelMonitorEngine : IMonitorEngine
{
    private readonly string _monitor;
    private readonly IReadOnlyDictionary<string, JsonElement> _init;
    private readonly MonitorOptions _options;
    private readonly FitOptions _fit;

    /// <param name="monitor">EWMA, CuSum, MoSum, IQR or CCDC.</param>
    /// <param name="init">Monitor options by their reference names (trend, harmonic_order, sensitivity, lambda_, h, boundary, ...).</param>
    /// <param name="fit">Fit options by their reference names (method, screen_outliers, alpha, L, ...); empty for the monitor's defaults.</param>
    /// <param name="hazeGate">The scene-level haze gate of the monitoring steps; null: off (steps as the reference's).</param>
    public KernelMonitorEngine(string monitor, IReadOnlyDictionary<string, JsonElement> init, IReadOnlyDictionary<string, JsonElement> fit,
        HazeGate? hazeGate = null)
    {
        var probe = MonitorFactory.Create(monitor, init);
        _monitor = monitor;
        _init = init;
        _options = probe.Options with { HazeGate = hazeGate ?? HazeGate.Off };
        _fit = MonitorFactory.FitOptionsFor(probe, fit);
        Description = $"{monitor} {JsonSerializer.Serialize(init)} fit {_fit.Method}/{_fit.Screening}" + (_options.HazeGate.Enabled ? $", {_options.HazeGate}" : "");
    }

    public string Description { get; }

    public FitOutput Fit(TileHistory history)
    {
        history.Validate();
        var monitor = MonitorFactory.Create(_monitor, _init, history.ForestMask);
        monitor.Fit(history.Index, _fit, history.Green, history.Swir);
        return new FitOutput(ModelLayers.ToLayers(monitor.Model), StateLayers.ToLayers(monitor.State, monitor.Model))
        {
            Warnings = monitor.FitWarnings,
        };
    }

    public StepOutput Step(LayerSet model, LayerSet monitoring, ReadOnlySpan<float> observation, DateTime acquiredUtc)
    {
        var fitted = ModelLayers.FromLayers(model);
        var state = StateLayers.FromLayers(monitoring).Copy();
        var monitor = Restore(fitted, state);
        monitor.Monitor(observation.ToArray(), acquiredUtc);
        return new StepOutput(StateLayers.ToLayers(monitor.State, fitted), monitor.LastGate);
    }

    public Layer Report(LayerSet model, LayerSet monitoring, IReadOnlyList<string> layers)
    {
        var report = Restore(ModelLayers.FromLayers(model), StateLayers.FromLayers(monitoring).Copy()).Report(layers, "uint16");
        return Layer.Of("report", (ushort[])report.Data, [.. report.Shape]);
    }

    public void WriteNrtState(string path, LayerSet model, LayerSet monitoring, TileCoordinates where) =>
        NrtStateFile.Write(path, Restore(ModelLayers.FromLayers(model), StateLayers.FromLayers(monitoring).Copy()), where);

    public FitOutput ReadNrtState(string path, TileCoordinates where)
    {
        var monitor = NrtStateFile.Import(path, _monitor, _options, where);
        return new FitOutput(ModelLayers.ToLayers(monitor.Model), StateLayers.ToLayers(monitor.State, monitor.Model));
    }

    private BaseMonitor Restore(FittedModel model, MonitoringState state) => MonitorFactory.Restore(_options, model, state);
}

/// <summary>The kernels' <see cref="FittedModel"/> as named layers (names follow the reference's state names where it has them).</summary>
public static class ModelLayers
{
    public static LayerSet ToLayers(FittedModel m)
    {
        int h = m.Height, w = m.Width;
        var layers = new List<Layer>
        {
            Layer.Of("beta", m.Beta, m.Beta.Length / m.Pixels, h, w),
            Layer.Of("window_length", new[] { m.WindowLength }, 1),
            Layer.Of("critical_value", new[] { m.CriticalValue }, 1),
        };
        if (m.Sigma is { } sigma) layers.Add(Layer.Of("sigma", sigma, h, w));
        if (m.EwmaBoundary is { } eb) layers.Add(Layer.Of("ewma_boundary", eb, h, w));
        if (m.Q25 is { } q25) layers.Add(Layer.Of("q25", q25, h, w));
        if (m.Q75 is { } q75) layers.Add(Layer.Of("q75", q75, h, w));
        if (m.Rmse is { } rmse) layers.Add(Layer.Of("rmse", rmse, h, w));
        if (m.HistSize is { } hs) layers.Add(Layer.Of("histsize", hs, h, w));
        if (m.WinSize is { } ws) layers.Add(Layer.Of("winsize", ws, h, w));
        if (m.FitStart is { } fs) layers.Add(Layer.Of("fit_start", fs, h, w));
        return new LayerSet(layers);
    }

    public static FittedModel FromLayers(LayerSet layers)
    {
        var beta = layers["beta"];
        return new FittedModel
        {
            Height = beta.Shape[1],
            Width = beta.Shape[2],
            Beta = beta.ValuesAs<float>(),
            WindowLength = layers["window_length"].ValuesAs<int>()[0],
            CriticalValue = layers["critical_value"].ValuesAs<double>()[0],
            Sigma = layers.Find("sigma")?.ValuesAs<float>(),
            EwmaBoundary = layers.Find("ewma_boundary")?.ValuesAs<float>(),
            Q25 = layers.Find("q25")?.ValuesAs<double>(),
            Q75 = layers.Find("q75")?.ValuesAs<double>(),
            Rmse = layers.Find("rmse")?.ValuesAs<float>(),
            HistSize = layers.Find("histsize")?.ValuesAs<ushort>(),
            WinSize = layers.Find("winsize")?.ValuesAs<short>(),
            FitStart = layers.Find("fit_start")?.ValuesAs<ushort>(),
        };
    }
}

/// <summary>The kernels' <see cref="MonitoringState"/> as named layers.</summary>
public static class StateLayers
{
    /// <summary>Layers sharing the state's arrays (callers hand over a state they no longer mutate).</summary>
    public static LayerSet ToLayers(MonitoringState s, FittedModel model)
    {
        int h = model.Height, w = model.Width;
        var layers = new List<Layer>
        {
            Layer.Of(TileState.MaskLayer, s.Mask, h, w),
            Layer.Of(TileState.DetectionDateLayer, s.DetectionDate, h, w),
            Layer.Of("steps", new[] { s.Steps }, 1),
        };
        if (s.Process is { } process) layers.Add(Layer.Of("process", process, h, w));
        if (s.Counter is { } counter) layers.Add(Layer.Of("counter", counter, h, w));
        if (s.N is { } n) layers.Add(Layer.Of("n", n, h, w));
        if (s.Boundary is { } boundary) layers.Add(Layer.Of("boundary", boundary, h, w));
        if (s.Window is { } window) layers.Add(Layer.Of("window", window, h, w, model.WindowLength));
        layers.Add(Layer.Of("confidence", s.Confidence, h, w));
        layers.Add(Layer.Of("magnitude", s.Magnitude, h, w));
        if (s.HazeHeld is { } held) layers.Add(Layer.Of("haze_held", held, h, w));
        return new LayerSet(layers);
    }

    /// <summary>
    /// A state sharing the layers' arrays: take <see cref="MonitoringState.Copy"/> before mutating it. A state stored
    /// before confidence and magnitude existed has neither layer: both start as zeros.
    /// </summary>
    public static MonitoringState FromLayers(LayerSet layers)
    {
        var mask = layers[TileState.MaskLayer].ValuesAs<byte>();
        return new()
        {
            Mask = mask,
            DetectionDate = layers[TileState.DetectionDateLayer].ValuesAs<ushort>(),
            Steps = layers["steps"].ValuesAs<int>()[0],
            Process = layers.Find("process")?.ValuesAs<double>(),
            Counter = layers.Find("counter")?.ValuesAs<byte>(),
            N = layers.Find("n")?.ValuesAs<ushort>(),
            Boundary = layers.Find("boundary")?.ValuesAs<double>(),
            Window = layers.Find("window")?.ValuesAs<double>(),
            Confidence = layers.Find("confidence")?.ValuesAs<byte>() ?? new byte[mask.Length],
            Magnitude = layers.Find("magnitude")?.ValuesAs<float>() ?? new float[mask.Length],
            HazeHeld = layers.Find("haze_held")?.ValuesAs<byte>(),
        };
    }
}
