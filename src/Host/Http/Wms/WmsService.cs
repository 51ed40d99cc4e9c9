using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Host.Http.Rendering;

namespace NrtCluster.Host.Http.Wms;

/// <summary>An HTTP answer of the WMS: status, media type and body.</summary>
public sealed record WmsResponse(int Status, string ContentType, byte[] Body);

/// <summary>
/// WMS 1.3.0 over an output folder (1.1.1-style SRS/X/Y parameters are accepted too): GetCapabilities, GetMap (PNG or JPEG;
/// the mosaic warped with nearest resampling onto the requested box and coloured here), GetFeatureInfo (a pixel's
/// mask, detection date and tile) and GetLegendGraphic. Layers: <c>mask</c> (one colour per class) and
/// <c>detection_date</c> (a ramp over the data's date range). TIME=start/end (or one date) filters by detection date:
/// the mask layer then shows the state as of the end date, the date layer only breaks detected in the interval.
/// </summary>
public sealed class WmsService(ReportFolder folder)
{
    public const string MaskLayer = "mask";
    public const string DateLayer = "detection_date";
    public const int MaxSize = 4096;
    private static readonly string[] Layers = [MaskLayer, DateLayer];

    /// <summary>Answers one request; <paramref name="serviceUrl"/> is the absolute URL of this endpoint (for the capabilities).</summary>
    public WmsResponse Handle(Func<string, string?> parameter, string serviceUrl)
    {
        try
        {
            var service = parameter("SERVICE");
            if (service is not null && !service.Equals("WMS", StringComparison.OrdinalIgnoreCase))
                throw new WmsException("InvalidParameterValue", $"SERVICE={service} is not served here; this endpoint is a WMS (SERVICE=WMS).");
            var request = Required(parameter, "REQUEST");
            return request.ToUpperInvariant() switch
            {
                "GETCAPABILITIES" => Xml(Capabilities(serviceUrl)),
                "GETMAP" => GetMap(parameter),
                "GETFEATUREINFO" => GetFeatureInfo(parameter),
                "GETLEGENDGRAPHIC" => GetLegendGraphic(parameter),
                _ => throw new WmsException("OperationNotSupported", $"REQUEST={request} is not supported; use GetCapabilities, GetMap, GetFeatureInfo or GetLegendGraphic."),
            };
        }
        catch (WmsException e)
        {
            return new WmsResponse(400, "text/xml; charset=utf-8", Encoding.UTF8.GetBytes(e.ToXml()));
        }
    }

    private static WmsResponse Xml(string xml) => new(200, "text/xml; charset=utf-8", Encoding.UTF8.GetBytes(xml));

    // ---- GetCapabilities ----

    private string Capabilities(string serviceUrl)
    {
        var s = folder.Current();
        var crsNames = new List<string> { "EPSG:3857", "EPSG:4326", "CRS:84" };
        var gridName = s.GridCrs is { } g ? CrsNames.EpsgName(g) : null;
        if (gridName is not null && !crsNames.Contains(gridName)) crsNames.Add(gridName);
        var lonLat = s.DataBox is { } box ? CrsNames.TransformBounds(box, "EPSG:4326") : new Bounds(-180, -90, 180, 90);

        var sb = new StringBuilder();
        using (var w = XmlWriter.Create(sb, new XmlWriterSettings { Indent = true, Encoding = Encoding.UTF8 }))
        {
            const string wms = "http://www.opengis.net/wms";
            const string xlink = "http://www.w3.org/1999/xlink";
            w.WriteStartDocument();
            w.WriteStartElement("WMS_Capabilities", wms);
            w.WriteAttributeString("version", "1.3.0");
            w.WriteAttributeString("xmlns", "xlink", null, xlink);

            w.WriteStartElement("Service", wms);
            w.WriteElementString("Name", wms, "WMS");
            w.WriteElementString("Title", wms, "NrtCluster forest-disturbance alerts");
            w.WriteElementString("Abstract", wms, "Near-real-time disturbance monitoring from Sentinel-2: monitoring mask classes and break detection dates of the published tile reports.");
            OnlineResource(w, serviceUrl);
            w.WriteElementString("MaxWidth", wms, MaxSize.ToString(CultureInfo.InvariantCulture));
            w.WriteElementString("MaxHeight", wms, MaxSize.ToString(CultureInfo.InvariantCulture));
            w.WriteEndElement();

            w.WriteStartElement("Capability", wms);
            w.WriteStartElement("Request", wms);
            Operation(w, "GetCapabilities", serviceUrl, "text/xml");
            Operation(w, "GetMap", serviceUrl, "image/png", "image/jpeg");
            Operation(w, "GetFeatureInfo", serviceUrl, "application/json", "text/plain", "text/html");
            w.WriteEndElement();
            w.WriteStartElement("Exception", wms);
            w.WriteElementString("Format", wms, "XML");
            w.WriteEndElement();

            w.WriteStartElement("Layer", wms);
            w.WriteElementString("Title", wms, "NrtCluster");
            foreach (var c in crsNames) w.WriteElementString("CRS", wms, c);
            w.WriteStartElement("EX_GeographicBoundingBox", wms);
            w.WriteElementString("westBoundLongitude", wms, F(lonLat.MinX));
            w.WriteElementString("eastBoundLongitude", wms, F(lonLat.MaxX));
            w.WriteElementString("southBoundLatitude", wms, F(lonLat.MinY));
            w.WriteElementString("northBoundLatitude", wms, F(lonLat.MaxY));
            w.WriteEndElement();
            foreach (var c in crsNames) BoundingBox(w, c, s, lonLat);
            if (s.FirstDetection is { } first && s.LastDetection is { } last)
            {
                w.WriteStartElement("Dimension", wms);
                w.WriteAttributeString("name", "time");
                w.WriteAttributeString("units", "ISO8601");
                w.WriteAttributeString("default", $"{first:yyyy-MM-dd}/{last:yyyy-MM-dd}");
                w.WriteAttributeString("nearestValue", "0");
                w.WriteString($"{first:yyyy-MM-dd}/{last:yyyy-MM-dd}/P1D");
                w.WriteEndElement();
            }
            foreach (var (name, title, abstractText) in new[]
                     {
                         (MaskLayer, "Monitoring mask", "Per-pixel state: monitored, unstable history, break, too few observations (not monitored is transparent)."),
                         (DateLayer, "Break detection date", "Date each break was detected, coloured from the earliest (yellow) to the latest (dark purple) detection; transparent where none."),
                     })
            {
                w.WriteStartElement("Layer", wms);
                w.WriteAttributeString("queryable", "1");
                w.WriteAttributeString("opaque", "0");
                w.WriteElementString("Name", wms, name);
                w.WriteElementString("Title", wms, title);
                w.WriteElementString("Abstract", wms, abstractText);
                w.WriteStartElement("Style", wms);
                w.WriteElementString("Name", wms, "default");
                w.WriteElementString("Title", wms, "Default");
                var (lw, lh) = LegendSize(name, s);
                w.WriteStartElement("LegendURL", wms);
                w.WriteAttributeString("width", lw.ToString(CultureInfo.InvariantCulture));
                w.WriteAttributeString("height", lh.ToString(CultureInfo.InvariantCulture));
                w.WriteElementString("Format", wms, "image/png");
                OnlineResource(w, $"{serviceUrl}?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic&LAYER={name}&FORMAT=image/png");
                w.WriteEndElement();
                w.WriteEndElement();
                w.WriteEndElement();
            }
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndDocument();
        }
        // StringBuilder output says utf-16 in the declaration; the body is sent as UTF-8.
        return sb.ToString().Replace("encoding=\"utf-16\"", "encoding=\"UTF-8\"", StringComparison.Ordinal);

        static void OnlineResource(XmlWriter w, string href)
        {
            w.WriteStartElement("OnlineResource", "http://www.opengis.net/wms");
            w.WriteAttributeString("xlink", "type", "http://www.w3.org/1999/xlink", "simple");
            w.WriteAttributeString("xlink", "href", "http://www.w3.org/1999/xlink", href);
            w.WriteEndElement();
        }

        static void Operation(XmlWriter w, string name, string url, params string[] formats)
        {
            const string ns = "http://www.opengis.net/wms";
            w.WriteStartElement(name, ns);
            foreach (var f in formats) w.WriteElementString("Format", ns, f);
            w.WriteStartElement("DCPType", ns);
            w.WriteStartElement("HTTP", ns);
            w.WriteStartElement("Get", ns);
            OnlineResource(w, url + "?");
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
        }
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
        w.WriteStartElement("BoundingBox", "http://www.opengis.net/wms");
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

    private static (int Width, int Height) LegendSize(string layer, ReportSnapshot s)
    {
        var png = layer == MaskLayer ? LegendRenderer.MaskLegendPng() : LegendRenderer.DateLegendPng(s.FirstDetection, s.LastDetection);
        return (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    // ---- GetMap ----

    /// <summary>The map window of a GetMap/GetFeatureInfo request: a north-up box in the request CRS.</summary>
    private sealed record MapWindow(GeoBox Box, WmsCrs Crs);

    private static MapWindow ParseWindow(Func<string, string?> parameter)
    {
        var version = parameter("VERSION") ?? "1.3.0";
        var is130 = !version.StartsWith("1.1", StringComparison.Ordinal);
        var crsName = parameter(is130 ? "CRS" : "SRS") ?? parameter("CRS") ?? parameter("SRS")
            ?? throw new WmsException("MissingParameterValue", "CRS is missing; give e.g. CRS=EPSG:3857.");
        WmsCrs crs;
        try { crs = CrsNames.Resolve(crsName); }
        catch (Exception e) when (e is ArgumentException or GdalException) { throw new WmsException("InvalidCRS", e.Message); }

        var bboxText = Required(parameter, "BBOX");
        var parts = bboxText.Split(',');
        var v = new double[4];
        if (parts.Length != 4 || !parts.Select((p, i) => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out v[i])).All(ok => ok))
            throw new WmsException("InvalidParameterValue", $"BBOX={bboxText} is not four numbers minx,miny,maxx,maxy.");
        // WMS 1.3.0 follows the CRS's axis order: EPSG:4326 is lat,lon; EPSG:3035 northing,easting.
        var (minX, minY, maxX, maxY) = is130 && crs.NorthFirst ? (v[1], v[0], v[3], v[2]) : (v[0], v[1], v[2], v[3]);
        if (!(maxX > minX && maxY > minY))
            throw new WmsException("InvalidParameterValue", $"BBOX={bboxText} is empty or inverted (for {crs.Name} in WMS {version} the order is {(is130 && crs.NorthFirst ? "miny,minx,maxy,maxx (north first)" : "minx,miny,maxx,maxy")}).");
        var width = Size(parameter, "WIDTH");
        var height = Size(parameter, "HEIGHT");
        var transform = new GeoTransform(minX, (maxX - minX) / width, 0, maxY, 0, -(maxY - minY) / height);
        return new MapWindow(new GeoBox(width, height, transform, crs.Definition), crs);
    }

    private static int Size(Func<string, string?> parameter, string name)
    {
        var text = Required(parameter, name);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 1 || n > MaxSize)
            throw new WmsException("InvalidParameterValue", $"{name}={text} must be a whole number of pixels from 1 to {MaxSize}.");
        return n;
    }

    private static string[] ParseLayers(string? text, string parameterName)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new WmsException("MissingParameterValue", $"{parameterName} is missing; give {MaskLayer}, {DateLayer} or both (comma-separated).");
        var layers = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var l in layers)
            if (!Layers.Contains(l))
                throw new WmsException("LayerNotDefined", $"Layer '{l}' does not exist; the layers are {MaskLayer} and {DateLayer}.");
        return layers;
    }

    /// <summary>Parses TIME (a date, or start/end; either end may be empty); returns day numbers since 1970 (inclusive).</summary>
    private static (int First, int Last) ParseTime(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return (0, int.MaxValue);
        var parts = text.Split('/');
        if (parts.Length > 3) throw new WmsException("InvalidDimensionValue", $"TIME={text} is not a date or start/end interval (ISO 8601, e.g. 2024-05-01/2024-06-30).");
        var first = parts[0].Length == 0 ? 0 : Day(parts[0]);
        var last = parts.Length == 1 ? first : parts[1].Length == 0 ? int.MaxValue : Day(parts[1]);
        return (first, last);

        int Day(string s)
        {
            var datePart = s.Length >= 10 ? s[..10] : s;
            if (!DateOnly.TryParseExact(datePart, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
                throw new WmsException("InvalidDimensionValue", $"TIME={text}: '{s}' is not an ISO 8601 date such as 2024-05-01.");
            return d.DayNumber - ReportSnapshot.Epoch;
        }
    }

    private WmsResponse GetMap(Func<string, string?> parameter)
    {
        var layers = ParseLayers(parameter("LAYERS"), "LAYERS");
        var styles = parameter("STYLES");
        if (!string.IsNullOrEmpty(styles))
            foreach (var st in styles.Split(','))
                if (st.Length > 0 && !st.Equals("default", StringComparison.OrdinalIgnoreCase))
                    throw new WmsException("StyleNotDefined", $"Style '{st}' does not exist; leave STYLES empty or use 'default'.");
        var format = parameter("FORMAT") ?? "image/png";
        // GDAL's WMS driver asks for JPEG unless told otherwise.
        var jpeg = format.StartsWith("image/jpeg", StringComparison.OrdinalIgnoreCase) || format.Equals("image/jpg", StringComparison.OrdinalIgnoreCase);
        if (!jpeg && !format.StartsWith("image/png", StringComparison.OrdinalIgnoreCase))
            throw new WmsException("InvalidFormat", $"FORMAT={format} is not supported; GetMap returns image/png or image/jpeg.");
        var window = ParseWindow(parameter);
        var (first, last) = ParseTime(parameter("TIME"));
        // A JPEG has no transparency: it is drawn on BGCOLOR (white unless given).
        var transparent = !jpeg && !string.Equals(parameter("TRANSPARENT"), "FALSE", StringComparison.OrdinalIgnoreCase);
        var background = transparent ? Rgba.Transparent : ParseColour(parameter("BGCOLOR"));

        var s = folder.Current();
        var box = window.Box;
        var rgba = new byte[box.PixelCount * 4];
        if (background.A != 0) Canvas.Fill(rgba, box.Width, box.Height, 0, 0, box.Width, box.Height, background);
        var (mask, date) = Sample(s, box);
        if (mask is not null && date is not null)
        {
            int rampFirst = s.FirstDetection is { } f ? f.DayNumber - ReportSnapshot.Epoch : 0;
            int rampLast = s.LastDetection is { } l ? l.DayNumber - ReportSnapshot.Epoch : 0;
            foreach (var layer in layers)
                for (var i = 0; i < mask.Length; i++)
                {
                    var day = date[i];
                    Rgba c;
                    if (layer == MaskLayer)
                    {
                        var m = mask[i];
                        // As of the end of TIME, a later break was still a monitored pixel.
                        if (m == 3 && day > last) m = 1;
                        c = Palette.MaskColour(m);
                    }
                    else c = day != 0 && day >= first && day <= last ? Palette.DateColour(day, rampFirst, rampLast) : Rgba.Transparent;
                    if (c.A == 0) continue;
                    var o = i * 4;
                    rgba[o] = c.R; rgba[o + 1] = c.G; rgba[o + 2] = c.B; rgba[o + 3] = c.A;
                }
        }
        return jpeg
            ? new WmsResponse(200, "image/jpeg", ImageEncoder.JpegFromRgba(rgba, box.Width, box.Height))
            : new WmsResponse(200, "image/png", ImageEncoder.PngFromRgba(rgba, box.Width, box.Height));
    }

    /// <summary>The mask and date bands warped (nearest) onto <paramref name="box"/>; nulls when no report touches it.</summary>
    private static (ushort[]? Mask, ushort[]? Date) Sample(ReportSnapshot s, GeoBox box)
    {
        if (s.DataBox is not { } data || s.Tiles.Count == 0) return (null, null);
        if (Warp.FootprintWindow(data, box, 0) is null) return (null, null);
        var options = new WarpOptions(Resampling.Nearest, RasterDataType.UInt16, null, 0);
        try
        {
            using var warped = Warp.ToMemory(s.MapSources, box, options);
            return (warped.ReadBand<ushort>(s.Tiles[0].MaskBand), warped.ReadBand<ushort>(s.Tiles[0].DateBand));
        }
        catch (GdalException e)
        {
            throw new WmsException("NoApplicableCode", $"Could not draw the map from {string.Join(", ", s.MapSources)}: {e.Message}");
        }
    }

    private static Rgba ParseColour(string? text)
    {
        if (string.IsNullOrEmpty(text)) return new Rgba(0xFF, 0xFF, 0xFF, 0xFF);
        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text.TrimStart('#');
        if (hex.Length != 6 || !int.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v))
            throw new WmsException("InvalidParameterValue", $"BGCOLOR={text} is not a colour like 0xFFFFFF.");
        return new Rgba((byte)(v >> 16), (byte)(v >> 8), (byte)v, 0xFF);
    }

    // ---- GetFeatureInfo ----

    private WmsResponse GetFeatureInfo(Func<string, string?> parameter)
    {
        var queryLayers = ParseLayers(parameter("QUERY_LAYERS"), "QUERY_LAYERS");
        var window = ParseWindow(parameter);
        var i = PixelIndex(parameter, "I", "X", window.Box.Width);
        var j = PixelIndex(parameter, "J", "Y", window.Box.Height);
        var infoFormat = parameter("INFO_FORMAT") ?? "application/json";
        var (x, y) = window.Box.PixelCentre(i, j);

        var s = folder.Current();
        PixelInfo? hit = null;
        double lon = x, lat = y;
        if (s.GridCrs is { } gridCrs)
        {
            using var from = SpatialReference.FromUserInput(window.Box.Crs);
            using var grid = SpatialReference.FromUserInput(gridCrs);
            using var wgs84 = SpatialReference.Wgs84();
            try
            {
                using (var toGrid = new CoordinateTransformation(from, grid))
                {
                    var (gx, gy) = toGrid.Transform(x, y);
                    hit = Lookup(s, gx, gy);
                }
                using var toLonLat = new CoordinateTransformation(from, wgs84);
                (lon, lat) = toLonLat.Transform(x, y);
            }
            catch (GdalException)
            {
                // The point lies outside the domain of the grid CRS: no report can hold it.
            }
        }
        return infoFormat.ToLowerInvariant() switch
        {
            "application/json" or "application/geo+json" => new WmsResponse(200, "application/json", Encoding.UTF8.GetBytes(InfoJson(hit, lon, lat, queryLayers).ToJsonString())),
            "text/plain" => new WmsResponse(200, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(InfoText(hit, queryLayers))),
            "text/html" => new WmsResponse(200, "text/html; charset=utf-8", Encoding.UTF8.GetBytes(
                $"<html><body><pre>{System.Net.WebUtility.HtmlEncode(InfoText(hit, queryLayers))}</pre></body></html>")),
            _ => throw new WmsException("InvalidFormat", $"INFO_FORMAT={infoFormat} is not supported; use application/json, text/plain or text/html."),
        };
    }

    private static int PixelIndex(Func<string, string?> parameter, string name130, string name111, int size)
    {
        var name = parameter(name130) is not null ? name130 : name111;
        var text = parameter(name) ?? throw new WmsException("MissingParameterValue", $"{name130} is missing; give the pixel column (I) and row (J) in the map.");
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < 0 || v >= size)
            throw new WmsException("InvalidPoint", $"{name}={text} is not a pixel of the {size}-pixel map (0..{size - 1}).");
        return v;
    }

    /// <summary>What a report says about one pixel.</summary>
    private sealed record PixelInfo(string Tile, int Row, int Col, ushort Mask, ushort Day);

    private static PixelInfo? Lookup(ReportSnapshot s, double gx, double gy)
    {
        foreach (var t in s.Tiles)
        {
            var (c, r) = t.Box.Transform.Invert(gx, gy);
            if (c < 0 || r < 0 || c >= t.Box.Width || r >= t.Box.Height) continue;
            int col = (int)c, row = (int)r;
            try
            {
                using var ds = RasterDataset.Open(t.Path);
                Span<ushort> m = stackalloc ushort[1];
                Span<ushort> d = stackalloc ushort[1];
                var window = new PixelWindow(col, row, 1, 1);
                ds.Read(t.MaskBand, window, m);
                ds.Read(t.DateBand, window, d);
                return new PixelInfo(t.Tile, row, col, m[0], d[0]);
            }
            catch (GdalException e)
            {
                throw new WmsException("NoApplicableCode", $"Could not read tile {t.Tile} ({t.Path}): {e.Message}");
            }
        }
        return null;
    }

    private static JsonObject InfoJson(PixelInfo? hit, double lon, double lat, string[] layers)
    {
        var features = new JsonArray();
        if (hit is not null)
        {
            var properties = new JsonObject { ["tile"] = hit.Tile, ["row"] = hit.Row, ["col"] = hit.Col };
            if (layers.Contains(MaskLayer))
            {
                properties["mask"] = hit.Mask;
                properties["mask_label"] = Palette.MaskLabel(hit.Mask);
            }
            if (layers.Contains(DateLayer))
                properties["detection_date"] = hit.Day == 0 ? null : ReportSnapshot.DateOf(hit.Day).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            features.Add(new JsonObject
            {
                ["type"] = "Feature",
                ["geometry"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(lon, lat) },
                ["properties"] = properties,
            });
        }
        return new JsonObject { ["type"] = "FeatureCollection", ["features"] = features };
    }

    private static string InfoText(PixelInfo? hit, string[] layers)
    {
        if (hit is null) return "No tile report at this point.\n";
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"tile = {hit.Tile}\nrow = {hit.Row}\ncol = {hit.Col}\n");
        if (layers.Contains(MaskLayer)) sb.Append(CultureInfo.InvariantCulture, $"mask = {hit.Mask} ({Palette.MaskLabel(hit.Mask)})\n");
        if (layers.Contains(DateLayer))
            sb.Append("detection_date = ").Append(hit.Day == 0 ? "none" : ReportSnapshot.DateOf(hit.Day).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append('\n');
        return sb.ToString();
    }

    // ---- GetLegendGraphic ----

    private WmsResponse GetLegendGraphic(Func<string, string?> parameter)
    {
        var layer = Required(parameter, "LAYER");
        if (!Layers.Contains(layer)) throw new WmsException("LayerNotDefined", $"Layer '{layer}' does not exist; the layers are {MaskLayer} and {DateLayer}.");
        var format = parameter("FORMAT") ?? "image/png";
        var s = folder.Current();
        if (format.StartsWith("image/png", StringComparison.OrdinalIgnoreCase))
            return new WmsResponse(200, "image/png", layer == MaskLayer ? LegendRenderer.MaskLegendPng() : LegendRenderer.DateLegendPng(s.FirstDetection, s.LastDetection));
        if (format.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            return new WmsResponse(200, "application/json", Encoding.UTF8.GetBytes(LegendJson(layer, s).ToJsonString()));
        throw new WmsException("InvalidFormat", $"FORMAT={format} is not supported for legends; use image/png or application/json.");
    }

    /// <summary>The legend as data: class labels and colours, or the date range with ramp colours at its ends and middle.</summary>
    public static JsonObject LegendJson(string layer, ReportSnapshot s)
    {
        if (layer == MaskLayer)
            return new JsonObject
            {
                ["layer"] = layer,
                ["classes"] = new JsonArray(Palette.MaskClasses.Select(c => (JsonNode)new JsonObject
                {
                    ["value"] = c.Code, ["label"] = c.Label, ["colour"] = c.Colour.A == 0 ? null : c.Colour.Hex,
                }).ToArray()),
            };
        return new JsonObject
        {
            ["layer"] = layer,
            ["first"] = s.FirstDetection?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["last"] = s.LastDetection?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["stops"] = new JsonArray(new[] { 0.0, 0.25, 0.5, 0.75, 1.0 }.Select(f => (JsonNode)new JsonObject { ["fraction"] = f, ["colour"] = Palette.RampAt(f).Hex }).ToArray()),
        };
    }

    private static string Required(Func<string, string?> parameter, string name) =>
        parameter(name) is { Length: > 0 } v ? v : throw new WmsException("MissingParameterValue", $"Parameter {name} is missing.");

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
