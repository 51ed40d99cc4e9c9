using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace NrtCluster.Geo.Gdal;

/// <summary>
/// One variable of a netCDF file: its dimension names (outermost first, none for a scalar), shape, values in C order
/// (an array of byte, ushort, short, uint, int, float or double) and attributes (string or double values; an int
/// value is written as a 32-bit integer).
/// </summary>
public sealed record NetcdfVariable(string Name, ImmutableArray<string> Dimensions, int[] Shape, Array Data)
{
    public ImmutableDictionary<string, object> Attributes { get; init; } = ImmutableDictionary<string, object>.Empty;

    public Type ElementType => Data.GetType().GetElementType()!;
}

/// <summary>
/// Reads and writes flat netCDF-4 files (the root group's variables, dimensions and their attributes) through GDAL's
/// multidimensional API and its netCDF driver: it reads what the netCDF library writes (netCDF-4/HDF5, as xarray and
/// netCDF4-python do by default, and netCDF-3 classic), so no reader of our own has to follow HDF5.
/// </summary>
public static unsafe class NetcdfFile
{
    /// <summary>Every variable of the root group, scalars included. Throws <see cref="GdalException"/> naming the file when GDAL cannot open it.</summary>
    public static IReadOnlyList<NetcdfVariable> Read(string path)
    {
        GdalNative.EnsureInitialised();
        using var drivers = new StringListHandle(["netCDF"]);
        using var ds = GdalWork.Track(() => GdalNative.GDALOpenEx(path,
            (uint)(GdalNative.GdalOfMultidimRaster | GdalNative.GdalOfVerboseError), drivers.DangerousGetHandle(), IntPtr.Zero, IntPtr.Zero));
        if (ds.IsInvalid) throw GdalException.FromLastError("open the netCDF file", path);
        var root = GdalNative.GDALDatasetGetRootGroup(ds.DangerousGetHandle());
        try
        {
            using var showScalars = new StringListHandle(["SHOW_ZERO_DIM=YES"]);
            var list = GdalNative.GDALGroupGetMDArrayNames(root, showScalars.DangerousGetHandle());
            var names = new List<string>();
            for (var p = (IntPtr*)list; p != null && *p != IntPtr.Zero; p++) names.Add(GdalNative.PtrToString(*p)!);
            GdalNative.CSLDestroy(list);
            return names.Select(name => ReadVariable(root, name, path)).ToList();
        }
        finally
        {
            GdalNative.GDALGroupRelease(root);
        }
    }

    private static NetcdfVariable ReadVariable(IntPtr group, string name, string path)
    {
        var array = GdalNative.GDALGroupOpenMDArray(group, name, IntPtr.Zero);
        if (array == IntPtr.Zero) throw GdalException.FromLastError($"read variable '{name}' of", path);
        try
        {
            nuint rank;
            var dims = GdalNative.GDALMDArrayGetDimensions(array, &rank);
            var dimensionNames = new string[(int)rank];
            var shape = new int[(int)rank];
            for (int i = 0; i < (int)rank; i++)
            {
                dimensionNames[i] = GdalNative.PtrToString(GdalNative.GDALDimensionGetName(dims[i]))!;
                shape[i] = checked((int)GdalNative.GDALDimensionGetSize(dims[i]));
            }
            GdalNative.GDALReleaseDimensions(dims, rank);
            var type = GdalNative.GDALMDArrayGetDataType(array);
            int gdalType = GdalNative.GDALExtendedDataTypeGetClass(type) == GdalNative.GedtcNumeric ? GdalNative.GDALExtendedDataTypeGetNumericDataType(type) : 0;
            GdalNative.GDALExtendedDataTypeRelease(type);
            long count = shape.Aggregate(1L, (a, s) => a * s);
            // Character and string variables (nrt's scalar strings keep their value in an attribute) have no values read;
            // types this project has no array for (8-bit signed, 64-bit) are read as float64.
            var data = gdalType == 0 ? Array.Empty<byte>() : Array.CreateInstance(ElementTypeOf(gdalType) ?? typeof(double), checked((int)count));
            if (data.Length > 0) Transfer(array, shape, data, write: false, $"read variable '{name}' of", path);
            return new NetcdfVariable(name, [.. dimensionNames], shape, data) { Attributes = ReadAttributes(array) };
        }
        finally
        {
            GdalNative.GDALMDArrayRelease(array);
        }
    }

    private static ImmutableDictionary<string, object> ReadAttributes(IntPtr array)
    {
        nuint count;
        var attributes = GdalNative.GDALMDArrayGetAttributes(array, &count, IntPtr.Zero);
        var result = ImmutableDictionary.CreateBuilder<string, object>();
        for (int i = 0; i < (int)count; i++)
        {
            var a = attributes[i];
            var type = GdalNative.GDALAttributeGetDataType(a);
            bool text = GdalNative.GDALExtendedDataTypeGetClass(type) == GdalNative.GedtcString;
            GdalNative.GDALExtendedDataTypeRelease(type);
            string key = GdalNative.PtrToString(GdalNative.GDALAttributeGetName(a))!;
            result[key] = text ? GdalNative.PtrToString(GdalNative.GDALAttributeReadAsString(a)) ?? "" : GdalNative.GDALAttributeReadAsDouble(a);
        }
        if (attributes != null) GdalNative.GDALReleaseAttributes(attributes, count);
        return result.ToImmutable();
    }

    /// <summary>
    /// Writes a netCDF-4 file holding <paramref name="dimensions"/> and <paramref name="variables"/> (each variable's
    /// dimensions among them, its shape theirs) to a temporary file renamed into place.
    /// </summary>
    public static void Write(string path, IReadOnlyList<(string Name, int Size)> dimensions, IReadOnlyList<NetcdfVariable> variables)
    {
        GdalNative.EnsureInitialised();
        var temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            WriteFile(temporary, dimensions, variables);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static void WriteFile(string path, IReadOnlyList<(string Name, int Size)> dimensions, IReadOnlyList<NetcdfVariable> variables)
    {
        var driver = GdalNative.GDALGetDriverByName("netCDF");
        if (driver == IntPtr.Zero) throw new GdalException("GDAL has no netCDF driver: install a GDAL built with netCDF (Debian: libgdal32 does).", path);
        using var options = new StringListHandle(["FORMAT=NC4"]);
        using var ds = GdalWork.Track(() => GdalNative.GDALCreateMultiDimensional(driver, path, IntPtr.Zero, options.DangerousGetHandle()));
        if (ds.IsInvalid) throw GdalException.FromLastError("create the netCDF file", path);
        var root = GdalNative.GDALDatasetGetRootGroup(ds.DangerousGetHandle());
        var handles = new Dictionary<string, IntPtr>();
        try
        {
            foreach (var (name, size) in dimensions)
            {
                var d = GdalNative.GDALGroupCreateDimension(root, name, null, null, (ulong)size, IntPtr.Zero);
                if (d == IntPtr.Zero) throw GdalException.FromLastError($"create dimension '{name}' in", path);
                handles[name] = d;
            }
            foreach (var v in variables) WriteVariable(root, v, handles, path);
        }
        finally
        {
            foreach (var d in handles.Values) GdalNative.GDALDimensionRelease(d);
            GdalNative.GDALGroupRelease(root);
        }
    }

    private static void WriteVariable(IntPtr root, NetcdfVariable v, Dictionary<string, IntPtr> dimensions, string path)
    {
        var dims = v.Dimensions.Select(d => dimensions.TryGetValue(d, out var h) ? h
            : throw new ArgumentException($"Variable '{v.Name}' uses dimension '{d}', which is not among the file's.")).ToArray();
        var type = GdalNative.GDALExtendedDataTypeCreate((int)RasterDataset.TypeOf(v.ElementType));
        IntPtr array;
        fixed (IntPtr* d = dims)
            array = GdalNative.GDALGroupCreateMDArray(root, v.Name, (nuint)dims.Length, d, type, IntPtr.Zero);
        GdalNative.GDALExtendedDataTypeRelease(type);
        if (array == IntPtr.Zero) throw GdalException.FromLastError($"create variable '{v.Name}' in", path);
        try
        {
            if (v.Data.Length > 0) Transfer(array, v.Shape, v.Data, write: true, $"write variable '{v.Name}' of", path);
            foreach (var (key, value) in v.Attributes) WriteAttribute(array, key, value, path);
        }
        finally
        {
            GdalNative.GDALMDArrayRelease(array);
        }
    }

    private static void WriteAttribute(IntPtr array, string key, object value, string path)
    {
        var type = value switch
        {
            string => GdalNative.GDALExtendedDataTypeCreateString(0),
            int => GdalNative.GDALExtendedDataTypeCreate((int)RasterDataType.Int32),
            _ => GdalNative.GDALExtendedDataTypeCreate((int)RasterDataType.Float64),
        };
        var attribute = GdalNative.GDALMDArrayCreateAttribute(array, key, 0, null, type, IntPtr.Zero);
        GdalNative.GDALExtendedDataTypeRelease(type);
        if (attribute == IntPtr.Zero) throw GdalException.FromLastError($"create attribute '{key}' in", path);
        try
        {
            int ok = value switch
            {
                string s => GdalNative.GDALAttributeWriteString(attribute, s),
                int i => GdalNative.GDALAttributeWriteInt(attribute, i),
                _ => GdalNative.GDALAttributeWriteDouble(attribute, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)),
            };
            if (ok == 0) throw GdalException.FromLastError($"write attribute '{key}' of", path);
        }
        finally
        {
            GdalNative.GDALAttributeRelease(attribute);
        }
    }

    /// <summary>Reads or writes the whole array <paramref name="data"/> (its element type is the buffer type).</summary>
    private static void Transfer(IntPtr array, int[] shape, Array data, bool write, string action, string path)
    {
        var start = new ulong[Math.Max(1, shape.Length)];
        var count = shape.Select(s => (nuint)s).DefaultIfEmpty((nuint)1).ToArray();
        var bufferType = GdalNative.GDALExtendedDataTypeCreate((int)RasterDataset.TypeOf(data.GetType().GetElementType()!));
        var pin = GCHandle.Alloc(data, GCHandleType.Pinned);
        try
        {
            nuint bytes = (nuint)((long)data.Length * Marshal.SizeOf(data.GetType().GetElementType()!));
            void* buffer = (void*)pin.AddrOfPinnedObject();
            int ok;
            fixed (ulong* s = start)
            fixed (nuint* c = count)
                ok = write
                    ? GdalNative.GDALMDArrayWrite(array, s, c, null, null, bufferType, buffer, buffer, bytes)
                    : GdalNative.GDALMDArrayRead(array, s, c, null, null, bufferType, buffer, buffer, bytes);
            if (ok == 0) throw GdalException.FromLastError(action, path);
        }
        finally
        {
            pin.Free();
            GdalNative.GDALExtendedDataTypeRelease(bufferType);
        }
    }

    private static Type? ElementTypeOf(int gdalType) => gdalType switch
    {
        (int)RasterDataType.Byte => typeof(byte),
        (int)RasterDataType.UInt16 => typeof(ushort),
        (int)RasterDataType.Int16 => typeof(short),
        (int)RasterDataType.UInt32 => typeof(uint),
        (int)RasterDataType.Int32 => typeof(int),
        (int)RasterDataType.Float32 => typeof(float),
        (int)RasterDataType.Float64 => typeof(double),
        _ => null,
    };
}
