using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
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
        system.ActorOf(ClusterSingletonManager.Props(props, PoisonPill.Instance, managerSettings), name);
        return system.ActorOf(ClusterSingletonProxy.Props($"/user/{name}", proxySettings), name + "-proxy");
    }
}
