using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace NrtCluster.Host.Tests.Http;

/// <summary>
/// A real <c>nrtc serve</c> under 200 concurrent 4096 x 4096 GetMap requests: renders beyond the limit wait or are refused with
/// 503 and Retry-After, and the server's resident memory stays under the bound the limit promises.
/// </summary>
[Collection(NodeCollection.Name)]
public class WmsLoadTests(NodeFixture node, ITestOutputHelper output)
{
    private const int Requests = 200;

    // Both tiles of the fixture, drawn at the largest size served; EPSG:3035 is northing-first in WMS 1.3.0.
    private const string LargeMap = "SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=mask,detection_date&STYLES=&FORMAT=image/png" +
                                    "&CRS=EPSG:3035&BBOX=3208000,4321000,3210000,4325000&WIDTH=4096&HEIGHT=4096";

    // The limit the test runs with (also the defaults on a 2-core machine): 2 full-size renders at once, 4 more waiting.
    private const int Concurrent = 2;
    private const int Queue = 4;

    // The bound of hocon/base.conf, about 120 MB + 100 MB per full-size map drawn at once (312 MiB measured on 2 busy cores), with
    // twice the room for another machine's collector and allocator. Without the limit, 20 such maps took 4 GB before maps were
    // drawn in strips, and 1.7 GB after.
    private const long BoundBytes = 640L << 20;

    [Fact]
    public async Task TwoHundredConcurrentLargeMapsStayUnderTheMemoryBoundAndTheRestAre503WithRetryAfter()
    {
        var hocon = Path.Combine(node.Folder, "wms-limit.conf");
        await File.WriteAllTextAsync(hocon, $"nrtcluster.http.wms {{ max-concurrent-renders = {Concurrent}, queue = {Queue} }}\n");
        using var serve = await ServeProcess.StartAsync(node.Folder, "--hocon", hocon);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1000 }) { Timeout = TimeSpan.FromMinutes(3) };
        var url = $"{serve.BaseUrl}/wms?{LargeMap}";

        using var sampling = new CancellationTokenSource();
        var sampledPeak = Task.Run(() => SampleRss(serve.Pid, sampling.Token));
        var clock = Stopwatch.StartNew();
        var burst = Task.WhenAll(Enumerable.Range(0, Requests).Select(async _ =>
        {
            using var response = await http.GetAsync(url);
            return (response.StatusCode, Type: response.Content.Headers.ContentType?.MediaType, response.Headers.RetryAfter,
                Body: await response.Content.ReadAsByteArrayAsync());
        }));
        // Requests that draw no map are not limited: the capabilities answer while the maps are drawn.
        using (var capabilities = await http.GetAsync($"{serve.BaseUrl}/wms?SERVICE=WMS&REQUEST=GetCapabilities"))
        {
            Assert.Equal(HttpStatusCode.OK, capabilities.StatusCode);
            Assert.False(burst.IsCompleted, "the maps were all answered before the capabilities; the burst is too small to show anything");
        }
        var answers = await burst;
        var elapsed = clock.Elapsed;
        await sampling.CancelAsync();
        var rssPeak = await sampledPeak;
        var hwm = Status(serve.Pid, "VmHWM");

        var drawn = answers.Where(a => a.StatusCode == HttpStatusCode.OK).ToList();
        var refused = answers.Where(a => a.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        output.WriteLine($"{Requests} concurrent 4096 x 4096 GetMap in {elapsed.TotalSeconds:F1} s: {drawn.Count} drawn, {refused.Count} refused (503); " +
                         $"server peak resident memory {hwm >> 20} MiB (VmHWM; sampled VmRSS peak {rssPeak >> 20} MiB), bound {BoundBytes >> 20} MiB");

        Assert.Equal(Requests, drawn.Count + refused.Count);
        // The renders running and those waiting in the queue are drawn; the burst beyond them is refused at once.
        Assert.InRange(drawn.Count, Concurrent + Queue, Requests - 1);
        foreach (var a in drawn)
        {
            Assert.Equal("image/png", a.Type);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, a.Body[..4]);
        }
        var image = MapImage.DecodePng(drawn[0].Body);
        Assert.Equal((4096, 4096), (image.Width, image.Height));
        foreach (var a in refused)
        {
            Assert.True(a.RetryAfter?.Delta is { } delta && delta > TimeSpan.Zero, "a 503 without Retry-After");
            var exception = XDocument.Parse(System.Text.Encoding.UTF8.GetString(a.Body)).Root!.Elements().Single();
            Assert.Equal("ServiceException", exception.Name.LocalName);
            Assert.Contains("max-concurrent-renders", exception.Value);
        }
        Assert.True(hwm < BoundBytes, $"peak resident memory {hwm >> 20} MiB is over the bound of {BoundBytes >> 20} MiB");

        // The server still answers, maps included.
        using var after = await http.GetAsync($"{serve.BaseUrl}/wms?{LargeMap.Replace("WIDTH=4096&HEIGHT=4096", "WIDTH=256&HEIGHT=256")}");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("image/png", after.Content.Headers.ContentType?.MediaType);
        output.WriteLine($"resident memory afterwards: {Status(serve.Pid, "VmRSS") >> 20} MiB");
    }

    /// <summary>The largest VmRSS of the process seen until cancelled, read every 20 ms.</summary>
    private static async Task<long> SampleRss(int pid, CancellationToken ct)
    {
        long peak = 0;
        while (!ct.IsCancellationRequested)
        {
            peak = Math.Max(peak, Status(pid, "VmRSS"));
            try { await Task.Delay(20, ct); }
            catch (OperationCanceledException) { break; }
        }
        return peak;
    }

    /// <summary>A size line of /proc/PID/status (e.g. VmRSS, VmHWM), in bytes.</summary>
    private static long Status(int pid, string key)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(key + ":", StringComparison.Ordinal));
        return long.Parse(line[(key.Length + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
