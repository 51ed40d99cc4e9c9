using System.Text.Json.Nodes;
using Akka.Actor;
using NrtCluster.Actors;
using NrtCluster.Host.Http;

namespace NrtCluster.Host.Node;

/// <summary>
/// How the project's singletons (the STAC poller, the report aggregator) are, as this node last heard: every
/// <c>nrtcluster.singletons.health-interval</c> it asks each one through its proxy (<see cref="GetSingletonHealth"/>,
/// answered by its <see cref="SingletonHost"/> on whichever node holds it). A singleton that does not answer in time is
/// reported as such: it may be moving to another node, or its node may be starting, leaving or unreachable.
/// </summary>
public sealed class SingletonWatch
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);
    private readonly (string Name, IActorRef Proxy)[] _singletons;
    private volatile SingletonState[] _states;

    private SingletonWatch((string Name, IActorRef Proxy)[] singletons)
    {
        _singletons = singletons;
        _states = [.. singletons.Select(s => new SingletonState(s.Name, null, $"{s.Name} has not been asked yet"))];
    }

    /// <summary>The last answer of each singleton, in the order given to <see cref="Start"/>.</summary>
    public IReadOnlyList<SingletonState> States => _states;

    /// <summary>Asks at once, then every health interval until the actor system stops.</summary>
    public static SingletonWatch Start(ActorSystem system, params (string Name, IActorRef Proxy)[] singletons)
    {
        var watch = new SingletonWatch(singletons);
        var interval = system.Settings.Config.GetTimeSpan("nrtcluster.singletons.health-interval", TimeSpan.FromSeconds(2), allowInfinite: false);
        var stop = new CancellationTokenSource();
        system.WhenTerminated.ContinueWith(_ => stop.Cancel(), TaskScheduler.Default);
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval);
            try
            {
                do await watch.AskAsync(stop.Token).ConfigureAwait(false);
                while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false));
            }
            catch (OperationCanceledException) { }
        });
        return watch;
    }

    private async Task AskAsync(CancellationToken ct)
    {
        _states = [.. await Task.WhenAll(_singletons.Select(async s =>
        {
            try
            {
                var health = await s.Proxy.Ask<SingletonHealth>(GetSingletonHealth.Instance, AskTimeout, ct).ConfigureAwait(false);
                return new SingletonState(s.Name, health, health.Describe());
            }
            catch (AskTimeoutException)
            {
                return new SingletonState(s.Name, null,
                    $"{s.Name} does not answer within {DatabaseHealth.Duration(AskTimeout)} (it may be moving to another node, or the node holding it is starting, leaving or unreachable)");
            }
        })).ConfigureAwait(false)];
    }

    /// <summary>For status: each singleton's name, whether it runs, and the sentence describing it.</summary>
    public JsonArray ToJson() => new([.. States.Select(s => (JsonNode)new JsonObject
    {
        ["name"] = s.Name, ["running"] = s.Running, ["failedStarts"] = s.Health?.FailedStarts, ["kept"] = s.Health?.Kept, ["state"] = s.Text,
    })]);
}

/// <summary>One singleton as last heard of: its answer (null when it did not answer) and a sentence for an operator.</summary>
public sealed record SingletonState(string Name, SingletonHealth? Health, string Text)
{
    public bool Running => Health is { Running: true };
}
