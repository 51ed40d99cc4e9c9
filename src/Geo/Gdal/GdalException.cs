namespace NrtCluster.Geo.Gdal;

/// <summary>A GDAL call failed. <see cref="Path"/> names the file or URL concerned; the message carries GDAL's own error text.</summary>
public sealed class GdalException : Exception
{
    public GdalException(string message, string? path, Exception? inner = null) : base(message, inner) => Path = path;

    public string? Path { get; }

    /// <summary>Builds the exception from the calling thread's last GDAL error.</summary>
    internal static GdalException FromLastError(string action, string? path) =>
        new($"GDAL could not {action}{(path is null ? "" : $" '{path}'")}: {GdalNative.LastError()}", path);
}
