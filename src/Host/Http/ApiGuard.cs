using System.Net;

namespace NrtCluster.Host.Http;

/// <summary>
/// Who may call a node's control API (the endpoints that change something): the bearer token, if any, and the host names
/// besides the loopback ones and the listen address that requests may name (a name behind a proxy, a compose service name).
/// </summary>
public sealed record ApiAccess(string? Token, IReadOnlyList<string> AllowedHosts)
{
    /// <summary>The environment variable the node and the command line read the token from.</summary>
    public const string TokenVariable = "NRTC_API_TOKEN";

    /// <summary>No token and no names beyond loopback and the listen address.</summary>
    public static readonly ApiAccess Loopback = new(null, []);

    /// <summary>
    /// The token from <paramref name="file"/> (its first line, trimmed) if given, else from <see cref="TokenVariable"/>;
    /// null when neither gives one. A file that cannot be read or whose first line is empty is an error naming it.
    /// </summary>
    public static string? ReadToken(FileInfo? file)
    {
        if (file is null)
            return Environment.GetEnvironmentVariable(TokenVariable)?.Trim() is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        if (!file.Exists)
            throw new ArgumentException($"--api-token-file {file.FullName} does not exist; give a file whose first line is the API token.");
        string? first;
        try
        {
            using var reader = new StreamReader(file.FullName);
            first = reader.ReadLine()?.Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--api-token-file {file.FullName} cannot be read ({e.Message}); give a file whose first line is the API token.", e);
        }
        return first is { Length: > 0 }
            ? first
            : throw new ArgumentException($"--api-token-file {file.FullName} has no token on its first line; write the token there (e.g. openssl rand -hex 32 > FILE).");
    }

    /// <summary>The names given with --allowed-host, checked: a host name or IP address alone (no scheme, port or path).</summary>
    public static IReadOnlyList<string> CheckHosts(IEnumerable<string> names) => [.. names.Select(name =>
    {
        var host = name.Trim();
        return Uri.CheckHostName(host.Trim('[', ']')) != UriHostNameType.Unknown
            ? host
            : throw new ArgumentException($"--allowed-host '{name}' is not a host name; give the name alone, without scheme or port, e.g. --allowed-host node1.");
    })];

    /// <summary>
    /// Why a node must not start: its HTTP listens beyond this machine and the control API has no token (and
    /// <paramref name="insecure"/> was not given); null when it may.
    /// </summary>
    public string? Refusal(IPAddress listen, bool insecure) =>
        Token is null && !insecure && !IPAddress.IsLoopback(listen)
            ? $"HTTP would listen on {listen} (beyond this machine) with no API token, so anyone who reaches it could start jobs, move shards and drain nodes; " +
              $"set {TokenVariable} or give --api-token-file FILE (or give --insecure to run without a token on a network you trust)."
            : null;
}
