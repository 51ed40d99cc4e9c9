using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Akka.Pattern;
using NrtCluster.Actors.Poller;

namespace NrtCluster.Actors;

/// <summary>Starts the project's cluster singletons (poller, report aggregator) the same way.</summary>
public static class ClusterSingletons
{
    /// <summary>
    /// Starts <paramref name="props"/> as the cluster singleton <paramref name="name"/> (on the oldest node of
    /// <paramref name="role"/>, or of the cluster) and returns a proxy to it; call on every node that should reach it.
    /// </summary>
    public static IActorRef Start(ActorSystem system, string name, Props props, string? role)
    {
        var managerSettings = ClusterSingletonManagerSettings.Create(system).WithSingletonName(name);
        var proxySettings = ClusterSingletonProxySettings.Create(system).WithSingletonName(name);
        if (role is not null)
        {
            managerSettings = managerSettings.WithRole(role);
            proxySettings = proxySettings.WithRole(role);
        }
        // A persistent singleton stops when its journal cannot be read or written (the database is down); the singleton is
        // a back-off supervisor that starts it again, 3 s doubling to 30 s, so it comes back with the database instead of
        // staying gone until the node restarts. A failure stops it as well, to be started again the same way.
        var supervised = BackoffSupervisor.Props(Backoff.OnStop(props, name, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(30), 0.2, maxNrOfRetries: -1)
            .WithSupervisorStrategy(new OneForOneStrategy(_ => Directive.Stop)));
        system.ActorOf(ClusterSingletonManager.Props(supervised, PoisonPill.Instance, managerSettings), name);
        return system.ActorOf(ClusterSingletonProxy.Props($"/user/{name}", proxySettings), name + "-proxy");
    }
}
