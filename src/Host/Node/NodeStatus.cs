using System.Text.Json.Nodes;

namespace NrtCluster.Host.Node;

/// <summary>
/// What /status reports: the node, how it runs, what it publishes, and free-form details of the implementation
/// (e.g. cluster members and shards).
/// </summary>
public sealed record NodeStatusReport(
    string Node,
    string Mode,
    DateTime StartedUtc,
    int Tiles,
    long Breaks,
    DateOnly? FirstDetection,
    DateOnly? LastDetection,
    DateTime? LastUpdateUtc,
    JsonObject Details);

/// <summary>The node's state for /api/status (its readiness is <c>Http.NodeHealth</c>'s). <c>Http.FileNodeStatus</c> reads it from the output folder.</summary>
public interface INodeStatus
{
    NodeStatusReport Current();
}
