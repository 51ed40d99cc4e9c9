using System.Globalization;
using System.Text;
using System.Xml;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Host.Http.Reports;

namespace NrtCluster.Host.Http.Wms;

/// <summary>
/// The GetCapabilities document: the service, its operations and formats, and one queryable layer per
/// <see cref="WmsLayers"/> entry under a root layer that holds the CRSs, extents and the time dimension of the data.
/// </summary>
public static class WmsCapabilities
{
    private const string Ns = "http://www.opengis.net/wms";
    private const string XLink = "http://www.w3.org/1999/xlink";

    /// <summary>The capabilities of the WMS at <paramref name="serviceUrl"/> serving <paramref name="s"/>.</summary>
    public static string Document(ReportSnapshot s, string serviceUrl)
    {
        var crsNames = new List<string> { "EPSG:3857", "EPSG:4326", "CRS:84" };
        var gridName = s.GridCrs is { } g ? CrsNames.EpsgName(g) : null;
        if (gridName is not null && !crsNames.Contains(gridName)) crsNames.Add(gridName);
        var lonLat = s.DataBox is { } box ? CrsNames.TransformBounds(box, "EPSG:4326") : new Bounds(-180, -90, 180, 90);

        var sb = new StringBuilder();
        using (var w = XmlWriter.Create(sb, new XmlWriterSettings { Indent = true, Encoding = Encoding.UTF8 }))
        {
            w.WriteStartDocument();
            w.WriteStartElement("WMS_Capabilities", Ns);
            w.WriteAttributeString("version", "1.3.0");
            w.WriteAttributeString("xmlns", "xlink", null, XLink);

            w.WriteStartElement("Service", Ns);
            w.WriteElementString("Name", Ns, "WMS");
            w.WriteElementString("Title", Ns, "NrtCluster forest-disturbance alerts");
            w.WriteElementString("Abstract", Ns, "Near-real-time disturbance monitoring from Sentinel-2: monitoring mask classes and break detection dates of the published tile reports.");
            OnlineResource(w, serviceUrl);
            w.WriteElementString("MaxWidth", Ns, WmsRequest.MaxSize.ToString(CultureInfo.InvariantCulture));
            w.WriteElementString("MaxHeight", Ns, WmsRequest.MaxSize.ToString(CultureInfo.InvariantCulture));
            w.WriteEndElement();

            w.WriteStartElement("Capability", Ns);
            w.WriteStartElement("Request", Ns);
            Operation(w, "GetCapabilities", serviceUrl, "text/xml");
            Operation(w, "GetMap", serviceUrl, "image/png", "image/jpeg");
            Operation(w, "GetFeatureInfo", serviceUrl, "application/json", "text/plain", "text/html");
            w.WriteEndElement();
            w.WriteStartElement("Exception", Ns);
            w.WriteElementString("Format", Ns, "XML");
            w.WriteEndElement();

            w.WriteStartElement("Layer", Ns);
            w.WriteElementString("Title", Ns, "NrtCluster");
            foreach (var c in crsNames) w.WriteElementString("CRS", Ns, c);
            w.WriteStartElement("EX_GeographicBoundingBox", Ns);
            w.WriteElementString("westBoundLongitude", Ns, F(lonLat.MinX));
            w.WriteElementString("eastBoundLongitude", Ns, F(lonLat.MaxX));
            w.WriteElementString("southBoundLatitude", Ns, F(lonLat.MinY));
            w.WriteElementString("northBoundLatitude", Ns, F(lonLat.MaxY));
            w.WriteEndElement();
            foreach (var c in crsNames) BoundingBox(w, c, s, lonLat);
            if (s.FirstDetection is { } first && s.LastDetection is { } last)
            {
                w.WriteStartElement("Dimension", Ns);
                w.WriteAttributeString("name", "time");
                w.WriteAttributeString("units", "ISO8601");
                w.WriteAttributeString("default", $"{first:yyyy-MM-dd}/{last:yyyy-MM-dd}");
                w.WriteAttributeString("nearestValue", "0");
                w.WriteString($"{first:yyyy-MM-dd}/{last:yyyy-MM-dd}/P1D");
                w.WriteEndElement();
            }
            foreach (var (name, title, abstractText) in WmsLayers.All) Layer(w, name, title, abstractText, s, serviceUrl);
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndDocument();
        }
        // StringBuilder output says utf-16 in the declaration; the body is sent as UTF-8.
        return sb.ToString().Replace("encoding=\"utf-16\"", "encoding=\"UTF-8\"", StringComparison.Ordinal);
    }

    private static void Layer(XmlWriter w, string name, string title, string abstractText, ReportSnapshot s, string serviceUrl)
    {
        w.WriteStartElement("Layer", Ns);
        w.WriteAttributeString("queryable", "1");
        w.WriteAttributeString("opaque", "0");
        w.WriteElementString("Name", Ns, name);
        w.WriteElementString("Title", Ns, title);
        w.WriteElementString("Abstract", Ns, abstractText);
        w.WriteStartElement("Style", Ns);
        w.WriteElementString("Name", Ns, "default");
        w.WriteElementString("Title", Ns, "Default");
        var (lw, lh) = WmsLegend.Size(name, s);
        w.WriteStartElement("LegendURL", Ns);
        w.WriteAttributeString("width", lw.ToString(CultureInfo.InvariantCulture));
        w.WriteAttributeString("height", lh.ToString(CultureInfo.InvariantCulture));
        w.WriteElementString("Format", Ns, "image/png");
        OnlineResource(w, $"{serviceUrl}?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic&LAYER={name}&FORMAT=image/png");
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
    }

    private static void OnlineResource(XmlWriter w, string href)
    {
        w.WriteStartElement("OnlineResource", Ns);
        w.WriteAttributeString("xlink", "type", XLink, "simple");
        w.WriteAttributeString("xlink", "href", XLink, href);
        w.WriteEndElement();
    }

    private static void Operation(XmlWriter w, string name, string url, params string[] formats)
    {
        w.WriteStartElement(name, Ns);
        foreach (var f in formats) w.WriteElementString("Format", Ns, f);
        w.WriteStartElement("DCPType", Ns);
        w.WriteStartElement("HTTP", Ns);
        w.WriteStartElement("Get", Ns);
        OnlineResource(w, url + "?");
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
    }

    private static void BoundingBox(XmlWriter w, string crsName, ReportSnapshot s, Bounds lonLat)
    {
        var crs = CrsNames.Resolve(crsName);
        Bounds b;
        if (crsName == "CRS:84" || crsName == "EPSG:4326") b = lonLat;
        else if (s.DataBox is { } box) b = CrsNames.TransformBounds(box, crs.Definition);
        else if (crsName == "EPSG:3857") b = new Bounds(-20037508.34, -20037508.34, 20037508.34, 20037508.34);
        else return;
        var swap = crs.NorthFirst;
        w.WriteStartElement("BoundingBox", Ns);
        w.WriteAttributeString("CRS", crsName);
        w.WriteAttributeString("minx", F(swap ? b.MinY : b.MinX));
        w.WriteAttributeString("miny", F(swap ? b.MinX : b.MinY));
        w.WriteAttributeString("maxx", F(swap ? b.MaxY : b.MaxX));
        w.WriteAttributeString("maxy", F(swap ? b.MaxX : b.MaxY));
        if (s.DataBox is { } d && s.GridCrs is { } g && CrsNames.EpsgName(g) == crsName)
        {
            w.WriteAttributeString("resx", F(d.ResolutionX));
            w.WriteAttributeString("resy", F(d.ResolutionY));
        }
        w.WriteEndElement();
    }

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
