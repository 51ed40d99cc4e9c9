using NrtCluster.Actors.Config;
using NrtCluster.Actors.Tests.Support;

namespace NrtCluster.Actors.Tests;

/// <summary>What a TLS certificate changes in a cluster node's Akka configuration (the handshakes are tested with node processes in Host.Tests).</summary>
public sealed class RemoteTlsConfigTests
{
    private static NodeOptions Cluster(params string[] seeds) => new(NodeProfile.Cluster, "out")
    {
        HoconFolder = RepoPaths.HoconFolder, PostgresConnectionString = "Host=db;Database=nrtcluster", SeedNodes = seeds,
    };

    /// <summary>With TLS the transport's address is akka.ssl.tcp://, so seeds written akka.tcp:// are taken as that; TLS is off by default.</summary>
    [Fact]
    public void A_certificate_turns_on_the_transports_TLS_and_the_seeds_take_its_scheme()
    {
        var plain = AkkaProfiles.Load(Cluster("akka.tcp://nrtcluster@node1:4053", "akka.ssl.tcp://nrtcluster@node2:4053"));
        Assert.False(plain.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl"));
        Assert.Equal(["akka.tcp://nrtcluster@node1:4053", "akka.tcp://nrtcluster@node2:4053"], plain.GetStringList("akka.cluster.seed-nodes"));

        var tls = AkkaProfiles.Load(Cluster("akka.tcp://nrtcluster@node1:4053", "akka.ssl.tcp://nrtcluster@node2:4053") with { TlsCertificate = "/run/secrets/nrtc.pfx" });
        Assert.True(tls.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl"));
        Assert.Equal("/run/secrets/nrtc.pfx", tls.GetString(RemoteTls.CertificateKey));
        Assert.Equal(["akka.ssl.tcp://nrtcluster@node1:4053", "akka.ssl.tcp://nrtcluster@node2:4053"], tls.GetStringList("akka.cluster.seed-nodes"));

        // The HOCON setting does the same as the option.
        var hocon = AkkaProfiles.Load(Cluster("akka.tcp://nrtcluster@node1:4053") with { ExtraHocon = "nrtcluster.remote.tls.certificate = \"/etc/nrtc/node.pfx\"" });
        Assert.True(hocon.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl"));
        Assert.Equal(["akka.ssl.tcp://nrtcluster@node1:4053"], hocon.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void The_embedded_profile_refuses_a_certificate()
    {
        using var temp = new TempFolder();
        var options = new NodeOptions(NodeProfile.Embedded, temp.Path) { HoconFolder = RepoPaths.HoconFolder, TlsCertificate = temp.File("node.pfx") };
        var e = Assert.Throws<RemoteTlsException>(() => AkkaProfiles.Start(options));
        Assert.Equal($"TLS certificate {temp.File("node.pfx")}: TLS is between the nodes of a cluster; use it with --profile cluster.", e.Message);
    }
}
