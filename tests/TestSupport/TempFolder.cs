namespace NrtCluster.TestSupport;

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("nrtc-test-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Best effort: a process the test started may still hold a file in it; the system's temp cleaning takes what is left.</summary>
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
