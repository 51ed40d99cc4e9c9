using Akka.Actor;

namespace NrtCluster.Actors.Tests.Support;

/// <summary>Collects the text of every warning logged in an actor system, for tests that count what the log says.</summary>
public sealed class WarningListener : ReceiveActor
{
    public WarningListener(System.Collections.Concurrent.ConcurrentQueue<string> warnings) =>
        Receive<Akka.Event.Warning>(w => warnings.Enqueue(w.Message?.ToString() ?? ""));

    /// <summary>Starts a listener on <paramref name="system"/> and returns the queue its warnings go to.</summary>
    public static System.Collections.Concurrent.ConcurrentQueue<string> Listen(ActorSystem system)
    {
        var warnings = new System.Collections.Concurrent.ConcurrentQueue<string>();
        system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new WarningListener(warnings))), typeof(Akka.Event.Warning));
        return warnings;
    }
}
