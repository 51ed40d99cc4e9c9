using System.Diagnostics;
using System.Text.Json.Nodes;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Bench;
using NrtCluster.Host.Node;
using NrtCluster.Host.Tests.Http;

namespace NrtCluster.Host.Tests.Cluster;

/// <summary>
/// A synthetic archive (two 40 px granules, 2 x 2 tiles, one year of history and one of monitoring), the same project run
/// start to end on an embedded SQLite node (the reference), and three <c>nrtc run --profile cluster</c> processes on
/// 127.0.0.1 sharing a throw-away PostgreSQL and one output folder, node 1 the seed, with the tiles fitted through node 1.
/// The cluster reads the archive over HTTP from <see cref="ArchiveFiles"/>, which a test can tell to hold images.
/// Everything is stopped and deleted on dispose, also when a step fails.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public static readonly SyntheticArchiveOptions Archive = new()
    {
        GranuleSize = 40, Start = new DateOnly(2021, 1, 1), HistoryEnd = new DateOnly(2021, 12, 31), End = new DateOnly(2022, 12, 31),
    };

    /// <summary>Longest any one nrtc command of these tests may take before it is killed and the test fails.</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    private readonly List<NrtcProcess> _processes = [];
    private TempPostgres? _postgres;

    public string Folder { get; } = Directory.CreateTempSubdirectory("nrtc-cluster-").FullName;
    public string ReferenceFolder => Path.Combine(Folder, "reference");
    public string ClusterFolder => Path.Combine(Folder, "cluster");
    public HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
    public SyntheticArchiveResult ArchiveResult { get; private set; } = null!;
    public RangeFileServer ArchiveFiles { get; private set; } = null!;
    public NodeProcess[] Nodes { get; private set; } = [];
    public string NodeUrl(int i) => Nodes[i].HttpUrl;
    public TimeSpan ReferenceRun { get; private set; }

    /// <summary>Solar days after the history, each one a monitoring step of every tile (every tile lies in both granules' dates).</summary>
    public IReadOnlyList<DateOnly> MonitoringDays => [.. ArchiveResult.Scene.Acquisitions.Select(a => a.Date).Where(d => d > Archive.HistoryEnd).Distinct().Order()];

    public async Task InitializeAsync()
    {
        Task? reference = null;
        try
        {
            var archiveFolder = Path.Combine(Folder, "archive");
            ArchiveResult = SyntheticArchive.Generate(archiveFolder, Archive);
            WriteProject(ReferenceFolder, archiveFolder, ArchiveResult);
            ArchiveFiles = new RangeFileServer(archiveFolder);
            WriteProject(ClusterFolder, archiveFolder, ArchiveResult, catalog: ArchiveFiles.BaseUrl + SyntheticArchiveLayout.Catalog);

            // The reference runs while the cluster starts (mostly waiting on joins); the cluster's fit waits for it.
            var project = Path.Combine(ReferenceFolder, "project.conf");
            reference = Task.Run(() =>
            {
                var clock = Stopwatch.StartNew();
                Succeed(Nrtc.RunWithin(ClusterFixture.CommandTimeout, "fit", "--project", project), "reference fit");
                Succeed(Nrtc.RunWithin(ClusterFixture.CommandTimeout, "fast-forward", "--project", project, "--to", $"{Archive.End:yyyy-MM-dd}"), "reference fast-forward");
                ReferenceRun = clock.Elapsed;
            });
            _postgres = new TempPostgres();
            // Short timings so a stopped node's tiles move within seconds: rebalance rounds, job resends, split-brain decisions.
            File.WriteAllText(Path.Combine(ClusterFolder, "test.conf"), """
                nrtcluster.tiles.shard-block-size = 1
                nrtcluster.jobs.parallelism = 4
                nrtcluster.jobs.fit-timeout = 60s
                nrtcluster.jobs.max-backoff = 5s
                akka.cluster.sharding.rebalance-interval = 2s
                akka.cluster.split-brain-resolver.stable-after = 5s
                """);
            int[] akkaPorts = [Loopback.FreePort(), Loopback.FreePort(), Loopback.FreePort()];
            Nodes = [.. akkaPorts.Select((port, i) => new NodeProcess(i + 1, port, Loopback.FreePort(), akkaPorts[0]))];
            foreach (var node in Nodes) Start(node);
            await WaitForMembersAsync(3, TimeSpan.FromSeconds(60));
            await reference;

            Succeed(Nrtc.RunWithin(ClusterFixture.CommandTimeout, "fit", "--node", NodeUrl(0)), "cluster fit through node 1");
        }
        catch
        {
            // The reference's processes are not ours to kill: let them end before the folder goes.
            if (reference is not null) await reference.ContinueWith(_ => { }, TaskScheduler.Default);
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts (or restarts, on the same ports) a node process and waits until its HTTP answers /readyz.</summary>
    public void Start(NodeProcess node)
    {
        // Each node's pool stays well under PostgreSQL's 100 connections for three nodes.
        var process = NrtcProcess.Start($"node{node.Number}", new Dictionary<string, string> { ["GDAL_HTTP_USERAGENT"] = node.UserAgent },
            "run", "--project", Path.Combine(ClusterFolder, "project.conf"), "--profile", "cluster", "--hostname", "127.0.0.1",
            "--port", node.AkkaPort.ToString(), "--seed", $"akka.tcp://nrtcluster@127.0.0.1:{node.SeedPort}",
            "--postgres", _postgres!.ConnectionString + ";Maximum Pool Size=20", "--hocon", Path.Combine(ClusterFolder, "test.conf"),
            "--http-port", node.HttpPort.ToString());
        _processes.Add(process);
        node.Process = process;
    }

    /// <summary>Waits until every node answers /readyz and node 1 sees <paramref name="count"/> members Up.</summary>
    public async Task WaitForMembersAsync(int count, TimeSpan timeout)
    {
        await Eventually.Until(async () =>
            {
                (bool Done, string Last) read;
                try
                {
                    // The checks of the nodes not ready, so a timeout says which check held them back.
                    var unready = new List<string>();
                    foreach (var node in Nodes.Where(n => n.Process is { HasExited: false }))
                    {
                        using var response = await Http.GetAsync(node.HttpUrl + "/readyz");
                        if (!response.IsSuccessStatusCode) unready.Add($"node {node.Number} /readyz: {await response.Content.ReadAsStringAsync()}");
                    }
                    var cluster = await GetJsonAsync(NodeUrl(0), "/api/cluster");
                    read = (unready.Count == 0 && cluster["members"]!.AsArray().Count(m => m!["status"]!.ToString() == "Up") == count,
                        string.Join("\n", unready.Append(cluster.ToJsonString())));
                }
                catch (HttpRequestException e)
                {
                    read = (false, e.Message);
                }
                if (!read.Done)
                    foreach (var node in Nodes)
                        if (node.Process is { HasExited: true } p && p.ExitCode != 0)
                            throw new InvalidOperationException($"node {node.Number} exited with {p.ExitCode}: {p.Output}");
                return read;
            }, read => read.Done, timeout,
            read => $"The cluster did not reach {count} Up members within {timeout}: {read.Last}\n{string.Join("\n", Nodes.Select(n => n.Process?.Output))}");
    }

    /// <summary>The node's log lines (nrtc-HOST-PORT.log in the shared output folder), read while the node writes it.</summary>
    public IReadOnlyList<string> NodeLog(NodeProcess node)
    {
        var path = Path.Combine(ClusterFolder, $"nrtc-127.0.0.1-{node.AkkaPort}.log");
        if (!File.Exists(path)) return [];
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return reader.ReadToEnd().Split('\n');
    }

    public async Task<JsonObject> GetJsonAsync(string baseUrl, string path)
    {
        var text = await Http.GetStringAsync(baseUrl + path);
        return JsonNode.Parse(text)!.AsObject();
    }

    public static void Succeed((int ExitCode, string Output) run, string what)
    {
        if (run.ExitCode != 0) throw new InvalidOperationException($"{what} failed ({run.ExitCode}): {run.Output}");
    }

    /// <summary>
    /// The demo's project (the default IQR recipe on NDVI, tiles of 1 / <paramref name="tilesAcross"/> of the archive's window: 2 x 2
    /// tiles by default) with absolute archive paths; <paramref name="stacApi"/> searches a STAC API instead of the catalog,
    /// <paramref name="catalog"/> reads the catalog (and so the images) from that URL instead of the folder.
    /// </summary>
    internal static void WriteProject(string folder, string archiveFolder, SyntheticArchiveResult archive, int tilesAcross = 2, string? stacApi = null,
        string? catalog = null)
    {
        Directory.CreateDirectory(folder);
        var reference = archive.Scene.Geometry.Reference;
        int tileSize = (int)Math.Ceiling(Math.Max(reference.Width, reference.Height) / (double)tilesAcross);
        File.WriteAllText(Path.Combine(folder, "project.conf"), ProjectTemplate.Demo(
            stacApi is null ? $"catalog = {ProjectTemplate.Quote(catalog ?? Path.Combine(archiveFolder, SyntheticArchiveLayout.Catalog))}" : $"api = {ProjectTemplate.Quote(stacApi)}",
            reference.Transform.X0, reference.Transform.Y0, tileSize, archive.Scene.Geometry.BboxLonLat,
            Path.Combine(archiveFolder, SyntheticArchiveLayout.ForestMask), archive.Scene.Options.Start, archive.Scene.Options.HistoryEnd));
    }

    public async Task DisposeAsync()
    {
        foreach (var p in _processes) p.Dispose();
        Http.Dispose();
        ArchiveFiles?.Dispose();
        await Task.Yield();
        _postgres?.Dispose();
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>One cluster node: its number (1 is the seed), Akka and HTTP ports, and its current process.</summary>
public sealed class NodeProcess(int number, int akkaPort, int httpPort, int seedPort)
{
    public int Number { get; } = number;
    public int AkkaPort { get; } = akkaPort;
    public int HttpPort { get; } = httpPort;
    public int SeedPort { get; } = seedPort;
    public string HttpUrl => $"http://127.0.0.1:{HttpPort}";
    public string Address => $"akka.tcp://nrtcluster@127.0.0.1:{AkkaPort}";
    public string HostPort => $"127.0.0.1:{AkkaPort}";
    /// <summary>What the node's image reads send as User-Agent, so the archive server knows whose read it holds.</summary>
    public string UserAgent => $"nrtc-node{Number}";
    public NrtcProcess? Process { get; set; }
}

/// <summary>An nrtc process running in the background with its output collected; killed on dispose if still running.</summary>
public sealed partial class NrtcProcess : IDisposable
{
    private readonly NrtcChild _child;

    private NrtcProcess(NrtcChild child) => _child = child;

    public static NrtcProcess Start(string name, params string[] args) => Start(name, new Dictionary<string, string>(), args);

    /// <summary>Starts nrtc with <paramref name="environment"/> added to the test's.</summary>
    public static NrtcProcess Start(string name, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet");
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "nrtc.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return new NrtcProcess(NrtcChild.Start(name, psi));
    }

    public string Name => _child.Name;
    public int Id => _child.Id;
    public bool HasExited => _child.HasExited;
    public int ExitCode => _child.ExitCode;

    public string Output => $"--- {Name} ---\n{_child.Output}";

    /// <summary>SIGTERM: the node stops gracefully (leaves the cluster, hands its shards off).</summary>
    public void Terminate() => Processes.Run("kill", "-TERM", Id.ToString());

    /// <summary>SIGINT, as Ctrl+C sends.</summary>
    public void Interrupt() => Processes.Run("kill", "-INT", Id.ToString());

    /// <summary>SIGKILL: the node dies without leaving; the others must notice and down it.</summary>
    public void Kill() => _child.Kill();

    /// <summary>Waits until the output has a match of <paramref name="pattern"/> (its first group, else the whole match).</summary>
    public async Task<string> WaitForOutputAsync(System.Text.RegularExpressions.Regex pattern, TimeSpan timeout)
    {
        var m = await Eventually.Until(() => Task.FromResult(pattern.Match(Output)), m => m.Success, timeout,
            _ => $"{Name} did not print a line matching '{pattern}' within {timeout}: {Output}", () => HasExited);
        return m.Groups.Count > 1 ? m.Groups[1].Value : m.Value;
    }

    /// <summary>Waits for the line <c>nrtc run</c> prints once it serves HTTP and returns the node's address.</summary>
    public Task<string> WaitForHttpAddressAsync(TimeSpan timeout) => WaitForOutputAsync(HttpAddress(), timeout);

    [System.Text.RegularExpressions.GeneratedRegex(@"HTTP (http://\S+) ")]
    private static partial System.Text.RegularExpressions.Regex HttpAddress();

    public bool WaitForExit(TimeSpan timeout) => _child.WaitForExit(timeout);

    public void Dispose() => _child.Dispose();
}
