using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using NrtCluster.Geo.Gdal;
using NrtCluster.Host.Http.Rendering;
using NrtCluster.Host.Http.Reports;
using NrtCluster.Host.Http.Wms;

namespace NrtCluster.Host.Http.Tiles;

/// <summary>
/// <c>/tiles/{layer}/{z}/{x}/{y}.png</c>: a <see cref="WebMercator"/> tile of a <see cref="WmsLayers"/> layer drawn by the WMS's
/// renderer (<see cref="WmsMap.Render"/>, so a tile equals the GetMap of its box), with the WMS's TIME filter as <c>?time=A/B</c>.
/// A tile is named by a strong ETag of what it is drawn from (layer, tile, time filter, the report folder's
/// <see cref="ReportSnapshot.Identity"/>, this build): <c>If-None-Match</c> answers 304 without drawing, and a tile that misses the
/// data is the empty tile without warping. Only drawing takes a turn of the WMS's <see cref="RenderLimit"/> (503 and Retry-After
/// when its queue is full); a drawn tile is kept in <paramref name="cache"/> for the next client that asks without the ETag.
/// </summary>
public sealed class XyzTiles(ReportFolder folder, RenderLimit renders, TileCache cache)
{
    /// <summary>
    /// Browsers and QGIS reuse a tile for a minute, then ask again with its ETag (a 304 costs no drawing): a new day's
    /// alerts show within a minute of their report, while a panned map does not ask again for tiles it just drew.
    /// </summary>
    public const string CacheControl = "public, max-age=60, must-revalidate";

    private static readonly string Build = typeof(XyzTiles).Assembly.ManifestModule.ModuleVersionId.ToString("N");

    private static readonly Lazy<byte[]> EmptyTile = new(() =>
        ImageEncoder.PngFromRgba(new byte[WebMercator.TileSize * WebMercator.TileSize * 4], WebMercator.TileSize, WebMercator.TileSize));

    /// <summary>The data's EPSG:3857 bounds, computed once per snapshot (null: no data).</summary>
    private sealed record Extent(ReportSnapshot Snapshot, Bounds? Mercator);

    private volatile Extent? _extent;

    /// <summary>The data's EPSG:3857 bounds in <paramref name="s"/>; null when it has no tiles.</summary>
    public Bounds? MercatorBounds(ReportSnapshot s)
    {
        if (_extent is { } e && ReferenceEquals(e.Snapshot, s)) return e.Mercator;
        var bounds = s.DataBox is { } box && s.Tiles.Count > 0 ? CrsNames.TransformBounds(box, WebMercator.Crs) : (Bounds?)null;
        _extent = new Extent(s, bounds);
        return bounds;
    }

    public async Task ServeAsync(HttpContext context, string layer, string zText, string xText, string yFile)
    {
        var response = context.Response;
        if (!WmsLayers.Exists(layer))
        {
            await Text(response, 404, $"No layer '{layer}'; the layers are {WmsLayers.Names}.");
            return;
        }
        if (Parse(zText, 0, WebMercator.MaxZoom) is not { } z)
        {
            await Text(response, 404, $"No zoom level '{zText}'; tiles are served at zoom 0 to {WebMercator.MaxZoom}.");
            return;
        }
        var last = WebMercator.MatrixSize(z) - 1;
        var yText = yFile.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? yFile[..^4] : null;
        if (Parse(xText, 0, last) is not { } x || yText is null || Parse(yText, 0, last) is not { } y)
        {
            await Text(response, 404, $"No tile {z}/{xText}/{yFile}: at zoom {z} x and y run from 0 to {last} and the tile is named y.png, e.g. /tiles/{layer}/{z}/0/0.png.");
            return;
        }
        (int First, int Last) time;
        try { time = new WmsRequest(name => name == "TIME" ? context.Request.Query["time"].ToString() : null).Time(); }
        catch (WmsException e)
        {
            await Text(response, 400, e.Message.Replace("TIME=", "time=", StringComparison.Ordinal));
            return;
        }

        var s = folder.Current();
        var etag = new EntityTagHeaderValue($"\"{Hash($"{layer}|{z}|{x}|{y}|{time.First}|{time.Last}|{s.Identity}|{Build}")}\"");
        if (context.Request.GetTypedHeaders().IfNoneMatch is { Count: > 0 } known && known.Any(k => k.Equals(EntityTagHeaderValue.Any) || k.Compare(etag, useStrongComparison: false)))
        {
            Validators(response, etag, s);
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        byte[] png;
        var box = WebMercator.TileBox(z, x, y);
        if (MercatorBounds(s) is not { } data || !Overlaps(data, WebMercator.TileBounds(z, x, y))) png = EmptyTile.Value;
        else if (cache.Get(etag.Tag.Value!) is { } cached) png = cached;
        else
        {
            using var lease = await renders.AcquireAsync(box.Width, box.Height, context.RequestAborted);
            if (!lease.IsAcquired)
            {
                response.Headers.RetryAfter = renders.RetryAfterSeconds;
                await Text(response, 503, renders.BusyMessage);
                return;
            }
            try { png = WmsMap.Render(s, [layer], box, time.First, time.Last, Rgba.Transparent, jpeg: false, context.RequestAborted).Body; }
            catch (WmsException e)
            {
                await Text(response, 500, e.Message);
                return;
            }
            cache.Add(etag.Tag.Value!, png);
        }
        Validators(response, etag, s);
        response.ContentType = "image/png";
        response.ContentLength = png.Length;
        await response.Body.WriteAsync(png, context.RequestAborted);
    }

    /// <summary>The headers of a tile and of its 304: ETag, Cache-Control and the newest report's time as Last-Modified.</summary>
    private static void Validators(HttpResponse response, EntityTagHeaderValue etag, ReportSnapshot s)
    {
        var headers = response.GetTypedHeaders();
        headers.ETag = etag;
        response.Headers.CacheControl = CacheControl;
        if (s.LastWriteUtc is { } modified) headers.LastModified = new DateTimeOffset(modified, TimeSpan.Zero);
    }

    private static bool Overlaps(Bounds a, Bounds b) => a.MinX < b.MaxX && b.MinX < a.MaxX && a.MinY < b.MaxY && b.MinY < a.MaxY;

    private static int? Parse(string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max ? v : null;

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];

    private static Task Text(HttpResponse response, int status, string message)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(message + "\n");
    }
}
