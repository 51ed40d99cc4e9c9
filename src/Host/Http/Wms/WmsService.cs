using System.Text;
using NrtCluster.Host.Http.Reports;

namespace NrtCluster.Host.Http.Wms;

/// <summary>An HTTP answer of the WMS: status, media type and body.</summary>
public sealed record WmsResponse(int Status, string ContentType, byte[] Body)
{
    public static WmsResponse Text(string contentType, string text) => new(200, contentType, Encoding.UTF8.GetBytes(text));

    public static WmsResponse Xml(string xml) => Text("text/xml; charset=utf-8", xml);
}

/// <summary>
/// WMS 1.3.0 over an output folder (1.1.1-style SRS/X/Y parameters are accepted too): GetCapabilities
/// (<see cref="WmsCapabilities"/>), GetMap (<see cref="WmsMap"/>), GetFeatureInfo (<see cref="WmsFeatureInfo"/>) and
/// GetLegendGraphic (<see cref="WmsLegend"/>) on the layers of <see cref="WmsLayers"/>; parameters are read and checked by
/// <see cref="WmsRequest"/>. This class only routes a request to its operation and turns a refusal into a service exception.
/// </summary>
public sealed class WmsService(ReportFolder folder)
{
    /// <summary>
    /// Answers one request; <paramref name="serviceUrl"/> is the absolute URL of this endpoint (for the capabilities). A map whose
    /// client has gone (<paramref name="ct"/>) stops between its steps.
    /// </summary>
    public WmsResponse Handle(Func<string, string?> parameter, string serviceUrl, CancellationToken ct = default)
    {
        var request = new WmsRequest(parameter);
        try
        {
            var service = request.Optional("SERVICE");
            if (service is not null && !service.Equals("WMS", StringComparison.OrdinalIgnoreCase))
                throw new WmsException("InvalidParameterValue", $"SERVICE={service} is not served here; this endpoint is a WMS (SERVICE=WMS).");
            var operation = request.Required("REQUEST");
            return operation.ToUpperInvariant() switch
            {
                "GETCAPABILITIES" => WmsResponse.Xml(WmsCapabilities.Document(folder.Current(), serviceUrl)),
                "GETMAP" => WmsMap.Draw(request, folder, ct),
                "GETFEATUREINFO" => WmsFeatureInfo.Answer(request, folder),
                "GETLEGENDGRAPHIC" => WmsLegend.Graphic(request, folder),
                _ => throw new WmsException("OperationNotSupported", $"REQUEST={operation} is not supported; use GetCapabilities, GetMap, GetFeatureInfo or GetLegendGraphic."),
            };
        }
        catch (WmsException e)
        {
            return new WmsResponse(400, "text/xml; charset=utf-8", Encoding.UTF8.GetBytes(e.ToXml()));
        }
    }
}
