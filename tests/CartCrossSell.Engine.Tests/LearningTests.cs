using CartCrossSell.Engine;
using FsCheck;
using FsCheck.Xunit;

namespace CartCrossSell.Engine.Tests;

public class LearningTests
{
    private static readonly DateTimeOffset At = new(2011, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, new string[0], new string[0])]
    [InlineData(1, new[] { "item:b" }, new[] { "item:c" })]              // the default: the line right after or before
    [InlineData(2, new[] { "item:b", "item:c" }, new[] { "item:c", "item:b" })]
    public void The_order_of_addition_pairs_an_item_with_the_lines_within_the_window(int window, string[] nextOfA, string[] previousOfD)
    {
        var rows = BasketSplitter.Split(["a", "b", "c", "d"], _ => null, 1.0, window).ToDictionary(r => r.RowKey);
        Assert.Equal(nextOfA, rows.TryGetValue(RowKeys.Next("a"), out var next) ? next.Pairs.Select(p => p.Key).ToArray() : []);
        Assert.Equal(previousOfD, rows.TryGetValue(RowKeys.Previous("d"), out var previous) ? previous.Pairs.Select(p => p.Key).ToArray() : []);
        Assert.Equal(window == 0 ? 0 : 3, rows.Keys.Count(k => k.StartsWith("next:", StringComparison.Ordinal)));
        Assert.Equal(1, LearningOptions.DefaultSequenceWindow);
    }

    [Fact]
    public void Counts_items_pairs_and_baskets_from_completed_orders()
    {
        var learner = new BasketLearner();
        learner.AddOrder(["shoes", "socks"], At);
        learner.AddOrder(["shoes", "socks", "bottle"], At);
        learner.AddOrder(["shoes", "shoes"], At);

        var w = learner.Clock.WeightAt(At);
        Assert.Equal(3, learner.Baskets / w, 9);
        Assert.Equal(3, learner.Find(RowKeys.Item("shoes"))!.Weight / w, 9);
        Assert.Equal(2, learner.Find(RowKeys.Item("socks"))!.Weight / w, 9);
        var pairs = learner.Find(RowKeys.Item("shoes"))!.Neighbors.ToDictionary(n => n.Key, n => n.PairWeight / w);
        Assert.Equal(2, pairs[RowKeys.Item("socks")], 9);
        Assert.Equal(1, pairs[RowKeys.Item("bottle")], 9);
        Assert.DoesNotContain(RowKeys.Item("shoes"), pairs.Keys);
    }

    [Fact]
    public void An_order_one_half_life_old_counts_half_as_much_as_a_new_one()
    {
        var learner = new BasketLearner(new LearningOptions { HalfLife = TimeSpan.FromDays(10) });
        learner.AddOrder(["old", "x"], At);
        learner.AddOrder(["new", "x"], At.AddDays(10));
        var now = At.AddDays(10);

        Assert.Equal(0.5, learner.Clock.ToCount(learner.Find(RowKeys.Item("old"))!.Weight, now), 9);
        Assert.Equal(1.0, learner.Clock.ToCount(learner.Find(RowKeys.Item("new"))!.Weight, now), 9);
        Assert.Equal(1.5, learner.Clock.ToCount(learner.Baskets, now), 9);
    }

    [Fact]
    public void Seasonal_shift_the_recent_partner_overtakes_the_old_one()
    {
        var learner = new BasketLearner(new LearningOptions { HalfLife = TimeSpan.FromDays(7) });
        for (var i = 0; i < 5; i++) learner.AddOrder(["gloves", "scarf"], At);
        for (var i = 0; i < 3; i++) learner.AddOrder(["gloves", "sunscreen"], At.AddDays(30));

        Assert.Equal(RowKeys.Item("sunscreen"), learner.Find(RowKeys.Item("gloves"))!.Neighbors[0].Key);
    }

    [Fact]
    public void Keeps_at_most_K_neighbours_per_item_and_keeps_the_strongest()
    {
        var learner = new BasketLearner(new LearningOptions { MaxNeighbors = 3 });
        for (var i = 0; i < 4; i++) learner.AddOrder(["hub", "strong1"], At);
        for (var i = 0; i < 3; i++) learner.AddOrder(["hub", "strong2"], At);
        for (var i = 0; i < 2; i++) learner.AddOrder(["hub", "strong3"], At);
        for (var i = 0; i < 20; i++) learner.AddOrder(["hub", $"rare{i}"], At);

        var row = learner.Find(RowKeys.Item("hub"))!;
        Assert.Equal([RowKeys.Item("strong1"), RowKeys.Item("strong2"), RowKeys.Item("strong3")], row.Neighbors.Select(n => n.Key));

        var acc = new EvidenceAccumulator(RowKeys.Item("hub"), 3);
        foreach (var c in Enumerable.Range(0, 10).Select(i => new Neighbor(RowKeys.Item($"n{i}"), i + 1)))
            acc.Apply(1, [c]);
        Assert.True(acc.NeighborCount < 6);
        Assert.Equal([RowKeys.Item("n9"), RowKeys.Item("n8"), RowKeys.Item("n7")], acc.ToRow().Neighbors.Select(n => n.Key));
    }

    [Fact]
    public void Learns_leaf_category_rows_from_the_same_orders()
    {
        var learner = new BasketLearner();
        learner.AddOrder(["shoe-a", "sock-a", "sock-b"], At, sku => sku.StartsWith("shoe") ? "shoes" : "socks");
        var row = learner.Find(RowKeys.Category("shoes"))!;
        Assert.Equal(learner.Clock.WeightAt(At), row.Weight, 9);
        Assert.Equal(RowKeys.Category("socks"), Assert.Single(row.Neighbors).Key);
    }

    [Property(MaxTest = 60)]
    public bool The_in_memory_learner_learns_exactly_what_the_streaming_rows_learn(byte[][] orders, byte k)
    {
        var options = new LearningOptions { MaxNeighbors = 1 + k % 4 };
        var learner = new BasketLearner(options);
        var accumulators = new Dictionary<string, EvidenceAccumulator>();
        var baskets = 0.0;
        var day = 0;
        foreach (var order in orders.Where(o => o is not null))
        {
            var skus = order.Select(b => $"s{b % 12}").ToArray();
            var at = At.AddDays(day++ % 9);
            string? Leaf(string sku) => $"c{sku.Length + sku[^1] % 3}";
            learner.AddOrder(skus, at, Leaf);
            foreach (var c in BasketSplitter.Split(skus, Leaf, learner.Clock.WeightAt(at)))
            {
                if (c.RowKey == RowKeys.Baskets) { baskets += c.Weight; continue; }
                if (!accumulators.TryGetValue(c.RowKey, out var acc))
                    accumulators[c.RowKey] = acc = new EvidenceAccumulator(c.RowKey, options.MaxNeighbors);
                acc.Apply(c.Weight, c.Pairs);
            }
        }
        if (Math.Abs(baskets - learner.Baskets) > 1e-9 * Math.Max(1, baskets)) return false;
        var compact = learner.Compact();
        foreach (var (key, acc) in accumulators)
        {
            var expected = acc.ToRow();
            foreach (var actual in new[] { learner.Find(key), compact.Find(key) })
            {
                if (actual is null || Math.Abs(actual.Weight - expected.Weight) > 1e-9 * expected.Weight) return false;
                if (!actual.Neighbors.Select(n => n.Key).SequenceEqual(expected.Neighbors.Select(n => n.Key))) return false;
                if (actual.Neighbors.Zip(expected.Neighbors).Any(p => Math.Abs(p.First.PairWeight - p.Second.PairWeight) > 1e-6 * p.Second.PairWeight))
                    return false;
            }
        }
        return accumulators.Count == learner.RowCount;
    }

    [Fact]
    public void An_evidence_row_survives_publishing_and_restoring()
    {
        var acc = new EvidenceAccumulator(RowKeys.Item("a"), 5);
        acc.Apply(2, [new Neighbor(RowKeys.Item("b"), 2), new Neighbor(RowKeys.Item("c"), 1)]);
        var restored = EvidenceAccumulator.FromRow(acc.ToRow(), 5);
        restored.Apply(1, [new Neighbor(RowKeys.Item("c"), 1)]);
        Assert.Equal(3, restored.Weight);
        Assert.Equal([2.0, 2.0], restored.ToRow().Neighbors.Select(n => n.PairWeight));
    }
}
