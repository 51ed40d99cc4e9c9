using System.Globalization;
using System.Text.RegularExpressions;
using Akka.Configuration;
using Serilog;

namespace NrtCluster.Host.Logging;

/// <summary>
/// How a node's JSON-lines log rotates (<c>nrtcluster.logging.rotate</c>; Serilog's rolling file sink does it): a new file
/// every <see cref="Interval"/> and whenever the current one reaches <see cref="SizeLimitBytes"/>; older files beyond
/// <see cref="KeepFiles"/> (the current one counted) or dated more than <see cref="KeepFor"/> ago are deleted when a file
/// is opened. The files carry the local date of their interval and, after the first size roll within it, a sequence number:
/// the log <c>logs/embedded.jsonl</c> is written as <c>embedded20261207.jsonl</c>, <c>embedded20261207_001.jsonl</c>, ...
/// (<see cref="Files"/>, the newest last, is where to read it).
/// </summary>
public sealed record LogRotation(long SizeLimitBytes, int KeepFiles, TimeSpan KeepFor, RollingInterval Interval)
{
    public const string Key = "nrtcluster.logging.rotate";

    /// <summary>As in hocon/base.conf: at most 20 files of 50 MiB (1 GiB) per node, none older than 14 days.</summary>
    public static readonly LogRotation Default = new(50L << 20, 20, TimeSpan.FromDays(14), RollingInterval.Day);

    /// <summary>A smaller limit would start a file every few lines: surely a unit left off (<c>50</c> for <c>50MiB</c>).</summary>
    private const long SmallestSize = 1024;

    private static readonly Dictionary<string, RollingInterval> Intervals = new(StringComparer.OrdinalIgnoreCase)
    {
        ["hour"] = RollingInterval.Hour,
        ["day"] = RollingInterval.Day,
        ["month"] = RollingInterval.Month,
        ["year"] = RollingInterval.Year,
    };

    /// <summary>The settings under <see cref="Key"/>, each missing one at its default; a bad one is named with what to set instead.</summary>
    public static LogRotation From(Config config)
    {
        long size = Setting("size", "a size of at least 1KiB, e.g. 50MiB", key => config.GetByteSize(key), Default.SizeLimitBytes, s => s >= SmallestSize);
        int files = Setting("keep-files", "a whole number of files of at least 1, e.g. 20", key => config.GetInt(key), Default.KeepFiles, n => n >= 1);
        var keepFor = Setting("keep-for", "a duration above zero, e.g. 14d", key => config.GetTimeSpan(key, null, allowInfinite: false), Default.KeepFor, t => t > TimeSpan.Zero);
        var interval = Setting("interval", $"one of {string.Join(", ", Intervals.Keys)}",
            key => Intervals.TryGetValue(config.GetString(key), out var i) ? i : (RollingInterval?)null, Default.Interval, _ => true);
        return new LogRotation(size, files, keepFor, interval);

        T Setting<T>(string name, string expected, Func<string, T?> read, T fallback, Func<T, bool> valid) where T : struct
        {
            string key = $"{Key}.{name}";
            if (!config.HasPath(key)) return fallback;
            T? value;
            try
            {
                value = read(key);
            }
            catch (Exception e) when (e is FormatException or ConfigurationException or OverflowException or ArgumentException)
            {
                value = null;
            }
            if (value is { } v && valid(v)) return v;
            throw new ArgumentException($"{key} = {config.GetValue(key)} is not valid: set {expected} (see hocon/README.md).");
        }
    }

    /// <summary>
    /// The files of the log <paramref name="path"/> (as configured, without date), oldest first: the last is the one written
    /// now. The same pattern as the sink's, so another node's log in the folder (<c>node1-40531</c> beside <c>node1-4053</c>)
    /// is not taken for one of these.
    /// </summary>
    public IReadOnlyList<string> Files(string path)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder)) return [];
        string stem = Path.GetFileNameWithoutExtension(path), extension = Path.GetExtension(path);
        int dateDigits = Interval switch
        {
            RollingInterval.Year => 4,
            RollingInterval.Month => 6,
            RollingInterval.Day => 8,
            RollingInterval.Hour => 10,
            _ => 12,
        };
        var name = new Regex($@"^{Regex.Escape(stem)}(?<date>\d{{{dateDigits}}})(?:_(?<sequence>\d{{3,}}))?{Regex.Escape(extension)}$");
        return [.. Directory.EnumerateFiles(folder, $"{stem}*{extension}")
            .Select(file => (File: file, Match: name.Match(Path.GetFileName(file))))
            .Where(f => f.Match.Success)
            .OrderBy(f => f.Match.Groups["date"].Value, StringComparer.Ordinal)
            .ThenBy(f => f.Match.Groups["sequence"].Success ? long.Parse(f.Match.Groups["sequence"].Value, CultureInfo.InvariantCulture) : 0)
            .Select(f => f.File)];
    }
}
