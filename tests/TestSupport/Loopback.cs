using NrtCluster.Host.Bench;

namespace NrtCluster.TestSupport;

public static class Loopback
{
    /// <summary>A port on 127.0.0.1 nothing listens on (taken from the system, then released).</summary>
    public static int FreePort() => PostgresServer.FreeLoopbackPort();
}
