using System.Globalization;
using System.Runtime.InteropServices;

namespace NrtCluster.Geo.Gdal;

/// <summary>OGR field types NrtCluster writes and reads (values are OGRFieldType).</summary>
public enum VectorFieldType
{
    Integer = 0,
    Real = 2,
    String = 4,
    Date = 9,
    /// <summary>Read only: what FlatGeobuf, which has no date-only type, gives for a date.</summary>
    DateTime = 11,
}

/// <summary>OGR geometry types NrtCluster writes (values are OGRwkbGeometryType).</summary>
public enum VectorGeometryType
{
    Unknown = 0,
    Point = 1,
    Polygon = 3,
    MultiPolygon = 6,
}

public sealed record VectorField(string Name, VectorFieldType Type);

/// <summary>One feature as read: attribute values as GDAL formats them (null when unset or null), and the geometry's type name.</summary>
public sealed record VectorFeature(IReadOnlyDictionary<string, string?> Values, string? GeometryType);

/// <summary>A geometry (OGR), in whatever CRS its coordinates are in.</summary>
public sealed class VectorGeometry : IDisposable
{
    private readonly GeometryHandle _handle;

    internal VectorGeometry(IntPtr handle) => _handle = new GeometryHandle(handle);

    internal IntPtr Handle => _handle.IsClosed ? throw new ObjectDisposedException(nameof(VectorGeometry)) : _handle.DangerousGetHandle();

    /// <summary>"POLYGON", "MULTIPOLYGON", ...</summary>
    public string TypeName => GdalNative.PtrToString(GdalNative.OGR_G_GetGeometryName(Handle)) ?? "";

    /// <summary>The area in the square units of the coordinates.</summary>
    public double Area => GdalNative.OGR_G_Area(Handle);

    /// <summary>Transforms the coordinates in place.</summary>
    public void Transform(CoordinateTransformation transformation)
    {
        GdalNative.CPLErrorReset();
        if (GdalNative.OGR_G_Transform(Handle, transformation.Handle) != GdalNative.OgrErrNone)
            throw GdalException.FromLastError("transform a geometry", transformation.Description);
    }

    public static VectorGeometry Point(double x, double y)
    {
        var point = new VectorGeometry(GdalNative.OGR_G_CreateGeometry((int)VectorGeometryType.Point));
        GdalNative.OGR_G_SetPoint_2D(point.Handle, 0, x, y);
        return point;
    }

    /// <summary>One polygon as it is; several as one multipolygon (they take ownership of <paramref name="polygons"/>).</summary>
    public static VectorGeometry Collect(IReadOnlyList<VectorGeometry> polygons)
    {
        if (polygons.Count == 1) return polygons[0];
        var multi = new VectorGeometry(GdalNative.OGR_G_CreateGeometry((int)VectorGeometryType.MultiPolygon));
        foreach (var p in polygons)
        {
            if (GdalNative.OGR_G_AddGeometryDirectly(multi.Handle, p.Handle) != GdalNative.OgrErrNone)
                throw GdalException.FromLastError("collect polygons into a multipolygon", null);
            p._handle.SetHandleAsInvalid(); // now the multipolygon's
        }
        return multi;
    }

    public void Dispose() => _handle.Dispose();
}

/// <summary>
/// An open GDAL vector dataset (GeoJSON, GPKG, FlatGeobuf, Memory, ...): its layers, new layers, features. Not thread-safe.
/// </summary>
public sealed class VectorDataset : IDisposable
{
    private readonly DatasetHandle _handle;

    private VectorDataset(DatasetHandle handle, string path)
    {
        _handle = handle;
        Path = path;
    }

    public string Path { get; }

    internal IntPtr Handle => _handle.IsClosed ? throw new ObjectDisposedException(nameof(VectorDataset), $"Dataset '{Path}' is closed.") : _handle.DangerousGetHandle();

    /// <summary>Opens a vector dataset for reading.</summary>
    public static VectorDataset Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        GdalNative.EnsureInitialised();
        GdalNative.CPLErrorReset();
        var h = GdalWork.Track(() => GdalNative.GDALOpenEx(path, GdalNative.GdalOfVector | GdalNative.GdalOfVerboseError, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero));
        if (h.IsInvalid) throw GdalException.FromLastError("open the vector file", path);
        return new VectorDataset(h, path);
    }

    /// <summary>Creates a new dataset with the vector driver <paramref name="driverName"/> ("Memory" with an empty path).</summary>
    public static VectorDataset Create(string path, string driverName, IEnumerable<string>? options = null)
    {
        GdalNative.EnsureInitialised();
        var driver = GdalNative.GDALGetDriverByName(driverName);
        if (driver == IntPtr.Zero) throw new GdalException($"The GDAL driver {driverName} is not available in this GDAL build.", path);
        using var opts = new StringListHandle(options ?? []);
        GdalNative.CPLErrorReset();
        var h = GdalWork.Track(() => GdalNative.GDALCreate(driver, path, 0, 0, 0, 0, opts.DangerousGetHandle()));
        if (h.IsInvalid) throw GdalException.FromLastError($"create a {driverName} file", path);
        return new VectorDataset(h, path);
    }

    public int LayerCount => GdalNative.GDALDatasetGetLayerCount(Handle);

    public VectorLayer Layer(int index)
    {
        if (index < 0 || index >= LayerCount)
            throw new ArgumentOutOfRangeException(nameof(index), $"'{Path}' has layers 0..{LayerCount - 1}, not {index}.");
        return new VectorLayer(this, GdalNative.GDALDatasetGetLayer(Handle, index));
    }

    public VectorLayer CreateLayer(string name, SpatialReference? srs, VectorGeometryType type, IReadOnlyList<VectorField> fields, IEnumerable<string>? options = null)
    {
        using var opts = new StringListHandle(options ?? []);
        GdalNative.CPLErrorReset();
        var layer = GdalNative.GDALDatasetCreateLayer(Handle, name, srs?.Handle ?? IntPtr.Zero, (int)type, opts.DangerousGetHandle());
        if (layer == IntPtr.Zero) throw GdalException.FromLastError($"create the layer '{name}' in", Path);
        foreach (var f in fields)
        {
            var defn = GdalNative.OGR_Fld_Create(f.Name, (int)f.Type);
            try
            {
                if (GdalNative.OGR_L_CreateField(layer, defn, 1) != GdalNative.OgrErrNone)
                    throw GdalException.FromLastError($"create the field '{f.Name}' in", Path);
            }
            finally { GdalNative.OGR_Fld_Destroy(defn); }
        }
        return new VectorLayer(this, layer);
    }

    /// <summary>Closes the dataset, which is when most drivers write their file; throws when that fails.</summary>
    public void Close()
    {
        if (_handle.IsClosed) return;
        GdalNative.CPLErrorReset();
        _handle.Dispose();
        if (GdalNative.CPLGetLastErrorType() >= GdalNative.CeFailure) throw GdalException.FromLastError("finish writing", Path);
    }

    public void Dispose() => _handle.Dispose();
}

/// <summary>A layer of an open <see cref="VectorDataset"/> (valid while the dataset is open).</summary>
public sealed class VectorLayer
{
    private readonly VectorDataset _dataset;
    private readonly IntPtr _layer;

    internal VectorLayer(VectorDataset dataset, IntPtr layer)
    {
        _dataset = dataset;
        _layer = layer;
    }

    internal IntPtr Handle => _layer;

    public string Name => GdalNative.PtrToString(GdalNative.OGR_L_GetName(_layer)) ?? "";

    /// <summary>Counts the features (reads them all where the driver keeps no count).</summary>
    public long FeatureCount => GdalNative.OGR_L_GetFeatureCount(_layer, 1);

    public IReadOnlyList<VectorField> Fields
    {
        get
        {
            var defn = GdalNative.OGR_L_GetLayerDefn(_layer);
            var fields = new VectorField[GdalNative.OGR_FD_GetFieldCount(defn)];
            for (var i = 0; i < fields.Length; i++)
            {
                var f = GdalNative.OGR_FD_GetFieldDefn(defn, i);
                fields[i] = new VectorField(GdalNative.PtrToString(GdalNative.OGR_Fld_GetNameRef(f)) ?? "", (VectorFieldType)GdalNative.OGR_Fld_GetType(f));
            }
            return fields;
        }
    }

    /// <summary>
    /// Adds a feature: <paramref name="values"/> in the order of <see cref="Fields"/> (string, int, double, DateOnly or null;
    /// null is written as a null value, not left unset). The geometry is copied.
    /// </summary>
    public void Add(VectorGeometry? geometry, IReadOnlyList<object?> values)
    {
        var feature = GdalNative.OGR_F_Create(GdalNative.OGR_L_GetLayerDefn(_layer));
        try
        {
            for (var i = 0; i < values.Count; i++)
                switch (values[i])
                {
                    case null: GdalNative.OGR_F_SetFieldNull(feature, i); break;
                    case string s: GdalNative.OGR_F_SetFieldString(feature, i, s); break;
                    case int n: GdalNative.OGR_F_SetFieldInteger(feature, i, n); break;
                    case double d: GdalNative.OGR_F_SetFieldDouble(feature, i, d); break;
                    case DateOnly d: GdalNative.OGR_F_SetFieldString(feature, i, d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); break;
                    default: throw new ArgumentException($"Field {i} of layer '{Name}': values of type {values[i]!.GetType().Name} are not supported.", nameof(values));
                }
            GdalNative.CPLErrorReset();
            if (geometry is not null && GdalNative.OGR_F_SetGeometry(feature, geometry.Handle) != GdalNative.OgrErrNone)
                throw GdalException.FromLastError($"set a feature's geometry in layer '{Name}' of", _dataset.Path);
            if (GdalNative.OGR_L_CreateFeature(_layer, feature) != GdalNative.OgrErrNone)
                throw GdalException.FromLastError($"write a feature to layer '{Name}' of", _dataset.Path);
        }
        finally { GdalNative.OGR_F_Destroy(feature); }
    }

    /// <summary>Reads every feature's attributes and geometry type.</summary>
    public IReadOnlyList<VectorFeature> Features()
    {
        var names = Fields.Select(f => f.Name).ToArray();
        var result = new List<VectorFeature>();
        GdalNative.OGR_L_ResetReading(_layer);
        IntPtr feature;
        while ((feature = GdalNative.OGR_L_GetNextFeature(_layer)) != IntPtr.Zero)
        {
            try
            {
                var values = new Dictionary<string, string?>(names.Length);
                for (var i = 0; i < names.Length; i++)
                    values[names[i]] = GdalNative.OGR_F_IsFieldSetAndNotNull(feature, i) != 0 ? GdalNative.PtrToString(GdalNative.OGR_F_GetFieldAsString(feature, i)) : null;
                var g = GdalNative.OGR_F_GetGeometryRef(feature);
                result.Add(new VectorFeature(values, g == IntPtr.Zero ? null : GdalNative.PtrToString(GdalNative.OGR_G_GetGeometryName(g))));
            }
            finally { GdalNative.OGR_F_Destroy(feature); }
        }
        return result;
    }

    /// <summary>Takes every feature's geometry, grouped by the integer field <paramref name="field"/> (index).</summary>
    internal Dictionary<int, List<VectorGeometry>> TakeGeometriesBy(int field)
    {
        var groups = new Dictionary<int, List<VectorGeometry>>();
        GdalNative.OGR_L_ResetReading(_layer);
        IntPtr feature;
        while ((feature = GdalNative.OGR_L_GetNextFeature(_layer)) != IntPtr.Zero)
        {
            try
            {
                var key = GdalNative.OGR_F_GetFieldAsInteger(feature, field);
                var g = GdalNative.OGR_F_StealGeometry(feature);
                if (g == IntPtr.Zero) continue;
                if (!groups.TryGetValue(key, out var list)) groups[key] = list = [];
                list.Add(new VectorGeometry(g));
            }
            finally { GdalNative.OGR_F_Destroy(feature); }
        }
        return groups;
    }
}
