using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json.Nodes;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using NrtCluster.Actors;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace NrtCluster.Host.Http;

/// <summary>
/// A node's metrics over OpenTelemetry: <c>/metrics</c> in the Prometheus text format, with the node's own instruments
/// (<see cref="Telemetry"/>), ASP.NET Core's, the .NET runtime's and Npgsql's; and <c>/api/freshness</c>, the tiles' data
/// freshness from the same instruments, for the web map. Nodes sharing a process (tests) each export their own node's and
/// their own server's instruments; the runtime's and Npgsql's are the process's.
/// </summary>
public static class NodeMetrics
{
    /// <summary>The instruments of the node a server runs on: those of its actor system, none for a server of files only.</summary>
    public static Telemetry? Of(ActorSystem? node) => node is null ? null : Telemetry.Get(node);

    /// <summary>Registers the exporter of <paramref name="own"/>'s instruments (with the server's and the process's).</summary>
    public static void Add(WebApplicationBuilder builder, Telemetry? own)
    {
        builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(Telemetry.MeterName, "Npgsql")
                .AddRuntimeInstrumentation()
                .AddAspNetCoreInstrumentation()
                .AddPrometheusExporter();
            // The server's own meter factory is known once its services are built.
            ((IDeferredMeterProviderBuilder)metrics).Configure((services, b) =>
            {
                var server = services.GetRequiredService<IMeterFactory>();
                // A meter with a scope belongs to one node or one server of the process: only this one's are kept.
                b.AddView(i => i.Meter.Scope is null || ReferenceEquals(i.Meter.Scope, server) || ReferenceEquals(i.Meter.Scope, own)
                    ? null
                    : MetricStreamConfiguration.Drop);
            });
        });
    }

    public static void Map(WebApplication app, Telemetry? own)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGet("/api/freshness", () => Results.Text(FreshnessJson(own?.Freshness()).ToJsonString(), "application/json"));
    }

    /// <summary>
    /// The tiles this node runs: how many, the newest last applied day and the oldest, the largest lag behind the archive
    /// (null when not known) and the quarantined days, then each tile. <paramref name="tiles"/> null: no node, nothing known.
    /// </summary>
    internal static JsonObject FreshnessJson(IReadOnlyList<TileFreshness>? tiles)
    {
        if (tiles is null)
            return new JsonObject { ["known"] = false, ["reason"] = "this server publishes an output folder; freshness is known to a running node (nrtc run)" };
        static string? Day(DateOnly? d) => d?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var applied = tiles.Where(t => t.LastDay is not null).ToList();
        var lags = tiles.Where(t => t.LagDays is not null).Select(t => t.LagDays!.Value).ToList();
        return new JsonObject
        {
            ["known"] = true,
            ["tiles"] = tiles.Count,
            ["lastApplied"] = Day(applied.Count == 0 ? null : applied.Max(t => t.LastDay)),
            ["oldestLastApplied"] = Day(applied.Count == 0 ? null : applied.Min(t => t.LastDay)),
            ["maxLagDays"] = lags.Count == 0 ? null : lags.Max(),
            ["quarantinedDays"] = tiles.Sum(t => t.Quarantined),
            ["perTile"] = new JsonArray([.. tiles.Select(t => (JsonNode)new JsonObject
            {
                ["tile"] = t.Tile.ToString(),
                ["lastApplied"] = Day(t.LastDay),
                ["newestInArchive"] = Day(t.NewestInArchive),
                ["lagDays"] = t.LagDays,
                ["quarantinedDays"] = t.Quarantined,
            })]),
        };
    }
}
