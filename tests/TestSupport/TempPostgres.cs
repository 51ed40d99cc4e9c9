using System.Diagnostics;
using Npgsql;

namespace NrtCluster.TestSupport;

/// <summary>
/// A throw-away PostgreSQL 15 server in a temporary folder on a free 127.0.0.1 port (run as the postgres user when the
/// tests run as root, since PostgreSQL refuses root), with an empty database; stopped and deleted on dispose.
/// </summary>
public sealed class TempPostgres : IDisposable
{
    private const string BinFolder = "/usr/lib/postgresql/15/bin";
    private readonly string _folder;
    private readonly string _data;
    private readonly bool _asPostgresUser;
    private bool _running;

    public TempPostgres()
    {
        if (!File.Exists(Path.Combine(BinFolder, "pg_ctl")))
            throw new InvalidOperationException($"PostgreSQL 15 is not installed ({BinFolder}/pg_ctl missing): install the postgresql-15 package (./run-tests does).");
        _folder = Directory.CreateTempSubdirectory("nrtc-pg-").FullName;
        _data = Path.Combine(_folder, "data");
        _asPostgresUser = Environment.UserName == "root";
        if (_asPostgresUser) Run("/bin/chown", "postgres", _folder);
        Port = Loopback.FreePort();
        Pg("initdb", "-D", _data, "-A", "trust", "-U", "nrt", "-E", "UTF8", "--no-sync");
        Start();
        using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=nrt;Database=postgres");
        connection.Open();
        using var command = new NpgsqlCommand("CREATE DATABASE nrtcluster", connection);
        command.ExecuteNonQuery();
    }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=nrt;Database=nrtcluster;Pooling=true";

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
