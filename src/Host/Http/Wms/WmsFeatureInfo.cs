using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Patches;
using NrtCluster.Host.Http.Rendering;
using NrtCluster.Host.Http.Reports;

namespace NrtCluster.Host.Http.Wms;

/// <summary>GetFeatureInfo: a map pixel's mask class, detection date, alert confidence and magnitude and tile, as GeoJSON, plain text or HTML.</summary>
public static class WmsFeatureInfo
{
    /// <summary>What a report says about one pixel; confidence and magnitude (hundredths) are null when the report has no such band.</summary>
    private sealed record PixelInfo(string Tile, int Row, int Col, ushort Mask, ushort Day, ushort? Confidence, ushort? Magnitude);

    public static WmsResponse Answer(WmsRequest request, ReportFolder folder)
    {
        var queryLayers = request.Layers("QUERY_LAYERS");
        var window = request.Window();
        var i = request.PixelIndex("I", "X", window.Box.Width);
        var j = request.PixelIndex("J", "Y", window.Box.Height);
        var infoFormat = request.Optional("INFO_FORMAT") ?? "application/json";
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
            "application/json" or "application/geo+json" => WmsResponse.Text("application/json", Json(hit, lon, lat, queryLayers).ToJsonString()),
            "text/plain" => WmsResponse.Text("text/plain; charset=utf-8", Text(hit, queryLayers)),
            "text/html" => WmsResponse.Text("text/html; charset=utf-8", $"<html><body><pre>{System.Net.WebUtility.HtmlEncode(Text(hit, queryLayers))}</pre></body></html>"),
            _ => throw new WmsException("InvalidFormat", $"INFO_FORMAT={infoFormat} is not supported; use application/json, text/plain or text/html."),
        };
    }

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
                return new PixelInfo(t.Tile, row, col, m[0], d[0], Optional(ds, t.ConfidenceBand, window), Optional(ds, t.MagnitudeBand, window));
            }
            catch (GdalException e)
            {
                throw new WmsException("NoApplicableCode", $"Could not read tile {t.Tile} ({t.Path}): {e.Message}");
            }
        }
        return null;
    }

    private static ushort? Optional(RasterDataset ds, int band, PixelWindow window)
    {
        if (band == 0) return null;
        Span<ushort> v = stackalloc ushort[1];
        ds.Read(band, window, v);
        return v[0];
    }

    private static JsonObject Json(PixelInfo? hit, double lon, double lat, string[] layers)
    {
        var features = new JsonArray();
        if (hit is not null)
        {
            var properties = new JsonObject { ["tile"] = hit.Tile, ["row"] = hit.Row, ["col"] = hit.Col };
            if (layers.Contains(WmsLayers.Mask))
            {
                properties["mask"] = hit.Mask;
                properties["mask_label"] = Palette.MaskLabel(hit.Mask);
            }
            if (layers.Contains(WmsLayers.Date))
                properties["detection_date"] = hit.Day == 0 ? null : Date(hit.Day);
            if (layers.Contains(WmsLayers.Confidence))
                properties["confidence"] = hit.Confidence is { } c ? BreakPixels.ConfidenceName(c) : null;
            if (layers.Contains(WmsLayers.Magnitude))
                properties["magnitude"] = hit.Magnitude is { } mg ? BreakPixels.MagnitudeOf(mg) : null;
            features.Add(new JsonObject
            {
                ["type"] = "Feature",
                ["geometry"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(lon, lat) },
                ["properties"] = properties,
            });
        }
        return new JsonObject { ["type"] = "FeatureCollection", ["features"] = features };
    }

    private static string Text(PixelInfo? hit, string[] layers)
    {
        if (hit is null) return "No tile report at this point.\n";
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"tile = {hit.Tile}\nrow = {hit.Row}\ncol = {hit.Col}\n");
        if (layers.Contains(WmsLayers.Mask)) sb.Append(CultureInfo.InvariantCulture, $"mask = {hit.Mask} ({Palette.MaskLabel(hit.Mask)})\n");
        if (layers.Contains(WmsLayers.Date)) sb.Append("detection_date = ").Append(hit.Day == 0 ? "none" : Date(hit.Day)).Append('\n');
        if (layers.Contains(WmsLayers.Confidence))
            sb.Append("confidence = ").Append(hit.Confidence is { } c ? BreakPixels.ConfidenceName(c) ?? "none" : "unknown").Append('\n');
        if (layers.Contains(WmsLayers.Magnitude))
            sb.Append("magnitude = ").Append(hit.Magnitude is { } m ? m == 0 ? "none" : BreakPixels.MagnitudeOf(m)!.Value.ToString(CultureInfo.InvariantCulture) : "unknown").Append('\n');
        return sb.ToString();
    }

    private static string Date(ushort day) => ReportSnapshot.DateOf(day).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
