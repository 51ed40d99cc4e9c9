using NrtCluster.Geo.Synthetic;

namespace NrtCluster.Geo.Tests.Synthetic;

/// <summary>A tiny scene (60 x 60 px granules, one year across the 2022-01-25 baseline switch), built once per test class.</summary>
public sealed class SceneFixture
{
    public static readonly SyntheticArchiveOptions Options = new()
    {
        Seed = 7,
        GranuleSize = 60,
        Start = new DateOnly(2021, 6, 1),
        End = new DateOnly(2022, 5, 31),
        HistoryEnd = new DateOnly(2021, 12, 31),
    };

    public SyntheticScene Scene { get; } = new(Options);

    private readonly Dictionary<(int, int), ushort[][]> _rendered = new();

    /// <summary>Rendered bands of (granule, acquisition index), cached: several tests scan the whole series.</summary>
    public ushort[][] Render(int granule, int acquisition)
    {
        lock (_rendered)
        {
            if (!_rendered.TryGetValue((granule, acquisition), out var bands))
                _rendered[(granule, acquisition)] = bands = Scene.Render(granule, Scene.Acquisitions[acquisition]);
            return bands;
        }
    }
}

/// <summary>The tiny scene written to disk as an archive, once per test class.</summary>
public sealed class ArchiveFixture : IDisposable
{
    private readonly TempFolder _folder = new();

    public ArchiveFixture()
    {
        Result = SyntheticArchive.Generate(Path.Combine(_folder.Path, "archive"), SceneFixture.Options);
    }

    public SyntheticArchiveResult Result { get; }

    public string Root => Result.Directory;

    public void Dispose() => _folder.Dispose();
}
