using CartCrossSell.Engine.Ranking;

namespace CartCrossSell.Engine.Tests;

public class CompactEvidenceTests
{
    [Fact]
    public void A_skus_rows_found_by_the_sku_are_the_rows_found_by_their_keys()
    {
        // Every sku's three rows (item, next, previous) by one lookup of the sku must be what a lookup of each key
        // gives: "tent" is followed by pegs and follows a lamp, nothing is ever added after "pegs", "never-sold" is unknown.
        var store = new Store().Item("tent", "tents", 200).Item("pegs", "pegs", 10).Item("lamp", "lights", 30)
            .Orders(3, "tent", "pegs").Orders(2, "lamp", "tent").Orders(1, "lamp");
        var compact = store.Learner.Compact();
        var keys = compact.RowKeysHeld.ToHashSet();
        Assert.Contains(RowKeys.Item("pegs"), keys);
        foreach (var sku in new[] { "tent", "pegs", "lamp", "never-sold" })
        {
            var (item, next, previous) = compact.RowsOfSku(sku);
            Assert.Equal(compact.IndexOf(RowKeys.ItemPrefix + sku), item);
            Assert.Equal(compact.IndexOf(RowKeys.NextPrefix + sku), next);
            Assert.Equal(compact.IndexOf(RowKeys.PreviousPrefix + sku), previous);
        }
        Assert.True(compact.RowsOfSku("tent").Next >= 0, "tent is followed by pegs: it has a next row");
        Assert.True(compact.RowsOfSku("tent").Previous >= 0, "tent follows a lamp: it has a previous row");
        Assert.Equal(-1, compact.RowsOfSku("pegs").Next);
        Assert.Equal((-1, -1, -1), compact.RowsOfSku("never-sold"));
    }

    [Fact]
    public void A_cart_item_known_only_as_a_neighbour_is_never_its_own_candidate()
    {
        // Published rows in which "lamp" is only ever a neighbour: it has a number but no row of its own.
        var compact = new CompactEvidence.Builder().SetBaskets(10)
            .Add(RowKeys.Item("tent"), 6, [new Neighbor(RowKeys.Item("lamp"), 3), new Neighbor(RowKeys.Item("pegs"), 2)])
            .Add(RowKeys.Item("pegs"), 4, [new Neighbor(RowKeys.Item("tent"), 2), new Neighbor(RowKeys.Item("lamp"), 1)])
            .Build();
        var (item, _, _) = compact.RowsOfSku("lamp");
        Assert.True(item >= 0, "lamp is numbered as a neighbour");
        Assert.Equal(compact.IndexOf(RowKeys.Item("lamp")), item);
        Assert.False(compact.TryGetWeight(RowKeys.Item("lamp"), out _));

        var inputs = new RankingInputs(compact, null, new DecayClock(TimeSpan.FromDays(30), DateTimeOffset.UnixEpoch), []);
        var set = new CandidateGenerator().Generate(new Basket([new BasketLine { Sku = "tent" }, new BasketLine { Sku = "lamp" }]), inputs, DateTimeOffset.UnixEpoch);
        Assert.Equal(["pegs"], set.Candidates.Select(c => c.Sku));
    }
}
