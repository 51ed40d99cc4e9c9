namespace NrtCluster.Kernels;

/// <summary>
/// A history cube: <see cref="Values"/> in C order T x H x W ([t][row][col]), T = Dates.Length, NaN = no observation.
/// </summary>
public sealed record HistoryCube(ReadOnlyMemory<float> Values, DateTime[] Dates, int Height, int Width)
{
    public int Pixels => Height * Width;
    public int Times => Dates.Length;
}
