using System.Diagnostics;
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
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "nrtc.dll"), "serve", "--out", node.Folder, "--port", "0" }) psi.ArgumentList.Add(a);
        using var process = new Process { StartInfo = psi };
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var address = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            seen.Enqueue(line);
            var at = line.IndexOf("listening on http://", StringComparison.Ordinal);
            if (at >= 0) address.TrySetResult(line[(at + "listening on ".Length)..].Split(' ')[0]);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) seen.Enqueue(line); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var exited = process.WaitForExitAsync();
            var first = await Task.WhenAny(address.Task, exited).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(first == address.Task, "serve printed no address: " + string.Join('\n', seen));
            var baseUrl = await address.Task;
            Assert.Contains(seen, l => l.Contains("2 tile reports, 800 breaks"));

            using var http = new HttpClient();
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(baseUrl + "/readyz")).StatusCode);
            var status = JsonNode.Parse(await http.GetStringAsync(baseUrl + "/api/status"))!;
            Assert.Equal(2, (int)status["tiles"]!);
            Assert.Contains("leaflet", await http.GetStringAsync(baseUrl + "/"));
        }
        finally
        {
            if (!process.HasExited) process.Kill();
            process.WaitForExit(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public void AMissingOutputFolderIsNamedWithExitCode1()
    {
        var (code, output) = Nrtc.Run("serve", "--out", "/nonexistent/nrtc-out", "--port", "0");
        Assert.Equal(1, code);
        Assert.Contains("/nonexistent/nrtc-out", output);
        Assert.Contains("does not exist", output);
    }
}
