using System.Text.RegularExpressions;

namespace NrtCluster.Geo.Gdal;

/// <summary>A GDAL call failed. <see cref="Path"/> names the file or URL concerned; the message carries GDAL's own error text.</summary>
public sealed partial class GdalException : Exception
{
    public GdalException(string message, string? path, Exception? inner = null, int errorNumber = 0) : base(message, inner)
    {
        Path = path;
        ErrorNumber = errorNumber;
    }

    public string? Path { get; }

    /// <summary>GDAL's error number (CPLErrorNum) of the failure; 0 when unknown.</summary>
    public int ErrorNumber { get; }

    /// <summary>
    /// True when reading again cannot help: the file is missing (or answers HTTP 4xx other than 408 and 429), is not a
    /// raster GDAL knows, or its data is truncated or corrupt. Timeouts, throttling, server errors and connection
    /// failures are transient.
    /// </summary>
    public bool Permanent => IsPermanent(ErrorNumber, Message, Path);

    // CPLErrorNum values (cpl_error.h).
    private const int OpenFailed = 4;
    private const int HttpResponse = 11;
    private const int AwsObjectNotFound = 13;

    [GeneratedRegex(@"HTTP (?:response )?(?:code:? *)?(\d{3})\b")]
    private static partial Regex HttpCode();

    private static readonly string[] Corrupt =
    [
        "not recognized as a supported file format", "TIFFReadEncodedTile", "TIFFReadEncodedStrip", "TIFFFillTile", "TIFFFillStrip",
        "IReadBlock failed",
    ];

    private static readonly string[] Missing = ["does not exist in the file system", "No such file or directory"];

    private static readonly string[] NetworkPrefixes = ["/vsicurl", "/vsis3", "/vsigs", "/vsiaz", "/vsiadls", "/vsioss", "/vsiswift", "/vsiwebhdfs"];

    /// <summary>The one place GDAL failures are classified (see <see cref="Permanent"/>).</summary>
    internal static bool IsPermanent(int errorNumber, string message, string? path)
    {
        if (HttpCode().Match(message) is { Success: true } m)
            return int.Parse(m.Groups[1].Value) is >= 400 and < 500 and not 408 and not 429;
        if (errorNumber == HttpResponse || message.Contains("CURL error", StringComparison.Ordinal)) return false;
        if (errorNumber == AwsObjectNotFound || Corrupt.Any(s => message.Contains(s, StringComparison.Ordinal))) return true;
        // GDAL reports a remote file as missing after any failed request (and remembers it): without a status that is no proof.
        if (IsRemote(path)) return false;
        return errorNumber == OpenFailed || Missing.Any(s => message.Contains(s, StringComparison.Ordinal));
    }

    internal static bool IsRemote(string? path) => path is not null && NetworkPrefixes.Any(p => path.StartsWith(p, StringComparison.Ordinal));

    /// <summary>
    /// Builds the exception from the calling thread's last GDAL error. For a URL, when GDAL gives no HTTP status and did not
    /// find the file corrupt (it says "does not exist" or a curl error instead), the cause found by one request of its own
    /// leads, GDAL's text follows.
    /// </summary>
    internal static GdalException FromLastError(string action, string? path)
    {
        var (error, number) = (GdalNative.LastError(), GdalNative.CPLGetLastErrorNo());
        if (!HttpCode().IsMatch(error) && !Corrupt.Any(s => error.Contains(s, StringComparison.Ordinal)) && RemoteCause.HttpUrl(path) is { } url)
            error = $"{RemoteCause.Probe(url)} (GDAL: {error})";
        return new GdalException($"GDAL could not {action}{(path is null ? "" : $" '{path}'")}: {error}", path, errorNumber: number);
    }
}
