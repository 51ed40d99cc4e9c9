using System.Diagnostics;
using NetTopologySuite.Geometries;
using NrtCluster.Actors.Sources;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Stac;
using Xunit.Abstractions;

namespace NrtCluster.Actors.Tests.Poller;

/// <summary>
/// Footprints are clipped to the project's tiles before any grid tile is enumerated (real grid, GDAL transforms): a
/// world-sized or absurd footprint costs what the project costs, and a normal one touches the same tiles as before.
/// </summary>
public sealed class FootprintClippingTests(ITestOutputHelper output)
{
    // UTM 32N, 20 m pixels, 256-px tiles (5.12 km): the area below covers a few tiles of a grid spanning the whole zone.
    private static readonly ProcessingGrid Grid = new("EPSG:32632", 20, 300_000, 5_400_000, 256);
    private static readonly Geometry Area = Box(9.5, 47.5, 9.6, 47.56);
    private static readonly GridTileFootprints Footprints = new(Grid, Area);

    private static Polygon Box(double w, double s, double e, double n) => new BoundingBox(w, s, e, n).ToPolygon(StacJson.GeometryFactory);

    /// <summary>Runs on its own thread with a deadline, so a footprint that walks millions of tiles fails the test instead of hanging it.</summary>
    private static async Task<(IReadOnlyList<TileId> Tiles, long AllocatedBytes, TimeSpan Elapsed)> Touching(Geometry footprint)
    {
        var watch = Stopwatch.StartNew();
        var (tiles, bytes) = await Task.Run(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var t = Footprints.TilesTouching(footprint);
            return (t, GC.GetAllocatedBytesForCurrentThread() - before);
        }).WaitAsync(TimeSpan.FromSeconds(10));
        return (tiles, bytes, watch.Elapsed);
    }

    [Fact]
    public async Task A_world_sized_footprint_touches_exactly_the_project_tiles_within_seconds_and_bounded_memory()
    {
        Assert.InRange(Footprints.ProjectTiles.Count, 2, 20);
        var (tiles, bytes, elapsed) = await Touching(Box(-180, -90, 180, 90));
        Assert.Equal(Footprints.ProjectTiles, tiles.OrderBy(t => t.Row).ThenBy(t => t.Column));
        Assert.True(bytes < 200_000_000, $"{bytes / 1e6:0} MB allocated");
        output.WriteLine($"world footprint: {tiles.Count} tiles in {elapsed.TotalMilliseconds:0} ms, {bytes / 1e6:0.0} MB");
    }

    [Fact]
    public async Task A_footprint_of_1e300_degrees_finishes_within_seconds_and_bounded_memory()
    {
        // The parser rejects such coordinates; the index must stay bounded for geometries built any other way.
        var huge = StacJson.GeometryFactory.CreatePolygon(
        [
            new Coordinate(-1e300, -1e300), new Coordinate(1e300, -1e300), new Coordinate(1e300, 1e300),
            new Coordinate(-1e300, 1e300), new Coordinate(-1e300, -1e300),
        ]);
        var (tiles, bytes, elapsed) = await Touching(huge);
        output.WriteLine($"1e300 footprint: {tiles.Count} tiles in {elapsed.TotalMilliseconds:0} ms, {bytes / 1e6:0.0} MB");
        Assert.Equal(Footprints.ProjectTiles, tiles.OrderBy(t => t.Row).ThenBy(t => t.Column));
        Assert.True(bytes < 200_000_000, $"{bytes / 1e6:0} MB allocated");
    }

    [Fact]
    public async Task Clipping_changes_nothing_for_ordinary_footprints()
    {
        var all = new GridTileFootprints(Grid); // no project: nothing is clipped
        var project = Footprints.ProjectTiles.ToHashSet();
        Geometry[] footprints =
        [
            Box(9.0, 47.0, 10.4, 47.9),        // a granule covering the whole area
            Box(9.55, 47.52, 9.7, 47.6),       // reaching out of it on one side
            Box(9.599, 47.559, 9.65, 47.6),    // touching a corner
            Box(9.51, 47.51, 9.52, 47.52),     // inside one tile
        ];
        foreach (var f in footprints)
        {
            var expected = all.TilesTouching(f).Where(project.Contains).OrderBy(t => t.Row).ThenBy(t => t.Column);
            Assert.Equal(expected, (await Touching(f)).Tiles.OrderBy(t => t.Row).ThenBy(t => t.Column));
        }
        Assert.Empty((await Touching(Box(-70, -30, -69, -29))).Tiles); // another continent: no tile, no transform error
    }

    [Fact]
    public async Task A_footprint_written_with_longitudes_beyond_180_still_reaches_a_project_across_the_antimeridian()
    {
        // UTM 60S near Fiji: the project lies just east of the antimeridian (negative longitudes).
        var grid = new ProcessingGrid("EPSG:32760", 20, 800_000, 8_200_000, 256);
        var footprints = new GridTileFootprints(grid, Box(-179.99, -17.1, -179.9, -17.0));
        Assert.NotEmpty(footprints.ProjectTiles);
        // The same granule, once with longitudes beyond 180 (as antimeridian-crossing items are often written) and once wrapped.
        var beyond = await Task.Run(() => footprints.TilesTouching(Box(179.7, -17.3, 180.05, -16.9))).WaitAsync(TimeSpan.FromSeconds(10));
        var wrapped = footprints.TilesTouching(Box(-180, -17.3, -179.95, -16.9));
        static IEnumerable<TileId> Sorted(IEnumerable<TileId> tiles) => tiles.OrderBy(t => t.Row).ThenBy(t => t.Column);
        Assert.NotEmpty(beyond);
        Assert.Equal(Sorted(wrapped), Sorted(beyond));
        Assert.Equal(Sorted(new GridTileFootprints(grid).TilesTouching(Box(179.7, -17.3, 180.05, -16.9)).Where(footprints.ProjectTiles.Contains)), Sorted(beyond));
    }
}
