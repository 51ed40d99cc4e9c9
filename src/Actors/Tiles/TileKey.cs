using System.Globalization;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tiles;

/// <summary>
/// A tile of the processing grid by column and row (the same tile as <see cref="TileId"/>, same text form
/// <c>x{column}_y{row}</c>). The text form is the sharding entity id and part of the persistence id, so it is
/// defined here, where it is persisted, and must never change.
/// </summary>
public readonly record struct TileKey(int Column, int Row)
{
    public static TileKey From(TileId tile) => new(tile.Col, tile.Row);

    public TileId ToTileId() => new(Column, Row);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"x{Column}_y{Row}");

    public static TileKey Parse(string text) =>
        TryParse(text, out var key)
            ? key
            : throw new FormatException($"'{text}' is not a tile id; expected x<column>_y<row>, e.g. x12_y7.");

    public static bool TryParse(string? text, out TileKey key)
    {
        key = default;
        if (text is null || !text.StartsWith('x')) return false;
        int sep = text.IndexOf("_y", StringComparison.Ordinal);
        if (sep < 2) return false;
        if (!int.TryParse(text.AsSpan(1, sep - 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var col)) return false;
        if (!int.TryParse(text.AsSpan(sep + 2), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var row)) return false;
        key = new TileKey(col, row);
        return true;
    }

    /// <summary>
    /// Shard of this tile: the block of <paramref name="blockSize"/> x <paramref name="blockSize"/> tiles it falls in,
    /// so neighbouring tiles (which share STAC items and are read together) live on the same node.
    /// </summary>
    public string ShardId(int blockSize)
    {
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "The shard block size must be at least 1 tile.");
        int bc = (int)Math.Floor(Column / (double)blockSize);
        int br = (int)Math.Floor(Row / (double)blockSize);
        return string.Create(CultureInfo.InvariantCulture, $"s{bc}_{br}");
    }
}
