namespace NrtCluster.Host.Http.Wms;

/// <summary>
/// The layers the WMS serves: <c>mask</c> (one colour per class) and <c>detection_date</c> (a ramp over the data's date
/// range), with the titles and abstracts the capabilities give them.
/// </summary>
public static class WmsLayers
{
    public const string Mask = "mask";
    public const string Date = "detection_date";

    public static readonly IReadOnlyList<(string Name, string Title, string Abstract)> All =
    [
        (Mask, "Monitoring mask", "Per-pixel state: monitored, unstable history, break, too few observations (not monitored is transparent)."),
        (Date, "Break detection date", "Date each break was detected, coloured from the earliest (yellow) to the latest (dark purple) detection; transparent where none."),
    ];

    public static bool Exists(string name) => name is Mask or Date;

    /// <summary>The names as a sentence fragment for messages: "mask and detection_date".</summary>
    public static string Names => $"{Mask} and {Date}";

    /// <summary><paramref name="name"/> when it is a layer, else the service exception that says which layers there are.</summary>
    public static string Check(string name) =>
        Exists(name) ? name : throw new WmsException("LayerNotDefined", $"Layer '{name}' does not exist; the layers are {Names}.");
}
