using System.CommandLine;
using NrtCluster.Host.Bench;

namespace NrtCluster.Host.Cli;

/// <summary><c>nrtc bench latency</c>: publication-to-alert time of a clear-cut, polled and pushed (<see cref="LatencyBench"/>).</summary>
public static class LatencyBenchCommand
{
    public static Command Create()
    {
        var size = new Option<int>("--size") { Description = "Side of each of the archive's two granules in 20 m pixels", DefaultValueFactory = _ => 60 };
        var poll = new Option<int>("--poll-interval") { Description = "The node's project.poll-interval, in seconds", DefaultValueFactory = _ => 30 };
        var settle = new Option<int>("--settle-delay") { Description = "The node's project.settle-delay, in seconds", DefaultValueFactory = _ => 10 };
        var command = new Command("latency",
            "Run a node on a synthetic archive served on 127.0.0.1, publish an acquisition carrying a clear-cut once for the poller and once pushed " +
            "(POST /api/items); print the seconds from publication until the alert is in /api/alerts and on the WMS.");
        foreach (var o in new Option[] { size, poll, settle }) command.Options.Add(o);
        command.SetAction(async (parseResult, ct) =>
        {
            var (n, p, s) = (parseResult.GetValue(size), parseResult.GetValue(poll), parseResult.GetValue(settle));
            if (n is < 20 or > 1000 || p < 1 || s < 1)
            {
                Console.Error.WriteLine("bench latency: --size must be 20 to 1000 pixels, --poll-interval and --settle-delay at least 1 second.");
                return 2;
            }
            try
            {
                await LatencyBench.RunAsync(new LatencyBenchOptions(n, TimeSpan.FromSeconds(p), TimeSpan.FromSeconds(s)), Console.Out, ct);
                return 0;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException)
            {
                Console.Error.WriteLine($"bench latency: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
