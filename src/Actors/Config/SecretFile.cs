namespace NrtCluster.Actors.Config;

/// <summary>
/// A secret kept in a file (a compose secret, a file only the node's user reads) rather than on the command line, where
/// <c>ps</c> shows it: the API token, the PostgreSQL connection string, the TLS certificate's password.
/// </summary>
public static class SecretFile
{
    /// <summary>
    /// The first line of <paramref name="path"/>, trimmed. A missing, unreadable or empty file is a
    /// <see cref="SecretFileException"/> naming <paramref name="source"/> (the option or setting that gave the path), the file and
    /// <paramref name="what"/> its first line should hold.
    /// </summary>
    public static string FirstLine(string path, string source, string what)
    {
        var full = Path.GetFullPath(path);
        string? line;
        try
        {
            using var reader = new StreamReader(full);
            line = reader.ReadLine()?.Trim();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SecretFileException($"{source} {full} does not exist; give a file whose first line is {what}.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SecretFileException($"{source} {full} cannot be read ({e.Message}); give a file whose first line is {what}, readable by this user.", e);
        }
        return line is { Length: > 0 } ? line : throw new SecretFileException($"{source} {full} is empty; its first line must be {what}.");
    }
}

/// <summary>A secret's file that cannot give the secret; the message names the file and what to do.</summary>
public sealed class SecretFileException(string message, Exception? inner = null) : ArgumentException(message, inner);
