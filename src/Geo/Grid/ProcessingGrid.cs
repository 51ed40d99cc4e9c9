using System.Globalization;
using System.Text.Json;
using NetTopologySuite.Densify;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.IO.Converters;
using NrtCluster.Geo.Gdal;

namespace NrtCluster.Geo.Grid;

/// <summary>
/// A tile of the processing grid: column counted eastwards and row counted southwards from the grid origin. Its text form
/// <c>x{column}_y{row}</c> is the sharding entity id and part of every tile's persistence id, so it must never change.
/// </summary>
public readonly record struct TileId(int Column, int Row)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"x{Column}_y{Row}");

    /// <summary>Parses the <see cref="ToString"/> form, e.g. "x12_y-3".</summary>
    public static TileId Parse(string text) =>
        TryParse(text, out var tile)
            ? tile
            : throw new FormatException($"'{text}' is not a tile id; expected x<column>_y<row>, e.g. x12_y7.");

    public static bool TryParse(string? text, out TileId tile)
    {
        tile = default;
        if (text is null || !text.StartsWith('x')) return false;
        int sep = text.IndexOf("_y", StringComparison.Ordinal);
        if (sep < 2) return false;
        if (!int.TryParse(text.AsSpan(1, sep - 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var column)) return false;
        if (!int.TryParse(text.AsSpan(sep + 2), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var row)) return false;
        tile = new TileId(column, row);
        return true;
    }
}

/// <summary>
/// The project's processing grid: a CRS, a square pixel size, the upper-left origin of tile (0,0), and the
/// tile size in pixels. Tile (col,row) spans x in [OriginX + col*T*res, OriginX + (col+1)*T*res) and
/// y in (OriginY - (row+1)*T*res, OriginY - row*T*res].
/// </summary>
public sealed record ProcessingGrid(string Crs, double Resolution, double OriginX, double OriginY, int TileSize)
{
    /// <summary>The tile edge length in CRS units.</summary>
    public double TileExtent => Resolution * TileSize;

    public GeoBox TileGeoBox(TileId tile)
    {
        Validate();
        return GeoBox.NorthUp(Crs, OriginX + tile.Column * TileExtent, OriginY - tile.Row * TileExtent, Resolution, TileSize, TileSize);
    }

    /// <summary>The tile that contains the grid-CRS point (x, y).</summary>
    public TileId TileAt(double x, double y)
    {
        Validate();
        return new TileId((int)Math.Floor((x - OriginX) / TileExtent), (int)Math.Floor((OriginY - y) / TileExtent));
    }

    /// <summary>The tiles that intersect a lon/lat bounding box (degrees, WGS 84).</summary>
    public IReadOnlyList<TileId> TilesCovering(double west, double south, double east, double north)
    {
        if (!(west < east) || !(south < north))
            throw new ArgumentException($"The bbox ({west}, {south}, {east}, {north}) is empty: give west < east and south < north in degrees.");
        var factory = new GeometryFactory();
        var polygon = factory.ToGeometry(new Envelope(west, east, south, north));
        return TilesCovering(polygon);
    }

    /// <summary>The tiles that intersect an area of interest given in lon/lat (WGS 84) as a polygon or multipolygon.</summary>
    /// <param name="within">Only tiles in this range of columns and rows are considered (e.g. the project's tiles), however far the area reaches.</param>
    public IReadOnlyList<TileId> TilesCovering(Geometry lonLatArea, (TileId First, TileId Last)? within = null)
    {
        Validate();
        if (lonLatArea.IsEmpty || lonLatArea.Dimension != Dimension.Surface)
            throw new ArgumentException($"The area of interest must be a (multi)polygon in lon/lat, got {lonLatArea.GeometryType}.");
        var gridArea = ToGridCrs(lonLatArea);
        var env = gridArea.EnvelopeInternal;
        if (env.IsNull || !double.IsFinite(env.Width) || !double.IsFinite(env.Height))
            throw new ArgumentException($"The area ({lonLatArea.EnvelopeInternal}) has no finite extent in the grid's CRS {Crs}.");
        var first = TileAt(env.MinX, env.MaxY);
        var last = TileAt(env.MaxX, env.MinY);
        if (within is { } w)
        {
            first = new TileId(Math.Max(first.Column, w.First.Column), Math.Max(first.Row, w.First.Row));
            last = new TileId(Math.Min(last.Column, w.Last.Column), Math.Min(last.Row, w.Last.Row));
        }
        var prepared = PreparedGeometryFactory.Prepare(gridArea);
        var tiles = new List<TileId>();
        for (var row = first.Row; row <= last.Row; row++)
            for (var col = first.Column; col <= last.Column; col++)
            {
                var b = TileGeoBox(new TileId(col, row)).Bounds;
                if (prepared.Intersects(gridArea.Factory.ToGeometry(new Envelope(b.MinX, b.MaxX, b.MinY, b.MaxY))))
                    tiles.Add(new TileId(col, row));
            }
        return tiles;
    }

    /// <summary>
    /// The lon/lat envelope of the tiles from <paramref name="first"/> to <paramref name="last"/> (columns and rows
    /// inclusive), from their outline densified so that edges curving in lon/lat are followed.
    /// </summary>
    public Envelope LonLatEnvelope(TileId first, TileId last)
    {
        Validate();
        var box = GeoBox.NorthUp(Crs, OriginX + first.Column * TileExtent, OriginY - first.Row * TileExtent, Resolution,
            (last.Column - first.Column + 1) * TileSize, (last.Row - first.Row + 1) * TileSize);
        var (xs, ys) = box.Outline(256);
        using var grid = SpatialReference.FromUserInput(Crs);
        using var wgs84 = SpatialReference.Wgs84();
        using var transform = new CoordinateTransformation(grid, wgs84);
        transform.Transform(xs, ys);
        return new Envelope(xs.Min(), xs.Max(), ys.Min(), ys.Max());
    }

    /// <summary>The bounds of a lon/lat area in the grid CRS.</summary>
    public Envelope GridBounds(Geometry lonLatArea) => ToGridCrs(lonLatArea).EnvelopeInternal;

    /// <summary>
    /// The columns and rows of tiles spanned by <paramref name="gridBounds"/> (see <see cref="GridBounds"/>): an upper bound of
    /// <see cref="TilesCovering(Geometry)"/>'s count, computed without listing the tiles.
    /// </summary>
    public (long Columns, long Rows) TileSpan(Envelope gridBounds)
    {
        Validate();
        long Span(double from, double to) => (long)Math.Floor(to / TileExtent) - (long)Math.Floor(from / TileExtent) + 1;
        return (Span(gridBounds.MinX - OriginX, gridBounds.MaxX - OriginX), Span(OriginY - gridBounds.MaxY, OriginY - gridBounds.MinY));
    }

    /// <summary>The tiles that intersect a GeoJSON area of interest (Geometry, Feature or FeatureCollection, lon/lat).</summary>
    public IReadOnlyList<TileId> TilesCovering(string geoJson) => TilesCovering(ParseGeoJsonArea(geoJson));

    /// <summary>Reads a GeoJSON Geometry, Feature or FeatureCollection into one (multi)polygon geometry.</summary>
    public static Geometry ParseGeoJsonArea(string geoJson)
    {
        var options = new JsonSerializerOptions();
        options.Converters.Add(new GeoJsonConverterFactory());
        Geometry? geometry;
        try
        {
            using var doc = JsonDocument.Parse(geoJson);
            var type = doc.RootElement.TryGetProperty("type", out var t) ? t.GetString() : null;
            geometry = type switch
            {
                "FeatureCollection" => Union(doc.RootElement.Deserialize<FeatureCollection>(options)!.Select(f => f.Geometry)),
                "Feature" => doc.RootElement.Deserialize<IFeature>(options)!.Geometry,
                _ => doc.RootElement.Deserialize<Geometry>(options),
            };
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"The area of interest is not valid GeoJSON: {e.Message}", nameof(geoJson), e);
        }
        return geometry ?? throw new ArgumentException("The GeoJSON area of interest holds no geometry.", nameof(geoJson));
    }

    private static Geometry? Union(IEnumerable<Geometry?> geometries)
    {
        Geometry? result = null;
        foreach (var g in geometries)
            if (g is not null) result = result is null ? g : result.Union(g);
        return result;
    }

    /// <summary>Transforms a lon/lat geometry to the grid CRS, densifying edges first so that they stay close to their true curved images.</summary>
    private Geometry ToGridCrs(Geometry lonLat)
    {
        var dense = Densifier.Densify(lonLat, 0.01);
        using var wgs84 = SpatialReference.Wgs84();
        using var grid = SpatialReference.FromUserInput(Crs);
        using var transform = new CoordinateTransformation(wgs84, grid);
        var result = dense.Copy();
        var coords = result.Coordinates;
        var xs = coords.Select(c => c.X).ToArray();
        var ys = coords.Select(c => c.Y).ToArray();
        transform.Transform(xs, ys);
        var filter = new SetCoordinates(xs, ys);
        result.Apply(filter);
        result.GeometryChanged();
        return result.IsValid ? result : result.Buffer(0);
    }

    private void Validate()
    {
        if (!(Resolution > 0) || TileSize <= 0)
            throw new InvalidOperationException($"The processing grid needs a positive resolution and tile size, got {Resolution} and {TileSize}.");
    }

    /// <summary>Overwrites coordinates in the order Geometry.Coordinates lists them.</summary>
    private sealed class SetCoordinates(double[] xs, double[] ys) : IEntireCoordinateSequenceFilter
    {
        private int _next;

        public bool Done => false;
        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq)
        {
            for (var i = 0; i < seq.Count; i++, _next++)
            {
                seq.SetX(i, xs[_next]);
                seq.SetY(i, ys[_next]);
            }
        }
    }
}
