using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace NrtCluster.Host.Bench;

/// <summary>
/// This nrtc started again as a child process (a node for a bench, a verb), the way the running one was started: its own
/// executable, with its entry assembly when that executable is the dotnet host; never <c>./nrtc</c>, which may rebuild.
/// Its output is collected; a child still running is killed on dispose.
/// </summary>
public sealed class NrtcChild : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private NrtcChild(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Processor time the child used so far (user and system).</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.HasExited ? TimeSpan.Zero : _process.TotalProcessorTime;
        }
    }

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>Starts <c>nrtc ARGS</c> with <paramref name="environment"/> added to this process's.</summary>
    public static NrtcChild Start(string name, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var path = Environment.ProcessPath ?? throw new InvalidOperationException("the path of the running nrtc is unknown, so no node process can be started");
        var psi = new ProcessStartInfo(path);
        if (Path.GetFileNameWithoutExtension(path) == "dotnet")
            psi.ArgumentList.Add(Assembly.GetEntryAssembly()?.Location ?? throw new InvalidOperationException("the nrtc assembly run by dotnet is unknown"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        return Start(name, psi);
    }

    /// <summary>Starts the process <paramref name="start"/> describes (e.g. a test's <c>dotnet nrtc.dll ARGS</c>), collecting its output.</summary>
    public static NrtcChild Start(string name, ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var child = new NrtcChild(name, Process.Start(start)!);
        child._process.OutputDataReceived += (_, e) => child.Append(e.Data);
        child._process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs <c>nrtc ARGS</c> to its end and returns its output; one that fails or outlasts <paramref name="timeout"/> throws, with its output.</summary>
    public static async Task<string> RunAsync(string name, TimeSpan timeout, CancellationToken ct, params string[] args)
    {
        using var child = Start(name, new Dictionary<string, string>(), args);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await child._process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"nrtc {name} did not finish within {timeout.TotalMinutes:0} min: {child.Output}");
        }
        if (child._process.ExitCode != 0)
            throw new InvalidOperationException($"nrtc {name} failed (exit code {child._process.ExitCode}): {child.Output}");
        return child.Output;
    }

    /// <summary>Waits until the output matches <paramref name="pattern"/> and returns its first group; throws when the child exits or time runs out first.</summary>
    public async Task<string> WaitForAsync(Regex pattern, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var m = pattern.Match(Output);
            if (m.Success) return m.Groups[1].Value;
            if (HasExited) throw new InvalidOperationException($"nrtc {Name} stopped (exit code {_process.ExitCode}): {Output}");
            if (deadline.Elapsed > timeout) throw new TimeoutException($"nrtc {Name} did not print '{pattern}' within {timeout.TotalSeconds:0} s: {Output}");
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    /// <summary>SIGKILL: the child dies at once, without a chance to leave a cluster or finish a write.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(TimeSpan.FromSeconds(10));
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the child to exit; true once it has and its output is all read.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        // The timed wait can return before the redirected output is drained; the untimed one waits for it.
        _process.WaitForExit();
        return true;
    }

    /// <summary>SIGTERM: the child shuts down as on Ctrl+C; waits for it to exit (killed after <paramref name="timeout"/>).</summary>
    public void Stop(TimeSpan timeout)
    {
        if (_process.HasExited) return;
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) term.WaitForExit();
        if (!_process.WaitForExit(timeout)) Kill();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }
}
