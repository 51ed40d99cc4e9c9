using System.Collections.Immutable;

namespace NrtCluster.Geo.Stac;

/// <summary>
/// What a tile reads of a STAC item, decided by <see cref="ProviderProfile.Describe"/> where the item was found (the
/// poller), so that the tile opens the bands without downloading and parsing the item document again. A reference, never
/// pixels, and small (about 1 KB): it travels with every solar day sent to a tile. Signing and the S3 options are decided
/// when a band is opened (<see cref="ProviderProfile.OpenAsync"/>): a signed URL expires, credentials belong to the node.
/// </summary>
/// <param name="Source">Where the item document is (its self link or file), to name the item in errors.</param>
/// <param name="Collection">The item's collection: a Planetary Computer token is per collection.</param>
/// <param name="Bands">The profile's bands the item has an asset for.</param>
/// <param name="AssetKeys">Every asset key of the item, named when a band the tile needs has no asset.</param>
public sealed record ItemAssets(string ItemId, string Source, string? Collection, ImmutableArray<BandAsset> Bands, ImmutableArray<string> AssetKeys)
{
    public BandAsset? Find(LogicalBand band) => Bands.FirstOrDefault(b => b.Band == band);

    public bool Equals(ItemAssets? other) =>
        other is not null && ItemId == other.ItemId && Source == other.Source && Collection == other.Collection
        && Bands.SequenceEqual(other.Bands) && AssetKeys.SequenceEqual(other.AssetKeys);

    public override int GetHashCode() => HashCode.Combine(ItemId, Source, Collection, Bands.Length, AssetKeys.Length);
}

/// <summary>The asset holding one logical band: its href (the profile's preferred alternate when it has one, unsigned), nodata and scaling.</summary>
public sealed record BandAsset(LogicalBand Band, string AssetKey, string Href, ReflectanceScaling Scaling, double NoData);
