using System.Net;
using System.Net.Sockets;

namespace NrtCluster.TestSupport;

public static class Loopback
{
    /// <summary>A port on 127.0.0.1 nothing listens on (taken from the system, then released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
