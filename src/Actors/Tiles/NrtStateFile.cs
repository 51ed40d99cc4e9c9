using System.Collections.Immutable;
using System.Globalization;
using NrtCluster.Geo.Gdal;
using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Actors.Tiles;

/// <summary>The pixel centres of a tile (x ascending, y descending), as nrt keeps them in its x and y coordinates.</summary>
public sealed record TileCoordinates(double Left, double Top, double Resolution, int Width, int Height)
{
    public double[] X => [.. Enumerable.Range(0, Width).Select(i => Left + (i + 0.5) * Resolution)];

    public double[] Y => [.. Enumerable.Range(0, Height).Select(j => Top - (j + 0.5) * Resolution)];
}

/// <summary>
/// A fitted monitor as the JRC <c>nrt</c> package's <c>to_netcdf</c> writes it and its <c>from_netcdf</c> reads it: the
/// coordinate variables x and y, one variable per array attribute of the monitor object (2-D ones on (y, x); 3-D ones,
/// beta, on a dimension named a, b, ... with a uint16 index variable of the same name), and one scalar variable per
/// scalar attribute, whose value is its attribute <c>value</c> (booleans as integers with the attribute
/// <c>dtype = "bool"</c>). Read and written through GDAL's netCDF driver (<see cref="NetcdfFile"/>).
/// </summary>
public static class NrtStateFile
{
    /// <summary>Writes <paramref name="monitor"/>'s state (<see cref="BaseMonitor.ExportState"/>) at <paramref name="where"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, BaseMonitor monitor, TileCoordinates where)
    {
        var dimensions = new List<(string Name, int Size)> { ("x", where.Width), ("y", where.Height) };
        var variables = new List<NetcdfVariable>
        {
            new("x", ["x"], [where.Width], where.X),
            new("y", ["y"], [where.Height], where.Y),
        };
        char third = 'a';
        foreach (var layer in monitor.ExportState())
        {
            if (layer.Shape.Length == 3)
            {
                var name = third++.ToString();
                dimensions.Add((name, layer.Shape[0]));
                variables.Add(new NetcdfVariable(name, [name], [layer.Shape[0]], Enumerable.Range(0, layer.Shape[0]).Select(i => (ushort)i).ToArray()));
                variables.Add(new NetcdfVariable(layer.Name, [name, "y", "x"], layer.Shape, layer.Data));
            }
            else
            {
                variables.Add(new NetcdfVariable(layer.Name, ["y", "x"], layer.Shape, layer.Data));
            }
        }
        foreach (var (name, value) in ReferenceState.Scalars(monitor.Name, monitor.Options))
            variables.Add(Scalar(name, value));
        NetcdfFile.Write(path, dimensions, variables);
    }

    /// <summary>
    /// A scalar attribute as nrt writes it: an empty variable typed after the value (int8 for bool, int32, float32, char;
    /// GDAL 3.6 writes int8 as int16 and char as uint8, which nrt reads alike) carrying the value in its attribute <c>value</c>.
    /// </summary>
    private static NetcdfVariable Scalar(string name, object value) => value switch
    {
        bool b => new NetcdfVariable(name, [], [], new short[] { (short)(b ? 1 : 0) })
        {
            Attributes = ImmutableDictionary<string, object>.Empty.Add("value", b ? 1 : 0).Add("dtype", "bool"),
        },
        int i => new NetcdfVariable(name, [], [], new[] { i }) { Attributes = ImmutableDictionary<string, object>.Empty.Add("value", i) },
        string s => new NetcdfVariable(name, [], [], new byte[1]) { Attributes = ImmutableDictionary<string, object>.Empty.Add("value", s) },
        // A whole number is kept as Python keeps a literal 2: an int (nrt's defaults are ints: sensitivity 2, threshold 10).
        double d when d == Math.Floor(d) && Math.Abs(d) < int.MaxValue => Scalar(name, (int)d),
        _ => new NetcdfVariable(name, [], [], new[] { (float)(double)value }) { Attributes = ImmutableDictionary<string, object>.Empty.Add("value", (double)value) },
    };

    /// <summary>What a file written by nrt's <c>to_netcdf</c> holds: its scalar attributes, arrays and pixel centres.</summary>
    public sealed record Contents(IReadOnlyDictionary<string, object> Scalars, IReadOnlyList<ReferenceLayer> Arrays, double[] X, double[] Y)
    {
        public string? Strategy => Scalars.TryGetValue("monitoring_strategy", out var s) ? s as string : null;
    }

    public static Contents Read(string path)
    {
        var variables = NetcdfFile.Read(path);
        var dimensionNames = variables.SelectMany(v => v.Dimensions).ToHashSet();
        var scalars = new Dictionary<string, object>();
        var arrays = new List<ReferenceLayer>();
        foreach (var v in variables)
        {
            if (v.Dimensions.IsEmpty)
                scalars[v.Name] = ScalarValue(v);
            else if (!dimensionNames.Contains(v.Name))
                arrays.Add(new ReferenceLayer(v.Name, v.Shape, v.Data));
        }
        double[] Coordinates(string name) => variables.FirstOrDefault(v => v.Name == name && v.Dimensions is [var d] && d == name) is { } c
            ? [.. c.Data.Cast<object>().Select(o => Convert.ToDouble(o, CultureInfo.InvariantCulture))]
            : throw new InvalidDataException($"it has no '{name}' coordinate variable; nrt's to_netcdf writes x and y.");
        return new Contents(scalars, arrays, Coordinates("x"), Coordinates("y"));
    }

    private static object ScalarValue(NetcdfVariable v)
    {
        object value = v.Attributes.TryGetValue("value", out var a) ? a : Convert.ToDouble(v.Data.GetValue(0), CultureInfo.InvariantCulture);
        return v.Attributes.TryGetValue("dtype", out var t) && t is "bool" ? Convert.ToDouble(value, CultureInfo.InvariantCulture) != 0 : value;
    }

    /// <summary>
    /// The fitted <paramref name="monitor"/> with <paramref name="options"/> held by the nrt file at <paramref name="path"/>,
    /// checked against them and against the tile <paramref name="where"/>: throws <see cref="InvalidDataException"/> saying
    /// what in the file differs (the monitor class, an option, the shape, the pixel centres), and <see cref="GdalException"/>
    /// naming a file GDAL cannot read.
    /// </summary>
    public static BaseMonitor Import(string path, string monitor, MonitorOptions options, TileCoordinates where)
    {
        var contents = Read(path);
        if (contents.Strategy is not { } strategy)
            throw new InvalidDataException("it is not a monitor written by nrt's to_netcdf: it has no monitoring_strategy variable.");
        if (!string.Equals(strategy, ReferenceState.StrategyOf(monitor), StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"it holds an nrt {strategy} monitor but the project monitors with {monitor}; import a state of an nrt {ReferenceState.StrategyOf(monitor)} monitor, or change project.monitor.");
        if (ReferenceState.Differences(monitor, options, contents.Scalars) is { Count: > 0 } differences)
            throw new InvalidDataException($"it was fitted with other {monitor} options than the project's: {string.Join("; ", differences)}. Change project.monitor.options to match, or fit the tile.");
        if (contents.X.Length != where.Width || contents.Y.Length != where.Height)
            throw new InvalidDataException(
                $"it is {contents.Y.Length} x {contents.X.Length} pixels (y x x) but the tile is {where.Height} x {where.Width}; export the state of one tile of the project's grid (project.grid).");
        var (x, y) = (where.X, where.Y);
        double tolerance = where.Resolution / 2;
        if (Math.Abs(contents.X[0] - x[0]) > tolerance || Math.Abs(contents.Y[0] - y[0]) > tolerance)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"its first pixel centre is x {contents.X[0]}, y {contents.Y[0]} but the tile's x {x[0]}, y {y[0]}; import it into the tile it was fitted on."));
        try
        {
            return ReferenceState.Restore(options, contents.Arrays);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }
}
