using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Event;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Tiles;
using NrtCluster.Host.Logging;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Tests.Logging;

/// <summary>A real actor system with <see cref="StructuredLogger"/> as its logger; the log file is read back.</summary>
public sealed class StructuredLoggerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nrtc-log-").FullName;

    [Fact]
    public async Task Every_event_is_one_json_line_with_tile_and_day_taken_from_the_arguments()
    {
        // Started as ProjectNode starts a node: the embedded profile with the logger's HOCON over it.
        var options = new NodeOptions(NodeProfile.Embedded, _dir) { Hostname = "127.0.0.1", Port = 0 };
        string path = StructuredLogger.NodeLogPath(options);
        var system = AkkaProfiles.Start(options with { ExtraHocon = StructuredLogger.Hocon(path, stdoutLevel: "OFF") });
        try
        {
            var actor = system.ActorOf(Props.Create(() => new Talker()), "talker");
            actor.Tell("go");
            // Akka's own events come through it too: the node joining itself.
            static bool Joining(JsonObject l) => l["message"]!.GetValue<string>().Contains("JOINING", StringComparison.Ordinal);
            var lines = await WaitForLinesAsync(path, ls => ls.Any(l => l["message"]!.GetValue<string>() == "done") && ls.Any(Joining));

            var applied = Single(lines, "Tile x3_y-4: day 2024-05-06 applied (2 alerts)");
            Assert.Equal("INFO", applied["level"]!.GetValue<string>());
            Assert.Equal("x3_y-4", applied["tile"]!.GetValue<string>());
            Assert.Equal("2024-05-06", applied["day"]!.GetValue<string>());
            // The actor path with the node's address, so lines from nodes sharing an output folder tell where they ran.
            Assert.Matches(@"^akka\.tcp://nrtcluster@127\.0\.0\.1:\d+/user/talker$", applied["source"]!.GetValue<string>());
            Assert.True(DateTime.TryParse(applied["time"]!.GetValue<string>(), out _));

            var poll = Single(lines, "STAC search failed, retried on the next interval");
            Assert.Equal("WARNING", poll["level"]!.GetValue<string>());
            Assert.Null(poll["tile"]);
            Assert.Null(poll["day"]);

            var failed = Single(lines, "Tile x1_y2: writing the report failed");
            Assert.Equal("ERROR", failed["level"]!.GetValue<string>());
            Assert.Equal("x1_y2", failed["tile"]!.GetValue<string>());
            Assert.Contains("disk full", failed["error"]!.GetValue<string>());

            var job = Single(lines, "Job fit-1 finished on 2024-05-07");
            Assert.Equal("fit-1", job["Job"]!.GetValue<string>());
            Assert.Equal("2024-05-07", job["day"]!.GetValue<string>());
            Assert.Equal("INFO", lines.First(Joining)["level"]!.GetValue<string>());
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task Actor_systems_of_one_process_sharing_a_log_file_keep_every_line_whole()
    {
        string path = Path.Combine(_dir, "shared.jsonl");
        var systems = new[] { "one", "two" }.Select(n => ActorSystem.Create(n, StructuredLogger.Hocon(path, stdoutLevel: "OFF"))).ToArray();
        try
        {
            foreach (var system in systems) system.ActorOf(Props.Create(() => new Counter()), "counter").Tell(200);
            var lines = await WaitForLinesAsync(path, ls => ls.Count(l => l["message"]!.GetValue<string>().StartsWith("line ")) == 400);
            foreach (var system in systems)
            {
                var numbers = lines.Where(l => l["source"]!.GetValue<string>() == $"akka://{system.Name}/user/counter")
                    .Select(l => int.Parse(l["message"]!.GetValue<string>()["line ".Length..])).ToArray();
                Assert.Equal(Enumerable.Range(0, 200), numbers);
            }
        }
        finally
        {
            await Task.WhenAll(systems.Select(s => s.Terminate()));
        }
    }

    [Fact]
    public void Hocon_refuses_an_unknown_level_naming_it()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => StructuredLogger.Hocon(Path.Combine(_dir, "x.jsonl"), stdoutLevel: "LOUD"));
        Assert.Contains("LOUD", e.Message);
    }

    [Fact]
    public void Cluster_nodes_sharing_an_output_folder_get_one_log_file_each()
    {
        var node1 = new NodeOptions(NodeProfile.Cluster, _dir) { Hostname = "node1", Port = 4053 };
        var node2 = node1 with { Hostname = "node2" };
        Assert.Equal(Path.Combine(_dir, "logs", "node1-4053.jsonl"), StructuredLogger.NodeLogPath(node1));
        Assert.NotEqual(StructuredLogger.NodeLogPath(node1), StructuredLogger.NodeLogPath(node2));
        Assert.Equal(Path.Combine(_dir, "logs", "embedded.jsonl"), StructuredLogger.NodeLogPath(new NodeOptions(NodeProfile.Embedded, _dir)));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonObject Single(IReadOnlyList<JsonObject> lines, string message) =>
        Assert.Single(lines, l => l["message"]?.GetValue<string>() == message);

    /// <summary>Reads the log until it holds what the test waits for: the logger writes asynchronously, after the actor has logged.</summary>
    private static async Task<IReadOnlyList<JsonObject>> WaitForLinesAsync(string path, Func<IReadOnlyList<JsonObject>, bool> complete)
    {
        return await Eventually.Until<IReadOnlyList<JsonObject>>(async () =>
            {
                // The log rotates: its lines are in its dated files, oldest first.
                var text = new StringBuilder();
                foreach (var file in LogRotation.Default.Files(path))
                {
                    using var reader = new StreamReader(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
                    text.Append(await reader.ReadToEndAsync());
                }
                // Only whole lines: the logger may be writing the next one; each whole line must be one JSON object.
                string whole = text.ToString();
                whole = whole[..(whole.LastIndexOf('\n') + 1)];
                return whole.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
            }, complete, TimeSpan.FromSeconds(30),
            _ => $"{path} lacks the expected lines after 30 s:\n{string.Concat(LogRotation.Default.Files(path).Select(File.ReadAllText))}");
    }

    /// <summary>Logs <c>line 0</c>, <c>line 1</c>, ... as many as it is told.</summary>
    internal sealed class Counter : ReceiveActor
    {
        public Counter()
        {
            var log = Context.GetLogger();
            Receive<int>(n =>
            {
                for (int i = 0; i < n; i++) log.Info("line {0}", i);
            });
        }
    }

    private sealed class Talker : ReceiveActor
    {
        public Talker()
        {
            var log = Context.GetLogger();
            Receive<string>(_ =>
            {
                log.Info("Tile {0}: day {1:yyyy-MM-dd} applied ({2} alerts)", new TileId(3, -4), new DateOnly(2024, 5, 6), 2);
                log.Warning("STAC search failed, retried on the next interval");
                log.Error(new IOException("disk full"), "Tile {0}: writing the report failed", new TileId(1, 2));
                log.Info("Job {Job} finished on {Day:yyyy-MM-dd}", "fit-1", new DateOnly(2024, 5, 7));
                log.Info("done");
            });
        }
    }
}
