using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using NrtCluster.Geo.Synthetic;
using NrtCluster.Host.Tests.Node;

namespace NrtCluster.Host.Tests.Cluster;

/// <summary>
/// Akka remoting over TLS (<c>nrtcluster.remote.tls</c>): <c>nrtc run --profile cluster</c> processes on 127.0.0.1 sharing a
/// throw-away PostgreSQL, with self-signed certificates made here.
/// </summary>
public sealed class RemoteTlsTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const string Password = "correct horse";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly TempFolder _folder = new();
    private readonly List<NrtcProcess> _processes = [];
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// Node 1 takes the certificate and its password from NRTC_TLS_CERTIFICATE and NRTC_TLS_PASSWORD, node 2 both from its HOCON
    /// (nrtcluster.remote.tls), the third node from --tls-certificate and --tls-password-file; the seeds are written akka.tcp://. The two form a cluster (akka.ssl.tcp:// addresses, both Up
    /// on both) and fit the project's tiles through node 1, the tiles spread over both nodes. Node 1's remoting port speaks TLS
    /// with that certificate and closes a connection that presents none; a third node with another self-signed certificate of
    /// the same name refuses node 1's, and joins nobody.
    /// </summary>
    [Fact]
    public async Task Two_nodes_sharing_a_certificate_form_a_cluster_over_TLS_and_a_node_with_another_certificate_cannot_join()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var starting = Task.Run(() => new TempPostgres());
        var archiveFolder = _folder.File("archive");
        var archive = SyntheticArchive.Generate(archiveFolder, QuarantineTests.Archive);
        var projectFolder = _folder.File("project");
        ClusterFixture.WriteProject(projectFolder, archiveFolder, archive);
        using var postgres = await starting;
        var certificate = WriteSelfSigned(_folder.File("cluster.pfx"));
        WriteSelfSigned(_folder.File("intruder.pfx"));
        File.WriteAllText(_folder.File("password"), Password + "\n");
        // One shard a tile, and rebalance rounds within seconds, so the four tiles spread over the two nodes.
        const string timings = "nrtcluster.tiles.shard-block-size = 1\nakka.cluster.sharding.rebalance-interval = 2s\n";
        File.WriteAllText(_folder.File("node1.conf"), timings);
        File.WriteAllText(_folder.File("node2.conf"), timings + $$"""
            nrtcluster.remote.tls { certificate = "{{_folder.File("cluster.pfx")}}", password-file = "{{_folder.File("password")}}" }
            """);

        int[] ports = [Loopback.FreePort(), Loopback.FreePort(), Loopback.FreePort()];
        int[] http = [Loopback.FreePort(), Loopback.FreePort(), Loopback.FreePort()];
        string Url(int i) => $"http://127.0.0.1:{http[i]}";
        NrtcProcess StartNode(int i, IReadOnlyDictionary<string, string> environment, params string[] tls) =>
            Start($"node{i + 1}", environment, [.. NodeArguments(projectFolder, postgres, ports[i], ports[0], http[i]), .. tls]);
        var node1 = StartNode(0, new Dictionary<string, string> { ["NRTC_TLS_CERTIFICATE"] = _folder.File("cluster.pfx"), ["NRTC_TLS_PASSWORD"] = Password },
            "--hocon", _folder.File("node1.conf"));
        var node2 = StartNode(1, new Dictionary<string, string>(), "--hocon", _folder.File("node2.conf"));

        // In the order UpMembersAsync lists them: the free ports are random, so node 1's may sort second.
        string[] expected = [.. new[] { $"akka.ssl.tcp://nrtcluster@127.0.0.1:{ports[0]}", $"akka.ssl.tcp://nrtcluster@127.0.0.1:{ports[1]}" }.Order(StringComparer.Ordinal)];
        foreach (var (url, node) in new[] { (Url(0), node1), (Url(1), node2) })
            await Eventually.Until(async () => await UpMembersAsync(url), up => up.SequenceEqual(expected), Bound,
                up => $"{url} did not see both nodes Up over TLS (Up: {string.Join(", ", up)}):\n{node1.Output}\n{node2.Output}", () => node.HasExited);

        output.WriteLine($"two nodes Up over TLS after {clock.Elapsed.TotalSeconds:F0} s");
        // Real work over TLS: node 1's fit job reaches the tiles node 2 hosts and their answers come back.
        ClusterFixture.Succeed(Nrtc.RunWithin(QuarantineTests.CommandTimeout, "fit", "--node", Url(0)), "fit through node 1");
        await Eventually.Until(async () => (await GetJsonAsync(Url(0), "/api/cluster"))["shards"]!.AsArray()
                .Select(s => s!["node"]!.ToString()).Distinct().Order(StringComparer.Ordinal).ToArray(),
            holders => holders.SequenceEqual(expected), Bound, holders => $"the fitted tiles' shards are not on both nodes: {string.Join(", ", holders)}");

        output.WriteLine($"fitted on both nodes after {clock.Elapsed.TotalSeconds:F0} s");
        // The remoting port speaks TLS with the shared certificate, and a client without one is refused.
        Assert.Equal(certificate.RawData, await ServerCertificateAsync(ports[0], clientCertificate: certificate));
        await AssertClosedWithoutClientCertificateAsync(ports[0]);

        var intruder = StartNode(2, new Dictionary<string, string>(),
            "--tls-certificate", _folder.File("intruder.pfx"), "--tls-password-file", _folder.File("password"));
        // Akka stops a node whose outbound handshake failed; it says why, and the cluster goes on without it.
        Assert.True(intruder.WaitForExit(Bound), intruder.Output);
        Assert.True(intruder.ExitCode == 1, intruder.Output);
        Assert.Matches(@"TLS: refused the connection with \S+:[0-9]+: it presented CN=nrtcluster \(SHA-256 [0-9A-F]{64}\), not this node's certificate", intruder.Output);
        Assert.Contains("TLS: this node stops: TLS handshake failed on outbound connection", intruder.Output);
        Assert.Equal(expected, await UpMembersAsync(Url(0)));
        output.WriteLine($"the node with another certificate stopped after {clock.Elapsed.TotalSeconds:F0} s");
    }

    /// <summary>
    /// A certificate that cannot be used stops the node before it starts, in one line naming the file and what to do: missing,
    /// not PKCS#12, a wrong password, no password at all.
    /// </summary>
    [Fact]
    public void A_node_refuses_to_start_with_a_certificate_it_cannot_use()
    {
        var projectFolder = _folder.File("project");
        ClusterFixture.Succeed(Nrtc.RunWithin(QuarantineTests.CommandTimeout, "init", Path.Combine(projectFolder, "project.conf")), "init");
        var pfx = _folder.File("cluster.pfx");
        // The certificate alone, as a .crt/.pem file: without its key it cannot serve.
        File.WriteAllText(_folder.File("cert.pem"), WriteSelfSigned(pfx).ExportCertificatePem());
        File.WriteAllText(_folder.File("wrong"), "not the password\n");
        var cases = new (string[] Tls, string Expected)[]
        {
            (["--tls-certificate", _folder.File("missing.pfx")], $"the TLS certificate {_folder.File("missing.pfx")} (--tls-certificate, NRTC_TLS_CERTIFICATE or nrtcluster.remote.tls.certificate) does not exist"),
            (["--tls-certificate", _folder.File("cert.pem")], $"the TLS certificate {_folder.File("cert.pem")} (--tls-certificate, NRTC_TLS_CERTIFICATE or nrtcluster.remote.tls.certificate) is not a PKCS#12 (.pfx) file"),
            (["--tls-certificate", pfx, "--tls-password-file", _folder.File("wrong")], $"the TLS certificate {pfx} (--tls-certificate, NRTC_TLS_CERTIFICATE or nrtcluster.remote.tls.certificate) cannot be opened with the password given"),
            (["--tls-certificate", pfx], $"the TLS certificate {pfx} (--tls-certificate, NRTC_TLS_CERTIFICATE or nrtcluster.remote.tls.certificate) cannot be opened without a password"),
            (["--tls-certificate", pfx, "--tls-password-file", _folder.File("none")], $"--tls-password-file {_folder.File("none")} does not exist; give a file whose first line is the certificate's password."),
        };
        foreach (var (tls, expected) in cases)
        {
            var (code, output) = Nrtc.RunWithin(QuarantineTests.CommandTimeout,
                [.. NodeArguments(projectFolder, postgres: null, Loopback.FreePort(), seedPort: null, Loopback.FreePort()), .. tls]);
            Assert.True(code == 1, output);
            Assert.Contains("run: " + expected, output);
            Assert.DoesNotContain("   at ", output);
            Assert.DoesNotContain("run: node", output);
        }
    }

    private static string[] NodeArguments(string projectFolder, TempPostgres? postgres, int port, int? seedPort, int httpPort) =>
    [
        "run", "--project", Path.Combine(projectFolder, "project.conf"), "--profile", "cluster", "--hostname", "127.0.0.1", "--port", port.ToString(),
        "--seed", $"akka.tcp://nrtcluster@127.0.0.1:{seedPort ?? port}",
        "--postgres", (postgres?.ConnectionString ?? "Host=127.0.0.1;Port=1;Username=nrt;Database=nrtcluster") + ";Maximum Pool Size=10",
        "--http-port", httpPort.ToString(),
    ];

    private NrtcProcess Start(string name, IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var process = NrtcProcess.Start(name, environment, args);
        _processes.Add(process);
        return process;
    }

    /// <summary>A self-signed certificate with its key, as an operator would make one, in a PKCS#12 file locked with <see cref="Password"/>.</summary>
    private static X509Certificate2 WriteSelfSigned(string path)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=nrtcluster", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var pfx = certificate.Export(X509ContentType.Pkcs12, Password);
        File.WriteAllBytes(path, pfx);
        return X509CertificateLoader.LoadPkcs12(pfx, Password);
    }

    /// <summary>The certificate the remoting port presents in a TLS handshake (our side accepts any).</summary>
    private static async Task<byte[]> ServerCertificateAsync(int port, X509Certificate2 clientCertificate)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        byte[]? presented = null;
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) =>
        {
            presented = certificate?.GetRawCertData();
            return true;
        });
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1", ClientCertificates = [clientCertificate],
        });
        return presented!;
    }

    /// <summary>A TLS client without a certificate: the node ends the connection (at the handshake, or at the first read under TLS 1.3).</summary>
    private static async Task AssertClosedWithoutClientCertificateAsync(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        using var cancel = new CancellationTokenSource(Bound);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.1" }, cancel.Token);
            Assert.Equal(0, await tls.ReadAsync(new byte[1], cancel.Token));
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
            // Refused: what is expected.
        }
    }

    private async Task<string[]> UpMembersAsync(string url)
    {
        try
        {
            return [.. (await GetJsonAsync(url, "/api/cluster"))["members"]!.AsArray()
                .Where(m => m!["status"]!.ToString() == "Up").Select(m => m!["address"]!.ToString()).Order(StringComparer.Ordinal)];
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }

    private async Task<JsonObject> GetJsonAsync(string url, string path) => JsonNode.Parse(await _http.GetStringAsync(url + path))!.AsObject();

    public void Dispose()
    {
        foreach (var p in _processes) p.Dispose();
        _http.Dispose();
        _folder.Dispose();
    }
}
