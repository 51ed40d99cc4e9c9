using System.Text.Json.Nodes;
using NrtCluster.Actors.Config;
using NrtCluster.Actors.Jobs;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Tests.Node;

/// <summary>The area of interest and the forest mask in state.json: what may change without starting fresh, and what is refused.</summary>
public sealed class AreaFingerprintTests : IDisposable
{
    private const string Bbox = "bbox = [24.9, 45.3, 25.4, 45.7]";
    private const string Grown = "bbox = [24.9, 45.3, 25.8, 45.9]";
    private readonly string _folder = Directory.CreateTempSubdirectory("nrtc-area-fingerprint-").FullName;

    private string File => Path.Combine(_folder, StateFingerprint.FileName);

    private StateFingerprint Of(params (string Replace, string By)[] changes)
    {
        var text = ProjectTemplate.Example("t");
        foreach (var (replace, by) in changes)
        {
            Assert.Contains(replace, text);
            text = text.Replace(replace, by, StringComparison.Ordinal);
        }
        return StateFingerprint.Of(ProjectConfigLoader.Parse(text, _folder));
    }

    private JsonNode Stored(string key) => JsonNode.Parse(System.IO.File.ReadAllText(File))!["config"]![key]!;

    private string[] StoredTiles => Stored(StateFingerprint.AreaTilesKey).GetValue<string>().Split(' ');

    [Fact]
    public void A_grown_area_is_recorded_and_one_leaving_tiles_out_is_refused_naming_them_unless_dropped()
    {
        Of().Claim(_folder, NodeProfile.Embedded);
        Assert.Equal("bbox [24.9, 45.3, 25.4, 45.7]", Stored(StateFingerprint.AreaKey).GetValue<string>());
        var small = StoredTiles;
        Assert.NotEmpty(small);

        var grown = Of((Bbox, Grown));
        var stored = StateFingerprint.Read(_folder)!;
        var added = grown.AddedTiles(stored);
        Assert.NotEmpty(added);
        Assert.Empty(grown.DroppedTiles(stored));
        Assert.Empty(grown.ChangesFrom(stored));
        grown.Claim(_folder, NodeProfile.Embedded);
        Assert.Equal("bbox [24.9, 45.3, 25.8, 45.9]", Stored(StateFingerprint.AreaKey).GetValue<string>());
        Assert.Equal(small.Concat(added).Order(), StoredTiles.Order());

        var written = System.IO.File.ReadAllText(File);
        var refused = Assert.Throws<StateMismatchException>(() => Of().Claim(_folder, NodeProfile.Embedded));
        Assert.Equal(
            $"project.area-of-interest: the area leaves out {added.Count} tile(s) of the area the state in {_folder} was made with: {string.Join(", ", added)}; " +
            "nothing was changed. Grow the area so that it keeps them, or run 'nrtc area --drop-tiles' with this project file to stop fitting, feeding and " +
            "reporting them (their stored state is kept).", refused.Message);
        Assert.Equal(written, System.IO.File.ReadAllText(File));

        Of().AllowingDroppedTiles().Claim(_folder, NodeProfile.Embedded);
        Assert.Equal(small, StoredTiles);
    }

    /// <summary>Another forest mask is refused as any changed key, except by update-mask, which records it; other keys are still refused then.</summary>
    [Fact]
    public void Another_forest_mask_is_taken_and_recorded_only_when_allowed()
    {
        Of().Claim(_folder, NodeProfile.Embedded);
        var mask = ("source = none\n    # raster = \"tree-cover-density.tif\"", "source = raster\n    raster = \"forest-2026.tif\"");
        System.IO.File.WriteAllBytes(Path.Combine(_folder, "forest-2026.tif"), []);
        var refused = Assert.Throws<StateMismatchException>(() => Of(mask).Claim(_folder, NodeProfile.Embedded));
        Assert.Contains("project.forest-mask.source: none -> raster", refused.Message);

        var both = Assert.Throws<StateMismatchException>(() => Of(mask, ("sensitivity = 2.5", "sensitivity = 3")).AllowingMaskChange().Claim(_folder, NodeProfile.Embedded));
        Assert.Contains("project.monitor.options", both.Message);
        Assert.DoesNotContain("forest-mask", both.Message);

        Of(mask).AllowingMaskChange().Claim(_folder, NodeProfile.Embedded);
        Assert.Equal(Path.Combine(_folder, "forest-2026.tif"), Stored("project.forest-mask.raster").GetValue<string>());
        Of(mask).Claim(_folder, NodeProfile.Embedded);
    }

    /// <summary>State recorded before the area was: taken, and the area recorded, keeping what else was stored (the demo's archive keys).</summary>
    [Fact]
    public void State_recorded_before_the_area_takes_it_and_keeps_other_stored_keys()
    {
        Of().With("demo.archive.size", "40").Claim(_folder, NodeProfile.Embedded);
        var json = JsonNode.Parse(System.IO.File.ReadAllText(File))!;
        var config = json["config"]!.AsObject();
        config.Remove(StateFingerprint.AreaKey);
        config.Remove(StateFingerprint.AreaTilesKey);
        System.IO.File.WriteAllText(File, json.ToJsonString());

        Of((Bbox, Grown)).Claim(_folder, NodeProfile.Embedded);
        Assert.Equal("bbox [24.9, 45.3, 25.8, 45.9]", Stored(StateFingerprint.AreaKey).GetValue<string>());
        Assert.Equal("40", Stored("demo.archive.size").GetValue<string>());
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
