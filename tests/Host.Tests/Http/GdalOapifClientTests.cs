using System.Text.RegularExpressions;

namespace NrtCluster.Host.Tests.Http;

/// <summary>GDAL's OGC API - Features driver (OAPIF), run as ogrinfo, reads the node's /ogc service.</summary>
[Collection(NodeCollection.Name)]
public partial class GdalOapifClientTests(NodeFixture node)
{
    private string Connection => $"OAPIF:{node.Server.BaseUrl}/ogc";

    private static string Ogrinfo(params string[] args)
    {
        var (code, output) = Processes.Run("ogrinfo", ["-ro", .. args]);
        Assert.True(code == 0, output);
        Assert.DoesNotContain("ERROR", output);
        return output;
    }

    /// <summary>Asserts <paramref name="output"/> holds <paramref name="expected"/>, showing the whole output when not.</summary>
    private static void Has(string output, string expected) => Assert.True(output.Contains(expected, StringComparison.Ordinal), $"no '{expected}' in:\n{output}");

    /// <summary>The value of every "  id (String) = ..." line of ogrinfo's feature listing, in order.</summary>
    private static string[] FeatureIds(string output) => [.. IdLine().Matches(output).Select(m => m.Groups[1].Value)];

    [GeneratedRegex(@"^\s+id \(String\) = (.+)$", RegexOptions.Multiline)]
    private static partial Regex IdLine();

    [Fact]
    public void OgrinfoListsBothCollectionsAsLayers()
    {
        var output = Ogrinfo("-so", Connection);
        Has(output, "1: alerts (title: Break pixels) (Polygon)");
        Has(output, "2: patches (title: Alert patches) (Polygon)");
    }

    [Fact]
    public void OgrinfoReadsEveryPatchWithItsFieldsAcrossPages()
    {
        // Three features a page: the eight patches take three pages, followed by the next links.
        var output = Ogrinfo("-oo", "PAGE_SIZE=3", Connection, "patches");
        Has(output, "Feature Count: 8");
        Has(output, "Extent: (10.0");
        foreach (var field in new[] { "id: String", "tile: String", "area_ha: Real", "first_date: Date", "last_date: Date", "pixels: Integer", "confidence: String", "magnitude: Real" })
            Has(output, field);
        Assert.Equal(PatchFixtures.NewestFirst, FeatureIds(output));
        Has(output, "area_ha (Real) = 3.6");
        Has(output, "last_date (Date) = 2024/07/20");
        Has(output, "confidence (String) = (null)");
    }

    [Fact]
    public void ASpatialFilterKeepsThePatchesInItsBox()
    {
        // GDAL sends the filter's envelope as bbox (and checks the geometries again itself); OgcFeaturesTests shows the server's side.
        var output = Ogrinfo("-oo", "PAGE_SIZE=3", "-spat", "9.9", "51.9", "10.03", "52.1", Connection, "patches");
        Assert.Equal(PatchFixtures.NewestFirst[4..], FeatureIds(output));
        Has(output, "Feature Count: 4");
    }

    [Fact]
    public void OgrinfoPagesThroughTheAlertsByCursor()
    {
        var output = Ogrinfo("-oo", "PAGE_SIZE=300", Connection, "alerts");
        Has(output, "Feature Count: 800");
        Has(output, "detection_date: Date");
        var ids = Regex.Matches(output, @"^\s+id \(String\) = (x\d_y0/\d+/\d+)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(800, ids.Distinct().Count());
    }
}
