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

/// <summary>Whether the node can serve maps and alerts now, and if not why.</summary>
public sealed record Readiness(bool Ready, string Reason);

/// <summary>The node's state for /status and /readyz. <c>Http.FileNodeStatus</c> reads it from the output folder.</summary>
public interface INodeStatus
{
    NodeStatusReport Current();

    Readiness Readiness();
}
