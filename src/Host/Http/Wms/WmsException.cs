using System.Security;

namespace NrtCluster.Host.Http.Wms;

/// <summary>A WMS request the server cannot answer; becomes a ServiceExceptionReport with the OGC exception code.</summary>
public sealed class WmsException(string code, string message) : Exception(message)
{
    /// <summary>OGC code, e.g. InvalidCRS, LayerNotDefined, InvalidFormat, MissingParameterValue, InvalidParameterValue.</summary>
    public string Code { get; } = code;

    public string ToXml() =>
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
        "<ServiceExceptionReport version=\"1.3.0\" xmlns=\"http://www.opengis.net/ogc\">\n" +
        $"  <ServiceException code=\"{Code}\">{SecurityElement.Escape(Message)}</ServiceException>\n" +
        "</ServiceExceptionReport>\n";
}
