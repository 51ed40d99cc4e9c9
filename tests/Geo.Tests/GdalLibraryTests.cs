using System.Runtime.InteropServices;
using NrtCluster.Geo.Gdal;

namespace NrtCluster.Geo.Tests;

public sealed class GdalLibraryTests
{
    [Fact]
    public void GDAL_3_6_to_3_10_are_tried_oldest_first()
    {
        Assert.Equal(["libgdal.so.32", "libgdal.so.33", "libgdal.so.34", "libgdal.so.35", "libgdal.so.36"], GdalLibrary.Candidates);
    }

    [Fact]
    public void GDAL_calls_go_to_the_first_candidate_installed()
    {
        var installed = GdalLibrary.Candidates.First(name => NativeLibrary.TryLoad(name, out _));
        using var srs = SpatialReference.FromEpsg(3035);
        Assert.Contains("ETRS89", srs.ToWkt());
        Assert.Equal(installed, GdalLibrary.Loaded);
    }
}
