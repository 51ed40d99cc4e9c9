using System.Runtime.InteropServices;

namespace NrtCluster.Geo.Gdal;

/// <summary>A GDALDatasetH, closed exactly once (flushing writes) when disposed or finalised.</summary>
internal sealed class DatasetHandle : SafeHandle
{
    /// <summary>Only <see cref="GdalWork.Track"/> makes them: every open dataset is counted until it is closed.</summary>
    internal DatasetHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        var closed = GdalNative.GDALClose(handle) == GdalNative.CeNone;
        GdalWork.Closed();
        return closed;
    }
}

internal sealed class SpatialReferenceHandle : SafeHandle
{
    public SpatialReferenceHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        GdalNative.OSRDestroySpatialReference(handle);
        return true;
    }
}

internal sealed class CoordinateTransformationHandle : SafeHandle
{
    public CoordinateTransformationHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        GdalNative.OCTDestroyCoordinateTransformation(handle);
        return true;
    }
}

/// <summary>A GDAL string list (char**) freed with CSLDestroy.</summary>
internal sealed class StringListHandle : SafeHandle
{
    public StringListHandle(IEnumerable<string> items) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(GdalNative.ToStringList(items));

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        GdalNative.CSLDestroy(handle);
        return true;
    }
}

/// <summary>An OGRGeometryH this side owns, destroyed exactly once unless handed to GDAL.</summary>
internal sealed class GeometryHandle : SafeHandle
{
    public GeometryHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        GdalNative.OGR_G_DestroyGeometry(handle);
        return true;
    }
}
