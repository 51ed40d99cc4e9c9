using System.Net;
using System.Text.Json.Nodes;

namespace NrtCluster.Host.Tests.Http;

/// <summary>The real <c>nrtc serve</c> process publishes an output folder.</summary>
[Collection(NodeCollection.Name)]
public class ServeCommandTests(NodeFixture node)
{
    [Fact]
    public async Task ServeStartsAndAnswersOnThePrintedAddress()
    {
        using var serve = await ServeProcess.StartAsync(node.Folder);
        Assert.Contains(serve.Output, l => l.Contains("2 tile reports, 800 breaks"));

        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(serve.BaseUrl + "/readyz")).StatusCode);
        var status = JsonNode.Parse(await http.GetStringAsync(serve.BaseUrl + "/api/status"))!;
        Assert.Equal(2, (int)status["tiles"]!);
        Assert.Contains("leaflet", await http.GetStringAsync(serve.BaseUrl + "/"));
    }

    [Fact]
    public void AMissingOutputFolderIsNamedWithExitCode1()
    {
        var (code, output) = Nrtc.Run("serve", "--out", "/nonexistent/nrtc-out", "--port", "0");
        Assert.Equal(1, code);
        Assert.Contains("/nonexistent/nrtc-out", output);
        Assert.Contains("does not exist", output);
    }

    [Theory]
    [InlineData("wms.max-concurrent-renders = 0", "wms.max-concurrent-renders = 0: give at least 1")]
    [InlineData("wms.queue = -1", "wms.queue = -1: give 0 or more")]
    [InlineData("wms.queue = many", "wms.queue = many: not a whole number")]
    [InlineData("wms.retry-after = 0s", "wms.retry-after")]
    [InlineData("tiles.cache-size = lots", "tiles.cache-size = lots: not a size such as 64MiB")]
    [InlineData("tiles.cache-size = -1", "tiles.cache-size = -1: give a size of 0 or more")]
    public void AnInvalidRenderLimitOrTileCacheSizeIsNamedWithExitCode1(string setting, string expected)
    {
        var hocon = Path.Combine(Path.GetTempPath(), $"nrtc-wms-{Guid.NewGuid():N}.conf");
        File.WriteAllText(hocon, $"nrtcluster.http.{setting}\n");
        try
        {
            var (code, output) = Nrtc.Run("serve", "--out", node.Folder, "--port", "0", "--hocon", hocon);
            Assert.Equal(1, code);
            Assert.Contains("nrtcluster.http." + expected, output);
        }
        finally
        {
            File.Delete(hocon);
        }
    }
}
