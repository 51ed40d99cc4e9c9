using System.Net;
using System.Net.Http.Headers;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using NrtCluster.Host.Tests.Cluster;
using NrtCluster.Host.Tests.Node;

namespace NrtCluster.Host.Tests.Http;

/// <summary>
/// The control API of a running node (<c>nrtc run</c> as a real process on a tiny synthetic archive): a web page cannot
/// drive it (foreign Host or Origin, form and text bodies are refused), a node listening beyond loopback takes control
/// requests only with its bearer token and refuses to start without one unless --insecure, and the command line's
/// <c>--node</c> sends the token. GETs stay open.
/// </summary>
public sealed class ControlApiSecurityTests : IDisposable
{
    private static readonly TimeSpan CommandTimeout = QuarantineTests.CommandTimeout;
    private const string Token = "a-long-random-token-7f3c9e";

    private readonly string _folder = Directory.CreateTempSubdirectory("nrtc-apilock-").FullName;
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>
    /// On loopback without a token, POST /api/jobs/fit?replace=true as a web page sends it (the page's Host after a DNS
    /// rebinding, its Origin, a form, multipart or text body) is refused naming the header or type, and no tile is refitted;
    /// the command line's fit through the node (no body) and a same-origin JSON post are accepted.
    /// </summary>
    [Fact]
    public async Task CrossOriginAndFormPostsOnLoopbackAreRefusedAndStartNoJob()
    {
        var project = RerunTests.WriteProject(_folder);
        ClusterFixture.Succeed(Nrtc.RunWithin(CommandTimeout, "fit", "--project", project), "fit");
        using var node = NrtcProcess.Start("run", "run", "--project", project, "--http-port", "0");
        var url = await node.WaitForHttpAddressAsync(CommandTimeout);
        var port = new Uri(url).Port;
        var fits = await FitNumbersAsync(url);
        Assert.Equal(4, fits.Count);

        (string? Host, string? Origin, HttpContent? Body, HttpStatusCode Status, string Says)[] attacks =
        [
            ($"evil.example:{port}", "http://evil.example", Form(), HttpStatusCode.Forbidden, $"the Host header 'evil.example:{port}' is not a name of this node"),
            (null, "http://evil.example", Form(), HttpStatusCode.Forbidden, "the Origin header 'http://evil.example' is not this node"),
            ($"localhost:{port}", "http://localhost:3000", null, HttpStatusCode.Forbidden, "the Origin header 'http://localhost:3000' is not this node"),
            (null, "null", null, HttpStatusCode.Forbidden, "the Origin header 'null' is not this node"),
            (null, null, Form(), HttpStatusCode.UnsupportedMediaType, "not 'application/x-www-form-urlencoded"),
            (null, null, new MultipartFormDataContent { { new StringContent("true"), "replace" } }, HttpStatusCode.UnsupportedMediaType, "not 'multipart/form-data"),
            (null, url, new StringContent("replace=true", Encoding.UTF8, "text/plain"), HttpStatusCode.UnsupportedMediaType, "not 'text/plain"),
            (null, null, new ByteArrayContent("replace=true"u8.ToArray()), HttpStatusCode.UnsupportedMediaType, "not a body without a type"),
        ];
        foreach (var (host, origin, body, status, says) in attacks)
        {
            using var response = await PostAsync(url + "/api/jobs/fit?replace=true", host: host, origin: origin, body: body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{host} {origin} {body?.Headers.ContentType}: {(int)response.StatusCode} {text}");
            Assert.Contains(says, Error(text));
        }

        // The node's own page (same origin) may post JSON; the job it starts without replace leaves fitted tiles as they are.
        using (var own = await PostAsync(url + "/api/jobs/fit", origin: url, body: new StringContent("{}", Encoding.UTF8, "application/json")))
            Assert.True(own.StatusCode == HttpStatusCode.Accepted, await own.Content.ReadAsStringAsync());
        var (code, fit) = Nrtc.RunWithin(CommandTimeout, "fit", "--node", url);
        Assert.True(code == 0, fit);
        Assert.Equal(fits, await FitNumbersAsync(url));
    }

    /// <summary>
    /// A node listening on 0.0.0.0 with a token file answers GETs without it, refuses a shard move without the token or
    /// with a wrong one (401, WWW-Authenticate: Bearer; nothing pinned) and with a foreign Host even with the token, and
    /// moves the shard with it. The command line without the token says so in one line; with --api-token-file or
    /// NRTC_API_TOKEN its shards move and fit work through the node.
    /// </summary>
    [Fact]
    public async Task NodeBeyondLoopbackMovesAShardOnlyWithTheToken()
    {
        var project = RerunTests.WriteProject(_folder);
        var tokenFile = Path.Combine(_folder, "api-token");
        File.WriteAllText(tokenFile, $"  {Token}  \nthe first line is the token; the rest is not read\n");
        using var node = NrtcProcess.Start("run", "run", "--project", project, "--http-host", "0.0.0.0", "--http-port", "0", "--api-token-file", tokenFile);
        var listening = new Uri(await node.WaitForHttpAddressAsync(CommandTimeout));
        Assert.Equal("0.0.0.0", listening.Host);
        var url = $"http://127.0.0.1:{listening.Port}";

        foreach (var open in new[] { "/healthz", "/api/status", "/api/cluster", "/api/tiles/status" })
            Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(url + open)).StatusCode);
        var self = (await GetJsonAsync(url + "/api/cluster"))["self"]!.ToString();
        var move = $"{url}/api/shards/s0_0/move?to={Uri.EscapeDataString(self)}";

        foreach (var (token, says) in new[] { ((string?)null, "this node's control API needs its token"), ("wrong-token", "the API token sent is not this node's") })
        {
            using var refused = await PostAsync(move, token: token);
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.Unauthorized, text);
            Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Contains(says, Error(text));
        }
        using (var foreign = await PostAsync(move, token: Token, host: $"evil.example:{listening.Port}"))
            Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Empty((await GetJsonAsync(url + "/api/cluster"))["pins"]!.AsObject());

        using (var moved = await PostAsync(move, token: Token))
            Assert.True(moved.StatusCode == HttpStatusCode.OK, await moved.Content.ReadAsStringAsync());
        Assert.Equal(self, (await GetJsonAsync(url + "/api/cluster"))["pins"]!["s0_0"]!.ToString());

        // The listen address 0.0.0.0 stands for every address of the machine: a request naming one of them is not foreign.
        if (NonLoopbackAddress() is { } lan)
            using (var direct = await PostAsync($"http://{lan}:{listening.Port}/api/nodes/undrain?address={Uri.EscapeDataString(self)}", token: Token))
                Assert.True(direct.StatusCode == HttpStatusCode.OK, await direct.Content.ReadAsStringAsync());

        var (code, output) = Nrtc.RunWithin(CommandTimeout, "shards", "move", "s1_0", "--to", self, "--node", url);
        Assert.True(code == 1, output);
        Assert.Equal($"shards move: {url}/api/shards/s1_0/move?to={Uri.EscapeDataString(self)}: this node's control API needs its token: " +
                     "send 'Authorization: Bearer TOKEN' (nrtc: set NRTC_API_TOKEN or give --api-token-file FILE).", output.Trim());
        (code, output) = Nrtc.RunWithin(CommandTimeout, "shards", "move", "s1_0", "--to", self, "--node", url, "--api-token-file", tokenFile);
        Assert.True(code == 0, output);
        Assert.Equal(self, (await GetJsonAsync(url + "/api/cluster"))["pins"]!["s1_0"]!.ToString());

        using var fit = NrtcProcess.Start("fit", new Dictionary<string, string> { ["NRTC_API_TOKEN"] = Token }, "fit", "--node", url);
        Assert.True(fit.WaitForExit(CommandTimeout) && fit.ExitCode == 0, fit.Output);
        Assert.Contains("fit: 4 tiles fitted, 0 failed", fit.Output);
    }

    /// <summary>
    /// Without a token, run on 0.0.0.0 exits 1 with one line saying why and what to do, before it touches the output
    /// folder; with --insecure it starts (saying so) and takes control requests without a token, still refusing a foreign
    /// Origin. A token file that is missing or empty is named, on the node and on a --node verb.
    /// </summary>
    [Fact]
    public async Task StartBeyondLoopbackWithoutATokenIsRefusedUnlessInsecure()
    {
        var project = RerunTests.WriteProject(_folder);
        var output = Path.GetDirectoryName(project)!;
        var before = Directory.GetFileSystemEntries(output).Order().ToArray();

        var (code, refused) = Nrtc.RunWithin(CommandTimeout, "run", "--project", project, "--http-host", "0.0.0.0", "--http-port", "0");
        Assert.True(code == 1, refused);
        Assert.Equal("run: HTTP would listen on 0.0.0.0 (beyond this machine) with no API token, so anyone who reaches it could start jobs, move " +
                     "shards and drain nodes; set NRTC_API_TOKEN or give --api-token-file FILE (or give --insecure to run without a token on a network you trust).",
            refused.Trim());
        Assert.Equal(before, Directory.GetFileSystemEntries(output).Order().ToArray());

        var empty = Path.Combine(_folder, "empty-token");
        File.WriteAllText(empty, "\n");
        (code, refused) = Nrtc.RunWithin(CommandTimeout, "run", "--project", project, "--http-host", "0.0.0.0", "--api-token-file", empty);
        Assert.True(code == 1, refused);
        Assert.Equal($"run: --api-token-file {empty} is empty; its first line must be the API token (e.g. openssl rand -hex 32 > FILE).", refused.Trim());
        (code, refused) = Nrtc.RunWithin(CommandTimeout, "shards", "--node", "http://127.0.0.1:9", "--api-token-file", empty + ".missing");
        Assert.True(code == 1, refused);
        Assert.Equal($"shards: --api-token-file {empty}.missing does not exist; give a file whose first line is the API token (e.g. openssl rand -hex 32 > FILE).", refused.Trim());

        using var node = NrtcProcess.Start("run", "run", "--project", project, "--http-host", "0.0.0.0", "--http-port", "0", "--insecure");
        var url = $"http://127.0.0.1:{new Uri(await node.WaitForHttpAddressAsync(CommandTimeout)).Port}";
        Assert.Contains("run: warning: --insecure: the control API on 0.0.0.0 takes requests from anyone who reaches it, without a token.", node.Output);
        var undrain = $"{url}/api/nodes/undrain?address={Uri.EscapeDataString((await GetJsonAsync(url + "/api/cluster"))["self"]!.ToString())}";
        using (var open = await PostAsync(undrain))
            Assert.True(open.StatusCode == HttpStatusCode.OK, await open.Content.ReadAsStringAsync());
        using (var page = await PostAsync(undrain, origin: "http://evil.example"))
            Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
    }

    private static string Error(string body) => JsonNode.Parse(body)!["error"]!.ToString();

    private static StringContent Form() => new("replace=true", Encoding.UTF8, "application/x-www-form-urlencoded");

    private Task<HttpResponseMessage> PostAsync(string url, string? host = null, string? origin = null, HttpContent? body = null, string? token = null) =>
        PostAsync(_http, url, host, origin, body, token);

    /// <summary>A POST as a web page or a client sends it: with its own Host and Origin headers, body and bearer token, if given.</summary>
    internal static async Task<HttpResponseMessage> PostAsync(HttpClient http, string url, string? host, string? origin, HttpContent? body, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = body };
        if (host is not null) request.Headers.Host = host;
        if (origin is not null) request.Headers.TryAddWithoutValidation("Origin", origin);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }

    private async Task<JsonObject> GetJsonAsync(string url) => JsonNode.Parse(await _http.GetStringAsync(url))!.AsObject();

    private async Task<Dictionary<string, int>> FitNumbersAsync(string url) =>
        (await GetJsonAsync(url + "/api/tiles/status"))["tiles"]!.AsArray().ToDictionary(t => t!["tile"]!.ToString(), t => (int)t!["fitNumber"]!);

    /// <summary>An IPv4 address of this machine other than loopback, if it has one.</summary>
    private static IPAddress? NonLoopbackAddress() => NetworkInterface.GetAllNetworkInterfaces()
        .Where(n => n.OperationalStatus == OperationalStatus.Up)
        .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(u => u.Address)
        .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
