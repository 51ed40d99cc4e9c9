using System.Runtime.InteropServices;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Host.Http.Rendering;
using NrtCluster.Kernels;
using NrtCluster.Host.Http.Reports;

namespace NrtCluster.Host.Http.Wms;

/// <summary>
/// GetMap: the mosaic warped with nearest resampling onto the requested box and coloured here, as PNG or JPEG.
/// TIME=start/end (or one date) filters by detection date: the mask layer then shows the state as of the end date,
/// the other layers only alerts detected in the interval (so not the low alerts of IQR and CCDC, which have no date yet).
/// </summary>
public static class WmsMap
{
    /// <summary>Draws the map; a cancelled <paramref name="ct"/> (the client has gone) stops it between strips and before encoding.</summary>
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
        return Render(folder.Current(), layers, box, first, last, background, jpeg, ct);
    }

    /// <summary>
    /// Draws <paramref name="layers"/> of <paramref name="s"/> onto <paramref name="box"/> with the detection dates
    /// <paramref name="first"/>..<paramref name="last"/> (day numbers since 1970): the one rendering path of GetMap and of
    /// the XYZ tiles. Nothing is warped when the box misses the data.
    /// </summary>
    public static WmsResponse Render(ReportSnapshot s, IReadOnlyList<string> layers, GeoBox box, int first, int last, Rgba background, bool jpeg,
        CancellationToken ct)
    {
        using var image = new NativeImage(box.PixelCount * 4);
        if (background.A != 0) Canvas.Fill(image.Pixels, box.Width, box.Height, 0, 0, box.Width, box.Height, background);
        if (s.DataBox is { } data && s.Tiles.Count > 0 && Warp.FootprintWindow(data, box, 0) is not null)
        {
            int rampFirst = s.FirstDetection is { } f ? f.DayNumber - ReportSnapshot.Epoch : 0;
            int rampLast = s.LastDetection is { } l ? l.DayNumber - ReportSnapshot.Epoch : 0;
            var untimed = first == 0 && last == int.MaxValue;
            Sample(s, box, ct, layers, (offset, strip) =>
            {
                var rgba = image.Pixels;
                foreach (var layer in layers)
                    for (var i = 0; i < strip.Count; i++)
                    {
                        var day = strip.Date[i];
                        var inTime = untimed || (day != 0 && day >= first && day <= last);
                        Rgba c;
                        if (layer == WmsLayers.Mask)
                        {
                            var m = strip.Mask[i];
                            // As of the end of TIME, a later break was still a monitored pixel.
                            if (m == MaskCodes.Break && day > last) m = MaskCodes.Monitored;
                            c = Palette.MaskColour(m);
                        }
                        else if (!inTime) continue;
                        else c = layer switch
                        {
                            WmsLayers.Confidence => Palette.ConfidenceColour(strip.Confidence[i]),
                            WmsLayers.Magnitude => Palette.MagnitudeColour(strip.Magnitude[i]),
                            _ => Palette.DateColour(day, rampFirst, rampLast),
                        };
                        if (c.A == 0) continue;
                        var o = (offset + i) * 4;
                        rgba[o] = c.R; rgba[o + 1] = c.G; rgba[o + 2] = c.B; rgba[o + 3] = c.A;
                    }
            });
        }
        ct.ThrowIfCancellationRequested();
        return jpeg
            ? new WmsResponse(200, "image/jpeg", ImageEncoder.JpegFromRgba(image.Pixels, box.Width, box.Height))
            : new WmsResponse(200, "image/png", ImageEncoder.PngFromRgba(image.Pixels, box.Width, box.Height));
    }

    /// <summary>
    /// An RGBA image in native memory, freed on Dispose. As a managed array, a large map's image (64 MB at 4096 x 4096) would
    /// stay until the collector's next full collection; under load such garbage piles up to the collector's budget, not to
    /// the render limit.
    /// </summary>
    private sealed unsafe class NativeImage(int length) : IDisposable
    {
        private byte* _pixels = (byte*)NativeMemory.AllocZeroed((nuint)length);

        public Span<byte> Pixels => new(_pixels, length);

        public void Dispose()
        {
            NativeMemory.Free(_pixels);
            _pixels = null;
        }
    }

    /// <summary>One strip's bands; a confidence or magnitude band that is not drawn, or that the reports lack, stays zeros (no alert).</summary>
    private sealed class Strip(int length)
    {
        public readonly ushort[] Mask = new ushort[length];
        public readonly ushort[] Date = new ushort[length];
        public readonly ushort[] Confidence = new ushort[length];
        public readonly ushort[] Magnitude = new ushort[length];
        public int Count;
    }

    /// <summary>Pixels warped at once: a map is sampled in strips of rows of about this size, so it holds its image and one strip.</summary>
    private const int StripPixels = 1 << 20;

    /// <summary>
    /// The mask and date bands, and the confidence and magnitude bands when <paramref name="layers"/> draw them, warped
    /// (nearest) onto <paramref name="box"/>, strip by strip from the top: <paramref name="strip"/> gets each strip's first
    /// pixel index in the map and its bands. Stops between strips once <paramref name="ct"/> is cancelled.
    /// </summary>
    private static void Sample(ReportSnapshot s, GeoBox box, CancellationToken ct, IReadOnlyList<string> layers, Action<int, Strip> strip)
    {
        var options = new WarpOptions(Resampling.Nearest, RasterDataType.UInt16, null, 0);
        var sources = new List<RasterDataset>();
        try
        {
            foreach (var path in s.MapSources) sources.Add(RasterDataset.Open(path));
            var rows = Math.Min(box.Height, Math.Max(1, StripPixels / box.Width));
            var bands = new Strip(rows * box.Width);
            var first = s.Tiles[0];
            var confidence = layers.Contains(WmsLayers.Confidence) ? first.ConfidenceBand : 0;
            var magnitude = layers.Contains(WmsLayers.Magnitude) ? first.MagnitudeBand : 0;
            for (var row = 0; row < box.Height; row += rows)
            {
                ct.ThrowIfCancellationRequested();
                var (x0, y0) = box.Transform.Apply(0, row);
                var part = new GeoBox(box.Width, Math.Min(rows, box.Height - row), box.Transform with { X0 = x0, Y0 = y0 }, box.Crs);
                using var warped = Warp.ToMemory(sources, part, options);
                var window = new PixelWindow(0, 0, part.Width, part.Height);
                warped.Read<ushort>(first.MaskBand, window, bands.Mask.AsSpan(0, part.PixelCount));
                warped.Read<ushort>(first.DateBand, window, bands.Date.AsSpan(0, part.PixelCount));
                if (confidence != 0) warped.Read<ushort>(confidence, window, bands.Confidence.AsSpan(0, part.PixelCount));
                if (magnitude != 0) warped.Read<ushort>(magnitude, window, bands.Magnitude.AsSpan(0, part.PixelCount));
                bands.Count = part.PixelCount;
                strip(row * box.Width, bands);
            }
        }
        catch (GdalException e)
        {
            throw new WmsException("NoApplicableCode", $"Could not draw the map from {string.Join(", ", s.MapSources)}: {e.Message}");
        }
        finally
        {
            foreach (var d in sources) d.Dispose();
        }
    }
}
