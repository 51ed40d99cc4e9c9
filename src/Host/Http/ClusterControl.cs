using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Cluster;
using NrtCluster.Actors.Cluster;
using NrtCluster.Actors.Jobs;
using NrtCluster.Actors.Poller;
using NrtCluster.Actors.Reports;
using NrtCluster.Actors.Tiles;
using NrtCluster.Host.Node;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Host.Http;

/// <summary>
/// What the control endpoints of a running node do (see <see cref="ClusterEndpoints"/>): the cluster's members and shard
/// placement, moving and draining, jobs started on this node, every tile's state asked through the shard region, and how
/// the singletons (poller, report aggregator) are.
/// </summary>
public sealed class ClusterControl(ProjectNode node, SingletonWatch singletons)
{
    private static readonly TimeSpan ViewTimeout = TimeSpan.FromSeconds(10);
    private readonly ShardOperations _shards = new(node.System, node.Tiles);

    public ProjectNode Node => node;

    public SingletonWatch Singletons => singletons;

    public string SelfAddress => Cluster.Get(node.System).SelfAddress.ToString();

    public Task<ClusterView> ViewAsync(CancellationToken ct) => _shards.ViewAsync(ViewTimeout, ct);

    public Task MoveShardAsync(string shardId, string nodeAddress, CancellationToken ct) => _shards.MoveShardAsync(shardId, nodeAddress, ct);

    public Task DrainAsync(string nodeAddress, CancellationToken ct) => _shards.DrainAsync(nodeAddress, ct);

    public Task UndrainAsync(string nodeAddress, CancellationToken ct) => _shards.UndrainAsync(nodeAddress, ct);

    /// <summary>Starts a fit of every tile with data on this node; returns the job id.</summary>
    public async Task<string> StartFitAsync(bool replace, CancellationToken ct)
    {
        var tiles = await TilesAsync(ct).ConfigureAwait(false);
        var id = node.NewJobId(JobKind.Fit);
        node.StartJob(new JobRequest.Fit(id, tiles, node.Config.HistoryStart, node.Config.HistoryEnd, replace));
        return id;
    }

    /// <summary>Starts a fast-forward of every tile with data up to <paramref name="toUtc"/> on this node; returns the job id.</summary>
    public async Task<string> StartFastForwardAsync(DateTime toUtc, CancellationToken ct)
    {
        var tiles = await TilesAsync(ct).ConfigureAwait(false);
        var id = node.NewJobId(JobKind.FastForward);
        node.StartJob(new JobRequest.FastForward(id, tiles, node.HistoryEndUtc, toUtc));
        return id;
    }

    /// <summary>
    /// Takes the tiles with a quarantined day (or the given ones; only <paramref name="day"/> when given) back before it and
    /// starts the fast-forward that applies the days again (<see cref="Requeue"/>); answers what was requeued and the job id.
    /// </summary>
    public async Task<JsonObject> StartRequeueAsync(IReadOnlyList<string> tiles, DateOnly? day, CancellationToken ct)
    {
        var bad = tiles.Where(t => !TileId.TryParse(t, out _)).ToList();
        if (bad.Count > 0) throw new ArgumentException($"tile={string.Join(", ", bad)}: not a tile id; give x<column>_y<row>, e.g. x12_y7.");
        var project = node.Footprints.ProjectTiles;
        var selected = tiles.Count == 0 ? project : [.. tiles.Select(TileId.Parse).Distinct()];
        var outside = selected.Where(t => !project.Contains(t)).ToList();
        if (outside.Count > 0) throw new ArgumentException($"tile={string.Join(", ", outside)}: not a tile of the project {node.Config.Name}.");
        var plan = await Requeue.RewindAsync(node, selected, day, named: tiles.Count > 0, ct).ConfigureAwait(false);
        string? id = null;
        if (plan.To is not null)
        {
            id = node.NewJobId(JobKind.FastForward);
            node.StartJob(Requeue.Job(node, id, plan));
        }
        return Requeue.ToJson(plan, id);
    }

    public JobProgress? Job(string id) => node.JobProgressOf(id);

    /// <summary>
    /// Every tile of the area of interest that an archive item touches: its fit, last applied day, days applied (each day with <paramref name="withDays"/>),
    /// breaks, the archive's newest solar day touching it, the lag behind it, the shard and node holding it, the days it
    /// quarantined (items that could not be loaded), also listed together under <c>quarantined</c>, and the items applied days
    /// were loaded without, listed under <c>leftOut</c>, and the archive items (and pushed items) rejected under <c>rejected</c>. When the archive
    /// cannot be searched, the tiles with stored state, with <c>archiveError</c> saying why the newest days and lags are null.
    /// Each tile's <c>alertDays</c> are the days the report aggregator recorded an alert for (every applied day once it has
    /// caught up; null with <c>aggregatorError</c> when it does not answer), and <c>singletons</c> says whether the poller and
    /// the aggregator run.
    /// </summary>
    public async Task<JsonObject> TilesStatusAsync(bool withDays, CancellationToken ct)
    {
        var overview = await TileOverview.ReadAsync(node, ct).ConfigureAwait(false);
        var view = await ViewAsync(ct).ConfigureAwait(false);
        Dictionary<TileId, int>? alertDays = null;
        string? aggregatorError = null;
        try
        {
            var statistics = await node.Reports.Ask<AlertStatistics>(GetAlertStatistics.Instance, ViewTimeout, ct).ConfigureAwait(false);
            alertDays = statistics.Tiles.ToDictionary(t => t.Tile, t => t.DaysReported);
        }
        catch (AskTimeoutException)
        {
            var state = singletons.States.FirstOrDefault(s => s.Name == ReportAggregatorSingleton.Name)?.Text;
            aggregatorError = $"the report aggregator did not answer within {ViewTimeout.TotalSeconds:0} s{(state is null ? "" : $"; {state}")}";
        }
        // The poller's rejections since it started add those of pushed items (POST /api/items), which no archive search meets.
        var rejected = overview.Rejected.ToList();
        try
        {
            var poller = await node.Poller.Ask<PollerStatus>(GetPollerStatus.Instance, ViewTimeout, ct).ConfigureAwait(false);
            rejected.AddRange(poller.Rejected.Where(r => !rejected.Any(known => known.SameAs(r))));
        }
        catch (AskTimeoutException)
        {
            // Not running: "singletons" says so; the archive's rejections are still listed.
        }
        var shardNodes = view.Shards.ToDictionary(s => s.ShardId, s => s.Node, StringComparer.Ordinal);
        var array = new JsonArray();
        var quarantined = new JsonArray();
        foreach (var (s, newest) in overview.Tiles)
        {
            string shard = s.Tile.ShardId(node.ShardBlockSize);
            var tile = new JsonObject
            {
                ["tile"] = s.Tile.ToString(),
                ["shard"] = shard,
                ["node"] = shardNodes.GetValueOrDefault(shard),
                ["fitNumber"] = s.FitNumber,
                ["fit"] = s.Fit is { } f
                    ? new JsonObject
                    {
                        ["historyStart"] = Day(f.HistoryStart), ["historyEnd"] = Day(f.HistoryEnd), ["historyDates"] = f.HistoryDates,
                        ["height"] = f.Height, ["width"] = f.Width, ["engine"] = f.Engine,
                    }
                    : null,
                ["lastDay"] = s.LastDay is { } last ? Day(last) : null,
                ["daysApplied"] = s.Days.Length,
                ["breaks"] = s.Totals.Breaks,
                ["newestInArchive"] = newest is { } nw ? Day(nw) : null,
                ["lagDays"] = new TileOverviewRow(s, newest).LagDays,
                ["alertDays"] = alertDays is null ? null : alertDays.GetValueOrDefault(s.Tile),
            };
            tile["quarantinedDays"] = s.Quarantined.Length;
            tile["leftOutItems"] = s.Days.Sum(d => d.LeftOut.Length);
            if (withDays) tile["days"] = new JsonArray([.. s.Days.Select(d => (JsonNode)JsonValue.Create(Day(d.Day))!)]);
            array.Add(tile);
            foreach (var q in s.Quarantined) quarantined.Add(QuarantinedJson(s.Tile, q));
        }
        return new JsonObject
        {
            ["node"] = SelfAddress,
            ["takenUtc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["archiveError"] = overview.ArchiveError,
            ["aggregatorError"] = aggregatorError,
            ["singletons"] = singletons.ToJson(),
            ["tiles"] = array,
            ["quarantined"] = quarantined,
            ["leftOut"] = new JsonArray([.. overview.LeftOut.Select(l => (JsonNode)new JsonObject
            {
                ["tile"] = l.Tile.ToString(), ["day"] = Day(l.Day.Day), ["item"] = l.Item.ItemId, ["reason"] = l.Item.Reason,
            })]),
            ["hazeGated"] = new JsonArray([.. overview.HazeGated.Select(h => (JsonNode)new JsonObject
            {
                ["tile"] = h.Tile.ToString(), ["day"] = Day(h.Day.Day), ["observed"] = h.Day.HazeObserved, ["setAside"] = h.Day.HazeSetAside,
            })]),
            ["rejected"] = new JsonArray([.. rejected.Select(r => (JsonNode)new JsonObject
            {
                ["item"] = r.Id, ["source"] = r.Source, ["reason"] = r.Reason,
            })]),
        };
    }

    /// <summary>One quarantined day as <c>GET /api/tiles/status</c> lists it.</summary>
    public static JsonObject QuarantinedJson(TileId tile, QuarantinedDay q) => new()
    {
        ["tile"] = tile.ToString(),
        ["day"] = Day(q.Day),
        ["items"] = new JsonArray([.. q.ItemIds.Select(i => (JsonNode)JsonValue.Create(i)!)]),
        ["reason"] = q.Reason,
        ["atUtc"] = q.AtUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
    };

    public static JsonObject ViewJson(ClusterView view, string self) => new()
    {
        ["self"] = self,
        ["type"] = view.TypeName,
        ["takenUtc"] = view.TakenUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ["members"] = new JsonArray([.. view.Nodes.Select(n => (JsonNode)new JsonObject
        {
            ["address"] = n.Address,
            ["status"] = n.Status,
            ["reachable"] = n.Reachable,
            ["roles"] = new JsonArray([.. n.Roles.Select(r => (JsonNode)JsonValue.Create(r)!)]),
            ["hostsShards"] = n.HostsShards,
            ["drained"] = n.Drained,
            ["leader"] = n.IsLeader,
            ["oldest"] = n.IsOldest,
            ["shards"] = n.ShardCount,
            ["entities"] = n.EntityCount,
        })]),
        ["shards"] = new JsonArray([.. view.Shards.Select(s => (JsonNode)new JsonObject
        {
            ["shard"] = s.ShardId,
            ["node"] = s.Node,
            ["pinnedTo"] = s.PinnedTo,
            ["entities"] = new JsonArray([.. s.Entities.Select(e => (JsonNode)JsonValue.Create(e)!)]),
        })]),
        ["pins"] = new JsonObject([.. view.Pins.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))]),
        ["drained"] = new JsonArray([.. view.Drained.Select(d => (JsonNode)JsonValue.Create(d)!)]),
        ["unanswered"] = new JsonArray([.. view.Unanswered.Select(d => (JsonNode)JsonValue.Create(d)!)]),
    };

    private async Task<ImmutableArray<TileId>> TilesAsync(CancellationToken ct)
    {
        var tiles = await node.TilesWithDataAsync(ct).ConfigureAwait(false);
        return tiles.IsEmpty
            ? throw new InvalidOperationException("no archive item touches a tile of the area of interest; check project.area-of-interest and project.stac")
            : tiles;
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
