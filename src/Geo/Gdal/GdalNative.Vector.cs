using System.Runtime.InteropServices;

namespace NrtCluster.Geo.Gdal;

/// <summary>The GDAL/OGR vector C API entry points: datasets of vector drivers, layers, fields, features, geometries, polygonize, translate.</summary>
internal static unsafe partial class GdalNative
{
    internal const int GdalOfVector = 0x04;
    internal const int OgrErrNone = 0;
    internal const int CeFailure = 3;

    [LibraryImport(Lib)] internal static partial int CPLGetLastErrorType();

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALDatasetCreateLayer(IntPtr ds, string name, IntPtr srs, int geometryType, IntPtr options);
    [LibraryImport(Lib)] internal static partial int GDALDatasetGetLayerCount(IntPtr ds);
    [LibraryImport(Lib)] internal static partial IntPtr GDALDatasetGetLayer(IntPtr ds, int index);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial IntPtr OGR_Fld_Create(string name, int type);
    [LibraryImport(Lib)] internal static partial void OGR_Fld_Destroy(IntPtr field);
    [LibraryImport(Lib)] internal static partial IntPtr OGR_Fld_GetNameRef(IntPtr field);
    [LibraryImport(Lib)] internal static partial int OGR_Fld_GetType(IntPtr field);
    [LibraryImport(Lib)] internal static partial int OGR_L_CreateField(IntPtr layer, IntPtr field, int approxOk);
    [LibraryImport(Lib)] internal static partial IntPtr OGR_L_GetLayerDefn(IntPtr layer);
    [LibraryImport(Lib)] internal static partial IntPtr OGR_L_GetName(IntPtr layer);
    [LibraryImport(Lib)] internal static partial long OGR_L_GetFeatureCount(IntPtr layer, int force);
    [LibraryImport(Lib)] internal static partial void OGR_L_ResetReading(IntPtr layer);
    [LibraryImport(Lib)] internal static partial IntPtr OGR_L_GetNextFeature(IntPtr layer);
    [LibraryImport(Lib)] internal static partial int OGR_L_CreateFeature(IntPtr layer, IntPtr feature);
    [LibraryImport(Lib)] internal static partial int OGR_FD_GetFieldCount(IntPtr defn);
    [LibraryImport(Lib)] internal static partial IntPtr OGR_FD_GetFieldDefn(IntPtr defn, int index);

    [LibraryImport(Lib)] internal static partial IntPtr OGR_F_Create(IntPtr defn);
    [LibraryImport(Lib)] internal static partial void OGR_F_Destroy(IntPtr feature);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial void OGR_F_SetFieldString(IntPtr feature, int index, string value);
    [LibraryImport(Lib)] internal static partial void OGR_F_SetFieldInteger(IntPtr feature, int index, int value);
    [LibraryImport(Lib)] internal static partial void OGR_F_SetFieldDouble(IntPtr feature, int index, double value);
    [LibraryImport(Lib)] internal static partial void OGR_F_SetFieldNull(IntPtr feature, int index);
    [LibraryImport(Lib)] internal static partial int OGR_F_IsFieldSetAndNotNull(IntPtr feature, int index);
    [LibraryImport(Lib)] internal static partial int OGR_F_GetFieldAsInteger(IntPtr feature, int index);
    [LibraryImport(Lib)] internal static partial IntPtr OGR_F_GetFieldAsString(IntPtr feature, int index);
    [LibraryImport(Lib)] internal static partial int OGR_F_SetGeometry(IntPtr feature, IntPtr geometry);
    [LibraryImport(Lib)] internal static partial IntPtr OGR_F_GetGeometryRef(IntPtr feature);
    [LibraryImport(Lib)] internal static partial IntPtr OGR_F_StealGeometry(IntPtr feature);

    [LibraryImport(Lib)] internal static partial IntPtr OGR_G_CreateGeometry(int type);
    [LibraryImport(Lib)] internal static partial void OGR_G_DestroyGeometry(IntPtr geometry);
    [LibraryImport(Lib)] internal static partial void OGR_G_SetPoint_2D(IntPtr geometry, int index, double x, double y);
    [LibraryImport(Lib)] internal static partial int OGR_G_AddGeometryDirectly(IntPtr container, IntPtr geometry);
    [LibraryImport(Lib)] internal static partial int OGR_G_Transform(IntPtr geometry, IntPtr transformation);
    [LibraryImport(Lib)] internal static partial IntPtr OGR_G_GetGeometryName(IntPtr geometry);
    [LibraryImport(Lib)] internal static partial double OGR_G_Area(IntPtr geometry);

    [LibraryImport(Lib)]
    internal static partial int GDALPolygonize(IntPtr band, IntPtr maskBand, IntPtr layer, int field, IntPtr options, IntPtr progress, IntPtr progressData);

    [LibraryImport(Lib)] internal static partial IntPtr GDALVectorTranslateOptionsNew(IntPtr argv, IntPtr forBinary);
    [LibraryImport(Lib)] internal static partial void GDALVectorTranslateOptionsFree(IntPtr options);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALVectorTranslate(string? destPath, IntPtr destDs, int sourceCount, IntPtr* sources, IntPtr options, int* usageError);
}
