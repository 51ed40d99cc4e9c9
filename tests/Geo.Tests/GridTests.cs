using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Geo.Tests;

public class GridTests
{
    // EPSG:3035 (LAEA Europe) has its natural origin at 52N 10E with false easting/northing 4321000/3210000.
    private static readonly ProcessingGrid Grid = new("EPSG:3035", 20, 4000000, 3500000, 1000);

    [Fact]
    public void Lon_lat_go_to_laea_in_traditional_gis_order()
    {
        using var wgs = SpatialReference.Wgs84();
        using var laea = SpatialReference.FromEpsg(3035);
        using var ct = new CoordinateTransformation(wgs, laea);
        var (x, y) = ct.Transform(10, 52);
        Assert.Equal(4321000, x, 1e-6);
        Assert.Equal(3210000, y, 1e-6);
        Assert.Equal(3035, laea.EpsgCode);
    }

    [Fact]
    public void A_bad_crs_definition_is_named_in_the_error()
    {
        var e = Assert.Throws<GdalException>(() => SpatialReference.FromUserInput("EPSG:999999"));
        Assert.Contains("EPSG:999999", e.Message);
    }

    [Fact]
    public void Tile_geobox_and_pixel_centres_follow_from_column_and_row()
    {
        var box = Grid.TileGeoBox(new TileId(16, 14));
        Assert.Equal((1000, 1000), (box.Width, box.Height));
        Assert.Equal(new GeoTransform(4320000, 20, 0, 3220000, 0, -20), box.Transform);
        Assert.Equal((4320010.0, 3219990.0), box.PixelCentre(0, 0));
        Assert.Equal((4339990.0, 3200010.0), box.PixelCentre(999, 999));
        Assert.Equal(new Bounds(4320000, 3200000, 4340000, 3220000), box.Bounds);
        Assert.Equal(4320010.0, box.ColumnCentres()[0]);
        Assert.Equal(3200010.0, box.RowCentres()[^1]);
        Assert.Equal(new TileId(16, 14), Grid.TileAt(4321000, 3210000));
        Assert.Equal(new TileId(-1, -1), Grid.TileAt(3999999, 3500001));
        Assert.Equal(new TileId(16, 14), TileId.Parse(new TileId(16, 14).ToString()));
        Assert.Equal(new TileId(-3, 7), TileId.Parse("x-3_y7"));
        Assert.Throws<FormatException>(() => TileId.Parse("16/14"));
    }

    [Fact]
    public void A_small_bbox_selects_the_one_tile_holding_it()
    {
        Assert.Equal([new TileId(16, 14)], Grid.TilesCovering(9.99, 51.99, 10.01, 52.01));
    }

    [Fact]
    public void A_bbox_across_tile_edges_selects_every_tile_it_touches()
    {
        // (10E, 52N) is at x=4321000, the tile edge x=4320000 is 1 km west of it: 0.02 degrees of longitude reaches it.
        var tiles = Grid.TilesCovering(9.97, 51.99, 10.01, 52.01);
        Assert.Equal([new TileId(15, 14), new TileId(16, 14)], tiles);
    }

    [Fact]
    public void A_geojson_polygon_selects_only_the_tiles_it_intersects_not_its_whole_envelope()
    {
        // A thin diagonal triangle from tile (16,14) into (18,12): its envelope spans 3x3 tiles, the polygon fewer.
        using var wgs = SpatialReference.Wgs84();
        using var laea = SpatialReference.FromEpsg(3035);
        using var back = new CoordinateTransformation(laea, wgs);
        var a = back.Transform(4321000, 3210000);
        var b = back.Transform(4375000, 3264000);
        var c = back.Transform(4375000, 3263000);
        var json = $$$"""
            {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[{{{a.X}}},{{{a.Y}}}],[{{{b.X}}},{{{b.Y}}}],[{{{c.X}}},{{{c.Y}}}],[{{{a.X}}},{{{a.Y}}}]]]}}
            """;
        var tiles = Grid.TilesCovering(json);
        Assert.Equal([new TileId(18, 11), new TileId(17, 12), new TileId(18, 12), new TileId(16, 13), new TileId(17, 13), new TileId(16, 14)], tiles);
    }

    [Fact]
    public void Invalid_areas_are_refused_with_a_clear_message()
    {
        Assert.Contains("west < east", Assert.Throws<ArgumentException>(() => Grid.TilesCovering(11, 50, 10, 51)).Message);
        Assert.Contains("GeoJSON", Assert.Throws<ArgumentException>(() => Grid.TilesCovering("{not json")).Message);
        Assert.Contains("polygon", Assert.Throws<ArgumentException>(() => Grid.TilesCovering("""{"type":"Point","coordinates":[10,52]}""")).Message);
    }
}
