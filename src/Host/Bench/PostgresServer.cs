using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace NrtCluster.Host.Bench;

/// <summary>
/// A throw-away PostgreSQL 15 server in a temporary folder on a free 127.0.0.1 port (run as the postgres user when this
/// process runs as root, since PostgreSQL refuses root), with an empty database <c>nrtcluster</c>; stopped and deleted on
/// dispose. <c>nrtc bench cluster</c> uses it, and the tests through TestSupport's TempPostgres (this file is compiled
/// into both, so neither depends on the other's project).
/// </summary>
internal sealed class PostgresServer : IDisposable
{
    private const string BinFolder = "/usr/lib/postgresql/15/bin";
    private readonly string _folder;
    private readonly string _data;
    private readonly bool _asPostgresUser;
    private bool _running;

    public PostgresServer()
    {
        if (!File.Exists(Path.Combine(BinFolder, "pg_ctl")))
            throw new InvalidOperationException($"PostgreSQL 15 is not installed ({BinFolder}/pg_ctl missing): install the postgresql-15 package (./run-tests does).");
        _folder = Directory.CreateTempSubdirectory("nrtc-pg-").FullName;
        _data = Path.Combine(_folder, "data");
        _asPostgresUser = Environment.UserName == "root";
        if (_asPostgresUser) Run("/bin/chown", "postgres", _folder);
        Port = FreeLoopbackPort();
        Pg("initdb", "-D", _data, "-A", "trust", "-U", "nrt", "-E", "UTF8", "--no-sync");
        Start();
        CreateDatabase("nrtcluster");
    }

    public int Port { get; }

    public string ConnectionString => ConnectionStringOf("nrtcluster");

    public string ConnectionStringOf(string database) => $"Host=127.0.0.1;Port={Port};Username=nrt;Database={database};Pooling=true";

    /// <summary>A port on 127.0.0.1 nothing listens on (taken from the system, then released).</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Creates an empty database, or a copy of <paramref name="template"/> (which no one may be connected to).</summary>
    public void CreateDatabase(string name, string? template = null)
    {
        NpgsqlConnection.ClearAllPools();
        Execute($"CREATE DATABASE {name}{(template is null ? "" : $" TEMPLATE {template}")}");
    }

    /// <summary>The size of <paramref name="database"/> on disk (tables, indexes, TOAST), in bytes.</summary>
    public long DatabaseBytes(string database) => (long)Execute($"SELECT pg_database_size('{database}')")!;

    private object? Execute(string sql)
    {
        using var connection = new NpgsqlConnection(ConnectionStringOf("postgres"));
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    /// <summary>Starts the server again after <see cref="Stop"/>: same data, same port.</summary>
    public void Start()
    {
        Pg("pg_ctl", "-D", _data, "-w", "-l", Path.Combine(_folder, "server.log"), "-o",
            $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off", "start");
        _running = true;
    }

    /// <summary>Stops the server (its clients' connections are cut), keeping its data for <see cref="Start"/>.</summary>
    public void Stop()
    {
        Pg("pg_ctl", "-D", _data, "-w", "-m", "fast", "stop");
        _running = false;
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        try { if (_running) Pg("pg_ctl", "-D", _data, "-m", "immediate", "stop"); }
        finally { Directory.Delete(_folder, recursive: true); }
    }

    private void Pg(string tool, params string[] args)
    {
        string exe = Path.Combine(BinFolder, tool);
        if (_asPostgresUser) Run("/usr/sbin/runuser", ["-u", "postgres", "--", exe, .. args]);
        else Run(exe, args);
    }

    private static void Run(string exe, params string[] args)
    {
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{exe} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
    }
}
