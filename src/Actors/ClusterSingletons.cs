using System.Globalization;
using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Akka.Event;
using Akka.Pattern;
using NrtCluster.Actors.Poller;

namespace NrtCluster.Actors;

/// <summary>Starts the project's cluster singletons (poller, report aggregator) the same way.</summary>
public static class ClusterSingletons
{
    /// <summary>
    /// Starts <paramref name="props"/> as the cluster singleton <paramref name="name"/> (on the oldest node of
    /// <paramref name="role"/>, or of the cluster) and returns a proxy to it; call on every node that should reach it.
    /// The singleton is a <see cref="SingletonHost"/> over Akka's back-off supervisor of the actor: see there.
    /// </summary>
    /// <param name="keepUntilAcknowledged">Messages that must not be lost while the actor restarts: held and sent again until it answers <see cref="SingletonAcknowledged"/>.</param>
    public static IActorRef Start(ActorSystem system, string name, Props props, string? role, Func<object, bool>? keepUntilAcknowledged = null)
    {
        var managerSettings = ClusterSingletonManagerSettings.Create(system).WithSingletonName(name);
        var proxySettings = ClusterSingletonProxySettings.Create(system).WithSingletonName(name);
        if (role is not null)
        {
            managerSettings = managerSettings.WithRole(role);
            proxySettings = proxySettings.WithRole(role);
        }
        var backoff = SingletonBackoff.FromConfig(system.Settings.Config);
        var host = Props.Create(() => new SingletonHost(name, props, backoff, keepUntilAcknowledged ?? (_ => false)));
        system.ActorOf(ClusterSingletonManager.Props(host, PoisonPill.Instance, managerSettings), name);
        return system.ActorOf(ClusterSingletonProxy.Props($"/user/{name}", proxySettings), name + "-proxy");
    }

    /// <summary>Called by a singleton actor in PreStart: its host watches this incarnation (it counts as starting until <see cref="Recovered"/>).</summary>
    public static void Starting(IActorContext context) => context.Parent.Tell(new SingletonStarted(context.Self), context.Self);

    /// <summary>Called by a singleton actor once its state is recovered from the journal: its host counts it as running.</summary>
    public static void Recovered(IActorContext context) => context.Parent.Tell(new SingletonRecovered(context.Self), context.Self);
}

/// <summary>How long a stopped singleton waits before it is started again: <c>nrtcluster.singletons.min-backoff</c>, doubling up to <c>max-backoff</c>.</summary>
public sealed record SingletonBackoff(TimeSpan Min, TimeSpan Max)
{
    public static SingletonBackoff FromConfig(Akka.Configuration.Config config)
    {
        var min = config.GetTimeSpan("nrtcluster.singletons.min-backoff", TimeSpan.FromSeconds(3), allowInfinite: false);
        var max = config.GetTimeSpan("nrtcluster.singletons.max-backoff", TimeSpan.FromSeconds(30), allowInfinite: false);
        if (min <= TimeSpan.Zero || max < min)
            throw new ArgumentException($"nrtcluster.singletons: min-backoff ({min}) must be positive and max-backoff ({max}) at least as long; e.g. 3s and 30s.");
        return new SingletonBackoff(min, max);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Min.TotalSeconds:0.#} s doubling to {Max.TotalSeconds:0.#} s");
}

// ---- A singleton's own notices to its host (same node, never serialized).

public sealed record SingletonStarted(IActorRef Actor);

public sealed record SingletonRecovered(IActorRef Actor);

/// <summary>The singleton stored <paramref name="Message"/> (a message its host keeps until acknowledged): the host forgets it.</summary>
public sealed record SingletonAcknowledged(object Message);

// ---- Asked through the singleton's proxy, from any node.

public sealed record GetSingletonHealth : IPipelineMessage
{
    public static GetSingletonHealth Instance { get; } = new();
}

/// <param name="Running">True once the current incarnation recovered its state; false while it starts or waits to be started again.</param>
/// <param name="FailedStarts">Incarnations that stopped since it last ran (its journal could not be read or written, or it failed).</param>
/// <param name="SinceUtc">When it last started running, or stopped.</param>
/// <param name="Kept">Messages held until it acknowledges them (e.g. tile alerts arriving while it restarts).</param>
public sealed record SingletonHealth(string Name, bool Running, int FailedStarts, DateTime SinceUtc, int Kept) : IPipelineMessage
{
    /// <summary>e.g. "report-aggregator is restarting: stopped 3 times since 12:01:03 UTC (its journal failed, see the log); 12 messages kept for it".</summary>
    public string Describe()
    {
        string kept = Kept > 0 ? string.Create(CultureInfo.InvariantCulture, $"; {Kept} messages kept for it until it runs") : "";
        return (Running, FailedStarts) switch
        {
            (true, _) => $"{Name} is running (since {SinceUtc:HH:mm:ss} UTC){kept}",
            (false, 0) => $"{Name} is starting: recovering its state from the journal (since {SinceUtc:HH:mm:ss} UTC){kept}",
            _ => string.Create(CultureInfo.InvariantCulture,
                $"{Name} is restarting: stopped {FailedStarts} time(s) since {SinceUtc:HH:mm:ss} UTC (its journal could not be read or written, or it failed; see the log) and is started again with back-off{kept}"),
        };
    }
}

/// <summary>
/// A persistent singleton's parent, itself the cluster singleton: it runs the actor under Akka's
/// <see cref="BackoffSupervisor"/>, because a persistent actor stops when its journal cannot be read or written (the
/// database is down) and would otherwise stay gone until the node restarts. Besides, it
/// <list type="bullet">
/// <item>knows whether the actor runs (it says so in <see cref="ClusterSingletons.Starting"/> and <see cref="ClusterSingletons.Recovered"/>
/// and is watched), and answers <see cref="GetSingletonHealth"/> for readiness and status;</item>
/// <item>keeps the messages that must not be lost (tile alerts for the report aggregator) until the actor acknowledges
/// them after storing them, and sends those still unacknowledged again each time an incarnation has recovered. The
/// back-off supervisor drops what arrives while its child is stopped, and a stopping actor drops its mailbox; the host
/// outlives both, so an alert is lost only with the node that holds the singleton. A repeat is harmless: the aggregator
/// records a tile and day once.</item>
/// </list>
/// </summary>
public sealed class SingletonHost : ReceiveActor
{
    private readonly string _name;
    private readonly SingletonBackoff _backoff;
    private readonly Func<object, bool> _keep;
    private readonly IActorRef _supervisor;
    private readonly List<object> _kept = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef? _actor;
    private bool _running;
    private int _failedStarts;
    private DateTime _sinceUtc = DateTime.UtcNow;

    public SingletonHost(string name, Props props, SingletonBackoff backoff, Func<object, bool> keep)
    {
        _name = name;
        _backoff = backoff;
        _keep = keep;
        _supervisor = Context.ActorOf(BackoffSupervisor.Props(Backoff.OnStop(props, name, backoff.Min, backoff.Max, 0.2, maxNrOfRetries: -1)
            // A failure stops the actor as well, to be started again the same way.
            .WithSupervisorStrategy(new OneForOneStrategy(_ => Directive.Stop))), "backoff");

        Receive<SingletonStarted>(s => _actor = Context.Watch(s.Actor));
        Receive<SingletonRecovered>(r =>
        {
            if (_failedStarts > 0)
                _log.Warning("The {0} singleton runs again after {1} failed start(s) since {2:HH:mm:ss} UTC; {3} kept messages sent to it", _name, _failedStarts, _sinceUtc, _kept.Count);
            (_running, _failedStarts, _sinceUtc) = (true, 0, DateTime.UtcNow);
            foreach (var m in _kept) _supervisor.Tell(m, Self);
        });
        Receive<Terminated>(t =>
        {
            if (!t.ActorRef.Equals(_actor)) return;
            if (_running)
            {
                _log.Warning("The {0} singleton stopped (see the log: its journal could not be read or written, or it failed); it is started again with back-off, {1}", _name, _backoff);
                _sinceUtc = DateTime.UtcNow;
            }
            (_actor, _running) = (null, false);
            _failedStarts++;
        });
        Receive<SingletonAcknowledged>(a => _kept.Remove(a.Message));
        Receive<GetSingletonHealth>(_ => Sender.Tell(new SingletonHealth(_name, _running, _failedStarts, _sinceUtc, _kept.Count)));
        ReceiveAny(m =>
        {
            if (!_keep(m))
            {
                _supervisor.Forward(m);
                return;
            }
            _kept.Add(m);
            // While the actor is down the supervisor would drop it; it is sent once the actor has recovered.
            if (_running) _supervisor.Tell(m, Self);
        });
    }
}
