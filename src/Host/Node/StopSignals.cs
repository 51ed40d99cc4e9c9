using System.Globalization;
using System.Runtime.InteropServices;
using NrtCluster.Actors.Jobs;

namespace NrtCluster.Host.Node;

/// <summary>A job whose wait was cancelled (a stop signal): it was stopped between days; its last progress.</summary>
public sealed class JobStoppedException(JobProgress progress, CancellationToken token)
    : OperationCanceledException("the job was stopped before it finished", token)
{
    public JobProgress Progress { get; } = progress;
}

/// <summary>
/// SIGINT (Ctrl+C) and SIGTERM for the verbs that run a job on an embedded node (fit, fast-forward, demo, poll --once):
/// the job stops between days (a tile stores a day before acknowledging it, so a day in progress is kept or done again),
/// the node stops, one line says what was done and how to resume, and the exit code is 130 (SIGINT) or 143 (SIGTERM).
/// </summary>
public static class StopSignals
{
    /// <summary>The longest a signal is held while the command stops its node, before the process may end anyway.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Runs <paramref name="body"/> with a token that a stop signal (or <paramref name="ct"/>) cancels.</summary>
    public static async Task<int> RunAsync(string verb, CancellationToken ct, Func<CancellationToken, Task<int>> body)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new Lock();
        PosixSignal? signal = null;
        // The handler holds the signal until the command has stopped its node, else the command-line library ends the process
        // 2 s later (handlers registered later run first, so this one runs before the library's). A signal that comes once
        // the command is done is left to the runtime.
        void OnSignal(PosixSignalContext context)
        {
            lock (gate)
            {
                if (finished.Task.IsCompleted) return;
                context.Cancel = true;
                signal ??= context.Signal;
                // Not inline: the job's stop would run on this thread.
                _ = stop.CancelAsync();
            }
            finished.Task.Wait(StopTimeout);
        }
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        try
        {
            return await body(stop.Token);
        }
        catch (OperationCanceledException e) when (signal is { } received)
        {
            var name = received == PosixSignal.SIGINT ? "SIGINT" : "SIGTERM";
            Console.WriteLine($"{verb}: stopped by {name}{Done(verb, (e as JobStoppedException)?.Progress)}; state is consistent; run the same command again to resume");
            return received == PosixSignal.SIGINT ? 130 : 143;
        }
        finally
        {
            lock (gate) finished.TrySetResult();
        }
    }

    /// <summary>What a stopped job had done, e.g. " after 120 of 328 tile-days (118 applied, 2 repeated)"; empty without a job.</summary>
    private static string Done(string verb, JobProgress? p)
    {
        if (p is null) return "";
        var kind = p.Kind == JobKind.Fit ? "fit" : "fast-forward";
        var during = kind == verb ? "" : $" during the {kind}";
        return p.Kind == JobKind.Fit
            ? string.Create(CultureInfo.InvariantCulture, $"{during} after {p.TilesDone} of {p.TilesTotal} tiles fitted")
            : string.Create(CultureInfo.InvariantCulture,
                $"{during} after {p.Tiles.Sum(t => t.DaysDone)} of {p.Tiles.Sum(t => t.DaysTotal)} tile-days ({p.Tiles.Sum(t => t.DaysApplied)} applied, " +
                $"{p.Tiles.Sum(t => t.DaysRepeated)} repeated, {p.Tiles.Sum(t => t.DaysQuarantined)} quarantined)");
    }
}
