using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Sql;

namespace NrtCluster.Actors.Config;

public enum NodeProfile
{
    /// <summary>One node, SQLite file in the output folder (the default).</summary>
    Embedded,
    /// <summary>Several nodes sharing PostgreSQL.</summary>
    Cluster,
}

/// <summary>How this node starts: the profile and the values that differ per node. Null values keep the profile's.</summary>
public sealed record NodeOptions(NodeProfile Profile, string OutputFolder)
{
    public string? Hostname { get; init; }
    public int? Port { get; init; }
    public IReadOnlyList<string>? SeedNodes { get; init; }
    public IReadOnlyList<string>? Roles { get; init; }
    public string? PostgresConnectionString { get; init; }
    /// <summary>Folder holding base.conf, embedded.conf and cluster.conf; null: the hocon folder next to the program.</summary>
    public string? HoconFolder { get; init; }
    /// <summary>Extra HOCON applied over everything else (operator overrides, tests).</summary>
    public string? ExtraHocon { get; init; }
    /// <summary>TLS between nodes (<see cref="RemoteTls"/>): the certificate file, over <c>nrtcluster.remote.tls.certificate</c>.</summary>
    public string? TlsCertificate { get; init; }
    /// <summary>The certificate's password, over <c>nrtcluster.remote.tls.password-file</c>; kept out of the configuration.</summary>
    public string? TlsPassword { get; init; }
}

/// <summary>Builds the Akka configuration of a node from hocon/base.conf, the profile file and the node's options.</summary>
public static class AkkaProfiles
{
    public const string SystemName = "nrtcluster";

    private static readonly string[] SqlPlugins =
    [
        "akka.persistence.journal.sql",
        "akka.persistence.snapshot-store.sql",
        "akka.persistence.query.journal.sql",
    ];

    public static string DefaultHoconFolder => Path.Combine(AppContext.BaseDirectory, "hocon");

    public static Akka.Configuration.Config Load(NodeOptions options)
    {
        string folder = options.HoconFolder ?? DefaultHoconFolder;
        var baseConf = ParseFile(folder, "base.conf");
        var profileConf = ParseFile(folder, options.Profile == NodeProfile.Embedded ? "embedded.conf" : "cluster.conf");

        var lines = new List<string>();
        if (options.Hostname is { } host) lines.Add($"akka.remote.dot-netty.tcp.hostname = {Quote(host)}");
        if (options.Port is { } port) lines.Add(string.Create(CultureInfo.InvariantCulture, $"akka.remote.dot-netty.tcp.port = {port}"));
        if (options.SeedNodes is { } seeds) lines.Add($"akka.cluster.seed-nodes = [{string.Join(", ", seeds.Select(Quote))}]");
        if (options.Roles is { } roles) lines.Add($"akka.cluster.roles = [{string.Join(", ", roles.Select(Quote))}]");
        if (options.TlsCertificate is { } certificate) lines.Add($"{RemoteTls.CertificateKey} = {Quote(certificate)}");
        var nodeConf = ConfigurationFactory.ParseString(string.Join("\n", lines));
        if (options.ExtraHocon is { } extra) nodeConf = ConfigurationFactory.ParseString(extra).WithFallback(nodeConf);

        // The SQL plugin's own defaults (plugin class, table mappings) are not merged by Akka automatically.
        var merged = nodeConf.WithFallback(profileConf).WithFallback(baseConf).WithFallback(SqlPersistence.DefaultConfiguration);
        string connection = options.Profile switch
        {
            NodeProfile.Embedded => SqliteConnection(merged, options.OutputFolder),
            _ => PostgresConnection(merged, options),
        };
        var storage = ConfigurationFactory.ParseString(string.Join("\n",
            SqlPlugins.Where(p => string.IsNullOrEmpty(merged.GetString($"{p}.connection-string", "")))
                .Select(p => $"{p}.connection-string = {Quote(connection)}")));
        return RemoteTls.Overrides(merged).WithFallback(storage).WithFallback(merged);
    }

    /// <summary>
    /// Starts the actor system; an embedded node (no seed nodes) joins itself so sharding can run. A TLS certificate that
    /// cannot be used is refused (<see cref="RemoteTlsException"/>) before anything starts.
    /// </summary>
    public static ActorSystem Start(NodeOptions options)
    {
        var config = Load(options);
        var tls = RemoteTls.Setup(config, options.Profile, options.TlsPassword);
        if (options.Profile == NodeProfile.Embedded) PrepareSqliteFile(config.GetString("akka.persistence.snapshot-store.sql.connection-string"));
        var bootstrap = BootstrapSetup.Create().WithConfig(config);
        var system = ActorSystem.Create(SystemName, tls is null ? Akka.Actor.Setup.ActorSystemSetup.Create(bootstrap) : bootstrap.And(tls));
        if (tls is not null) RemoteTls.ExplainHandshakeStop(system);
        var cluster = Akka.Cluster.Cluster.Get(system);
        if (options.Profile == NodeProfile.Embedded || system.Settings.Config.GetStringList("akka.cluster.seed-nodes").Count == 0)
            cluster.Join(cluster.SelfAddress);
        return system;
    }

    private static string SqliteConnection(Akka.Configuration.Config config, string outputFolder)
    {
        string file = config.GetString("nrtcluster.storage.sqlite-file", "");
        if (string.IsNullOrEmpty(file))
        {
            if (string.IsNullOrWhiteSpace(outputFolder))
                throw new ArgumentException("The embedded profile keeps its SQLite file in the output folder; give an output folder (or set nrtcluster.storage.sqlite-file).");
            Directory.CreateDirectory(outputFolder);
            file = Path.Combine(Path.GetFullPath(outputFolder), "nrtcluster.db");
        }
        return $"Data Source={file}";
    }

    /// <summary>
    /// Settings the SQLite file keeps (the plugin's connections cannot be configured from HOCON): 64 KiB pages, set
    /// while the file is new, because a tile's state is megabytes and larger pages write a blob in fewer, longer
    /// runs; and the write-ahead log, so a commit appends to one file (fsynced once) instead of copying pages to a
    /// rollback journal first, and readers (status queries) do not wait for writers. Synchronous stays FULL: durable
    /// on power loss too.
    /// </summary>
    public static void PrepareSqliteFile(string connectionString)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA page_size = 65536; PRAGMA journal_mode = WAL;";
            command.ExecuteNonQuery();
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            throw new InvalidOperationException(
                $"Cannot open the node's SQLite file ({connectionString}): {ex.Message}. Check nrtcluster.storage.sqlite-file (or the output folder): " +
                "its folder must exist and be writable, and the file must be a SQLite database.", ex);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearPool(connection);
    }

    private static string PostgresConnection(Akka.Configuration.Config config, NodeOptions options)
    {
        string connection = options.PostgresConnectionString ?? config.GetString("nrtcluster.storage.postgres-connection-string", "");
        bool allSet = SqlPlugins.All(p => !string.IsNullOrEmpty(config.GetString($"{p}.connection-string", "")));
        if (string.IsNullOrEmpty(connection) && !allSet)
            throw new ArgumentException(
                "The cluster profile needs a PostgreSQL connection string: set nrtcluster.storage.postgres-connection-string " +
                "(e.g. \"Host=db;Database=nrtcluster;Username=nrt;Password=...\") or pass it in the node's options.");
        return connection;
    }

    private static Akka.Configuration.Config ParseFile(string folder, string name)
    {
        string path = Path.Combine(folder, name);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Akka profile {path} is missing; the hocon folder ({folder}) must hold base.conf, embedded.conf and cluster.conf.", path);
        try
        {
            return ConfigurationFactory.ParseString(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is not FileNotFoundException)
        {
            throw new FormatException($"Akka profile {path} is not valid HOCON: {ex.Message}", ex);
        }
    }

    private static string Quote(string value) => JsonSerializer.Serialize(value);
}
