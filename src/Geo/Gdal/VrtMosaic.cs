namespace NrtCluster.Geo.Gdal;

/// <summary>Builds VRT mosaics (GDALBuildVRT), written under a temporary name and renamed into place.</summary>
public static class VrtMosaic
{
    /// <summary>
    /// Mosaics <paramref name="sources"/> into <paramref name="vrtPath"/>; where sources overlap, the later one wins.
    /// <paramref name="separateBands"/> stacks the sources as bands instead.
    /// </summary>
    public static unsafe void Build(string vrtPath, IReadOnlyList<string> sources, double? nodata = null, bool separateBands = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(vrtPath);
        if (sources.Count == 0) throw new ArgumentException($"No sources given for the VRT mosaic '{vrtPath}'.", nameof(sources));
        GdalNative.EnsureInitialised();
        var full = Path.GetFullPath(vrtPath);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        // Same folder as the final name, so that relative source paths inside the VRT stay valid after the rename.
        var temp = TemporaryFiles.For(full, ".vrt");
        var args = new List<string>();
        if (nodata is { } nd) args.AddRange(["-srcnodata", nd.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "-vrtnodata", nd.ToString("R", System.Globalization.CultureInfo.InvariantCulture)]);
        if (separateBands) args.Add("-separate");
        using var argv = new StringListHandle(args);
        using var names = new StringListHandle(sources);
        GdalNative.CPLErrorReset();
        var options = GdalNative.GDALBuildVRTOptionsNew(argv.DangerousGetHandle(), IntPtr.Zero);
        if (options == IntPtr.Zero) throw GdalException.FromLastError("parse VRT options for", vrtPath);
        try
        {
            // GDAL opens the sources itself: counted while it runs.
            GdalWork.Run(() =>
            {
                int usageError;
                GdalNative.CPLErrorReset();
                var h = GdalNative.GDALBuildVRT(temp, sources.Count, null, names.DangerousGetHandle(), options, &usageError);
                if (h == IntPtr.Zero) throw GdalException.FromLastError("build the VRT mosaic", vrtPath);
                GdalNative.CPLErrorReset();
                if (GdalNative.GDALClose(h) != GdalNative.CeNone) throw GdalException.FromLastError("write the VRT mosaic", vrtPath);
                return true;
            });
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            GdalNative.GDALBuildVRTOptionsFree(options);
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
