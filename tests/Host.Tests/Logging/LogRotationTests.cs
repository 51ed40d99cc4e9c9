using System.Globalization;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Configuration;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Logging;
using NrtCluster.Host.Tests.Cluster;
using NrtCluster.Host.Tests.Node;
using Serilog;

namespace NrtCluster.Host.Tests.Logging;

/// <summary>
/// A node log rotating by size and age (<c>nrtcluster.logging.rotate</c>): a real actor system with
/// <see cref="StructuredLogger"/> writing real files, read back.
/// </summary>
public sealed class LogRotationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nrtc-logrotate-").FullName;

    [Fact]
    public async Task A_log_over_its_size_limit_rolls_to_a_new_file_keeping_only_the_newest_files_and_every_line_whole()
    {
        string path = Path.Combine(_dir, "logs", "embedded.jsonl");
        var rotation = LogRotation.Default with { SizeLimitBytes = 4096, KeepFiles = 3 };
        var system = ActorSystem.Create("rolling", StructuredLogger.Hocon(path, stdoutLevel: "OFF") + """

            nrtcluster.logging.rotate { size = 4KiB, keep-files = 3 }
            """);
        try
        {
            // About 60 KB of lines: fifteen files' worth.
            system.ActorOf(Props.Create(() => new StructuredLoggerTests.Counter()), "counter").Tell(400);
            var files = await Eventually.Until(() => Task.FromResult(rotation.Files(path)),
                fs => fs.Count > 0 && File.ReadAllText(fs[^1]).Contains("\"line 399\"", StringComparison.Ordinal), TimeSpan.FromSeconds(30),
                fs => $"the last line is not in the newest of {string.Join(", ", fs)}");

            // The older files are gone: the newest three are left, named by the log with the day and a sequence number.
            Assert.Equal(3, files.Count);
            Assert.All(files, f => Assert.Matches(@"^embedded\d{8}(_\d{3})?\.jsonl$", Path.GetFileName(f)));
            Assert.Equal(files.Order(StringComparer.Ordinal), files);
            Assert.Equal(3, Directory.GetFiles(Path.GetDirectoryName(path)!).Length);

            // Every line is one JSON object in the log's format, the files hold consecutive lines up to the last, each file
            // ends where the next begins, and none is much over the limit (a file closes after the line that reaches it).
            var numbers = new List<int>();
            foreach (var file in files)
            {
                Assert.InRange(new FileInfo(file).Length, 1, 4096 + 200);
                foreach (var line in File.ReadAllLines(file))
                {
                    var json = JsonNode.Parse(line)!.AsObject();
                    Assert.Equal("INFO", json["level"]!.GetValue<string>());
                    Assert.Equal("akka://rolling/user/counter", json["source"]!.GetValue<string>());
                    Assert.True(DateTime.TryParse(json["time"]!.GetValue<string>(), CultureInfo.InvariantCulture, out _));
                    string message = json["message"]!.GetValue<string>();
                    if (message.StartsWith("line ", StringComparison.Ordinal)) numbers.Add(int.Parse(message["line ".Length..], CultureInfo.InvariantCulture));
                }
            }
            Assert.Equal(399, numbers[^1]);
            Assert.Equal(Enumerable.Range(numbers[0], numbers.Count), numbers);
            // Three files of about 40 lines: the files of the first lines are gone.
            Assert.InRange(numbers[0], 250, 330);
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task Files_dated_more_than_keep_for_ago_are_deleted_when_the_log_starts_a_file_and_other_logs_are_left_alone()
    {
        string logs = Path.Combine(_dir, "logs");
        Directory.CreateDirectory(logs);
        string recent = DateTime.Now.AddDays(-1).ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        string[] old = ["node1-405320200101.jsonl", "node1-405320200102_001.jsonl"];
        // Yesterday's file, another node's old files (a port that begins alike, a name without date) and a file not a log.
        string[] kept = [$"node1-4053{recent}.jsonl", "node1-4053120200101.jsonl", "node2-405320200101.jsonl", "node1-4053.jsonl", "node1-4053.txt"];
        foreach (var name in old.Concat(kept)) await File.WriteAllTextAsync(Path.Combine(logs, name), "{}\n");

        string path = Path.Combine(logs, "node1-4053.jsonl");
        var system = ActorSystem.Create("aged", StructuredLogger.Hocon(path, stdoutLevel: "OFF") + "\nnrtcluster.logging.rotate.keep-for = 3d");
        try
        {
            system.ActorOf(Props.Create(() => new StructuredLoggerTests.Counter()), "counter").Tell(1);
            var rotation = LogRotation.Default with { KeepFor = TimeSpan.FromDays(3) };
            var files = await Eventually.Until(() => Task.FromResult(rotation.Files(path)),
                fs => fs.Count > 0 && File.ReadAllText(fs[^1]).Contains("\"line 0\"", StringComparison.Ordinal), TimeSpan.FromSeconds(30),
                fs => $"the line is not in the newest of {string.Join(", ", fs)}");

            // Today's file is the one written; the others are as they were.
            Assert.Matches(@"^node1-4053\d{8}\.jsonl$", Path.GetFileName(files[^1]));
            Assert.Equal(kept.Append(Path.GetFileName(files[^1])).Order(StringComparer.Ordinal),
                Directory.GetFiles(logs).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal));
            Assert.All(old, name => Assert.False(File.Exists(Path.Combine(logs, name)), $"{name} is older than 3 days and was kept"));
            Assert.Equal(Path.Combine(logs, $"node1-4053{recent}.jsonl"), Assert.Single(files.SkipLast(1)));
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public void The_settings_default_to_hocon_base_conf_and_a_bad_one_is_refused_naming_its_key_and_what_to_set()
    {
        // The defaults in code are the documented ones.
        var baseConf = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(RepoRoot.Path, "hocon", "base.conf")));
        Assert.Equal(LogRotation.Default, LogRotation.From(baseConf));
        Assert.Equal(LogRotation.Default, LogRotation.From(ConfigurationFactory.Empty));
        Assert.Equal(LogRotation.Default with { SizeLimitBytes = 10L << 20, KeepFiles = 5, KeepFor = TimeSpan.FromHours(36), Interval = RollingInterval.Hour },
            LogRotation.From(Rotate("size = 10MiB, keep-files = 5, keep-for = 36h, interval = HOUR")));

        Refused("size = 50", "nrtcluster.logging.rotate.size = 50 is not valid: set a size of at least 1KiB, e.g. 50MiB (see hocon/README.md).");
        Refused("size = lots", "nrtcluster.logging.rotate.size = lots is not valid: set a size of at least 1KiB, e.g. 50MiB");
        Refused("keep-files = 0", "nrtcluster.logging.rotate.keep-files = 0 is not valid: set a whole number of files of at least 1, e.g. 20");
        Refused("keep-for = -1d", "nrtcluster.logging.rotate.keep-for = -1d is not valid: set a duration above zero, e.g. 14d");
        Refused("interval = week", "nrtcluster.logging.rotate.interval = week is not valid: set one of hour, day, month, year");

        static Config Rotate(string settings) => ConfigurationFactory.ParseString($"nrtcluster.logging.rotate {{ {settings} }}");

        static void Refused(string settings, string message)
        {
            var e = Assert.Throws<ArgumentException>(() => LogRotation.From(Rotate(settings)));
            Assert.StartsWith(message, e.Message);
        }
    }

    /// <summary><c>nrtc</c> as a real process on a tiny synthetic archive, with the setting in its <c>--hocon</c> file.</summary>
    [Fact]
    public void A_command_given_a_bad_rotation_setting_stops_before_its_node_starts_naming_the_setting()
    {
        string archiveFolder = Path.Combine(_dir, "archive");
        var archive = SyntheticArchive.Generate(archiveFolder, QuarantineTests.Archive);
        string projectFolder = Path.Combine(_dir, "project");
        ClusterFixture.WriteProject(projectFolder, archiveFolder, archive);
        string hocon = Path.Combine(_dir, "node.conf");
        File.WriteAllText(hocon, "nrtcluster.logging.rotate.size = 50\n");

        var (code, output) = Nrtc.RunWithin(QuarantineTests.CommandTimeout, "fit", "--project", Path.Combine(projectFolder, "project.conf"), "--hocon", hocon);
        Assert.True(code == 1, output);
        Assert.Contains("nrtcluster.logging.rotate.size = 50 is not valid: set a size of at least 1KiB, e.g. 50MiB (see hocon/README.md).", output);
        Assert.DoesNotContain("   at ", output);
        Assert.False(Directory.Exists(Path.Combine(projectFolder, "logs")), "the node started");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
