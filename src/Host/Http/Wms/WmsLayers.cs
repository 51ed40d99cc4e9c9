namespace NrtCluster.Host.Http.Wms;

/// <summary>
/// The layers the WMS serves: <c>mask</c> (one colour per class), <c>detection_date</c> (a ramp over the data's date
/// range), <c>confidence</c> (low, high) and <c>magnitude</c> (a ramp), with the titles and abstracts the capabilities give them.
/// </summary>
public static class WmsLayers
{
    public const string Mask = "mask";
    public const string Date = "detection_date";
    public const string Confidence = "confidence";
    public const string Magnitude = "magnitude";

    public static readonly IReadOnlyList<(string Name, string Title, string Abstract)> All =
    [
        (Mask, "Monitoring mask", "Per-pixel state: monitored, unstable history, break, too few observations (not monitored is transparent)."),
        (Date, "Break detection date", "Date each break was detected, coloured from the earliest (yellow) to the latest (dark purple) detection; transparent where none."),
        (Confidence, "Alert confidence", "Low (orange): a first exceedance the monitor has not confirmed; high (red): a confirmed break. Transparent where no alert, and where the reports have no confidence band."),
        (Magnitude, "Alert magnitude", "How far beyond its boundary the observation that raised or confirmed the alert lay, in boundaries, from 1 (pale blue) to 5 or more (dark blue); transparent where no alert."),
    ];

    public static bool Exists(string name) => name is Mask or Date or Confidence or Magnitude;

    /// <summary>The names as a sentence fragment for messages: "mask, detection_date, confidence and magnitude".</summary>
    public static string Names => $"{Mask}, {Date}, {Confidence} and {Magnitude}";

    /// <summary><paramref name="name"/> when it is a layer, else the service exception that says which layers there are.</summary>
    public static string Check(string name) =>
        Exists(name) ? name : throw new WmsException("LayerNotDefined", $"Layer '{name}' does not exist; the layers are {Names}.");
}
