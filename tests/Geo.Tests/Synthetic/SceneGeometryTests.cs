using NrtCluster.Geo.Synthetic;

namespace NrtCluster.Geo.Tests.Synthetic;

public class SceneGeometryTests
{
    [Theory]
    [InlineData(32, 750_000, 5_350_000, 48.3, "32UQU")]
    [InlineData(32, 692_000, 5_334_000, 48.14, "32UPU")] // Munich
    [InlineData(33, 447_000, 5_350_000, 48.3, "33UVP")] // Linz
    [InlineData(33, 276_000, 5_320_000, 48.0, "33UTP")]
    public void MgrsTileNamesFollowTheSentinel2Grid(int zone, double easting, double northing, double latitude, string expected)
    {
        Assert.Equal(expected, SceneGeometry.MgrsTile(zone, easting, northing, latitude));
    }

    [Fact]
    public void TwoGranulesInZones32And33OverlapAcrossTwelveEast()
    {
        var g = SceneGeometry.Create(300);
        Assert.Equal(["32UQU", "33UTP"], g.Granules.Select(x => x.Tile));
        Assert.Equal([32632, 32633], g.Granules.Select(x => x.Epsg));
        var west = g.Granules[0].BboxLonLat;
        var east = g.Granules[1].BboxLonLat;
        // Each granule reaches across the zone boundary, so they overlap there.
        Assert.True(west[0] < 12 && west[2] > 12, $"west granule spans {west[0]}..{west[2]}");
        Assert.True(east[0] < 12 && east[2] > 12, $"east granule spans {east[0]}..{east[2]}");
        Assert.InRange(west[1], 47.99, 48.05);
        Assert.InRange(west[3], 48.05, 48.11);
        foreach (var granule in g.Granules)
        {
            Assert.Equal(300, granule.Box.Width);
            Assert.Equal(20, granule.Box.ResolutionX);
            Assert.Equal(0, granule.Box.Transform.X0 % 20);
            Assert.Equal(0, granule.Box.Transform.Y0 % 20);
            Assert.Equal(granule.Footprint[0], granule.Footprint[^1]);
        }
        // The east granule loses its north-east corner to the swath edge; the west one is whole.
        Assert.Equal(5, g.Granules[0].Footprint.Count);
        Assert.Equal(6, g.Granules[1].Footprint.Count);
        Assert.False(g.Granules[1].IsValid(299, 1));
        Assert.True(g.Granules[1].IsValid(1, 299));
    }

    [Fact]
    public void ReferenceGridIs3035At20mAndCoversBothGranules()
    {
        var g = SceneGeometry.Create(100);
        Assert.Equal("EPSG:3035", g.Reference.Crs);
        Assert.Equal(20, g.Reference.ResolutionX);
        Assert.Equal(0, g.Reference.Transform.X0 % 20);
        Assert.Equal(0, g.Reference.Transform.Y0 % 20);
        var (x, y) = SceneGeometry.PixelCentres(g.Reference, "EPSG:3035");
        var covered = g.Covered(x, y);
        var fraction = covered.Count(c => c) / (double)covered.Length;
        // Two 2 x 2 km windows overlapping by half, offset and rotated against each other (+-2.2 degrees of grid convergence).
        Assert.InRange(fraction, 0.6, 0.95);
        Assert.InRange(g.Reference.Width, 150, 170);
        Assert.InRange(g.Reference.Height, 110, 130);
    }
}
