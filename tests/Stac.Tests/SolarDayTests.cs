using NrtCluster.Geo.Stac;

namespace NrtCluster.Geo.Stac.Tests;

public class SolarDayTests
{
    [Fact]
    public void Nine_granules_of_one_pass_are_one_observation()
    {
        var items = Fixtures.Features(Fixtures.NineGranules);
        var observations = SolarDays.Group(items);
        var single = Assert.Single(observations);
        Assert.Equal(new DateOnly(2020, 6, 6), single.SolarDay);
        Assert.Equal(9, single.Items.Count);
        Assert.Equal(new DateTimeOffset(2020, 6, 6, 8, 6, 9, 24, TimeSpan.Zero), single.AcquisitionTime);
        // Same datetime: ordered by id so the mosaic order is reproducible.
        Assert.Equal(items.Select(i => i.Id).Order(StringComparer.Ordinal), single.Items.Select(i => i.Id));
    }

    [Fact]
    public void Thirteen_acquisitions_of_35MNM_are_thirteen_solar_days_oldest_first_five_days_apart()
    {
        var observations = SolarDays.Group(Fixtures.Features(Fixtures.Tile35Mnm));
        Assert.Equal(13, observations.Count);
        var expected = Enumerable.Range(0, 13).Select(k => new DateOnly(2020, 6, 1).AddDays(5 * k));
        Assert.Equal(expected, observations.Select(o => o.SolarDay));
        Assert.All(observations, o => Assert.Single(o.Items));
        Assert.All(observations, o => Assert.Equal(o.SolarDay, DateOnly.FromDateTime(o.AcquisitionTime.UtcDateTime)));
    }

    [Fact]
    public void The_same_granule_in_two_search_results_counts_once()
    {
        var both = Fixtures.Features(Fixtures.Tile35Mnm).Concat(Fixtures.Features(Fixtures.NineGranules));
        var observations = SolarDays.Group(both);
        Assert.Equal(13, observations.Count);
        Assert.Equal(9, observations.Single(o => o.SolarDay == new DateOnly(2020, 6, 6)).Items.Count);
    }

    [Theory]
    // Alaska, 21:25 UTC at lon -147.8: 11:34 local solar time, same date.
    [InlineData(Fixtures.PlanetaryComputer, 2019, 6, 29)]
    // Austria, 10:00 UTC at lon 15.7.
    [InlineData(Fixtures.Cdse, 2025, 3, 30)]
    public void Fixture_items_fall_on_their_local_solar_day(string file, int y, int m, int d) =>
        Assert.Equal(new DateOnly(y, m, d), SolarDays.Of(Fixtures.Item(file)));

    [Fact]
    public void Utc_dates_that_split_a_pass_are_joined_by_solar_time()
    {
        // A pass over the Pacific at 150 E crossing UTC midnight: local solar time is ~10:00 the next day for both.
        var before = Item("a", "2021-03-01T23:58:00Z", 149.5);
        var after = Item("b", "2021-03-02T00:01:00Z", 150.5);
        var observation = Assert.Single(SolarDays.Group([after, before]));
        Assert.Equal(new DateOnly(2021, 3, 2), observation.SolarDay);
        Assert.Equal(["a", "b"], observation.Items.Select(i => i.Id));
        Assert.Equal(before.DateTime, observation.AcquisitionTime);
    }

    [Fact]
    public void Solar_longitude_of_an_antimeridian_bbox_is_its_wrapped_centre()
    {
        // bbox from 179 E to 179 W: centre 180, i.e. +12 h.
        var item = Fixtures.ParseItemJson("""
            {"type":"Feature","id":"am","bbox":[179.0,-17.0,-179.0,-16.0],"geometry":null,
             "properties":{"datetime":"2021-03-01T13:00:00Z"},"assets":{}}
            """);
        Assert.Equal(-180, item.Centre.Longitude, 9);
        Assert.Equal(new DateOnly(2021, 3, 1), SolarDays.Of(item));
    }

    private static StacItem Item(string id, string datetime, double lon) => Fixtures.ParseItemJson($$$"""
        {"type":"Feature","id":"{{{id}}}","bbox":[{{{lon - 0.5}}},-30,{{{lon + 0.5}}},-29],"geometry":null,
         "properties":{"datetime":"{{{datetime}}}"},"assets":{}}
        """);
}
