using NrtCluster.Geo.Stac;

namespace NrtCluster.Geo.Stac.Tests;

internal static class Fixtures
{
    public static string StacDir => RepoRoot.Combine("tests", "data", "stac");

    public const string Cdse = "cdse-v1-S2C_MSIL2A_20250330T100051_N0511_R122_T33UWP_trimmed.json";
    public const string EarthSearchV0 = "earthsearch-v0-S2A_28QCH_20200714_0_L2A.json";
    public const string PlanetaryComputer = "planetary-computer-S2B_MSIL2A_20190629T212529_R043_T06VVN.json";
    public const string PlanetaryComputerRaster = "planetary-computer-S2B_MSIL2A_20190629T212529_R043_T06VVN_raster_ext.json";
    public const string NineGranules = "planetary-computer-itemcollection-20200606-9-granules-one-pass.geojson";
    public const string Tile35Mnm = "planetary-computer-itemcollection-35MNM-2020-jun-jul.geojson";
    public const string Collection = "planetary-computer-sentinel-2-l2a.collection.json";

    public static string PathOf(string name) => Path.Combine(StacDir, name);

    public static StacItem Item(string name)
    {
        var path = PathOf(name);
        return StacJson.ParseItem(StacJson.ParseDocument(File.ReadAllText(path), path), path);
    }

    public static IReadOnlyList<StacItem> Features(string name)
    {
        var path = PathOf(name);
        return StacJson.ParseFeatures(StacJson.ParseDocument(File.ReadAllText(path), path), path);
    }

    public static StacItem ParseItemJson(string json, string location = "/tmp/test-item.json") =>
        StacJson.ParseItem(StacJson.ParseDocument(json, location), location);

    /// <summary>An environment with S3 keys and nothing else.</summary>
    public static string? EnvWithS3Keys(string name) => name switch
    {
        "AWS_ACCESS_KEY_ID" => "test-key",
        "AWS_SECRET_ACCESS_KEY" => "test-secret",
        _ => null,
    };

    public static string? EmptyEnv(string name) => null;

    /// <summary>A client that never goes through a proxy, so 127.0.0.1 is reached directly.</summary>
    public static HttpClient NewHttpClient() => new(new SocketsHttpHandler { UseProxy = false });
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;
    public override DateTimeOffset GetUtcNow() => Now;
}
