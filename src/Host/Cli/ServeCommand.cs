using System.CommandLine;
using Akka.Configuration;
using NrtCluster.Actors.Config;
using NrtCluster.Geo.Gdal;
using NrtCluster.Host.Http;
using NrtCluster.Host.Http.Reports;
using NrtCluster.Host.Http.Tiles;
using NrtCluster.Host.Http.Wms;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc serve --out DIR [--port P] [--host ADDR] [--hocon FILE]</c>: publishes an output folder over HTTP (WMS, alert feed, status,
/// web map). It starts no node; of the settings it reads <c>nrtcluster.http</c>, from hocon/base.conf with the --hocon file over it.
/// </summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var outOption = new Option<DirectoryInfo>("--out") { Description = "Output folder with the tile report GeoTIFFs and mosaic.vrt", Required = true };
        var portOption = new Option<int>("--port") { Description = "Port (0 picks a free one)", DefaultValueFactory = _ => 8080 };
        var hostOption = new Option<string>("--host") { Description = "Address to listen on (0.0.0.0 for all interfaces)", DefaultValueFactory = _ => "127.0.0.1" };
        var webOption = new Option<DirectoryInfo?>("--web") { Description = "Folder of the web map (default: the one shipped with nrtc)" };
        var hoconOption = new Option<FileInfo?>("--hocon") { Description = "Settings (HOCON file) over hocon/base.conf, e.g. nrtcluster.http.wms.max-concurrent-renders" };
        var command = new Command("serve",
            "Serve an output folder: WMS 1.3.0 at /wms (layers mask, detection_date), alert feed at /api/alerts?since=YYYY-MM-DD, " +
            "/api/status, /api/tiles, /healthz, /readyz, and a web map at /.");
        command.Options.Add(outOption);
        command.Options.Add(portOption);
        command.Options.Add(hostOption);
        command.Options.Add(webOption);
        command.Options.Add(hoconOption);
        command.SetAction(async (parseResult, ct) =>
        {
            var dir = parseResult.GetValue(outOption)!;
            string? extra = null;
            if (parseResult.GetValue(hoconOption) is { } hoconFile && (extra = NodeCli.ReadHocon("serve", hoconFile)) is null) return 1;
            RenderLimits renders;
            long tileCache;
            try
            {
                var settings = Settings(extra);
                (renders, tileCache) = (RenderLimits.FromConfig(settings), TileCache.BytesFromConfig(settings));
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"serve: {e.Message}");
                return 1;
            }
            try
            {
                var folder = new ReportFolder(dir.FullName);
                var web = parseResult.GetValue(webOption)?.FullName ?? NodeServer.LocateWebRoot();
                var options = new NodeServerOptions(folder, new FileAlertFeed(folder), new FileNodeStatus(folder),
                    parseResult.GetValue(hostOption)!, parseResult.GetValue(portOption), web, Renders: renders, TileCacheBytes: tileCache);
                await using var server = await NodeServer.StartAsync(options, ct);
                var snapshot = folder.Current();
                Console.WriteLine($"serve: {snapshot.Tiles.Count} tile reports, {snapshot.Breaks.Length} breaks in {folder.Folder}"
                                  + (snapshot.MosaicPath is null ? " (no mosaic.vrt: drawing from the reports)" : ""));
                if (web is null) Console.WriteLine("serve: no web map folder found (give --web DIR); serving the APIs only");
                Console.WriteLine($"serve: listening on {server.BaseUrl} (WMS: {server.WmsUrl}); Ctrl+C stops");
                await server.WaitForShutdownAsync(ct);
                return 0;
            }
            catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException or GdalException)
            {
                Console.Error.WriteLine($"serve: {dir.FullName}: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>hocon/base.conf next to the program (when there) with <paramref name="extra"/> over it.</summary>
    private static Config Settings(string? extra)
    {
        var baseConf = Path.Combine(AkkaProfiles.DefaultHoconFolder, "base.conf");
        var fallback = File.Exists(baseConf) ? ConfigurationFactory.ParseString(File.ReadAllText(baseConf)) : Config.Empty;
        return ConfigurationFactory.ParseString(extra ?? "").WithFallback(fallback);
    }
}
