using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace NrtCluster.Host.Tests.Http;

/// <summary>
/// Headless Debian Chromium driven over the DevTools protocol (a WebSocket, no npm): opens a page, evaluates
/// JavaScript in it and takes screenshots. Each instance has its own profile folder and is killed on dispose.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket;
    private string? _session;
    private int _nextId;

    private HeadlessChromium(Process process, string profile, ClientWebSocket socket)
    {
        _process = process;
        _profile = profile;
        _socket = socket;
    }

    public static async Task<HeadlessChromium> StartAsync(int width, int height)
    {
        if (!File.Exists(Executable))
            throw new InvalidOperationException($"{Executable} is missing; install Debian's chromium package (apt-get install -y chromium).");
        var profile = Directory.CreateTempSubdirectory("nrtc-chromium-").FullName;
        var psi = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
                     $"--user-data-dir={profile}", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
                     $"--window-size={width},{height}", "about:blank",
                 })
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // Chromium writes the port it picked and the browser endpoint to DevToolsActivePort in the profile.
            var portFile = Path.Combine(profile, "DevToolsActivePort");
            var lines = await Eventually.Until(
                async () => File.Exists(portFile) ? (await File.ReadAllTextAsync(portFile)).Split('\n', StringSplitOptions.RemoveEmptyEntries) : [],
                lines => lines.Length >= 2, TimeSpan.FromSeconds(60),
                _ => process.HasExited ? $"Chromium exited with code {process.ExitCode} before opening DevTools." : "Chromium did not open its DevTools port within 60 s.",
                () => process.HasExited);
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{lines[0].Trim()}{lines[1].Trim()}"), CancellationToken.None);
            return new HeadlessChromium(process, profile, socket);
        }
        catch
        {
            process.Kill();
            process.WaitForExit();
            Directory.Delete(profile, recursive: true);
            throw;
        }
    }

    /// <summary>Opens a new tab on <paramref name="url"/> and attaches to it.</summary>
    public async Task OpenAsync(string url)
    {
        var target = await SendAsync("Target.createTarget", new JsonObject { ["url"] = url }, browserLevel: true);
        var attached = await SendAsync("Target.attachToTarget", new JsonObject { ["targetId"] = (string)target["targetId"]!, ["flatten"] = true }, browserLevel: true);
        _session = (string)attached["sessionId"]!;
    }

    /// <summary>Evaluates a JavaScript expression in the page and returns its value (JSON).</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true });
        if (result["exceptionDetails"] is { } error) throw new InvalidOperationException($"JavaScript error in '{expression}': {error.ToJsonString()}");
        return result["result"]?["value"];
    }

    /// <summary>Waits until <paramref name="expression"/> is true in the page; throws with the page state after 60 s.</summary>
    public async Task WaitForAsync(string expression, string describeState)
    {
        try
        {
            await Eventually.Until(async () => (await EvaluateAsync(expression))?.GetValue<bool>() ?? false, TimeSpan.FromSeconds(60), expression);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The page never reached '{expression}'; state: {(await EvaluateAsync(describeState))?.ToJsonString()}");
        }
    }

    public async Task<byte[]> ScreenshotAsync()
    {
        var shot = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" });
        return Convert.FromBase64String((string)shot["data"]!);
    }

    private async Task<JsonObject> SendAsync(string method, JsonObject parameters, bool browserLevel = false)
    {
        var id = ++_nextId;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        if (!browserLevel) message["sessionId"] = _session ?? throw new InvalidOperationException("Open a page first.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, timeout.Token);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var text = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await _socket.ReceiveAsync(buffer, timeout.Token);
                text.Write(buffer, 0, received.Count);
            } while (!received.EndOfMessage);
            var reply = JsonNode.Parse(text.ToArray())!.AsObject();
            // Events and replies to other commands are skipped: commands here run one at a time.
            if (reply["id"] is not { } replyId || (int)replyId != id) continue;
            if (reply["error"] is { } error) throw new InvalidOperationException($"DevTools {method} failed: {error.ToJsonString()}");
            return reply["result"]!.AsObject();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
        catch (WebSocketException)
        {
            // The browser is killed next anyway.
        }
        _socket.Dispose();
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        // Timed: a helper Chromium left behind could hold the output pipes open, and an untimed wait would wait for them.
        _process.WaitForExit(TimeSpan.FromSeconds(30));
        _process.Dispose();
        Directory.Delete(_profile, recursive: true);
    }
}
