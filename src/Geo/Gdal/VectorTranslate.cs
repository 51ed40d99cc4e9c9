namespace NrtCluster.Geo.Gdal;

/// <summary>Copies features between vector datasets with GDALVectorTranslate (ogr2ogr as a library).</summary>
public static class VectorTranslate
{
    /// <summary>
    /// Copies the layers of <paramref name="source"/> into the open <paramref name="destination"/> with ogr2ogr arguments
    /// (e.g. <c>-append -nln NAME -where EXPR</c>).
    /// </summary>
    public static unsafe void Into(VectorDataset destination, VectorDataset source, IEnumerable<string> arguments)
    {
        using var argv = new StringListHandle(arguments);
        GdalNative.CPLErrorReset();
        var options = GdalNative.GDALVectorTranslateOptionsNew(argv.DangerousGetHandle(), IntPtr.Zero);
        if (options == IntPtr.Zero) throw GdalException.FromLastError("parse the vector translate options for", source.Path);
        try
        {
            var src = source.Handle;
            int usageError;
            GdalNative.CPLErrorReset();
            if (GdalNative.GDALVectorTranslate(null, destination.Handle, 1, &src, options, &usageError) == IntPtr.Zero)
                throw GdalException.FromLastError($"copy the features of '{source.Path}' into", destination.Path);
        }
        finally { GdalNative.GDALVectorTranslateOptionsFree(options); }
    }
}
