using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace NrtCluster.Host.Bench;

/// <summary>
/// One <c>nrtc run --profile cluster</c> process on 127.0.0.1 started by a bench, as this program was started (the same
/// executable, and the same entry assembly when that is <c>dotnet</c>), with its output kept for error messages.
/// </summary>
internal sealed class BenchNode : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private BenchNode(int number, int akkaPort, int httpPort, Process process)
    {
        Number = number;
        AkkaPort = akkaPort;
        HttpPort = httpPort;
        _process = process;
    }

    public int Number { get; }
    public int AkkaPort { get; }
    public int HttpPort { get; }
    public int Pid => _process.Id;
    public string HttpUrl => $"http://127.0.0.1:{HttpPort}";
    public string Address => $"akka.tcp://nrtcluster@127.0.0.1:{AkkaPort}";
    public bool HasExited => _process.HasExited;

    /// <summary>Starts node <paramref name="number"/>; <paramref name="seedPort"/> is the Akka port of the first node (its own for node 1).</summary>
    public static BenchNode Start(int number, string project, int akkaPort, int seedPort, string connectionString, string? hocon)
    {
        int httpPort = PostgresServer.FreeLoopbackPort();
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") psi.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        string[] args =
        [
            "run", "--project", project, "--profile", "cluster", "--hostname", "127.0.0.1", "--port", Text(akkaPort),
            "--seed", $"akka.tcp://nrtcluster@127.0.0.1:{Text(seedPort)}", "--http-port", Text(httpPort),
        ];
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (hocon is not null)
        {
            psi.ArgumentList.Add("--hocon");
            psi.ArgumentList.Add(hocon);
        }
        // Through the environment, not the command line, as an operator would (README); each pool well under PostgreSQL's 100 connections.
        psi.Environment["NRTC_POSTGRES"] = connectionString + ";Maximum Pool Size=20";
        var node = new BenchNode(number, akkaPort, httpPort, Process.Start(psi)!);
        node._process.OutputDataReceived += (_, e) => node.Append(e.Data);
        node._process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        node._process.BeginOutputReadLine();
        node._process.BeginErrorReadLine();
        return node;
    }

    /// <summary>The last lines the node printed, for a message saying why it failed.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                var text = _output.ToString();
                return text.Length > 4000 ? "..." + text[^4000..] : text;
            }
        }
    }

    /// <summary>Processor time the node used so far (user + system), from /proc.</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>The node's peak resident memory (VmHWM) and its resident memory now (VmRSS), in bytes, from /proc/PID/status.</summary>
    public (long Peak, long Now) Memory()
    {
        long peak = 0, now = 0;
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kilobytes(line) * 1024;
            else if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) now = Kilobytes(line) * 1024;
        }
        return (peak, now);
    }

    private static long Kilobytes(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    /// <summary>SIGKILL: the node dies without leaving the cluster; the others must notice and down it.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit(TimeSpan.FromSeconds(10));
    }

    /// <summary>SIGTERM: the node leaves the cluster, handing its shards over; waits for it to exit (killed after <paramref name="timeout"/>).</summary>
    public void Stop(TimeSpan timeout)
    {
        if (_process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", Text(Pid)])) kill.WaitForExit();
        if (!_process.WaitForExit(timeout)) Kill();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }
}
