namespace NrtCluster.Actors;

/// <summary>
/// Marker for the poller's, report aggregator's, jobs' and singletons' messages, events and snapshots: written by
/// <see cref="Serialization.PipelineSerializer"/> (bound in hocon/base.conf). It lives in the root namespace, below
/// every area that uses it, so that the serializer, which knows all of them, stays above them.
/// </summary>
public interface IPipelineMessage;
