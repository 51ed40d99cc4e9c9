using System.Runtime.InteropServices;

namespace NrtCluster.Geo.Gdal;

/// <summary>GDAL's multidimensional raster API (GDAL 3.1 and later), used for netCDF files (<see cref="NetcdfFile"/>).</summary>
internal static unsafe partial class GdalNative
{
    internal const int GdalOfMultidimRaster = 0x10;
    internal const int GedtcNumeric = 0;
    internal const int GedtcString = 1;

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALCreateMultiDimensional(IntPtr driver, string name, IntPtr rootGroupOptions, IntPtr options);
    [LibraryImport(Lib)] internal static partial IntPtr GDALDatasetGetRootGroup(IntPtr ds);
    [LibraryImport(Lib)] internal static partial void GDALGroupRelease(IntPtr group);
    [LibraryImport(Lib)] internal static partial IntPtr GDALGroupGetMDArrayNames(IntPtr group, IntPtr options);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALGroupOpenMDArray(IntPtr group, string name, IntPtr options);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALGroupCreateDimension(IntPtr group, string name, string? type, string? direction, ulong size, IntPtr options);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALGroupCreateMDArray(IntPtr group, string name, nuint dimensionCount, IntPtr* dimensions, IntPtr dataType, IntPtr options);
    [LibraryImport(Lib)] internal static partial void GDALMDArrayRelease(IntPtr array);
    [LibraryImport(Lib)] internal static partial IntPtr* GDALMDArrayGetDimensions(IntPtr array, nuint* count);
    [LibraryImport(Lib)] internal static partial void GDALReleaseDimensions(IntPtr* dimensions, nuint count);
    [LibraryImport(Lib)] internal static partial void GDALDimensionRelease(IntPtr dimension);
    [LibraryImport(Lib)] internal static partial IntPtr GDALDimensionGetName(IntPtr dimension);
    [LibraryImport(Lib)] internal static partial ulong GDALDimensionGetSize(IntPtr dimension);
    [LibraryImport(Lib)] internal static partial IntPtr GDALMDArrayGetDataType(IntPtr array);
    [LibraryImport(Lib)] internal static partial IntPtr GDALExtendedDataTypeCreate(int type);
    [LibraryImport(Lib)] internal static partial IntPtr GDALExtendedDataTypeCreateString(nuint maxLength);
    [LibraryImport(Lib)] internal static partial void GDALExtendedDataTypeRelease(IntPtr type);
    [LibraryImport(Lib)] internal static partial int GDALExtendedDataTypeGetClass(IntPtr type);
    [LibraryImport(Lib)] internal static partial int GDALExtendedDataTypeGetNumericDataType(IntPtr type);
    [LibraryImport(Lib)]
    internal static partial int GDALMDArrayRead(IntPtr array, ulong* start, nuint* count, long* step, nint* stride, IntPtr bufferType,
        void* buffer, void* bufferAllocStart, nuint bufferAllocSize);
    [LibraryImport(Lib)]
    internal static partial int GDALMDArrayWrite(IntPtr array, ulong* start, nuint* count, long* step, nint* stride, IntPtr bufferType,
        void* buffer, void* bufferAllocStart, nuint bufferAllocSize);
    [LibraryImport(Lib)] internal static partial IntPtr* GDALMDArrayGetAttributes(IntPtr array, nuint* count, IntPtr options);
    [LibraryImport(Lib)] internal static partial void GDALReleaseAttributes(IntPtr* attributes, nuint count);
    [LibraryImport(Lib)] internal static partial IntPtr GDALAttributeGetName(IntPtr attribute);
    [LibraryImport(Lib)] internal static partial IntPtr GDALAttributeGetDataType(IntPtr attribute);
    [LibraryImport(Lib)] internal static partial ulong GDALAttributeGetTotalElementsCount(IntPtr attribute);
    [LibraryImport(Lib)] internal static partial IntPtr GDALAttributeReadAsString(IntPtr attribute);
    [LibraryImport(Lib)] internal static partial double GDALAttributeReadAsDouble(IntPtr attribute);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALMDArrayCreateAttribute(IntPtr array, string name, nuint dimensionCount, ulong* sizes, IntPtr dataType, IntPtr options);
    [LibraryImport(Lib)] internal static partial void GDALAttributeRelease(IntPtr attribute);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int GDALAttributeWriteString(IntPtr attribute, string value);
    [LibraryImport(Lib)] internal static partial int GDALAttributeWriteDouble(IntPtr attribute, double value);
    [LibraryImport(Lib)] internal static partial int GDALAttributeWriteInt(IntPtr attribute, int value);
}
