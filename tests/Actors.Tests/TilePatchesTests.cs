using NrtCluster.Actors.Tests.Support;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Gdal;
using NrtCluster.Geo.Grid;
using NrtCluster.Geo.Patches;

namespace NrtCluster.Actors.Tests;

/// <summary>A tile actor writes its alert patches beside its report after every applied day.</summary>
public sealed class TilePatchesTests
{
    private static readonly TileId Tile = new(3, 5);

    [Fact]
    public async Task Every_report_has_its_patches_beside_it_and_a_patch_keeps_its_id_as_days_arrive()
    {
        var data = ConformanceCase.Load("cusum_roc");
        const int days = 12;
        using var temp = new TempFolder();
        var folder = Path.Combine(temp.Path, "tiles", Tile.ToString());
        var seen = new Dictionary<string, AlertPatch>();
        await using var node = TileNode.Start(temp.Path, data.Engine(), new CaseObservationSource(data));
        await node.Ask<FitAck>(new FitTile(Tile, data.HistoryStart, data.HistoryEnd));
        for (var i = 0; i < days; i++)
        {
            var day = data.Observation(Tile, i);
            await node.Ask<DayAck>(day);
            await Eventually.Until(() => Task.FromResult(node.Alerts.Any(a => a.Day == day.Day)), done => done, TimeSpan.FromSeconds(30),
                _ => $"no alert for day {i}");
            ushort[] dates;
            using (var report = RasterDataset.Open(Path.Combine(folder, "report.tif"))) dates = report.ReadBand<ushort>(2);
            var patches = PatchFile.Read(Path.Combine(folder, PatchFile.FileName));
            // Every break pixel of the report is in exactly one patch.
            Assert.Equal(dates.Count(d => d > 0), patches.Sum(p => p.Pixels));
            Assert.All(patches, p => Assert.Equal(Tile.ToString(), p.Tile));
            // A patch seen before is still there under its id, as large or larger, unless it joined an older one.
            foreach (var before in seen.Values)
            {
                var now = patches.FirstOrDefault(p => p.Id == before.Id);
                if (now is not null) Assert.True(now.Pixels >= before.Pixels && now.FirstDate == before.FirstDate, $"{before.Id} shrank or changed its start");
                else Assert.Contains(patches, p => p.FirstDate <= before.FirstDate && p.Pixels > before.Pixels);
            }
            foreach (var p in patches) seen[p.Id] = p;
        }
        Assert.NotEmpty(seen);
    }
}
