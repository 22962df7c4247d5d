using CartCrossSell.Engine.Ranking;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace CartCrossSell.Engine.Tests.Ranking;

/// <summary>
/// The similar baskets are chosen by a cut found among plain similarities, not by sorting the baskets: the items they
/// score must be those of the baskets a full sort (most similar first, then the newest) puts first, with the same sums.
/// </summary>
public class SimilarBasketsSelectionTests
{
    /// <summary>
    /// Baskets of 2-6 of 12 items, so overlaps and sizes repeat and equal similarities straddle the cut, in a ring small
    /// enough to wrap; carts of 1-5 items; 1-12 neighbours.
    /// </summary>
    private static Gen<(string[][] Baskets, string[] Cart, int Neighbors, int Capacity)> Cases() =>
        from baskets in Gen.Choose(0, 11).ArrayOf().Where(b => b.Length > 0).Select(b => b.Distinct().Select(i => $"i{i}").ToArray())
            .ListOf().Select(l => l.Where(b => b.Length >= 2).Take(80).ToArray())
        from cart in Gen.Choose(0, 11).ArrayOf().Select(c => c.Distinct().Take(5).Select(i => $"i{i}").ToArray())
        from neighbors in Gen.Choose(1, 12)
        from capacity in Gen.Choose(5, 100)
        select (baskets, cart, neighbors, capacity);

    [Property(MaxTest = 400)]
    public Property The_scored_items_are_those_of_the_baskets_a_full_sort_puts_first() =>
        Prop.ForAll(Cases().ToArbitrary(), c =>
        {
            var index = new SimilarBaskets(new SimilarBasketsOptions { Capacity = c.Capacity, Neighbors = c.Neighbors });
            for (var i = 0; i < c.Baskets.Length; i++) index.Add($"o{i}", c.Baskets[i]);

            // The reference: the baskets still held (the newest Capacity), each with its sequence, sorted in full.
            var held = c.Baskets.Select((items, sequence) => (Items: items, Sequence: sequence)).TakeLast(c.Capacity).ToArray();
            var cart = c.Cart.Where(sku => held.Any(b => b.Items.Contains(sku))).ToHashSet(StringComparer.Ordinal);
            var expected = new Dictionary<string, double>(StringComparer.Ordinal);
            if (cart.Count > 0)
            {
                var nearest = held
                    .Select(b => (b.Items, b.Sequence, Shared: b.Items.Count(cart.Contains)))
                    .Where(b => b.Shared > 0)
                    .Select(b => (b.Items, b.Sequence, Similarity: b.Shared * (1 / Math.Sqrt(cart.Count)) * (1 / Math.Sqrt(b.Items.Length))))
                    .OrderByDescending(b => b.Similarity).ThenByDescending(b => b.Sequence)
                    .Take(c.Neighbors);
                foreach (var b in nearest)
                    foreach (var item in b.Items.Where(i => !cart.Contains(i)))
                        expected[item] = expected.GetValueOrDefault(item) + b.Similarity;
            }

            using var scores = index.Score(c.Cart);
            var actual = new Dictionary<string, double>(StringComparer.Ordinal);
            for (var i = 0; i < scores.Count; i++) actual.Add(scores.Sku(i), scores.ScoreAt(i));
            return actual.Count == expected.Count
                && expected.All(e => actual.TryGetValue(e.Key, out var score) && Math.Abs(score - e.Value) <= 1e-12 * e.Value)
                && c.Cart.All(sku => scores.Of(sku) == 0);
        });

    [Property(MaxTest = 300)]
    public Property The_kth_largest_is_what_sorting_gives() =>
        Prop.ForAll(Gen.Choose(0, 5).ArrayOf().Where(v => v.Length > 0).ToArbitrary(), Gen.Choose(1, 1000).ToArbitrary(), (values, k) =>
        {
            var doubles = values.Select(v => v * 0.25).ToArray();
            k = 1 + (k - 1) % doubles.Length;
            var before = doubles.ToArray();
            var kth = Selection.KthLargest(doubles, k, new double[doubles.Length]);
            return kth == doubles.OrderDescending().ElementAt(k - 1) && doubles.SequenceEqual(before);
        });

    [Fact]
    public void The_kth_largest_of_many_values_in_no_order_is_found_past_the_selection_budget()
    {
        var random = new Random(7);
        var values = Enumerable.Range(0, 5_000).Select(_ => Math.Floor(random.NextDouble() * 300)).ToArray();
        var sorted = values.OrderDescending().ToArray();
        foreach (var k in new[] { 1, 50, 2_500, 5_000 })
            Assert.Equal(sorted[k - 1], Selection.KthLargest(values, k, new double[values.Length]));
        // Already in order, and in reverse: the median-of-three pivots must not degrade the answer.
        Assert.Equal(sorted[49], Selection.KthLargest(sorted, 50, new double[sorted.Length]));
        Assert.Equal(sorted[49], Selection.KthLargest(sorted.Reverse().ToArray(), 50, new double[sorted.Length]));
    }
}
