using NrtCluster.Actors.Tests.Support;
using NrtCluster.Actors.Tiles;
using NrtCluster.Geo.Grid;

namespace NrtCluster.Actors.Tests;

/// <summary>
/// A tile's state through the nrt netCDF layout: tiles on real nodes (SQLite) write their fitted monitor to a file, read one
/// into another tile, and that tile goes on monitoring from it.
/// </summary>
public sealed class NrtStateTileTests
{
    private static readonly TileId Exported = new(3, 5);
    private static readonly TileId Imported = new(7, 1);

    [Fact]
    public async Task A_tile_that_imported_a_state_continues_as_the_tile_it_was_exported_from()
    {
        var data = ConformanceCase.Load("ewma_ols_shewhart");
        int days = 12, exportAfter = 5;
        var engine = data.Engine();
        var expected = TileDecision.Of(TileState.Empty(Exported), new TileCommand.Fit(new FitTile(Exported, data.HistoryStart, data.HistoryEnd), data.TileHistory(), engine)).Next;
        for (int i = 0; i < days; i++)
            expected = TileDecision.Of(expected, new TileCommand.Observe(data.Observation(Exported, i), data.Frame(i), engine)).Next;

        using var temp = new TempFolder();
        var file = Path.Combine(temp.Path, "state.nc");
        var where = new TileCoordinates(4000000, 3000000, 20, data.Width, data.Height);
        var source = new CaseObservationSource(data);
        await using (var node = TileNode.Start(Path.Combine(temp.Path, "a"), data.Engine(), source))
        {
            var refused = await node.Ask<TileStateWritten>(new ExportTileState(Exported, file, where));
            Assert.Null(refused.Path);
            Assert.Equal($"tile {Exported} is not fitted; fit it (or import a state) first", refused.Detail);
            Assert.Equal(AckOutcome.Fitted, (await node.Ask<FitAck>(new FitTile(Exported, data.HistoryStart, data.HistoryEnd))).Outcome);
            for (int i = 0; i < exportAfter; i++)
                Assert.Equal(AckOutcome.Applied, (await node.Ask<DayAck>(data.Observation(Exported, i))).Outcome);
            var written = await node.Ask<TileStateWritten>(new ExportTileState(Exported, file, where));
            Assert.True(written.Path == file, written.Detail);
        }

        var other = Path.Combine(temp.Path, "b");
        await using (var node = TileNode.Start(other, data.Engine(), source))
        {
            var wrongShape = await node.Ask<FitAck>(new ImportTileState(Imported, file, data.HistoryStart, data.HistoryEnd, where with { Width = 30 }));
            Assert.Equal(AckOutcome.Failed, wrongShape.Outcome);
            Assert.Contains($"import of {file} failed: it is 24 x 24 pixels (y x x) but the tile is 24 x 30", wrongShape.Detail);
            var ack = await node.Ask<FitAck>(new ImportTileState(Imported, file, data.HistoryStart, data.HistoryEnd, where));
            Assert.True(ack.Outcome == AckOutcome.Fitted, ack.Detail);
            Assert.Equal(1, ack.FitNumber);
        }
        // After a restart: the import was stored as the tile's fit, and the tile continues from it.
        await using (var node = TileNode.Start(other, data.Engine(), source))
        {
            for (int i = exportAfter; i < days; i++)
                Assert.Equal(AckOutcome.Applied, (await node.Ask<DayAck>(data.Observation(Imported, i))).Outcome);
            var final = await node.State(Imported);
            Assert.Contains("imported from nrt netCDF", final.Fit!.Engine);
            Assert.Equal(expected.Model!.Layers, final.Model!.Layers);
            // nrt keeps no count of monitored dates and no alert confidence (an imported tile's starts at none): every other
            // layer is the uninterrupted tile's.
            string[] notInNrt = ["steps", "confidence", "magnitude"];
            Assert.Equal(expected.Monitoring!.Where(l => !notInNrt.Contains(l.Name)), final.Monitoring!.Where(l => !notInNrt.Contains(l.Name)));
            Assert.Equal(expected.Totals, final.Totals);
        }
    }
}
