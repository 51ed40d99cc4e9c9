using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using NrtCluster.Host.Bench;
using NrtCluster.Host.Tests.Cluster;
using NrtCluster.Host.Tests.Http;

namespace NrtCluster.Host.Tests.Node;

/// <summary>
/// <c>POST /api/items</c> on a real <c>nrtc run</c> node (HTTP on 0.0.0.0 with a token, embedded SQLite) reading a synthetic
/// archive from the loopback STAC server, polling only hourly: an acquisition carrying a clear-cut is published and pushed.
/// </summary>
public sealed class PushedItemsTests : IDisposable
{
    private static readonly TimeSpan CommandTimeout = QuarantineTests.CommandTimeout;
    private const string Token = "push-token-5be1d0";

    private readonly string _folder = Directory.CreateTempSubdirectory("nrtc-push-").FullName;
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>
    /// Without the token the push is 401, as text 415, a catalog 400, each recording nothing. With it, the pushed granules are
    /// accepted, a hostile item of the batch is rejected alone with its reason (and listed by the node's status) and an item of
    /// another collection ignored; the tile applies the day and the clear-cut's alert is in /api/alerts long before the next
    /// poll. Pushed again the items are duplicates; after the node stops, a poll finds them in the archive and applies nothing
    /// (the poller recorded the push), so the day is applied once.
    /// </summary>
    [Fact]
    public async Task APushedItemIsAppliedWithoutAPollOnceAndOnlyWithTheToken()
    {
        await using var world = await LatencyArchive.CreateAsync(_folder, 40, "project.poll-interval = 1h\nproject.settle-delay = 1s", default);
        ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "fit", "--project", world.ProjectFile), "fit");
        ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "fast-forward", "--project", world.ProjectFile), "fast-forward");
        var tokenFile = Path.Combine(_folder, "api-token");
        File.WriteAllText(tokenFile, Token + "\n");
        using var node = NrtcProcess.Start("run", "run", "--project", world.ProjectFile, "--http-host", "0.0.0.0", "--http-port", "0", "--api-token-file", tokenFile);
        var url = $"http://127.0.0.1:{new Uri(await node.WaitForHttpAddressAsync(CommandTimeout)).Port}";
        await Eventually.Until(async () => (await _http.GetAsync(url + "/readyz")).StatusCode, s => s == HttpStatusCode.OK, CommandTimeout,
            s => $"the node did not turn ready: {s} {node.Output}");
        var before = await TileAsync(url);
        // The node polls once at start: published before that poll, the items would be found by it rather than pushed.
        var logs = Path.Combine(Path.GetDirectoryName(world.ProjectFile)!, "logs");
        await Eventually.Until(() => Directory.EnumerateFiles(logs, "*.jsonl").Any(f => ReadShared(f).Contains("STAC poll: ")), CommandTimeout,
            "the node's first poll", () => node.Output);

        var cut = world.PublishNextCut();
        var batch = JsonNode.Parse(await world.ItemCollectionAsync(_http, cut, default))!.AsObject();
        var features = batch["features"]!.AsArray();
        var hostile = features[0]!.DeepClone();
        (hostile["id"], hostile["bbox"]) = ("hostile", new JsonArray("a", "b", "c", "d"));
        var landsat = features[0]!.DeepClone();
        (landsat["id"], landsat["collection"]) = ("landsat", "landsat-c2-l2");
        features.Add(hostile);
        features.Add(landsat);
        var body = batch.ToJsonString();

        foreach (var (content, token, status, says) in new (HttpContent, string?, HttpStatusCode, string)[]
                 {
                     (Geo(body), null, HttpStatusCode.Unauthorized, "this node's control API needs its token"),
                     (new StringContent(body, Encoding.UTF8, "text/plain"), Token, HttpStatusCode.UnsupportedMediaType, "not 'text/plain"),
                     (Geo("""{"type":"Catalog","id":"c","description":"d","links":[]}"""), Token, HttpStatusCode.BadRequest,
                         "a STAC Catalog holds no items; send a STAC item, an item collection (FeatureCollection) or a JSON array of items"),
                     (Geo("not json"), Token, HttpStatusCode.BadRequest, "not valid JSON"),
                 })
        {
            using var refused = await ControlApiSecurityTests.PostAsync(_http, url + "/api/items", null, null, content, token);
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == status, $"{(int)refused.StatusCode} {text}");
            Assert.Contains(says, JsonNode.Parse(text)!["error"]!.ToString());
        }

        var pushed = await PushAsync(url, body);
        Assert.Equal(4, (int)pushed["received"]!);
        Assert.Equal(cut.ItemIds.Order(), pushed["acceptedItems"]!.AsArray().Select(i => i!.ToString()).Order());
        Assert.Equal(0, (int)pushed["duplicates"]!);
        var rejected = Assert.Single(pushed["rejectedItems"]!.AsArray())!;
        Assert.Equal("hostile", rejected["item"]!.ToString());
        Assert.Contains("\"bbox\" must be an array of 4 or 6 finite numbers", rejected["reason"]!.ToString());
        var ignored = Assert.Single(pushed["ignoredItems"]!.AsArray())!;
        Assert.Equal("landsat", ignored["item"]!.ToString());
        Assert.Contains("its collection 'landsat-c2-l2' is not the project's 'sentinel-2-l2a'", ignored["reason"]!.ToString());

        // Applied within the settle delay and a tile-day's work, the hourly poll far off.
        var day = cut.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var tile = await Eventually.Until(() => TileAsync(url), t => t["lastDay"]?.ToString() == day, CommandTimeout,
            t => $"the pushed day {day} was not applied: {t.ToJsonString()} {node.Output}");
        Assert.Equal((int)before["daysApplied"]! + 1, (int)tile["daysApplied"]!);
        await Eventually.Until(() => LatencyArchive.AlertedAsync(_http, url, cut, default), alerted => alerted, CommandTimeout,
            _ => $"no alert of the pushed clear-cut in /api/alerts?since={day}");
        var tilesStatus = JsonNode.Parse(await _http.GetStringAsync(url + "/api/tiles/status"))!;
        Assert.Contains(tilesStatus["rejected"]!.AsArray(), r => r!["item"]!.ToString() == "hostile" && r["reason"]!.ToString().Contains("\"bbox\""));

        var again = await PushAsync(url, body);
        Assert.Equal((0, 2), ((int)again["accepted"]!, (int)again["duplicates"]!));

        node.Terminate();
        Assert.True(node.WaitForExit(CommandTimeout), node.Output);
        var (code, poll) = Nrtc.RunWithin(CommandTimeout, "poll", "--project", world.ProjectFile, "--once");
        Assert.True(code == 0, poll);
        Assert.Contains("poll: 0 items new to the poller, 0 tile-days", poll);
        Assert.Contains("poll: tiles settled; 0 tile-days applied", poll);
    }

    private static string ReadShared(string path)
    {
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        return reader.ReadToEnd();
    }

    private static StringContent Geo(string body) => new(body, Encoding.UTF8, "application/geo+json");

    private async Task<JsonNode> PushAsync(string url, string body)
    {
        using var response = await ControlApiSecurityTests.PostAsync(_http, url + "/api/items", null, null, Geo(body), Token);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>The archive's one tile as GET /api/tiles/status shows it.</summary>
    private async Task<JsonNode> TileAsync(string url) =>
        Assert.Single(JsonNode.Parse(await _http.GetStringAsync(url + "/api/tiles/status"))!["tiles"]!.AsArray())!;

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
