using System.Globalization;
using System.Text;
using System.Xml;
using NrtCluster.Geo.Gdal;
using NrtCluster.Host.Http.Reports;
using NrtCluster.Host.Http.Wms;

namespace NrtCluster.Host.Http.Tiles;

/// <summary>
/// The WMTS 1.0.0 capabilities of the XYZ tiles (what QGIS and GDAL's WMTS driver read): one layer per <see cref="WmsLayers"/>
/// entry with its lon/lat extent, a default style with the WMS legend, PNG tiles at a RESTful <c>ResourceURL</c> template over
/// <c>/tiles</c>, the GoogleMapsCompatible tile matrix set (zoom 0 to <see cref="WebMercator.MaxZoom"/>) limited to the data's tiles,
/// and the detection dates as a Time dimension (the template's <c>time</c>).
/// </summary>
public static class WmtsCapabilities
{
    public const string TileMatrixSet = "GoogleMapsCompatible";

    private const string Ns = "http://www.opengis.net/wmts/1.0";
    private const string Ows = "http://www.opengis.net/ows/1.1";
    private const string XLink = "http://www.w3.org/1999/xlink";

    /// <summary>The capabilities of the tiles under <paramref name="baseUrl"/> (the server's root, no trailing slash) for <paramref name="s"/>.</summary>
    public static string Document(ReportSnapshot s, Bounds? mercator, string baseUrl)
    {
        var lonLat = s.DataBox is { } box && s.Tiles.Count > 0 ? CrsNames.TransformBounds(box, "EPSG:4326") : new Bounds(-180, -85.0511287798, 180, 85.0511287798);
        var time = s.FirstDetection is { } first && s.LastDetection is { } last ? $"{first:yyyy-MM-dd}/{last:yyyy-MM-dd}" : null;
        var sb = new StringBuilder();
        using (var w = XmlWriter.Create(sb, new XmlWriterSettings { Indent = true }))
        {
            w.WriteStartDocument();
            w.WriteStartElement("Capabilities", Ns);
            w.WriteAttributeString("xmlns", "ows", null, Ows);
            w.WriteAttributeString("xmlns", "xlink", null, XLink);
            w.WriteAttributeString("version", "1.0.0");

            w.WriteStartElement("ServiceIdentification", Ows);
            w.WriteElementString("Title", Ows, "NrtCluster forest-disturbance alerts");
            w.WriteElementString("Abstract", Ows, "Monitoring mask classes and break detection dates of the published tile reports, as web-map tiles.");
            w.WriteElementString("ServiceType", Ows, "OGC WMTS");
            w.WriteElementString("ServiceTypeVersion", Ows, "1.0.0");
            w.WriteEndElement();

            w.WriteStartElement("OperationsMetadata", Ows);
            Operation(w, "GetCapabilities", ($"{baseUrl}/wmts/1.0.0/WMTSCapabilities.xml", "RESTful"), ($"{baseUrl}/wmts?", "KVP"));
            Operation(w, "GetTile", ($"{baseUrl}/tiles/", "RESTful"));
            w.WriteEndElement();

            w.WriteStartElement("Contents", Ns);
            foreach (var (name, title, abstractText) in WmsLayers.All)
            {
                w.WriteStartElement("Layer", Ns);
                w.WriteElementString("Title", Ows, title);
                w.WriteElementString("Abstract", Ows, abstractText);
                w.WriteStartElement("WGS84BoundingBox", Ows);
                w.WriteElementString("LowerCorner", Ows, $"{F(lonLat.MinX)} {F(lonLat.MinY)}");
                w.WriteElementString("UpperCorner", Ows, $"{F(lonLat.MaxX)} {F(lonLat.MaxY)}");
                w.WriteEndElement();
                w.WriteElementString("Identifier", Ows, name);
                w.WriteStartElement("Style", Ns);
                w.WriteAttributeString("isDefault", "true");
                w.WriteElementString("Identifier", Ows, "default");
                w.WriteStartElement("LegendURL", Ns);
                w.WriteAttributeString("format", "image/png");
                w.WriteAttributeString("xlink", "href", XLink, $"{baseUrl}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic&LAYER={name}&FORMAT=image/png");
                w.WriteEndElement();
                w.WriteEndElement();
                w.WriteElementString("Format", Ns, "image/png");
                if (time is not null)
                {
                    w.WriteStartElement("Dimension", Ns);
                    w.WriteElementString("Identifier", Ows, "Time");
                    w.WriteElementString("UOM", Ows, "ISO8601");
                    w.WriteElementString("Default", Ns, time);
                    w.WriteElementString("Value", Ns, time);
                    w.WriteEndElement();
                }
                w.WriteStartElement("TileMatrixSetLink", Ns);
                w.WriteElementString("TileMatrixSet", Ns, TileMatrixSet);
                if (mercator is { } data) Limits(w, data);
                w.WriteEndElement();
                w.WriteStartElement("ResourceURL", Ns);
                w.WriteAttributeString("format", "image/png");
                w.WriteAttributeString("resourceType", "tile");
                w.WriteAttributeString("template", $"{baseUrl}/tiles/{name}/{{TileMatrix}}/{{TileCol}}/{{TileRow}}.png" + (time is null ? "" : "?time={Time}"));
                w.WriteEndElement();
                w.WriteEndElement();
            }
            MatrixSet(w);
            w.WriteEndElement();

            w.WriteStartElement("ServiceMetadataURL", Ns);
            w.WriteAttributeString("xlink", "href", XLink, $"{baseUrl}/wmts/1.0.0/WMTSCapabilities.xml");
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndDocument();
        }
        // StringBuilder output says utf-16 in the declaration; the body is sent as UTF-8.
        return sb.ToString().Replace("encoding=\"utf-16\"", "encoding=\"UTF-8\"", StringComparison.Ordinal);
    }

    private static void Operation(XmlWriter w, string name, params (string Href, string Encoding)[] gets)
    {
        w.WriteStartElement("Operation", Ows);
        w.WriteAttributeString("name", name);
        w.WriteStartElement("DCP", Ows);
        w.WriteStartElement("HTTP", Ows);
        foreach (var (href, encoding) in gets)
        {
            w.WriteStartElement("Get", Ows);
            w.WriteAttributeString("xlink", "href", XLink, href);
            w.WriteStartElement("Constraint", Ows);
            w.WriteAttributeString("name", "GetEncoding");
            w.WriteStartElement("AllowedValues", Ows);
            w.WriteElementString("Value", Ows, encoding);
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
        }
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
    }

    /// <summary>The tiles holding data at each zoom, so that clients do not ask for the empty rest of the world.</summary>
    private static void Limits(XmlWriter w, Bounds mercator)
    {
        w.WriteStartElement("TileMatrixSetLimits", Ns);
        for (var z = 0; z <= WebMercator.MaxZoom; z++)
        {
            var (minCol, minRow, maxCol, maxRow) = WebMercator.TileRange(mercator, z);
            w.WriteStartElement("TileMatrixLimits", Ns);
            w.WriteElementString("TileMatrix", Ns, I(z));
            w.WriteElementString("MinTileRow", Ns, I(minRow));
            w.WriteElementString("MaxTileRow", Ns, I(maxRow));
            w.WriteElementString("MinTileCol", Ns, I(minCol));
            w.WriteElementString("MaxTileCol", Ns, I(maxCol));
            w.WriteEndElement();
        }
        w.WriteEndElement();
    }

    private static void MatrixSet(XmlWriter w)
    {
        w.WriteStartElement("TileMatrixSet", Ns);
        w.WriteElementString("Identifier", Ows, TileMatrixSet);
        w.WriteElementString("SupportedCRS", Ows, "urn:ogc:def:crs:EPSG::3857");
        w.WriteElementString("WellKnownScaleSet", Ns, "urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible");
        for (var z = 0; z <= WebMercator.MaxZoom; z++)
        {
            w.WriteStartElement("TileMatrix", Ns);
            w.WriteElementString("Identifier", Ows, I(z));
            w.WriteElementString("ScaleDenominator", Ns, F(WebMercator.ScaleDenominator(z)));
            // EPSG:3857 is easting first.
            w.WriteElementString("TopLeftCorner", Ns, $"{F(-WebMercator.HalfWorld)} {F(WebMercator.HalfWorld)}");
            w.WriteElementString("TileWidth", Ns, I(WebMercator.TileSize));
            w.WriteElementString("TileHeight", Ns, I(WebMercator.TileSize));
            w.WriteElementString("MatrixWidth", Ns, I(WebMercator.MatrixSize(z)));
            w.WriteElementString("MatrixHeight", Ns, I(WebMercator.MatrixSize(z)));
            w.WriteEndElement();
        }
        w.WriteEndElement();
    }

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}
