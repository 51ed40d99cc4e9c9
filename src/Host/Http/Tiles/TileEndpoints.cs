using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using NrtCluster.Host.Http.Reports;
using NrtCluster.Host.Http.Wms;

namespace NrtCluster.Host.Http.Tiles;

/// <summary>
/// The tile endpoints of a node: <c>/tiles/{layer}/{z}/{x}/{y}.png</c> (<see cref="XyzTiles"/>) and the WMTS 1.0.0 capabilities
/// over them (<see cref="WmtsCapabilities"/>) at <c>/wmts/1.0.0/WMTSCapabilities.xml</c> (RESTful) and
/// <c>/wmts?SERVICE=WMTS&amp;REQUEST=GetCapabilities</c> (KVP).
/// </summary>
public static class TileEndpoints
{
    /// <summary>
    /// Maps the endpoints; tiles take their turns to draw from <paramref name="renders"/>, the limit the WMS's maps share, and
    /// keep up to <paramref name="cacheBytes"/> of drawn tiles (<see cref="TileCache"/>).
    /// </summary>
    public static void Map(WebApplication app, ReportFolder folder, RenderLimit renders, long cacheBytes)
    {
        var tiles = new XyzTiles(folder, renders, new TileCache(cacheBytes));
        app.MapMethods("/tiles/{layer}/{z}/{x}/{y}", [HttpMethods.Get, HttpMethods.Head], (HttpContext context, string layer, string z, string x, string y) => tiles.ServeAsync(context, layer, z, x, y));

        string Capabilities(HttpRequest r)
        {
            var s = folder.Current();
            return WmtsCapabilities.Document(s, tiles.MercatorBounds(s), $"{r.Scheme}://{r.Host}{r.PathBase}");
        }
        const string Xml = "text/xml; charset=utf-8";
        app.MapGet("/wmts/1.0.0/WMTSCapabilities.xml", (HttpRequest r) => Results.Text(Capabilities(r), Xml, Encoding.UTF8));
        app.MapGet("/wmts", (HttpRequest r) =>
        {
            // Parameter names and values of KVP requests are case-insensitive.
            var service = r.Query["SERVICE"].ToString();
            var request = r.Query["REQUEST"].ToString();
            if (service.Length > 0 && !service.Equals("WMTS", StringComparison.OrdinalIgnoreCase))
                return Results.Text($"SERVICE={service} is not served here; this endpoint is a WMTS (SERVICE=WMTS&REQUEST=GetCapabilities).\n", statusCode: 400);
            if (!request.Equals("GetCapabilities", StringComparison.OrdinalIgnoreCase))
                return Results.Text($"REQUEST={request} is not supported; ask for REQUEST=GetCapabilities (the tiles themselves are at the RESTful URLs it gives: /tiles/LAYER/Z/X/Y.png).\n", statusCode: 400);
            return Results.Text(Capabilities(r), Xml, Encoding.UTF8);
        });
    }
}
