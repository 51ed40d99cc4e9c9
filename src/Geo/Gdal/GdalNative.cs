using System.Runtime.InteropServices;

namespace NrtCluster.Geo.Gdal;

/// <summary>
/// The GDAL C API entry points NrtCluster uses, bound to whichever of GDAL 3.6 to 3.10 is installed (<see cref="GdalLibrary"/>).
/// </summary>
internal static unsafe partial class GdalNative
{
    /// <summary>Not a file name: the resolver set below maps it to the soname <see cref="GdalLibrary"/> found.</summary>
    private const string Lib = "gdal";

    static GdalNative() => NativeLibrary.SetDllImportResolver(typeof(GdalNative).Assembly,
        (name, _, _) => name == Lib ? GdalLibrary.Handle : IntPtr.Zero);

    internal const int GdalOfRaster = 0x02;
    internal const int GdalOfVerboseError = 0x40;
    internal const int GfRead = 0;
    internal const int GfWrite = 1;
    internal const int OamsTraditionalGisOrder = 0;
    internal const int CeNone = 0;

    private static readonly Lazy<bool> Initialised = new(Initialise, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Registers the drivers and sets the process-wide options, once; every public entry point calls this first.</summary>
    internal static void EnsureInitialised() => _ = Initialised.Value;

    private static bool Initialise()
    {
        var lib = GdalLibrary.Handle;
        GDALAllRegister();
        // COG access over HTTP: no listing of the remote folder (which also stops probing for sidecar files), retries
        // on transient errors. CPL_VSIL_CURL_ALLOWED_EXTENSIONS stays unset: some providers serve assets from URLs
        // without a file extension, which it would refuse.
        CPLSetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR");
        CPLSetConfigOption("GDAL_HTTP_MAX_RETRY", "3");
        CPLSetConfigOption("GDAL_HTTP_RETRY_DELAY", "1");
        CPLSetConfigOption("VSI_CACHE", "TRUE");
        // Errors are turned into exceptions from CPLGetLastErrorMsg (which is filled before any handler runs);
        // printing them to stderr as well would only duplicate them in logs.
        CPLSetErrorHandler(NativeLibrary.GetExport(lib, "CPLQuietErrorHandler"));
        return true;
    }

    internal static string? PtrToString(IntPtr p) => p == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(p);

    internal static string LastError()
    {
        var msg = PtrToString(CPLGetLastErrorMsg());
        return string.IsNullOrWhiteSpace(msg) ? "GDAL gave no error message" : msg.Trim();
    }

    /// <summary>Builds a GDAL string list (char**); the caller frees it with CSLDestroy.</summary>
    internal static IntPtr ToStringList(IEnumerable<string> items)
    {
        var list = IntPtr.Zero;
        foreach (var s in items) list = CSLAddString(list, s);
        return list;
    }

    [LibraryImport(Lib)] internal static partial void GDALAllRegister();
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial void CPLSetConfigOption(string key, string? value);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial void CPLSetThreadLocalConfigOption(string key, string? value);
    [LibraryImport(Lib)] internal static partial IntPtr CPLSetErrorHandler(IntPtr handler);
    [LibraryImport(Lib)] internal static partial IntPtr CPLGetLastErrorMsg();
    [LibraryImport(Lib)] internal static partial int CPLGetLastErrorNo();
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial void VSICurlPartialClearCache(string prefix);
    [LibraryImport(Lib)] internal static partial void CPLErrorReset();
    [LibraryImport(Lib)] internal static partial void VSIFree(IntPtr p);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial IntPtr VSIGetMemFileBuffer(string path, ulong* length, int unlinkAndSeize);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int VSIUnlink(string path);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial IntPtr CSLAddString(IntPtr list, string s);
    [LibraryImport(Lib)] internal static partial void CSLDestroy(IntPtr list);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALOpenEx(string path, uint flags, IntPtr allowedDrivers, IntPtr openOptions, IntPtr siblingFiles);
    [LibraryImport(Lib)] internal static partial int GDALClose(IntPtr ds);
    [LibraryImport(Lib)] internal static partial int GDALGetRasterXSize(IntPtr ds);
    [LibraryImport(Lib)] internal static partial int GDALGetRasterYSize(IntPtr ds);
    [LibraryImport(Lib)] internal static partial int GDALGetRasterCount(IntPtr ds);
    [LibraryImport(Lib)] internal static partial int GDALGetGeoTransform(IntPtr ds, double* transform);
    [LibraryImport(Lib)] internal static partial int GDALSetGeoTransform(IntPtr ds, double* transform);
    [LibraryImport(Lib)] internal static partial IntPtr GDALGetProjectionRef(IntPtr ds);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int GDALSetProjection(IntPtr ds, string wkt);
    [LibraryImport(Lib)] internal static partial IntPtr GDALGetRasterBand(IntPtr ds, int band);
    [LibraryImport(Lib)] internal static partial int GDALGetRasterDataType(IntPtr band);
    [LibraryImport(Lib)] internal static partial int GDALRasterIO(IntPtr band, int rw, int xOff, int yOff, int xSize, int ySize,
        void* data, int bufXSize, int bufYSize, int bufType, int pixelSpace, int lineSpace);
    [LibraryImport(Lib)] internal static partial double GDALGetRasterNoDataValue(IntPtr band, int* success);
    [LibraryImport(Lib)] internal static partial int GDALSetRasterNoDataValue(IntPtr band, double value);
    // void before GDAL 3.7 (CPLErr after): failures leave minMax as it was.
    [LibraryImport(Lib)] internal static partial void GDALComputeRasterMinMax(IntPtr band, int approxOk, double* minMax);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial void GDALSetDescription(IntPtr obj, string description);
    [LibraryImport(Lib)] internal static partial IntPtr GDALGetDescription(IntPtr obj);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial IntPtr GDALGetDriverByName(string name);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALCreate(IntPtr driver, string path, int xSize, int ySize, int bands, int type, IntPtr options);
    [LibraryImport(Lib)] internal static partial int GDALAddBand(IntPtr ds, int type, IntPtr options);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALCreateCopy(IntPtr driver, string path, IntPtr source, int strict, IntPtr options, IntPtr progress, IntPtr progressData);

    [LibraryImport(Lib)] internal static partial IntPtr GDALWarpAppOptionsNew(IntPtr argv, IntPtr forBinary);
    [LibraryImport(Lib)] internal static partial void GDALWarpAppOptionsFree(IntPtr options);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALWarp(string destPath, IntPtr destDs, int sourceCount, IntPtr* sources, IntPtr options, int* usageError);
    [LibraryImport(Lib)] internal static partial IntPtr GDALBuildVRTOptionsNew(IntPtr argv, IntPtr forBinary);
    [LibraryImport(Lib)] internal static partial void GDALBuildVRTOptionsFree(IntPtr options);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALBuildVRT(string destPath, int sourceCount, IntPtr* sources, IntPtr sourceNames, IntPtr options, int* usageError);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial IntPtr OSRNewSpatialReference(string? wkt);
    [LibraryImport(Lib)] internal static partial void OSRDestroySpatialReference(IntPtr srs);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int OSRSetFromUserInput(IntPtr srs, string definition);
    [LibraryImport(Lib)] internal static partial void OSRSetAxisMappingStrategy(IntPtr srs, int strategy);
    [LibraryImport(Lib)] internal static partial int OSRExportToWkt(IntPtr srs, IntPtr* wkt);
    [LibraryImport(Lib)] internal static partial int OSRIsSame(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr OSRGetAuthorityCode(IntPtr srs, IntPtr targetKey);
    [LibraryImport(Lib)] internal static partial IntPtr OSRGetAuthorityName(IntPtr srs, IntPtr targetKey);
    [LibraryImport(Lib)] internal static partial IntPtr OCTNewCoordinateTransformation(IntPtr source, IntPtr target);
    [LibraryImport(Lib)] internal static partial void OCTDestroyCoordinateTransformation(IntPtr ct);
    [LibraryImport(Lib)] internal static partial int OCTTransformEx(IntPtr ct, int count, double* x, double* y, double* z, int* success);
}
