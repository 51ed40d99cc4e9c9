using NrtCluster.Host.Bench;

namespace NrtCluster.TestSupport;

/// <summary>
/// A throw-away PostgreSQL 15 server in a temporary folder on a free 127.0.0.1 port with an empty database; stopped and
/// deleted on dispose. The server is <c>src/Host/Bench/PostgresServer.cs</c> (compiled in here), which <c>nrtc bench
/// cluster</c> uses too.
/// </summary>
public sealed class TempPostgres : IDisposable
{
    private readonly PostgresServer _server = new();

    public int Port => _server.Port;

    public string ConnectionString => _server.ConnectionString;

    /// <summary>Starts the server again after <see cref="Stop"/>: same data, same port.</summary>
    public void Start() => _server.Start();

    /// <summary>Stops the server (its clients' connections are cut), keeping its data for <see cref="Start"/>.</summary>
    public void Stop() => _server.Stop();

    public void Dispose() => _server.Dispose();
}
