using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Akka.Event;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Logging;

/// <summary>
/// One Akka log event as one JSON object on one line: <c>time</c>, <c>level</c>, <c>source</c>, <c>message</c>, then
/// <c>tile</c> and <c>day</c> when the event's arguments hold a tile (<see cref="TileId"/> or <see cref="TileId"/>) or
/// a <see cref="DateOnly"/>, the named properties of a semantic template (<c>{Job}</c>), and <c>error</c> with the
/// exception. Tile and day come from the arguments, so every existing <c>log.Info("Tile {0}: day {1}", tile, day)</c>
/// carries them without the call site naming them.
/// </summary>
public static class LogLine
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The fields this writer sets itself; a template property of the same name is not written twice.</summary>
    private static readonly HashSet<string> Reserved = new(["time", "level", "source", "message", "tile", "day", "error"], StringComparer.OrdinalIgnoreCase);

    public static string Format(LogEvent e)
    {
        object[] args = [.. e.GetParameters()];
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("time", e.Timestamp.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            // Akka's names, as in akka.loglevel: DEBUG, INFO, WARNING, ERROR.
            json.WriteString("level", Akka.Event.Logging.StringFor(e.LogLevel()));
            json.WriteString("source", e.LogSource);
            json.WriteString("message", MessageText(e));
            if (FirstTile(args) is { } tile) json.WriteString("tile", tile);
            if (FirstDay(args) is { } day) json.WriteString("day", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            WriteNamedProperties(json, e);
            if (e.Cause is { } cause) json.WriteString("error", cause.ToString());
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string? FirstTile(object[] args)
    {
        foreach (var a in args)
        {
            if (a is TileId key) return key.ToString();
            if (a is TileId id) return id.ToString();
        }
        return null;
    }

    private static DateOnly? FirstDay(object[] args)
    {
        foreach (var a in args)
        {
            if (a is DateOnly day) return day;
        }
        return null;
    }

    private static string MessageText(LogEvent e)
    {
        try
        {
            return e.Message?.ToString() ?? "";
        }
        catch (FormatException)
        {
            // A template whose placeholders do not match its arguments: keep the raw template rather than lose the line.
            return e.GetTemplate();
        }
    }

    private static void WriteNamedProperties(Utf8JsonWriter json, LogEvent e)
    {
        if (!e.TryGetProperties(out var properties) || properties is null) return;
        foreach (var (name, value) in properties)
        {
            // Positional templates ("{0}") have numeric names; only named ones carry a meaning worth a field.
            if (name.Length == 0 || char.IsDigit(name[0]) || Reserved.Contains(name)) continue;
            json.WriteString(name, Convert.ToString(value, CultureInfo.InvariantCulture));
        }
    }
}
