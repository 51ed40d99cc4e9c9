using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Host.Http.Features;
using NrtCluster.Host.Http.Tiles;
using NrtCluster.Host.Http.Wms;
using NrtCluster.Host.Node;
using NrtCluster.Host.Http.Reports;

namespace NrtCluster.Host.Http;

/// <summary>Where the node serves and what from: the output folder, the feed and status implementations, the web page files.</summary>
/// <param name="Host">Address to listen on (an IP address, e.g. 127.0.0.1 or 0.0.0.0).</param>
/// <param name="Port">Port; 0 picks a free one (see <see cref="NodeServer.BaseUrl"/>).</param>
/// <param name="WebRoot">Folder of the web map (index.html, app.js, vendor/leaflet); null serves no page.</param>
/// <param name="Control">The cluster control endpoints of a running node (<see cref="ClusterEndpoints"/>); null for a node that only serves files.</param>
/// <param name="Renders">How many maps the WMS draws at once (<c>nrtcluster.http.wms</c>); null: <see cref="RenderLimits.Default"/>.</param>
/// <param name="Health">The checks of /healthz and /readyz (<see cref="NodeHealth"/>); null: those of a node serving <paramref name="Folder"/>.</param>
/// <param name="Access">Who may call the control endpoints (<see cref="ApiGuard"/>); null: no token, loopback names and the listen address.</param>
/// <param name="TileCacheBytes">Drawn XYZ tiles kept in memory (<c>nrtcluster.http.tiles.cache-size</c>); null: <see cref="TileCache.DefaultBytes"/>.</param>
public sealed record NodeServerOptions(ReportFolder Folder, IAlertFeed Alerts, INodeStatus Status, string Host, int Port, string? WebRoot,
    ClusterControl? Control = null, RenderLimits? Renders = null, IReadOnlyList<HealthCheckRegistration>? Health = null,
    ApiAccess? Access = null, long? TileCacheBytes = null);

/// <summary>
/// The node's HTTP interface: <c>/wms</c> (WMS 1.3.0), <c>/tiles</c> and <c>/wmts</c> (<see cref="TileEndpoints"/>), <c>/api/alerts</c> (GeoJSON breaks since a date, paged),
/// <c>/api/tiles</c> (tile outlines), OGC API - Features at <c>/ogc</c> (<see cref="OgcFeatures"/>: alerts and patches), <c>/api/status</c>, <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c> and <c>/api/freshness</c>
/// (<see cref="NodeMetrics"/>), the web map at <c>/</c>, and on a
/// running node the control endpoints of <see cref="ClusterEndpoints"/>.
/// </summary>
public sealed class NodeServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private NodeServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>e.g. http://127.0.0.1:8080 (no trailing slash).</summary>
    public string BaseUrl { get; }

    public string WmsUrl => BaseUrl + "/wms";

    public static async Task<NodeServer> StartAsync(NodeServerOptions options, CancellationToken ct = default)
    {
        if (!IPAddress.TryParse(options.Host, out var address))
            throw new ArgumentException($"--host '{options.Host}' is not an IP address; give e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (all interfaces).");
        if (options.WebRoot is { } web && !File.Exists(Path.Combine(web, "index.html")))
            throw new DirectoryNotFoundException($"The web map folder '{web}' has no index.html.");

        var (app, baseUrl) = await WebHosting.StartAsync(address, options.Port, a => Map(a, options), ct,
            b =>
            {
                NodeHealth.AddTo(b.Services, options.Health ?? NodeHealth.ForFolder(options.Folder));
                NodeMetrics.Add(b, NodeMetrics.Of(options.Control?.Node.System));
            }).ConfigureAwait(false);
        return new NodeServer(app, baseUrl);
    }

    private static void Map(WebApplication app, NodeServerOptions options)
    {
        var wms = new WmsService(options.Folder);
        var renders = new RenderLimit(options.Renders ?? RenderLimits.Default);
        app.MapGet("/wms", async (HttpContext context) =>
        {
            var r = context.Request;
            var q = r.Query;
            var answer = wms.Handle(name => q.TryGetValue(name, out var v) ? v.ToString() : null, $"{r.Scheme}://{r.Host}{r.PathBase}/wms", context.RequestAborted);
            context.Response.StatusCode = answer.Status;
            context.Response.ContentType = answer.ContentType;
            context.Response.ContentLength = answer.Body.Length;
            await context.Response.Body.WriteAsync(answer.Body, context.RequestAborted).ConfigureAwait(false);
        }).RequireRateLimiting(renders);
        TileEndpoints.Map(app, options.Folder, renders, options.TileCacheBytes ?? TileCache.DefaultBytes);
        app.MapGet("/api/alerts", async (HttpRequest r, CancellationToken ct) =>
        {
            AlertQuery query;
            try { query = ParseAlertQuery(r.Query); }
            catch (ArgumentException e) { return Problem(400, e.Message); }
            AlertPage page;
            try { page = await options.Alerts.GetBreaksAsync(query, ct).ConfigureAwait(false); }
            catch (ArgumentException e) { return Problem(400, e.Message); }
            return Results.Text(AlertsGeoJson(page, query, $"{r.Scheme}://{r.Host}{r.PathBase}/api/alerts").ToJsonString(), "application/geo+json");
        });
        OgcFeatures.Map(app, "/ogc", [new AlertsCollection(options.Alerts, options.Folder), new PatchesCollection(options.Folder)]);
        app.MapGet("/api/tiles", () => Results.Text(TilesGeoJson(options.Folder.Current()).ToJsonString(), "application/geo+json"));
        app.MapGet("/api/status", () => Results.Text(JsonSerializer.Serialize(options.Status.Current(), JsonOptions), "application/json"));
        app.MapGet("/api/legend/{layer}", (string layer) =>
            WmsLayers.Exists(layer)
                ? Results.Text(WmsLegend.Json(layer, options.Folder.Current()).ToJsonString(), "application/json")
                : Problem(404, $"No layer '{layer}'; the layers are {WmsLayers.Names}."));
        NodeHealth.Map(app);
        NodeMetrics.Map(app, NodeMetrics.Of(options.Control?.Node.System));
        if (options.Control is { } control)
        {
            ApiGuard.Use(app, options.Access ?? ApiAccess.Loopback, IPAddress.Parse(options.Host));
            ClusterEndpoints.Map(app, control);
        }
        if (options.WebRoot is { } root)
        {
            var files = new PhysicalFileProvider(Path.GetFullPath(root));
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static IResult Problem(int status, string message) =>
        Results.Text(new JsonObject { ["status"] = status, ["error"] = message }.ToJsonString(), "application/json", statusCode: status);

    /// <summary>Parses since (required, yyyy-MM-dd), until, limit, cursor, page and bbox.</summary>
    internal static AlertQuery ParseAlertQuery(IQueryCollection q)
    {
        var since = Date(q, "since") ?? throw new ArgumentException("since is missing; give the first detection date of interest, e.g. ?since=2024-05-01.");
        var until = Date(q, "until");
        var limit = AlertQuery.DefaultLimit;
        if (q.TryGetValue("limit", out var l) && !int.TryParse(l, NumberStyles.Integer, CultureInfo.InvariantCulture, out limit))
            throw new ArgumentException($"limit={l} is not a whole number (1..{AlertQuery.MaxLimit}).");
        int? page = null;
        if (q.TryGetValue("page", out var p))
            page = int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"page={p} is not a whole number (pages count from 1).");
        var cursor = q.TryGetValue("cursor", out var c) && c.ToString().Length > 0 ? c.ToString() : null;
        return new AlertQuery(since, until, limit, cursor, page, OgcParameters.Bbox(q["bbox"].ToString(), q["bbox-crs"].ToString()));

        static DateOnly? Date(IQueryCollection q, string name)
        {
            if (!q.TryGetValue(name, out var v) || v.ToString().Length == 0) return null;
            var text = v.ToString();
            return DateOnly.TryParseExact(text.Length > 10 ? text[..10] : text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                ? d : throw new ArgumentException($"{name}={text} is not a date; use yyyy-MM-dd, e.g. 2024-05-01.");
        }
    }

    /// <summary>An OGC API Features-like page: features, numberMatched/numberReturned, and next/self links.</summary>
    internal static JsonObject AlertsGeoJson(AlertPage page, AlertQuery query, string url)
    {
        var features = new JsonArray(page.Alerts.Select(a => (JsonNode)AlertFeature(a)).ToArray());
        var basis = $"{url}?since={query.Since:yyyy-MM-dd}" + (query.Until is { } u ? $"&until={u:yyyy-MM-dd}" : "") + $"&limit={query.Limit}"
                    + (query.LonLatBox is { } b ? string.Create(CultureInfo.InvariantCulture, $"&bbox={b.MinX:R},{b.MinY:R},{b.MaxX:R},{b.MaxY:R}") : "");
        var links = new JsonArray(new JsonObject
        {
            ["rel"] = "self", ["type"] = "application/geo+json",
            ["href"] = basis + (query.Cursor is { } c ? $"&cursor={Uri.EscapeDataString(c)}" : "") + (query.Page is { } p ? $"&page={p}" : ""),
        });
        if (page.NextCursor is { } next)
            links.Add(new JsonObject { ["rel"] = "next", ["type"] = "application/geo+json", ["href"] = $"{basis}&cursor={Uri.EscapeDataString(next)}" });
        return new JsonObject
        {
            ["type"] = "FeatureCollection",
            ["numberMatched"] = page.NumberMatched,
            ["numberReturned"] = page.Alerts.Count,
            ["timeStamp"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["next_cursor"] = page.NextCursor,
            ["features"] = features,
            ["links"] = links,
        };
    }

    /// <summary>
    /// One break pixel as a GeoJSON feature (id TILE/ROW/COL, its footprint polygon): what /api/alerts and the OGC API
    /// alerts collection (<see cref="AlertsCollection"/>) both serve.
    /// </summary>
    internal static JsonObject AlertFeature(BreakAlert a)
    {
        var ring = new JsonArray();
        for (var k = 0; k < a.LonLatRing.Length; k += 2) ring.Add(new JsonArray(Math.Round(a.LonLatRing[k], 7), Math.Round(a.LonLatRing[k + 1], 7)));
        var date = a.DetectionDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["type"] = "Feature",
            ["id"] = AlertsCollection.FeatureId(a),
            ["geometry"] = new JsonObject { ["type"] = "Polygon", ["coordinates"] = new JsonArray(ring) },
            ["properties"] = new JsonObject
            {
                ["tile"] = a.Tile, ["detection_date"] = date, ["row"] = a.Row, ["col"] = a.Col, ["grid_x"] = a.GridX, ["grid_y"] = a.GridY,
                ["confidence"] = a.Confidence, ["magnitude"] = a.Magnitude,
            },
        };
    }

    /// <summary>Tile outlines in lon/lat (edges densified, as they curve in lon/lat) with break counts.</summary>
    internal static JsonObject TilesGeoJson(ReportSnapshot s)
    {
        var breaksPerTile = new long[s.Tiles.Count];
        foreach (var b in s.Breaks) breaksPerTile[b.Tile]++;
        var features = new JsonArray();
        for (var t = 0; t < s.Tiles.Count; t++)
        {
            var tile = s.Tiles[t];
            var (xs, ys) = LonLatOutline(tile.Box);
            var ring = new JsonArray();
            // GeoJSON rings are closed: the first point again at the end.
            for (var i = 0; i <= xs.Length; i++) ring.Add(new JsonArray(Math.Round(xs[i % xs.Length], 7), Math.Round(ys[i % xs.Length], 7)));
            features.Add(new JsonObject
            {
                ["type"] = "Feature",
                ["id"] = tile.Tile,
                ["geometry"] = new JsonObject { ["type"] = "Polygon", ["coordinates"] = new JsonArray(ring) },
                ["properties"] = new JsonObject
                {
                    ["tile"] = tile.Tile,
                    ["breaks"] = breaksPerTile[t],
                    ["updated_utc"] = tile.LastWriteUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                },
            });
        }
        return new JsonObject { ["type"] = "FeatureCollection", ["features"] = features };
    }

    /// <summary>A box's outline in lon/lat, 8 points an edge (not closed), as its edges curve in lon/lat.</summary>
    internal static (double[] Lon, double[] Lat) LonLatOutline(GeoBox box)
    {
        var (xs, ys) = box.Outline(perEdge: 8);
        using var from = Geo.Gdal.SpatialReference.FromUserInput(box.Crs);
        using var wgs84 = Geo.Gdal.SpatialReference.Wgs84();
        using var ct = new Geo.Gdal.CoordinateTransformation(from, wgs84);
        ct.Transform(xs, ys);
        return (xs, ys);
    }

    public Task WaitForShutdownAsync(CancellationToken ct) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The web map folder the build copies next to the program (see Host.csproj); null when it is missing.</summary>
    public static string? LocateWebRoot()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        return File.Exists(Path.Combine(beside, "index.html")) ? beside : null;
    }
}
