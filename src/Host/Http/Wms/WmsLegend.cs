using System.Globalization;
using System.Text.Json.Nodes;
using NrtCluster.Host.Http.Rendering;
using NrtCluster.Host.Http.Reports;

namespace NrtCluster.Host.Http.Wms;

/// <summary>GetLegendGraphic: a layer's legend as a PNG (<see cref="LegendRenderer"/>) or as data (JSON).</summary>
public static class WmsLegend
{
    public static WmsResponse Graphic(WmsRequest request, ReportFolder folder)
    {
        var layer = WmsLayers.Check(request.Required("LAYER"));
        var format = request.Optional("FORMAT") ?? "image/png";
        var s = folder.Current();
        if (format.StartsWith("image/png", StringComparison.OrdinalIgnoreCase))
            return new WmsResponse(200, "image/png", layer switch
            {
                WmsLayers.Mask => LegendRenderer.MaskLegendPng(),
                WmsLayers.Confidence => LegendRenderer.ConfidenceLegendPng(),
                WmsLayers.Magnitude => LegendRenderer.MagnitudeLegendPng(),
                _ => LegendRenderer.DateLegendPng(s.FirstDetection, s.LastDetection),
            });
        if (format.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            return WmsResponse.Text("application/json", Json(layer, s).ToJsonString());
        throw new WmsException("InvalidFormat", $"FORMAT={format} is not supported for legends; use image/png or application/json.");
    }

    /// <summary>The size of the legend PNG of <paramref name="layer"/>, from its layout alone (the capabilities announce it).</summary>
    public static (int Width, int Height) Size(string layer, ReportSnapshot s) => layer switch
    {
        WmsLayers.Mask => LegendRenderer.MaskLegendSize(),
        WmsLayers.Confidence => LegendRenderer.ConfidenceLegendSize(),
        WmsLayers.Magnitude => LegendRenderer.MagnitudeLegendSize(),
        _ => LegendRenderer.DateLegendSize(s.FirstDetection, s.LastDetection),
    };

    /// <summary>
    /// The legend as data: class labels and colours; the magnitude range (report values, hundredths) with ramp colours; or
    /// the date range with ramp colours at its ends and middle.
    /// </summary>
    public static JsonObject Json(string layer, ReportSnapshot s)
    {
        if (layer is WmsLayers.Mask or WmsLayers.Confidence)
            return new JsonObject
            {
                ["layer"] = layer,
                ["classes"] = new JsonArray((layer == WmsLayers.Mask ? Palette.MaskClasses : Palette.ConfidenceClasses).Select(c => (JsonNode)new JsonObject
                {
                    ["value"] = c.Code, ["label"] = c.Label, ["colour"] = c.Colour.A == 0 ? null : c.Colour.Hex,
                }).ToArray()),
            };
        if (layer == WmsLayers.Magnitude)
            return new JsonObject
            {
                ["layer"] = layer,
                ["first"] = 1.0,
                ["last"] = Palette.MagnitudeRampTop,
                ["stops"] = Stops(Palette.MagnitudeAt),
            };
        return new JsonObject
        {
            ["layer"] = layer,
            ["first"] = s.FirstDetection?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["last"] = s.LastDetection?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["stops"] = Stops(Palette.RampAt),
        };
    }

    private static JsonArray Stops(Func<double, Rgba> ramp) =>
        new(new[] { 0.0, 0.25, 0.5, 0.75, 1.0 }.Select(f => (JsonNode)new JsonObject { ["fraction"] = f, ["colour"] = ramp(f).Hex }).ToArray());
}
