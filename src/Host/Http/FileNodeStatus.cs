using System.Text.Json.Nodes;
using NrtCluster.Host.Http.Reports;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Http;

/// <summary>Status of a node that serves an output folder: what the reports in it say.</summary>
public sealed class FileNodeStatus(ReportFolder folder) : INodeStatus
{
    private readonly DateTime _started = DateTime.UtcNow;

    public NodeStatusReport Current()
    {
        var s = folder.Current();
        var classes = new JsonObject();
        for (var c = 0; c < s.ClassCounts.Length; c++) classes[Rendering.Palette.MaskLabel((ushort)c)] = s.ClassCounts[c];
        var details = new JsonObject
        {
            ["outputFolder"] = s.Folder,
            ["mosaic"] = s.MosaicPath,
            ["gridCrs"] = s.GridCrs is { } crs ? Wms.CrsNames.Describe(crs) : null,
            ["pixelsByClass"] = classes,
            ["skippedFiles"] = new JsonArray(s.Skipped.Select(x => (JsonNode)JsonValue.Create(x)!).ToArray()),
            ["scannedUtc"] = s.ScannedUtc,
        };
        return new NodeStatusReport(Environment.MachineName, "file", _started, s.Tiles.Count, s.Breaks.Length,
            s.FirstDetection, s.LastDetection, s.LastWriteUtc, details);
    }
}
