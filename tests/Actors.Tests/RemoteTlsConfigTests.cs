using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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

    /// <summary>
    /// The transport authenticates both sides (no suppressed validation, no host names) and its check accepts exactly the node's own
    /// certificate, which does not chain to any CA the machine trusts, and nothing else.
    /// </summary>
    [Fact]
    public void The_setup_is_mutual_and_accepts_only_the_nodes_own_certificate()
    {
        using var temp = new TempFolder();
        using var own = SelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var other = SelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllBytes(temp.File("node.pfx"), own.Export(X509ContentType.Pkcs12, "pw"));
        var setup = RemoteTls.Setup(AkkaProfiles.Load(Cluster() with { TlsCertificate = temp.File("node.pfx") }), NodeProfile.Cluster, "pw")!;
        Assert.True(setup.RequireMutualAuthentication);
        Assert.False(setup.SuppressValidation);
        Assert.False(setup.ValidateCertificateHostname);
        Assert.Equal(own.RawData, setup.Certificate.RawData);
        bool Accepts(X509Certificate2? peer) => setup.CustomValidator!(peer, null, "akka.ssl.tcp://nrtcluster@10.0.0.2:4053",
            SslPolicyErrors.RemoteCertificateChainErrors, Akka.Event.NoLogger.Instance);
        Assert.True(Accepts(X509CertificateLoader.LoadCertificate(own.RawData)));
        Assert.False(Accepts(X509CertificateLoader.LoadCertificate(other.RawData)));
        Assert.False(Accepts(null));
    }

    [Fact]
    public void A_certificate_without_its_key_or_out_of_its_validity_is_refused_naming_the_file()
    {
        using var temp = new TempFolder();
        using var expired = SelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        File.WriteAllBytes(temp.File("expired.pfx"), expired.Export(X509ContentType.Pkcs12, "pw"));
        using var withoutKey = X509CertificateLoader.LoadCertificate(expired.RawData);
        File.WriteAllBytes(temp.File("nokey.pfx"), withoutKey.Export(X509ContentType.Pkcs12, "pw"));
        string Refusal(string file) => Assert.Throws<RemoteTlsException>(() =>
            RemoteTls.Setup(AkkaProfiles.Load(Cluster() with { TlsCertificate = temp.File(file) }), NodeProfile.Cluster, "pw")).Message;

        string what = "(--tls-certificate, NRTC_TLS_CERTIFICATE or nrtcluster.remote.tls.certificate)";
        var outOfDate = Refusal("expired.pfx");
        Assert.StartsWith($"the TLS certificate {temp.File("expired.pfx")} {what} is valid from ", outOfDate);
        Assert.EndsWith(", not now; make a new one and give it to every node.", outOfDate);
        Assert.Equal($"the TLS certificate {temp.File("nokey.pfx")} {what} holds no private key; export it with its key (a .pfx made from the certificate and key files).",
            Refusal("nokey.pfx"));
    }

    private static X509Certificate2 SelfSigned(DateTimeOffset from, DateTimeOffset to)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new CertificateRequest("CN=nrtcluster", key, HashAlgorithmName.SHA256).CreateSelfSigned(from, to);
    }
}
