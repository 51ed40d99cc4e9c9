using Akka.Actor;
using Akka.Event;

namespace NrtCluster.Host.Logging;

/// <summary>Where a log event goes: file and (at its level) stdout, the file only, or nowhere.</summary>
public enum LogRoute
{
    Everywhere,
    FileOnly,
    Nowhere,
}

/// <summary>
/// How the node's <see cref="StructuredLogger"/> routes each event: everywhere unless a part of the node that knows better
/// says otherwise (the database health thins out the storage errors of an outage it already reports).
/// </summary>
public sealed class LogRouting : IExtension
{
    private volatile Func<LogEvent, LogRoute> _route = _ => LogRoute.Everywhere;

    public static LogRouting Get(ActorSystem system) => system.WithExtension<LogRouting, Provider>();

    public LogRoute Route(LogEvent e) => _route(e);

    public void RouteBy(Func<LogEvent, LogRoute> route) => _route = route;

    private sealed class Provider : ExtensionIdProvider<LogRouting>
    {
        public override LogRouting CreateExtension(ExtendedActorSystem system) => new();
    }
}
