namespace NrtCluster.Actors.State;

/// <summary>
/// The shape of every persistent actor's state (tiles, poller, report aggregator, jobs): <see cref="Decide"/> says what a
/// command means as events, without side effects; <see cref="Apply"/> folds one event into the next state. Whatever a
/// decision needs from outside (the time, the rules, a monitor engine, pixels the actor loaded) travels in the command,
/// so a state is tested without actors and a replay gives the same state.
/// </summary>
public interface IDecider<TState, in TCommand, TEvent> where TState : IDecider<TState, TCommand, TEvent>
{
    IReadOnlyList<TEvent> Decide(TCommand command);

    TState Apply(TEvent e);
}
