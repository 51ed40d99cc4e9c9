using System.Text.Json.Nodes;

namespace NrtCluster.Host.Http.Features;

/// <summary>The OpenAPI 3.0 definition of <see cref="OgcFeatures"/> (the landing page's service-desc): paths and parameters.</summary>
internal static class OgcApiDocument
{
    public static JsonObject Build(string root, IReadOnlyList<IFeatureCollection> collections)
    {
        var ids = new JsonArray(collections.Select(c => (JsonNode)c.Id).ToArray());
        var continuations = collections.Select(c => c.ContinuationParameter).Distinct().ToArray();
        JsonObject Get(string summary, string type, params JsonNode[] parameters) => new()
        {
            ["get"] = new JsonObject
            {
                ["summary"] = summary,
                ["parameters"] = new JsonArray([.. parameters, Parameter("f", "json (the default); items also take geojson and " + OgcFeatures.Download, "string")]),
                ["responses"] = new JsonObject
                {
                    ["200"] = new JsonObject { ["description"] = summary, ["content"] = new JsonObject { [type] = new JsonObject() } },
                    ["400"] = new JsonObject { ["description"] = "A bad parameter; the body says which and what to give." },
                    ["404"] = new JsonObject { ["description"] = "No such collection or feature." },
                },
            },
        };
        var collectionId = Parameter("collectionId", "The collection", "string", "path", ids);
        return new JsonObject
        {
            ["openapi"] = "3.0.3",
            ["info"] = new JsonObject { ["title"] = "NrtCluster OGC API - Features", ["version"] = "1.0.0" },
            ["servers"] = new JsonArray(new JsonObject { ["url"] = root }),
            ["paths"] = new JsonObject
            {
                ["/"] = Get("Landing page", OgcFeatures.Json),
                ["/api"] = Get("This API definition", OgcFeatures.OpenApi),
                ["/conformance"] = Get("Conformance classes", OgcFeatures.Json),
                ["/collections"] = Get("The collections", OgcFeatures.Json),
                ["/collections/{collectionId}"] = Get("One collection", OgcFeatures.Json, collectionId.DeepClone()),
                ["/collections/{collectionId}/items"] = Get("Features of a collection, newest first for patches, by detection date for alerts", OgcFeatures.GeoJson,
                    [
                        collectionId.DeepClone(),
                        Parameter("bbox", "minLon,minLat,maxLon,maxLat in WGS 84 (CRS84)", "string"),
                        Parameter("bbox-crs", "Only " + OgcParameters.Crs84, "string"),
                        Parameter("datetime", "A date, a date-time or an interval start/end with '..' for an open side", "string"),
                        new JsonObject
                        {
                            ["name"] = "limit", ["in"] = "query", ["required"] = false, ["description"] = "Features per page",
                            ["schema"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = OgcFeatures.MaxLimit, ["default"] = OgcFeatures.DefaultLimit },
                        },
                        .. continuations.Select(c => Parameter(c, "Continues after the page whose next link carried it", "string")),
                    ]),
                ["/collections/{collectionId}/items/{featureId}"] = Get("One feature", OgcFeatures.GeoJson,
                    collectionId.DeepClone(), Parameter("featureId", "The feature's id", "string", "path")),
            },
        };
    }

    private static JsonObject Parameter(string name, string description, string type, string @in = "query", JsonArray? values = null)
    {
        var schema = new JsonObject { ["type"] = type };
        if (values is not null) schema["enum"] = values;
        return new JsonObject { ["name"] = name, ["in"] = @in, ["required"] = @in == "path", ["description"] = description, ["schema"] = schema };
    }
}
