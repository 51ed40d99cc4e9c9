using System.Collections.Concurrent;
using System.Diagnostics;

namespace NrtCluster.Host.Tests.Http;

/// <summary>A real <c>nrtc serve</c> process on a free port; disposing kills it.</summary>
public sealed class ServeProcess : IDisposable
{
    private readonly Process _process;

    private ServeProcess(Process process, string baseUrl, ConcurrentQueue<string> output)
    {
        _process = process;
        BaseUrl = baseUrl;
        Output = output;
    }

    /// <summary>e.g. http://127.0.0.1:40123, as the process printed it.</summary>
    public string BaseUrl { get; }

    public int Pid => _process.Id;

    /// <summary>Every line the process wrote (stdout and stderr).</summary>
    public ConcurrentQueue<string> Output { get; }

    /// <summary>Starts <c>nrtc serve --out FOLDER --port 0</c> with <paramref name="extra"/> options and waits for its address.</summary>
    public static async Task<ServeProcess> StartAsync(string folder, params string[] extra)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "nrtc.dll"), "serve", "--out", folder, "--port", "0" }.Concat(extra))
            psi.ArgumentList.Add(a);
        var process = new Process { StartInfo = psi };
        var seen = new ConcurrentQueue<string>();
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
        }
        catch
        {
            Stop(process);
            throw;
        }
        return new ServeProcess(process, await address.Task, seen);
    }

    public void Dispose() => Stop(_process);

    private static void Stop(Process process)
    {
        if (!process.HasExited) process.Kill();
        process.WaitForExit(TimeSpan.FromSeconds(30));
        process.Dispose();
    }
}
