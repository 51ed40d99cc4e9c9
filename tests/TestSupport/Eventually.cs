using System.Diagnostics;

namespace NrtCluster.TestSupport;

/// <summary>
/// The one way the tests wait for an effect that follows asynchronously (TestKit's AwaitAssert, for processes, HTTP and
/// actors alike): read again until the value read is what the test waits for. The bound only stops a hung test; it is
/// never what the test asserts.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Reads until <paramref name="done"/> holds of the value read and returns that value. After <paramref name="within"/>,
    /// or at once when <paramref name="giveUp"/> says so (the process under test exited), throws with
    /// <paramref name="failure"/> of the last value read.
    /// </summary>
    public static async Task<T> Until<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan within, Func<T, string> failure,
        Func<bool>? giveUp = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (clock.Elapsed > within || (giveUp?.Invoke() ?? false)) throw new TimeoutException(failure(value));
            await Task.Delay(Interval);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds; after <paramref name="within"/> throws naming <paramref name="what"/>.</summary>
    public static Task Until(Func<Task<bool>> condition, TimeSpan within, string what, Func<string>? describe = null) =>
        Until(condition, held => held, within, _ => $"Not within {within.TotalSeconds:0} s: {what}. {describe?.Invoke()}".TrimEnd());

    public static Task Until(Func<bool> condition, TimeSpan within, string what, Func<string>? describe = null) =>
        Until(() => Task.FromResult(condition()), within, what, describe);
}
