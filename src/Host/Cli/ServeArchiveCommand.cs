using System.CommandLine;
using NrtCluster.Geo.Stac;
using NrtCluster.Host.Archive;

namespace NrtCluster.Host.Cli;

/// <summary><c>nrtc serve-archive DIR [--port P]</c>: serves a static STAC archive as a STAC API on 127.0.0.1.</summary>
public static class ServeArchiveCommand
{
    public static Command Create()
    {
        var dirArgument = new Argument<DirectoryInfo>("DIR") { Description = "Archive folder holding catalog.json (e.g. from simulate-archive)" };
        var portOption = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0 picks a free one)", DefaultValueFactory = _ => 8090 };
        var command = new Command("serve-archive",
            "Serve a static STAC archive on 127.0.0.1 as a STAC API: /search (GET/POST, paged), /collections, and the COGs under /files/ with range requests.");
        command.Arguments.Add(dirArgument);
        command.Options.Add(portOption);
        command.SetAction(async (parseResult, ct) =>
        {
            var dir = parseResult.GetValue(dirArgument)!;
            try
            {
                await using var server = await ArchiveServer.StartAsync(dir.FullName, parseResult.GetValue(portOption), ct);
                Console.WriteLine($"serve-archive: {server.ItemCount} items of {string.Join(", ", server.Collections)} from {dir.FullName}");
                Console.WriteLine($"serve-archive: listening on {server.BaseUrl} (STAC API: {server.SearchUrl}); Ctrl+C stops");
                await server.WaitForShutdownAsync(ct);
                return 0;
            }
            catch (Exception e) when (e is IOException or StacException or ArgumentException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"serve-archive: {dir.FullName}: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
