using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using NrtCluster.Actors.Jobs;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Http;

/// <summary>A job's progress as the control API writes it (GET /api/jobs/{id}) and the command line reads it back.</summary>
public static class JobProgressJson
{
    public static JsonObject Write(JobProgress p)
    {
        var tiles = new JsonArray();
        foreach (var t in p.Tiles)
            tiles.Add(new JsonObject
            {
                ["tile"] = t.Tile.ToString(),
                ["status"] = t.Status.ToString(),
                ["currentDay"] = Day(t.CurrentDay),
                ["daysDone"] = t.DaysDone,
                ["daysTotal"] = t.DaysTotal,
                ["daysApplied"] = t.DaysApplied,
                ["daysRepeated"] = t.DaysRepeated,
                ["daysQuarantined"] = t.DaysQuarantined,
                ["retries"] = t.Retries,
                ["detail"] = t.Detail,
            });
        return new JsonObject
        {
            ["jobId"] = p.JobId,
            ["kind"] = p.Kind.ToString(),
            ["finished"] = p.Finished,
            ["error"] = p.Error,
            ["tilesDone"] = p.TilesDone,
            ["tilesFailed"] = p.TilesFailed,
            ["tilesTotal"] = p.TilesTotal,
            ["daysDone"] = p.Tiles.Sum(t => t.DaysDone),
            ["daysTotal"] = p.Tiles.Sum(t => t.DaysTotal),
            ["daysApplied"] = p.Tiles.Sum(t => t.DaysApplied),
            ["daysRepeated"] = p.Tiles.Sum(t => t.DaysRepeated),
            ["daysQuarantined"] = p.Tiles.Sum(t => t.DaysQuarantined),
            ["currentDay"] = Day(p.CurrentDay),
            ["tiles"] = tiles,
        };
    }

    /// <summary>Reads what <see cref="Write"/> wrote; a missing or malformed field throws <see cref="FormatException"/> naming it.</summary>
    public static JobProgress Read(JsonNode json)
    {
        var tiles = (json["tiles"] as JsonArray ?? throw new FormatException("The job progress has no 'tiles' array."))
            .Select(t => new TileProgress(
                TileId.Parse(Text(t, "tile")),
                Enum.Parse<TileJobStatus>(Text(t, "status")),
                ParseDay(t?["currentDay"]),
                Int(t, "daysDone"),
                Int(t, "daysTotal"),
                t?["detail"]?.GetValue<string>(),
                // Absent in the answers of older nodes (before quarantine; before repeats and retries were counted).
                t?["daysQuarantined"]?.GetValue<int>() ?? 0,
                t?["daysRepeated"]?.GetValue<int>() ?? 0,
                t?["retries"]?.GetValue<int>() ?? 0))
            .ToImmutableArray();
        return new JobProgress(Text(json, "jobId"), Enum.Parse<JobKind>(Text(json, "kind")), Int(json, "tilesDone"), Int(json, "tilesFailed"),
            Int(json, "tilesTotal"), tiles, json["finished"]?.GetValue<bool>() ?? throw new FormatException("The job progress has no 'finished'."),
            json["error"]?.GetValue<string>());
    }

    private static JsonNode? Day(DateOnly? day) => day?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateOnly? ParseDay(JsonNode? node) =>
        node?.GetValue<string>() is { } text ? DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture) : null;

    private static string Text(JsonNode? node, string name) =>
        node?[name]?.GetValue<string>() ?? throw new FormatException($"The job progress has no '{name}'.");

    private static int Int(JsonNode? node, string name) =>
        node?[name]?.GetValue<int>() ?? throw new FormatException($"The job progress has no '{name}'.");
}
