using System.Globalization;
using NrtCluster.Kernels.Monitors;

namespace NrtCluster.Host.Conformance;

/// <summary>Agreement of one state layer with the reference's (conformance README levels).</summary>
public sealed record LayerAgreement(string Name, bool Integer, long Agreeing, long Total, string? Problem)
{
    /// <summary>Integer state: share of equal pixels required.</summary>
    public const double IntegerLevel = 0.995;
    /// <summary>Floating state: share of values within tolerance required.</summary>
    public const double FloatLevel = 0.99;
    public const double RelativeTolerance = 1e-3;
    public const double AbsoluteTolerance = 1e-5;

    public double Fraction => Total == 0 ? 1 : Agreeing / (double)Total;
    public bool Passes => Problem is null && Fraction >= (Integer ? IntegerLevel : FloatLevel);

    public override string ToString() => Problem is not null
        ? $"{Name}: {Problem}"
        : string.Create(CultureInfo.InvariantCulture,
            $"{Name}: {Agreeing}/{Total} = {100 * Fraction:F2}% {(Integer ? "equal" : "within tolerance")} ({(Passes ? "ok" : "FAIL")})");
}

/// <summary>Compares state layers with expected ones at the README's agreement levels.</summary>
public static class Agreement
{
    /// <summary>
    /// Integer layers (u1/u2/i2/... in the expected file): equal values. Floating layers: |a - e| &lt;= atol + rtol*|e|,
    /// NaN equal to NaN. Different shapes or dtypes are a problem, not a partial agreement.
    /// </summary>
    public static LayerAgreement Compare(ReferenceLayer expected, ReferenceLayer actual,
        double rtol = LayerAgreement.RelativeTolerance, double atol = LayerAgreement.AbsoluteTolerance)
    {
        var integer = expected.ElementType != typeof(float) && expected.ElementType != typeof(double);
        if (!expected.Shape.SequenceEqual(actual.Shape))
        {
            return new LayerAgreement(expected.Name, integer, 0, expected.Data.Length,
                $"shape ({string.Join(", ", actual.Shape)}) differs from the expected ({string.Join(", ", expected.Shape)})");
        }
        if (expected.ElementType != actual.ElementType)
        {
            return new LayerAgreement(expected.Name, integer, 0, expected.Data.Length,
                $"dtype {Npy.Descr(actual.ElementType)} differs from the expected {Npy.Descr(expected.ElementType)}");
        }
        var e = ToDoubles(expected.Data);
        var a = ToDoubles(actual.Data);
        long agreeing = 0;
        for (int i = 0; i < e.Length; i++)
        {
            bool ok = integer
                ? e[i] == a[i]
                : (double.IsNaN(e[i]) && double.IsNaN(a[i])) || e[i] == a[i] || Math.Abs(a[i] - e[i]) <= atol + rtol * Math.Abs(e[i]);
            if (ok) agreeing++;
        }
        return new LayerAgreement(expected.Name, integer, agreeing, e.Length, null);
    }

    /// <summary>Compares every layer of <paramref name="expectedDirectory"/> (NAME.npy) with the same-named actual layer.</summary>
    public static IReadOnlyList<LayerAgreement> CompareDirectory(string expectedDirectory, IReadOnlyList<ReferenceLayer> actual)
    {
        var result = new List<LayerAgreement>();
        foreach (var file in Directory.GetFiles(expectedDirectory, "*.npy").Order(StringComparer.Ordinal))
        {
            var expected = NpyFile.Read(file);
            var mine = actual.FirstOrDefault(l => l.Name == expected.Name);
            result.Add(mine is null
                ? new LayerAgreement(expected.Name, false, 0, expected.Data.Length, "missing from the produced state")
                : Compare(expected, mine));
        }
        foreach (var extra in actual.Where(l => !File.Exists(Path.Combine(expectedDirectory, l.Name + ".npy"))))
        {
            result.Add(new LayerAgreement(extra.Name, false, 0, 0, "produced but the reference has no such layer"));
        }
        return result;
    }

    public static double[] ToDoubles(Array data) => data switch
    {
        byte[] x => Array.ConvertAll(x, v => (double)v),
        sbyte[] x => Array.ConvertAll(x, v => (double)v),
        ushort[] x => Array.ConvertAll(x, v => (double)v),
        short[] x => Array.ConvertAll(x, v => (double)v),
        uint[] x => Array.ConvertAll(x, v => (double)v),
        int[] x => Array.ConvertAll(x, v => (double)v),
        long[] x => Array.ConvertAll(x, v => (double)v),
        float[] x => Array.ConvertAll(x, v => (double)v),
        double[] x => x,
        bool[] x => Array.ConvertAll(x, v => v ? 1.0 : 0.0),
        _ => throw new ArgumentException($"Unsupported layer element type {data.GetType().Name}."),
    };
}
