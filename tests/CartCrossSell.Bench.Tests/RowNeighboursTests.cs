using CartCrossSell.Load;

namespace CartCrossSell.Bench.Tests;

public sealed class RowNeighboursTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(500)]
    [InlineData(998)]
    [InlineData(999)]
    public async Task An_edge_item_of_a_small_catalog_gets_every_other_item_as_its_neighbour(int sku)
    {
        // --skus 1000 --neighbors 999: the near picks run out of new items long before the row is full (they spun forever).
        var picking = Task.Run(() => RowNeighbours.Pick(sku, 1_000, 999, new Random(42)));
        var picked = await picking.WaitAsync(TimeSpan.FromSeconds(30)); // a TimeoutException fails the test
        Assert.Equal(Enumerable.Range(0, 1_000).Where(i => i != sku), picked.Order());
    }

    [Fact]
    public void Half_the_neighbours_are_near_the_item_while_there_are_enough_near_it()
    {
        var picked = RowNeighbours.Pick(400_000, 1_000_000, 100, new Random(42));
        Assert.Equal(100, picked.Distinct().Count());
        Assert.DoesNotContain(400_000, picked);
        Assert.InRange(picked.Count(p => Math.Abs(p - 400_000) <= RowNeighbours.NearSpan), 50, 100);
    }
}
