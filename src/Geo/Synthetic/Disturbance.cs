namespace NrtCluster.Geo.Synthetic;

/// <summary>
/// A clear-cut: a polygon (EPSG:3035 metres) that turns from forest to bare ground on <see cref="Date"/>, then slowly
/// regrows. <see cref="IsHistory"/> marks cuts inside the stable history period.
/// </summary>
public sealed class Disturbance
{
    private readonly double _minX, _minY, _maxX, _maxY;

    internal Disturbance(string id, DateOnly date, bool isHistory, double[] x, double[] y, float[] bare)
    {
        Id = id;
        Date = date;
        IsHistory = isHistory;
        X = x;
        Y = y;
        Bare = bare;
        _minX = x.Min(); _maxX = x.Max();
        _minY = y.Min(); _maxY = y.Max();
    }

    public string Id { get; }
    public DateOnly Date { get; }
    public bool IsHistory { get; }

    /// <summary>Vertices in EPSG:3035, counter-clockwise, not closed.</summary>
    public IReadOnlyList<double> X { get; }
    public IReadOnlyList<double> Y { get; }

    /// <summary>Reflectance of the fresh cut in green, red, nir, swir16, swir22.</summary>
    internal float[] Bare { get; }

    /// <summary>Days since 1970-01-01 of <see cref="Date"/>, the unit of detection dates.</summary>
    public int DayNumber => DayNumbers.Of(Date);

    public double AreaSquareMetres
    {
        get
        {
            double twice = 0;
            for (int i = 0, j = X.Count - 1; i < X.Count; j = i++) twice += X[j] * Y[i] - X[i] * Y[j];
            return Math.Abs(twice) / 2;
        }
    }

    /// <summary>Even-odd point-in-polygon test with a bounding-box shortcut.</summary>
    public bool Contains(double x, double y)
    {
        if (x < _minX || x > _maxX || y < _minY || y > _maxY) return false;
        var inside = false;
        for (int i = 0, j = X.Count - 1; i < X.Count; j = i++)
        {
            if ((Y[i] > y) != (Y[j] > y) && x < (X[j] - X[i]) * (y - Y[i]) / (Y[j] - Y[i]) + X[i])
                inside = !inside;
        }
        return inside;
    }
}

/// <summary>Day numbers as the monitoring kernels count them: days since 1970-01-01.</summary>
public static class DayNumbers
{
    private static readonly int Epoch = new DateOnly(1970, 1, 1).DayNumber;

    public static int Of(DateOnly date) => date.DayNumber - Epoch;

    public static DateOnly ToDate(int dayNumber) => DateOnly.FromDayNumber(dayNumber + Epoch);
}
