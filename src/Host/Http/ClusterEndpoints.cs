using System.Globalization;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using NrtCluster.Actors.Poller;
using NrtCluster.Geo.Stac;
using NrtCluster.Host.Node;

namespace NrtCluster.Host.Http;

/// <summary>
/// The control plane of a running node, so the command line drives the cluster over HTTP without joining it:
/// <list type="bullet">
/// <item><c>GET /api/cluster</c>: members and shard placement;</item>
/// <item><c>POST /api/shards/{shard}/move?to=ADDRESS</c>, <c>POST /api/nodes/drain?address=ADDRESS</c>, <c>POST /api/nodes/undrain?address=ADDRESS</c>;</item>
/// <item><c>POST /api/jobs/fit[?replace=true]</c>, <c>POST /api/jobs/fast-forward[?to=YYYY-MM-DD]</c> (202 with the job id), <c>GET /api/jobs/{id}</c>;</item>
/// <item><c>POST /api/jobs/requeue[?tile=ID...][&amp;day=YYYY-MM-DD]</c>: quarantined days taken back and applied again by a
/// fast-forward (what was requeued, and the job id when one started);</item>
/// <item><c>GET /api/tiles/status[?days=true]</c>: every tile's fit, days, lag and holder, and the quarantined days (day, items, reason).</item>
/// <item><c>POST /api/items</c> with a STAC item, an item collection or an array of items as the body: pushed items recorded by
/// the poller like polled ones (<see cref="PushedItems"/>); 202 with what became of each, 400 for a body that holds no items,
/// 503 when the poller does not answer.</item>
/// </list>
/// Bad input answers 400, refused operations 409, unknown jobs 404, each with a message saying what to give instead.
/// Parameters go in the query string; the POSTs pass <see cref="ApiGuard"/> first (Host, Origin, no body or JSON, token).
/// </summary>
public static class ClusterEndpoints
{
    public static void Map(WebApplication app, ClusterControl control)
    {
        app.MapGet("/api/cluster", async (CancellationToken ct) =>
            Json(ClusterControl.ViewJson(await control.ViewAsync(ct).ConfigureAwait(false), control.SelfAddress)));

        app.MapPost("/api/shards/{shard}/move", (string shard, HttpRequest r, CancellationToken ct) =>
            Operate(async () =>
            {
                var to = Required(r, "to", "the address of the node to move the shard to, e.g. ?to=127.0.0.1:4054");
                await control.MoveShardAsync(shard, to, ct).ConfigureAwait(false);
                return new JsonObject { ["moved"] = shard, ["to"] = to, ["note"] = "the shard moves at the next rebalance round" };
            }));
        app.MapPost("/api/nodes/drain", (HttpRequest r, CancellationToken ct) =>
            Operate(async () =>
            {
                var address = Required(r, "address", "the address of the node to drain, e.g. ?address=127.0.0.1:4054");
                await control.DrainAsync(address, ct).ConfigureAwait(false);
                return new JsonObject { ["drained"] = address };
            }));
        app.MapPost("/api/nodes/undrain", (HttpRequest r, CancellationToken ct) =>
            Operate(async () =>
            {
                var address = Required(r, "address", "the address of the node to undrain, e.g. ?address=127.0.0.1:4054");
                await control.UndrainAsync(address, ct).ConfigureAwait(false);
                return new JsonObject { ["undrained"] = address };
            }));

        app.MapPost("/api/jobs/fit", (HttpRequest r, CancellationToken ct) =>
            Operate(async () =>
            {
                bool replace = r.Query.TryGetValue("replace", out var v) && bool.TryParse(v, out var b) && b;
                return JobStarted(await control.StartFitAsync(replace, ct).ConfigureAwait(false));
            }, 202));
        app.MapPost("/api/jobs/fast-forward", (HttpRequest r, CancellationToken ct) =>
            Operate(async () =>
            {
                var toUtc = DateTime.UtcNow;
                if (r.Query.TryGetValue("to", out var text) && text.ToString().Length > 0)
                {
                    if (!DateOnly.TryParseExact(text.ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                        throw new ArgumentException($"to={text} is not a date; give the last acquisition date to apply as YYYY-MM-DD.");
                    toUtc = day.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc);
                }
                return JobStarted(await control.StartFastForwardAsync(toUtc, ct).ConfigureAwait(false));
            }, 202));
        app.MapPost("/api/jobs/requeue", (HttpRequest r, CancellationToken ct) =>
            Operate(async () =>
            {
                DateOnly? day = null;
                if (r.Query.TryGetValue("day", out var text) && text.ToString().Length > 0)
                {
                    if (!DateOnly.TryParseExact(text.ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
                        throw new ArgumentException($"day={text} is not a date; give a quarantined day as YYYY-MM-DD.");
                    day = d;
                }
                var tiles = r.Query.TryGetValue("tile", out var t) ? t.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()).ToList() : [];
                return await control.StartRequeueAsync(tiles, day, ct).ConfigureAwait(false);
            }));
        app.MapGet("/api/jobs/{id}", (string id) =>
            control.Job(id) is { } progress
                ? Json(JobProgressJson.Write(progress))
                : Problem(404, $"No job '{id}' was started on this node; jobs are followed on the node that started them."));

        app.MapPost("/api/items", async (HttpRequest r, CancellationToken ct) =>
        {
            using var reader = new StreamReader(r.Body);
            var body = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
            try
            {
                return Json(PushJson(await PushedItems.AcceptAsync(control.Node, body, $"{r.Scheme}://{r.Host}/api/items", ct).ConfigureAwait(false)), 202);
            }
            catch (StacFormatException e)
            {
                return Problem(400, $"{e.Message}; send a STAC item, an item collection (FeatureCollection) or a JSON array of items.");
            }
            catch (AskTimeoutException)
            {
                var state = control.Singletons.States.FirstOrDefault(s => s.Name == StacPollerSingleton.Name)?.Text;
                return Problem(503, $"the STAC poller did not answer within {PushedItems.PollerTimeout.TotalSeconds:0} s{(state is null ? "" : $" ({state})")}: " +
                                    "no item was recorded; push them again later (the next poll finds them as well).");
            }
        });

        app.MapGet("/api/tiles/status", (HttpRequest r, CancellationToken ct) =>
            Operate(() => control.TilesStatusAsync(r.Query.TryGetValue("days", out var v) && bool.TryParse(v, out var b) && b, ct)));
    }

    private static JsonObject PushJson(PushOutcome o) => new()
    {
        ["received"] = o.Received,
        ["accepted"] = o.Accepted.Length,
        ["duplicates"] = o.Duplicates,
        ["rejected"] = o.Rejected.Length,
        ["ignored"] = o.Ignored.Length,
        ["acceptedItems"] = new JsonArray([.. o.Accepted.Select(id => (JsonNode)JsonValue.Create(id)!)]),
        ["rejectedItems"] = ItemsJson(o.Rejected),
        ["ignoredItems"] = ItemsJson(o.Ignored),
        ["note"] = "accepted items reach the tiles once their solar day has settled (project.settle-delay)",
    };

    private static JsonArray ItemsJson(IEnumerable<RejectedItem> items) =>
        new([.. items.Select(i => (JsonNode)new JsonObject { ["item"] = i.Id, ["source"] = i.Source, ["reason"] = i.Reason })]);

    private static JsonObject JobStarted(string id) => new() { ["jobId"] = id, ["progress"] = $"/api/jobs/{id}" };

    private static string Required(HttpRequest r, string name, string what) =>
        r.Query.TryGetValue(name, out var v) && v.ToString().Trim().Length > 0
            ? v.ToString().Trim()
            : throw new ArgumentException($"{name} is missing; give {what}.");

    private static async Task<IResult> Operate(Func<Task<JsonObject>> body, int status = 200)
    {
        try
        {
            return Json(await body().ConfigureAwait(false), status);
        }
        catch (ArgumentException e)
        {
            return Problem(400, e.Message);
        }
        catch (InvalidOperationException e)
        {
            return Problem(409, e.Message);
        }
        catch (Exception e) when (e is Akka.Actor.AskTimeoutException or TimeoutException or IOException or HttpRequestException)
        {
            return Problem(503, e.Message);
        }
    }

    private static IResult Json(JsonObject body, int status = 200) => Results.Text(body.ToJsonString(), "application/json", statusCode: status);

    private static IResult Problem(int status, string message) =>
        Results.Text(new JsonObject { ["status"] = status, ["error"] = message }.ToJsonString(), "application/json", statusCode: status);
}

/// <summary>
/// Status of a running node: the output folder's reports (as <see cref="FileNodeStatus"/>) plus the node's address and
/// membership, the singletons, and the database outage if there is one.
/// </summary>
public sealed class ClusterNodeStatus(ClusterControl control, FileNodeStatus files) : INodeStatus
{
    public NodeStatusReport Current()
    {
        var report = files.Current();
        var cluster = Cluster.Get(control.Node.System);
        report.Details["address"] = cluster.SelfAddress.ToString();
        report.Details["memberStatus"] = cluster.SelfMember.Status.ToString();
        report.Details["members"] = new JsonArray([.. cluster.State.Members.Select(m => (JsonNode)JsonValue.Create($"{m.Address} {m.Status}")!)]);
        report.Details["singletons"] = control.Singletons.ToJson();
        if (DatabaseHealth.Get(control.Node.System).Outage is { } o) report.Details["database"] = o.Describe(DateTime.UtcNow);
        return report with { Node = cluster.SelfAddress.ToString(), Mode = "cluster" };
    }
}
