using System.Text.Json.Nodes;
using NrtCluster.Geo.Gdal;

namespace NrtCluster.Host.Http.Features;

/// <summary>Days from <paramref name="Start"/> to <paramref name="End"/>, both included; null is open on that side.</summary>
public sealed record DateRange(DateOnly? Start, DateOnly? End)
{
    /// <summary>Whether the days <paramref name="first"/>..<paramref name="last"/> share a day with this range.</summary>
    public bool Meets(DateOnly first, DateOnly last) => (Start is not { } s || last >= s) && (End is not { } e || first <= e);
}

/// <summary>
/// What an items request asks for: features meeting <paramref name="LonLatBox"/> (WGS 84, lon/lat) and <paramref name="Dates"/>,
/// at most <paramref name="Limit"/>, continuing after the page whose next link carried <paramref name="Continuation"/>.
/// </summary>
public sealed record FeatureQuery(Bounds? LonLatBox, DateRange? Dates, int Limit, string? Continuation);

/// <summary>A page of GeoJSON features; <paramref name="Next"/> continues the query, null on the last page.</summary>
public sealed record FeaturePage(IReadOnlyList<JsonObject> Features, long NumberMatched, string? Next);

/// <summary>Where and when a collection's features lie; null parts are unknown (no data yet).</summary>
public sealed record CollectionExtent(Bounds? LonLatBox, DateOnly? First, DateOnly? Last);

/// <summary>One collection of the OGC API Features service (<see cref="OgcFeatures"/>).</summary>
public interface IFeatureCollection
{
    /// <summary>The collection id of the URLs (<c>/collections/{Id}</c>).</summary>
    string Id { get; }

    string Title { get; }

    string Description { get; }

    /// <summary>The query parameter that carries <see cref="FeaturePage.Next"/> in next links (e.g. <c>cursor</c>, <c>offset</c>).</summary>
    string ContinuationParameter { get; }

    CollectionExtent Extent();

    /// <exception cref="ArgumentException">The query is invalid for this collection (e.g. a bad continuation); the message says why.</exception>
    Task<FeaturePage> ItemsAsync(FeatureQuery query, CancellationToken cancellationToken);

    /// <summary>The feature with this id; null when there is none.</summary>
    Task<JsonObject?> ItemAsync(string featureId, CancellationToken cancellationToken);
}
