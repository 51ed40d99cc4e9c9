using System.CommandLine;
using Akka.Configuration.Hocon;
using NrtCluster.Actors.Config;
using NrtCluster.Host.Http;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Cli;

/// <summary>What the node verbs share: the project file option and loading it with errors that name their keys.</summary>
public static class NodeCli
{
    public static Option<FileInfo> ProjectOption() =>
        new("--project", "-p") { Description = "Project file (see 'nrtc init')", DefaultValueFactory = _ => new FileInfo("project.conf") };

    /// <summary>Loads the project file; on errors prints them (each with its key) and returns null.</summary>
    public static ProjectConfig? Load(string verb, FileInfo file)
    {
        try
        {
            return ProjectConfigLoader.Load(file.FullName);
        }
        catch (Exception e) when (e is ProjectConfigException or FileNotFoundException)
        {
            Console.Error.WriteLine($"{verb}: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// Runs a verb's body, turning the expected failures into one line: an archive that cannot be searched (the message names
    /// its URL or file), else a message naming the project file.
    /// </summary>
    public static async Task<int> GuardAsync(string verb, FileInfo file, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception e) when (e is RemoteTlsException or SecretFileException)
        {
            Console.Error.WriteLine($"{verb}: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is Geo.Stac.StacException or HttpRequestException)
        {
            Console.Error.WriteLine($"{verb}: the archive could not be searched: {e.Message}; check project.stac in {file.FullName} and that the archive answers.");
            return 1;
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException or TimeoutException
                                      or Akka.Actor.AskTimeoutException)
        {
            Console.Error.WriteLine($"{verb}: {file.FullName}: {e.Message}");
            return 1;
        }
    }

    /// <summary>--tile ID (repeatable): only those tiles of the project.</summary>
    public static Option<string[]> TileOption(string what) => new("--tile")
    {
        Description = $"Only this tile (x<column>_y<row>, e.g. x12_y7); repeat for several. Default: {what}",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>
    /// The tiles --tile names (distinct), or every tile of the project when none; null (after saying which ids are bad or
    /// not of the project) otherwise.
    /// </summary>
    public static IReadOnlyList<Geo.Grid.TileId>? SelectTiles(string verb, ProjectConfig config, FileInfo file, string[]? requested)
    {
        var projectTiles = Actors.Sources.ProjectArchive.Footprints(config).ProjectTiles;
        requested ??= [];
        var bad = requested.Where(t => !Geo.Grid.TileId.TryParse(t, out _)).ToList();
        if (bad.Count > 0)
        {
            Console.Error.WriteLine($"{verb}: {string.Join(", ", bad.Select(t => $"'{t}'"))}: not a tile id; expected x<column>_y<row>, e.g. x12_y7 (see 'nrtc status').");
            return null;
        }
        var selected = requested.Length == 0 ? projectTiles : [.. requested.Select(Geo.Grid.TileId.Parse).Distinct()];
        var outside = selected.Where(t => !projectTiles.Contains(t)).ToList();
        if (outside.Count > 0)
        {
            Console.Error.WriteLine($"{verb}: {string.Join(", ", outside)}: not a tile of the project {file.FullName} (see 'nrtc status').");
            return null;
        }
        return selected;
    }

    /// <summary>--hocon FILE: Akka settings over the embedded node's profile, e.g. <c>nrtcluster.jobs.*</c> (as on <c>nrtc run</c>).</summary>
    public static Option<FileInfo?> HoconOption() =>
        new("--hocon") { Description = "Extra Akka settings (HOCON file) applied over the embedded node's profile, e.g. nrtcluster.jobs retries; not used with --node" };

    /// <summary>
    /// The embedded node's options with the --hocon file's settings, if given; null (after saying so) when the file is
    /// missing or not HOCON. The defaults are those of <see cref="ProjectNode.Start"/>.
    /// </summary>
    public static NodeOptions? EmbeddedOptions(string verb, ProjectConfig config, FileInfo? hocon)
    {
        var options = new NodeOptions(NodeProfile.Embedded, config.OutputFolder) { Hostname = "127.0.0.1", Port = 0 };
        if (hocon is null) return options;
        return ReadHocon(verb, hocon) is { } text ? options with { ExtraHocon = text } : null;
    }

    /// <summary>A --hocon file's text; null (after saying so, naming the file) when it is missing or not HOCON.</summary>
    public static string? ReadHocon(string verb, FileInfo hocon)
    {
        if (!hocon.Exists)
        {
            Console.Error.WriteLine($"{verb}: --hocon {hocon.FullName} does not exist; give a HOCON file of Akka settings.");
            return null;
        }
        var text = File.ReadAllText(hocon.FullName);
        string? error;
        try
        {
            // Akka's parser takes a key without a value and fails only once the key is read, naming neither it nor the file.
            error = KeyWithoutValue(HoconSyntax.Parse(text, hocon.FullName).Root, "") is { } key ? $"{hocon.FullName}: '{key}' has no value" : null;
        }
        catch (HoconSyntaxException e)
        {
            error = e.Message;
        }
        if (error is null) return text;
        Console.Error.WriteLine($"{verb}: --hocon {error}; fix the file (e.g. nrtcluster.jobs.max-attempts = 3).");
        return null;
    }

    private static string? KeyWithoutValue(HoconValue value, string path)
    {
        if (value.IsObject())
        {
            foreach (var (key, child) in value.GetObject().Items)
                if (KeyWithoutValue(child, path.Length == 0 ? key : $"{path}.{key}") is { } bad) return bad;
            return null;
        }
        return value.IsEmpty ? path : null;
    }

    /// <summary>
    /// Adds --tls-certificate FILE and --tls-password-file FILE to a node verb: TLS between cluster nodes (<see cref="RemoteTls"/>).
    /// Each falls back to an environment variable (containers set them without changing the command), then to HOCON. The
    /// password is never an argument (it would show in ps).
    /// </summary>
    public static (Option<FileInfo?> Certificate, Option<FileInfo?> PasswordFile) AddTlsOptions(Command command)
    {
        var tls = (new Option<FileInfo?>("--tls-certificate")
        {
            Description = $"TLS between the cluster's nodes: the PKCS#12 (.pfx) certificate every node uses (default: {TlsCertificateVariable}, else nrtcluster.remote.tls.certificate; no TLS when none)",
        }, new Option<FileInfo?>("--tls-password-file")
        {
            Description = $"File whose first line is the certificate's password (default: {TlsPasswordVariable}, else nrtcluster.remote.tls.password-file)",
        });
        command.Options.Add(tls.Item1);
        command.Options.Add(tls.Item2);
        return tls;
    }

    public const string TlsCertificateVariable = "NRTC_TLS_CERTIFICATE", TlsPasswordVariable = "NRTC_TLS_PASSWORD";

    /// <summary>The node options with the TLS options' values; throws <see cref="SecretFileException"/> for an unreadable password file.</summary>
    public static NodeOptions WithTls(NodeOptions options, ParseResult parsed, (Option<FileInfo?> Certificate, Option<FileInfo?> PasswordFile) tls) => options with
    {
        TlsCertificate = parsed.GetValue(tls.Certificate)?.FullName
            ?? (Environment.GetEnvironmentVariable(TlsCertificateVariable) is { Length: > 0 } certificate ? Path.GetFullPath(certificate) : null),
        TlsPassword = parsed.GetValue(tls.PasswordFile) is { } passwordFile ? SecretFile.FirstLine(passwordFile.FullName, "--tls-password-file", RemoteTls.PasswordLine)
            : Environment.GetEnvironmentVariable(TlsPasswordVariable),
    };

    /// <summary>
    /// --postgres and --postgres-file: the cluster profile's PostgreSQL connection string. One given on the command line shows in
    /// `ps` with its password, so operators give a file (e.g. a compose secret) or the NRTC_POSTGRES environment variable.
    /// </summary>
    public sealed record PostgresOptions(Option<string?> Inline, Option<FileInfo?> File)
    {
        public const string Variable = "NRTC_POSTGRES";

        public static PostgresOptions Create() => new(
            new Option<string?>("--postgres") { Description = "PostgreSQL connection string (cluster profile); shows in `ps` with its password, so prefer --postgres-file or NRTC_POSTGRES" },
            new Option<FileInfo?>("--postgres-file") { Description = $"File whose first line is the PostgreSQL connection string (cluster profile), e.g. a compose secret; default: env {Variable}" });

        /// <summary>
        /// The connection string from --postgres, --postgres-file or NRTC_POSTGRES, in that order; null when none is set. False
        /// (after saying why) when both options are given or the file is missing, unreadable or empty.
        /// </summary>
        public bool TryGet(string verb, ParseResult parse, out string? connection)
        {
            connection = parse.GetValue(Inline);
            var file = parse.GetValue(File);
            if (connection is not null && file is not null)
            {
                Console.Error.WriteLine($"{verb}: give the PostgreSQL connection string once: --postgres or --postgres-file, not both.");
                return false;
            }
            if (file is not null)
            {
                try
                {
                    connection = SecretFile.FirstLine(file.FullName, "--postgres-file", "the PostgreSQL connection string");
                }
                catch (SecretFileException e)
                {
                    Console.Error.WriteLine($"{verb}: {e.Message}");
                    return false;
                }
            }
            else connection ??= Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } env ? env.Trim() : null;
            return true;
        }
    }

    /// <summary>--node URL: drive a running node (<c>nrtc run</c>) over HTTP instead of starting an embedded one.</summary>
    public static Option<string?> NodeOption() =>
        new("--node") { Description = "HTTP address of a running node (as printed by 'nrtc run', e.g. http://127.0.0.1:8080): work through it instead of an embedded node" };

    /// <summary>--api-token-file FILE: the control API's token (first line), on a node and on every verb with --node; else NRTC_API_TOKEN.</summary>
    public static Option<FileInfo?> ApiTokenFileOption() =>
        new(ApiTokenFile) { Description = $"File whose first line is the control API's bearer token (default: the {ApiAccess.TokenVariable} environment variable)" };

    private const string ApiTokenFile = "--api-token-file";

    /// <summary>--insecure: a node may listen beyond loopback without an API token.</summary>
    public static Option<bool> InsecureOption() =>
        new("--insecure") { Description = "Allow HTTP beyond loopback (--http-host) without an API token: anyone who reaches the node can start jobs and move shards" };

    /// <summary>--allowed-host NAME (repeatable): a name requests to the control API may use besides loopback and the listen address.</summary>
    public static Option<string[]> AllowedHostOption() => new("--allowed-host")
    {
        Description = "Host name the control API answers besides localhost, 127.0.0.1, [::1] and the listen address, e.g. a compose service name or the name behind a proxy; repeat for several",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>
    /// The node's API access from --api-token-file (or NRTC_API_TOKEN) and --allowed-host; null (after saying why in one line)
    /// when the token file cannot be read, a name is bad, or HTTP would listen beyond loopback without a token and --insecure.
    /// </summary>
    public static ApiAccess? NodeApiAccess(string verb, ParseResult parse, string httpHost)
    {
        try
        {
            var access = new ApiAccess(ApiAccess.ReadToken(parse.GetValue<FileInfo?>(ApiTokenFile)), ApiAccess.CheckHosts(parse.GetValue<string[]>("--allowed-host") ?? []));
            var insecure = parse.GetValue<bool>("--insecure");
            // A listen address that is not an IP address is refused with its own message when the server starts.
            if (!System.Net.IPAddress.TryParse(httpHost, out var listen)) return access;
            if (!access.OpenBeyondLoopback(listen)) return access;
            Console.Error.WriteLine(insecure
                ? $"{verb}: warning: --insecure: the control API on {listen} takes requests from anyone who reaches it, without a token."
                : $"{verb}: {ApiAccess.Refusal(listen)}");
            return insecure ? access : null;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"{verb}: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// Runs a verb against a running node, turning unreachable nodes and refused requests into a message naming the URL; the
    /// requests carry the API token of --api-token-file (on the verb's command) or NRTC_API_TOKEN, if any.
    /// </summary>
    public static async Task<int> RemoteAsync(string verb, ParseResult parse, string url, Func<NodeClient, Task<int>> body)
    {
        try
        {
            using var client = new NodeClient(url, ApiAccess.ReadToken(parse.GetValue<FileInfo?>(ApiTokenFile)));
            return await body(client);
        }
        catch (Exception e) when (e is NodeRequestException or ArgumentException or FormatException or InvalidOperationException)
        {
            Console.Error.WriteLine($"{verb}: {e.Message}");
            return 1;
        }
    }

    /// <summary>host:port of an Akka address (akka.tcp://system@host:port), the short form the shards verbs also accept.</summary>
    public static string ShortAddress(string? address) =>
        address is null ? "-" : address.LastIndexOf('@') is var at and >= 0 ? address[(at + 1)..] : address;

    /// <summary>Tables written to a file or pipe are not wrapped at 80 columns (scripts and logs read them whole).</summary>
    public static void WideWhenRedirected()
    {
        if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 240;
    }
}
