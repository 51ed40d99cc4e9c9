using System.Text.Json;

namespace NrtCluster.Host.Tests;

public class RuntimeConfigTests
{
    /// <summary>nrtc runs as a fresh process per fit and fast-forward: its JIT work must not be tripled by instrumented tiering.</summary>
    [Fact]
    public void Nrtc_runs_without_profile_guided_tiering()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "nrtc.runtimeconfig.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var properties = doc.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.True(properties.TryGetProperty("System.Runtime.TieredPGO", out var pgo), $"{path} does not set System.Runtime.TieredPGO");
        Assert.False(pgo.GetBoolean());
    }
}
