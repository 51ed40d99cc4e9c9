using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Host.Http.Rendering;
using NrtCluster.Kernels;
using NrtCluster.Host.Http.Reports;

namespace NrtCluster.Host.Http.Wms;

/// <summary>
/// GetMap: the mosaic warped with nearest resampling onto the requested box and coloured here, as PNG or JPEG.
/// TIME=start/end (or one date) filters by detection date: the mask layer then shows the state as of the end date,
/// the date layer only breaks detected in the interval.
/// </summary>
public static class WmsMap
{
    /// <summary>Draws the map; a cancelled <paramref name="ct"/> (the client has gone) stops it between warping, colouring and encoding.</summary>
    public static WmsResponse Draw(WmsRequest request, ReportFolder folder, CancellationToken ct)
    {
        var layers = request.Layers("LAYERS");
        request.CheckStyles();
        var format = request.Optional("FORMAT") ?? "image/png";
        // GDAL's WMS driver asks for JPEG unless told otherwise.
        var jpeg = format.StartsWith("image/jpeg", StringComparison.OrdinalIgnoreCase) || format.Equals("image/jpg", StringComparison.OrdinalIgnoreCase);
        if (!jpeg && !format.StartsWith("image/png", StringComparison.OrdinalIgnoreCase))
            throw new WmsException("InvalidFormat", $"FORMAT={format} is not supported; GetMap returns image/png or image/jpeg.");
        var box = request.Window().Box;
        var (first, last) = request.Time();
        // A JPEG has no transparency: it is drawn on BGCOLOR (white unless given).
        var transparent = !jpeg && !string.Equals(request.Optional("TRANSPARENT"), "FALSE", StringComparison.OrdinalIgnoreCase);
        var background = transparent ? Rgba.Transparent : request.Background();

        var s = folder.Current();
        var (mask, date) = Sample(s, box);
        ct.ThrowIfCancellationRequested();
        var rgba = new byte[box.PixelCount * 4];
        if (background.A != 0) Canvas.Fill(rgba, box.Width, box.Height, 0, 0, box.Width, box.Height, background);
        if (mask is not null && date is not null)
        {
            int rampFirst = s.FirstDetection is { } f ? f.DayNumber - ReportSnapshot.Epoch : 0;
            int rampLast = s.LastDetection is { } l ? l.DayNumber - ReportSnapshot.Epoch : 0;
            foreach (var layer in layers)
                for (var i = 0; i < mask.Length; i++)
                {
                    var day = date[i];
                    Rgba c;
                    if (layer == WmsLayers.Mask)
                    {
                        var m = mask[i];
                        // As of the end of TIME, a later break was still a monitored pixel.
                        if (m == MaskCodes.Break && day > last) m = MaskCodes.Monitored;
                        c = Palette.MaskColour(m);
                    }
                    else c = day != 0 && day >= first && day <= last ? Palette.DateColour(day, rampFirst, rampLast) : Rgba.Transparent;
                    if (c.A == 0) continue;
                    var o = i * 4;
                    rgba[o] = c.R; rgba[o + 1] = c.G; rgba[o + 2] = c.B; rgba[o + 3] = c.A;
                }
        }
        // Let the warped bands go before encoding, which takes longest (code not yet optimised would keep them to the end).
        mask = date = null;
        ct.ThrowIfCancellationRequested();
        return jpeg
            ? new WmsResponse(200, "image/jpeg", ImageEncoder.JpegFromRgba(rgba, box.Width, box.Height))
            : new WmsResponse(200, "image/png", ImageEncoder.PngFromRgba(rgba, box.Width, box.Height));
    }

    /// <summary>The mask and date bands warped (nearest) onto <paramref name="box"/>; nulls when no report touches it.</summary>
    private static (ushort[]? Mask, ushort[]? Date) Sample(ReportSnapshot s, GeoBox box)
    {
        if (s.DataBox is not { } data || s.Tiles.Count == 0) return (null, null);
        if (Warp.FootprintWindow(data, box, 0) is null) return (null, null);
        var options = new WarpOptions(Resampling.Nearest, RasterDataType.UInt16, null, 0);
        try
        {
            using var warped = Warp.ToMemory(s.MapSources, box, options);
            return (warped.ReadBand<ushort>(s.Tiles[0].MaskBand), warped.ReadBand<ushort>(s.Tiles[0].DateBand));
        }
        catch (GdalException e)
        {
            throw new WmsException("NoApplicableCode", $"Could not draw the map from {string.Join(", ", s.MapSources)}: {e.Message}");
        }
    }
}
