using System.CommandLine;
using Akka.Actor;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Cli;

/// <summary>
/// <c>nrtc state export|import -p FILE --tile ID --out|--in FILE.nc</c>: a tile's fitted monitor as the JRC nrt package's
/// <c>to_netcdf</c> writes it and <c>from_netcdf</c> reads it, on an embedded node. The tile itself reads or writes the file
/// (<see cref="ExportTileState"/>, <see cref="ImportTileState"/>); an import is stored as a new fit of the tile, which then
/// continues monitoring from it after the project's history period.
/// </summary>
public static class StateCommand
{
    public static Command Create()
    {
        var command = new Command("state", "Write a tile's fitted monitor as nrt's to_netcdf does, or continue a tile from one nrt wrote (netCDF).");
        command.Subcommands.Add(Verb("export", "--out", "Write the tile's fitted monitor (model and monitoring state) to a netCDF file nrt's from_netcdf reads.",
            (config, tile, path) => new ExportTileState(tile, path, Where(config, tile)),
            reply => reply is TileStateWritten { Path: not null } w ? (true, w.Detail) : (false, ((TileStateWritten)reply).Detail)));
        command.Subcommands.Add(Verb("import", "--in", "Replace the tile's model and state with a monitor nrt's to_netcdf wrote (same monitor, options and tile); monitoring continues from it.",
            (config, tile, path) => new ImportTileState(tile, path, config.HistoryStart, config.HistoryEnd, Where(config, tile)),
            reply => reply is FitAck a ? (a.Outcome == AckOutcome.Fitted, a.Detail) : (false, reply.ToString()!)));
        return command;
    }

    private static TileCoordinates Where(ProjectConfig config, TileId tile)
    {
        var box = config.Grid.TileGeoBox(tile);
        return new TileCoordinates(box.Transform.X0, box.Transform.Y0, box.ResolutionX, box.Width, box.Height);
    }

    private static Command Verb(string name, string fileOption, string description, Func<ProjectConfig, TileId, string, ITileMessage> request,
        Func<object, (bool Ok, string Detail)> outcome)
    {
        var project = NodeCli.ProjectOption();
        var tileOption = new Option<string>("--tile") { Description = "The tile (x<column>_y<row>, e.g. x12_y7)", Required = true };
        var file = new Option<FileInfo>(fileOption) { Description = "The netCDF file (.nc)", Required = true };
        var command = new Command(name, description);
        command.Options.Add(project);
        command.Options.Add(tileOption);
        command.Options.Add(file);
        string verb = $"state {name}";
        command.SetAction(async (parseResult, ct) =>
        {
            var projectFile = parseResult.GetValue(project)!;
            var path = parseResult.GetValue(file)!.FullName;
            if (NodeCli.Load(verb, projectFile) is not { } config) return 1;
            if (NodeCli.SelectTiles(verb, config, projectFile, [parseResult.GetValue(tileOption)!]) is not [var tile]) return 1;
            if (name == "import" && !File.Exists(path))
            {
                Console.Error.WriteLine($"{verb}: {path} does not exist; give the netCDF file nrt's to_netcdf wrote.");
                return 1;
            }
            return await NodeCli.GuardAsync(verb, projectFile, async () =>
            {
                object reply;
                await using (var node = ProjectNode.Start(config))
                    reply = await node.Tiles.Ask<object>(request(config, tile, path), TimeSpan.FromMinutes(5), ct);
                var (ok, detail) = outcome(reply);
                if (!ok)
                {
                    Console.Error.WriteLine($"{verb}: tile {tile}: {detail}");
                    return 1;
                }
                Console.WriteLine($"{verb}: tile {tile}: {detail}");
                return 0;
            });
        });
        return command;
    }
}
