using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NrtCluster.Kernels.Fitting;

/// <summary>
/// One thread's buffers for a block of <see cref="Width"/> pixels, allocated once per thread and reused for every block.
/// Block arrays are laid out [row * Width + lane] so that the accumulation loops run over contiguous lanes.
/// </summary>
internal sealed class BlockWorkspace
{
    /// <summary>Pixels per block: a multiple of twice the SIMD width (the accumulation kernel takes lane vectors in pairs) and of the float32 SIMD width.</summary>
    public const int DefaultWidth = 64;

    public int Width { get; }
    public int Times { get; }
    public int K { get; }

    /// <summary>T x W observations (NaN = none) of the cube being fitted; screening writes NaN into it.</summary>
    public double[] Y { get; }
    /// <summary>T x W auxiliary cube (green or SWIR for CCDC_RIRLS screening).</summary>
    public double[] Aux { get; }
    /// <summary>T x W weights (0 where there is no observation).</summary>
    public double[] Weights { get; }
    /// <summary>T x W residuals.</summary>
    public double[] Residuals { get; }
    /// <summary>Q x W packed normal matrices.</summary>
    public double[] Gram { get; }
    /// <summary>T x W weights times observations (0 where there is none).</summary>
    public double[] WeightedY { get; }
    /// <summary>K x W right-hand sides.</summary>
    public double[] Rhs { get; }
    /// <summary>K x W coefficients (shifted design).</summary>
    public double[] Beta { get; }
    /// <summary>K x W coefficients of the previous RIRLS iteration, in the original parametrisation.</summary>
    public double[] PreviousBeta { get; }
    /// <summary>W: the residual scale of RIRLS.</summary>
    public double[] Scale { get; }
    /// <summary>W: whether a lane takes part in the current solve.</summary>
    public bool[] Active { get; }
    /// <summary>W: whether a lane's solve succeeded.</summary>
    public bool[] Solved { get; }
    /// <summary>W: per-lane counters.</summary>
    public int[] Count { get; }
    /// <summary>T: one lane's non-NaN residuals, compacted for its MAD (RIRLS).</summary>
    public double[] LaneSeries { get; }
    /// <summary>W x T: each lane's block offsets (t * Width + lane) of its valid observations, lane-major (RIRLS).</summary>
    public int[] LaneOffsets { get; }
    /// <summary>W: how many offsets each lane has in <see cref="LaneOffsets"/>.</summary>
    public int[] LaneValid { get; }
    /// <summary>T each: partition buffers of the median selection.</summary>
    public double[] SelectionA { get; }
    public double[] SelectionB { get; }
    /// <summary>W: per-lane scratch of the vectorised loops (counts, scale factors, lane masks), used within one call.</summary>
    public double[] LaneFactor { get; }
    public double[] LaneMask { get; }
    /// <summary>W: lanes still iterating (RIRLS).</summary>
    public bool[] Iterating { get; }
    /// <summary>Per-pixel scratch of length T.</summary>
    public double[] Series { get; }
    public double[] Series2 { get; }
    public double[] Series3 { get; }
    public int[] Index { get; }
    public int[] ReversedIndex { get; }
    /// <summary>k x k matrices and vectors for the small solvers.</summary>
    public double[] Matrix { get; }
    public double[] Matrix2 { get; }
    public double[] Vector { get; }
    public double[] Vector2 { get; }
    public double[] SolverScratch { get; }
    /// <summary>T x k weighted design, T weighted observations and k x k rotations of the SVD fallback.</summary>
    public double[] SvdScratch { get; }
    /// <summary>T: float32 residual row handed to the sink (zeros for pixels not fitted).</summary>
    public float[] Row { get; }
    /// <summary>W x T: the block's float32 residuals, lane-major, as the sink takes them.</summary>
    public float[] Rows { get; }

    public BlockWorkspace(int width, int times, int k)
    {
        Width = width;
        Times = times;
        K = k;
        int q = k * (k + 1) / 2;
        Y = new double[times * width];
        Aux = new double[times * width];
        Weights = new double[times * width];
        Residuals = new double[times * width];
        // Room for the register-block padding of the accumulation kernel (the padded rows stay 0).
        int blocked = Design.RegisterBlock;
        Gram = new double[(q + blocked) * width];
        Rhs = new double[(k + blocked) * width];
        WeightedY = new double[times * width];
        Beta = new double[k * width];
        PreviousBeta = new double[k * width];
        Scale = new double[width];
        Active = new bool[width];
        Solved = new bool[width];
        Count = new int[width];
        Iterating = new bool[width];
        LaneFactor = new double[width];
        LaneSeries = new double[times];
        LaneOffsets = new int[width * times];
        LaneValid = new int[width];
        SelectionA = new double[times];
        SelectionB = new double[times];
        LaneMask = new double[width];
        ReversedIndex = new int[times];
        Series = new double[times];
        Series2 = new double[times];
        Series3 = new double[times];
        Index = new int[times];
        Matrix = new double[k * k];
        Matrix2 = new double[k * k];
        Vector = new double[k];
        Vector2 = new double[k];
        SolverScratch = new double[SmallSolver.ScratchLength(k)];
        SvdScratch = new double[times * k + times + k * k];
        Row = new float[times];
        Rows = new float[width * times];
    }

    /// <summary>
    /// Copies pixels [p0, p0 + lanes) of <paramref name="cube"/> into the T x W block <paramref name="target"/>, widened
    /// to float64; lanes past the cube's last pixel get NaN (no observation).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Load(HistoryCube cube, int p0, int lanes, double[] target)
    {
        var values = cube.Values.Span;
        int w = Width, pixels = cube.Pixels;
        for (int t = 0; t < Times; t++)
        {
            var source = values.Slice(t * pixels + p0, lanes);
            var row = target.AsSpan(t * w, w);
            for (int b = 0; b < lanes; b++)
                row[b] = source[b];
            Spans.Fill(row[lanes..], double.NaN);
        }
    }

    /// <summary>Takes the active lanes whose solve failed (singular system) out of the fit: mask 4 in <paramref name="blockMask"/> (the block's pixels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void DropUnsolved(Span<byte> blockMask)
    {
        for (int b = 0; b < Width; b++)
        {
            if (Active[b] && !Solved[b])
            {
                Active[b] = false;
                blockMask[b] = MaskCodes.TooFewObservations;
            }
        }
    }

    /// <summary>Chronological valid observations of lane b: design rows into <see cref="Index"/>, values into <see cref="Series"/>; returns their number.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Gather(int b)
    {
        int n = 0, w = Width, times = Times;
        ref double y = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Y), b);
        ref int index = ref MemoryMarshal.GetArrayDataReference(Index);
        ref double series = ref MemoryMarshal.GetArrayDataReference(Series);
        // Branch-free (a third of the observations are clouds, at random): always write, keep by advancing n.
        // n <= t < Times, so the writes stay in the T-long buffers.
        for (int t = 0; t < times; t++)
        {
            double value = Unsafe.Add(ref y, t * w);
            Unsafe.Add(ref index, n) = t;
            Unsafe.Add(ref series, n) = value;
            n += Unsafe.BitCast<bool, byte>(!double.IsNaN(value));
        }
        return n;
    }

    /// <summary>Lane b's packed X'X and X'y from the block accumulation (<see cref="BlockSolvers.Accumulate"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void LaneNormalEquations(int b, Span<double> packed, Span<double> xty)
    {
        for (int j = 0; j < packed.Length; j++)
            packed[j] = Gram[j * Width + b];
        for (int a = 0; a < xty.Length; a++)
            xty[a] = Rhs[a * Width + b];
    }
}
