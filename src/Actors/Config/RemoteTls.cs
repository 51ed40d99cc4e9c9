using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Akka;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace NrtCluster.Actors.Config;

/// <summary>A TLS setting of a cluster node that cannot be used; the message names the file or key and what to do.</summary>
public sealed class RemoteTlsException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// TLS between cluster nodes (Akka.Remote's DotNetty transport, <c>nrtcluster.remote.tls</c>). Every node presents the same
/// certificate (a PKCS#12 file with its private key, self-signed will do) and accepts a connection, in either direction, only
/// from a node presenting that same certificate: mutual authentication pinned to the certificate. Akka's own check would
/// instead trust any certificate chaining to the machine's CAs, which a self-signed one does not, and suppressing it would
/// accept anyone. Host names are not checked: the nodes share one certificate whatever their addresses.
/// </summary>
public static class RemoteTls
{
    public const string CertificateKey = "nrtcluster.remote.tls.certificate";
    public const string PasswordFileKey = "nrtcluster.remote.tls.password-file";

    /// <summary>What a password file's first line holds (<see cref="SecretFile"/>).</summary>
    public const string PasswordLine = "the certificate's password";

    /// <summary>With TLS a node's address (and so its seeds') is <c>akka.ssl.tcp://</c>; without, <c>akka.tcp://</c>.</summary>
    private const string PlainScheme = "akka.tcp://", TlsScheme = "akka.ssl.tcp://";

    public static bool IsOn(Akka.Configuration.Config config) => !string.IsNullOrWhiteSpace(config.GetString(CertificateKey, ""));

    /// <summary>
    /// The settings TLS changes over <paramref name="config"/>: the transport's SSL switch, and the seed nodes written with the
    /// scheme of this node's transport (operators write them once, <c>akka.tcp://</c> or <c>akka.ssl.tcp://</c>, and turning
    /// TLS on or off does not mean rewriting every seed). Empty when TLS is off and every seed is plain.
    /// </summary>
    public static Akka.Configuration.Config Overrides(Akka.Configuration.Config config)
    {
        bool on = IsOn(config);
        var seeds = config.GetStringList("akka.cluster.seed-nodes", []);
        var rewritten = seeds.Select(s => on ? Rescheme(s, PlainScheme, TlsScheme) : Rescheme(s, TlsScheme, PlainScheme)).ToList();
        var lines = new List<string>();
        if (on) lines.Add("akka.remote.dot-netty.tcp.enable-ssl = on");
        if (!rewritten.SequenceEqual(seeds))
            lines.Add($"akka.cluster.seed-nodes = [{string.Join(", ", rewritten.Select(s => JsonSerializer.Serialize(s)))}]");
        return ConfigurationFactory.ParseString(string.Join("\n", lines));
    }

    private static string Rescheme(string address, string from, string to) =>
        address.StartsWith(from, StringComparison.OrdinalIgnoreCase) ? to + address[from.Length..] : address;

    /// <summary>
    /// The transport's TLS setup for the certificate <paramref name="config"/> names, opened with <paramref name="password"/>
    /// (null: the <c>password-file</c> setting's, else none); null when TLS is off. Throws <see cref="RemoteTlsException"/>
    /// for a certificate that is missing, unreadable, not PKCS#12, locked with another password, without private key, or out of
    /// its validity period, before the node starts, so the node does not run half-connected.
    /// </summary>
    public static DotNettySslSetup? Setup(Akka.Configuration.Config config, NodeProfile profile, string? password)
    {
        if (!IsOn(config)) return null;
        string path = Path.GetFullPath(config.GetString(CertificateKey));
        if (profile != NodeProfile.Cluster)
            throw new RemoteTlsException($"TLS certificate {path}: TLS is between the nodes of a cluster; use it with --profile cluster.");
        if (password is null && config.GetString(PasswordFileKey, "") is { Length: > 0 } passwordFile)
            password = SecretFile.FirstLine(passwordFile, PasswordFileKey, PasswordLine);
        var certificate = Open(path, password);
        return new DotNettySslSetup(certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false,
            SameCertificate(certificate));
    }

    private static X509Certificate2 Open(string path, string? password)
    {
        string what = $"the TLS certificate {path} (--tls-certificate, NRTC_TLS_CERTIFICATE or {CertificateKey})";
        if (!File.Exists(path))
            throw new RemoteTlsException($"{what} does not exist; give the .pfx file every node of the cluster uses.");
        X509Certificate2 certificate;
        try
        {
            if (!IsPkcs12(path))
                throw new RemoteTlsException($"{what} is not a PKCS#12 (.pfx) file; bundle the certificate and its private key into one, " +
                                             "e.g. openssl pkcs12 -export -in node.crt -inkey node.key -out node.pfx.");
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RemoteTlsException($"{what} cannot be read: {Reason(e)}; give the .pfx file every node of the cluster uses.", e);
        }
        catch (CryptographicException e)
        {
            throw new RemoteTlsException($"{what} cannot be opened {(password is null ? "without a password" : "with the password given (a wrong password?)")}: " +
                                         $"set NRTC_TLS_PASSWORD, --tls-password-file or {PasswordFileKey} to the password it was exported with.", e);
        }
        if (!certificate.HasPrivateKey)
            throw new RemoteTlsException($"{what} holds no private key; export it with its key (a .pfx made from the certificate and key files).");
        var now = DateTime.Now;
        if (now < certificate.NotBefore || now > certificate.NotAfter)
            throw new RemoteTlsException($"{what} is valid from {certificate.NotBefore:u} to {certificate.NotAfter:u}, not now; " +
                                         "make a new one and give it to every node.");
        return certificate;
    }

    private static bool IsPkcs12(string path)
    {
        try
        {
            return X509Certificate2.GetCertContentType(path) == X509ContentType.Pkcs12;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static string Reason(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };

    /// <summary>
    /// Akka stops a node whose outbound TLS handshake failed (its reason's exit code is 79): say so once, in the words of this
    /// service, where an operator looks (stdout and the node's log), before the node goes.
    /// </summary>
    public static void ExplainHandshakeStop(ActorSystem system)
    {
        var shutdown = CoordinatedShutdown.Get(system);
        shutdown.AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "explain-tls-stop", () =>
        {
            if (shutdown.ShutdownReason is { ExitCode: 79 } reason)
                system.Log.Error("{0}", $"TLS: this node stops: {reason}: the peer refused this node's certificate or presented another one " +
                                        "(see the line before); give every node the same certificate file.");
            return Task.FromResult(Done.Instance);
        });
    }

    /// <summary>Accepts a peer presenting exactly this node's certificate, while it is valid; logs why any other is refused.</summary>
    private static CertificateValidationCallback SameCertificate(X509Certificate2 own) => (peer, _, remote, _, log) =>
    {
        var now = DateTime.Now;
        if (peer is not null && peer.RawDataMemory.Span.SequenceEqual(own.RawDataMemory.Span) && now >= own.NotBefore && now <= own.NotAfter)
            return true;
        string presented = peer is null ? "no certificate" : $"{peer.Subject} (SHA-256 {peer.GetCertHashString(HashAlgorithmName.SHA256)})";
        log.Error("{0}", $"TLS: refused the connection with {remote}: it presented {presented}, not this node's certificate " +
                         $"({own.Subject}, SHA-256 {own.GetCertHashString(HashAlgorithmName.SHA256)}, valid to {own.NotAfter:u}); " +
                         "every node must use the same certificate file.");
        return false;
    };
}
