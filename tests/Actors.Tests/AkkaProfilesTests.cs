using NrtCluster.Actors.Config;
using NrtCluster.Actors.Tests.Support;

namespace NrtCluster.Actors.Tests;

public sealed class AkkaProfilesTests
{
    [Fact]
    public void Embedded_profile_keeps_state_in_a_sqlite_file_in_the_output_folder()
    {
        using var temp = new TempFolder();
        var config = AkkaProfiles.Load(new NodeOptions(NodeProfile.Embedded, temp.Path) { HoconFolder = RepoPaths.HoconFolder });
        string expected = $"Data Source={Path.Combine(temp.Path, "nrtcluster.db")}";
        foreach (var plugin in new[] { "akka.persistence.journal.sql", "akka.persistence.snapshot-store.sql", "akka.persistence.query.journal.sql" })
        {
            Assert.Equal(expected, config.GetString($"{plugin}.connection-string"));
            Assert.Equal("SQLite.MS", config.GetString($"{plugin}.provider-name"));
        }
        Assert.Equal("cluster", config.GetString("akka.actor.provider"));
        Assert.Equal("akka.persistence.journal.sql", config.GetString("akka.persistence.journal.plugin"));
        Assert.Equal("NrtCluster.Actors.Serialization.NrtSerializer, NrtCluster.Actors", config.GetString("akka.actor.serializers.nrt"));
        Assert.Equal("nrt", config.GetString("akka.actor.serialization-bindings.\"NrtCluster.Actors.Tiles.INrtSerializable, NrtCluster.Actors\""));
        Assert.Equal(TimeSpan.FromMinutes(10), config.GetTimeSpan("akka.cluster.sharding.passivate-idle-entity-after"));
    }

    [Fact]
    public async Task An_embedded_node_keeps_its_sqlite_file_in_WAL_mode_with_64_KiB_pages()
    {
        using var temp = new TempFolder();
        var system = AkkaProfiles.Start(new NodeOptions(NodeProfile.Embedded, temp.Path) { HoconFolder = RepoPaths.HoconFolder, ExtraHocon = "akka.loglevel = WARNING" });
        await system.Terminate();
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(temp.Path, "nrtcluster.db")}");
        connection.Open();
        string Pragma(string name)
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA {name}";
            return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
        }
        Assert.Equal("wal", Pragma("journal_mode"));
        Assert.Equal("65536", Pragma("page_size"));
    }

    [Fact]
    public void An_sqlite_file_that_cannot_be_opened_names_the_key_to_check()
    {
        using var temp = new TempFolder();
        var options = new NodeOptions(NodeProfile.Embedded, temp.Path)
        {
            HoconFolder = RepoPaths.HoconFolder,
            ExtraHocon = $"nrtcluster.storage.sqlite-file = \"{Path.Combine(temp.Path, "missing", "state.db")}\"",
        };
        var ex = Assert.Throws<InvalidOperationException>(() => AkkaProfiles.Start(options));
        Assert.Contains("nrtcluster.storage.sqlite-file", ex.Message);
    }

    [Fact]
    public void Cluster_profile_uses_postgres_keep_majority_and_the_node_options()
    {
        const string connection = "Host=db;Database=nrtcluster;Username=nrt;Password=secret";
        var config = AkkaProfiles.Load(new NodeOptions(NodeProfile.Cluster, "/unused")
        {
            HoconFolder = RepoPaths.HoconFolder,
            Hostname = "node2",
            Port = 4055,
            SeedNodes = ["akka.tcp://nrtcluster@node1:4053", "akka.tcp://nrtcluster@node2:4055"],
            Roles = ["tiles", "poller"],
            PostgresConnectionString = connection,
        });
        Assert.Equal(connection, config.GetString("akka.persistence.journal.sql.connection-string"));
        Assert.Equal(connection, config.GetString("akka.persistence.snapshot-store.sql.connection-string"));
        Assert.Equal("PostgreSQL.15", config.GetString("akka.persistence.journal.sql.provider-name"));
        Assert.Equal("postgresql", config.GetString("akka.persistence.snapshot-store.sql.table-mapping"));
        Assert.Equal("node2", config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal(4055, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://nrtcluster@node1:4053", "akka.tcp://nrtcluster@node2:4055"], config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(["tiles", "poller"], config.GetStringList("akka.cluster.roles"));
        Assert.Equal("keep-majority", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Contains("SplitBrainResolverProvider", config.GetString("akka.cluster.downing-provider-class"));
        Assert.Equal("constant", config.GetString("akka.cluster.sharding.entity-recovery-strategy"));
        Assert.Equal(10, config.GetInt("akka.cluster.sharding.least-shard-allocation-strategy.rebalance-absolute-limit"));
        Assert.Equal(0.1, config.GetDouble("akka.cluster.sharding.least-shard-allocation-strategy.rebalance-relative-limit"));
        Assert.Equal(TimeSpan.FromSeconds(120), config.GetTimeSpan("akka.cluster.sharding.handoff-timeout"));
        Assert.Equal("tiles", config.GetString("akka.cluster.sharding.role"));
    }

    [Fact]
    public void Cluster_profile_without_a_connection_string_names_the_key_to_set()
    {
        var ex = Assert.Throws<ArgumentException>(() => AkkaProfiles.Load(new NodeOptions(NodeProfile.Cluster, "/unused") { HoconFolder = RepoPaths.HoconFolder }));
        Assert.Contains("nrtcluster.storage.postgres-connection-string", ex.Message);
    }

    [Fact]
    public void A_missing_profile_file_names_the_folder()
    {
        using var temp = new TempFolder();
        var ex = Assert.Throws<FileNotFoundException>(() => AkkaProfiles.Load(new NodeOptions(NodeProfile.Embedded, temp.Path) { HoconFolder = temp.Path }));
        Assert.Contains("base.conf", ex.Message);
    }
}
