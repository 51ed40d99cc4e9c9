using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using NrtCluster.Host.Http;

namespace NrtCluster.Host.Tests.Http;

/// <summary>
/// The guard's rules in front of a POST and a GET endpoint of a real web server on 127.0.0.1 (the node-level behaviour is
/// in <see cref="ControlApiSecurityTests"/>): a token is required also on loopback once configured, --allowed-host names
/// are accepted in Host and Origin, the loopback names in any spelling, and a chunked body without a type is refused.
/// </summary>
public sealed class ApiGuardTests
{
    [Fact]
    public async Task ATokenConfiguredOnLoopbackIsRequiredThere()
    {
        await using var server = await Server.StartAsync(new ApiAccess("loopback-token", []));
        using (var missing = await server.PostAsync())
        {
            Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
            Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.PostAsync(token: "loopback-token-but-longer")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.PostAsync(token: "loopback-token")).StatusCode);
        Assert.Equal("read", await server.Http.GetStringAsync(server.Url + "/read"));
    }

    [Fact]
    public async Task AllowedHostsAndLoopbackSpellingsAreAcceptedOthersNamed()
    {
        await using var server = await Server.StartAsync(new ApiAccess(null, ApiAccess.CheckHosts(["node1", "[fd00::7]"])));
        var port = new Uri(server.Url).Port;
        foreach (var host in new[] { $"node1:{port}", $"NODE1.:{port}", $"localhost:{port}", $"[::1]:{port}", $"127.0.0.2:{port}", "node1", $"[fd00::7]:{port}" })
            Assert.True((await server.PostAsync(host: host)).StatusCode == HttpStatusCode.OK, host);
        Assert.Equal(HttpStatusCode.OK, (await server.PostAsync(host: $"node1:{port}", origin: $"http://node1:{port}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.PostAsync(origin: "http://node1:3000")).StatusCode);

        using var other = await server.PostAsync(host: $"node2:{port}");
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Equal($"the Host header 'node2:{port}' is not a name of this node: control requests must name localhost, 127.0.0.1, [::1] or a host " +
                     "given to the node with --allowed-host; if 'node2' is this node's name (behind a proxy, a compose service name), start it with --allowed-host node2.",
            JsonNode.Parse(await other.Content.ReadAsStringAsync())!["error"]!.ToString());
        using var page = await server.PostAsync(origin: $"http://localhost:{port + 1}");
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Contains("start the node with --allowed-host localhost", await page.Content.ReadAsStringAsync());

        Assert.Throws<ArgumentException>(() => ApiAccess.CheckHosts(["node1:8080"]));
        Assert.Throws<ArgumentException>(() => ApiAccess.CheckHosts(["http://node1"]));
    }

    [Fact]
    public async Task JsonBodiesPassAndAChunkedBodyWithoutATypeIsRefused()
    {
        await using var server = await Server.StartAsync(ApiAccess.Loopback);
        Assert.Equal(HttpStatusCode.OK, (await server.PostAsync(body: new StringContent("{}", Encoding.UTF8, "application/json"))).StatusCode);
        var chunked = new StreamContent(new MemoryStream("replace=true"u8.ToArray()));
        using var request = new HttpRequestMessage(HttpMethod.Post, server.Url + "/change") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await server.Http.SendAsync(request)).StatusCode);
    }

    /// <summary>A web server on 127.0.0.1 with the guard, POST /change and GET /read.</summary>
    private sealed class Server : IAsyncDisposable
    {
        private WebApplication _app = null!;
        public string Url { get; private set; } = "";
        public HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false });

        public static async Task<Server> StartAsync(ApiAccess access)
        {
            var server = new Server();
            (server._app, server.Url) = await WebHosting.StartAsync(IPAddress.Loopback, 0, app =>
            {
                ApiGuard.Use(app, access, IPAddress.Loopback);
                app.MapPost("/change", () => "changed");
                app.MapGet("/read", () => "read");
            }, CancellationToken.None);
            return server;
        }

        public Task<HttpResponseMessage> PostAsync(string? host = null, string? origin = null, string? token = null, HttpContent? body = null) =>
            ControlApiSecurityTests.PostAsync(Http, Url + "/change", host, origin, body, token);

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
