using System.Globalization;

namespace NrtCluster.Host.Bench;

/// <summary>
/// One <c>nrtc run --profile cluster</c> process on 127.0.0.1 started by a bench (a <see cref="NrtcChild"/>), with its output
/// kept for error messages.
/// </summary>
internal sealed class BenchNode : IDisposable
{
    private readonly NrtcChild _process;

    private BenchNode(int number, int akkaPort, int httpPort, NrtcChild process)
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
        // The Akka ports are chosen free but not yet bound: the system may hand out the same port again.
        int httpPort;
        do httpPort = PostgresServer.FreeLoopbackPort();
        while (httpPort == akkaPort || httpPort == seedPort);
        List<string> args =
        [
            "run", "--project", project, "--profile", "cluster", "--hostname", "127.0.0.1", "--port", Text(akkaPort),
            "--seed", $"akka.tcp://nrtcluster@127.0.0.1:{Text(seedPort)}", "--http-port", Text(httpPort),
        ];
        if (hocon is not null) args.AddRange(["--hocon", hocon]);
        // Through the environment, not the command line, as an operator would (README); each pool well under PostgreSQL's 100 connections.
        var environment = new Dictionary<string, string> { ["NRTC_POSTGRES"] = connectionString + ";Maximum Pool Size=20" };
        return new BenchNode(number, akkaPort, httpPort, NrtcChild.Start($"node {Text(number)}", environment, [.. args]));
    }

    /// <summary>The last lines the node printed, for a message saying why it failed.</summary>
    public string Output
    {
        get
        {
            var text = _process.Output;
            return text.Length > 4000 ? "..." + text[^4000..] : text;
        }
    }

    /// <summary>Processor time the node used so far (user + system).</summary>
    public TimeSpan ProcessorTime => _process.ProcessorTime;

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
    public void Kill() => _process.Kill();

    /// <summary>SIGTERM: the node leaves the cluster, handing its shards over; waits for it to exit (killed after <paramref name="timeout"/>).</summary>
    public void Stop(TimeSpan timeout) => _process.Stop(timeout);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    public void Dispose() => _process.Dispose();
}
