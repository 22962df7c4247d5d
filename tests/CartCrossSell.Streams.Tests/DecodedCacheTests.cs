using CartCrossSell.Streams.Processing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace CartCrossSell.Streams.Tests;

public sealed class DecodedCacheTests
{
    /// <summary>A value whose weight can change after it was added, as a learned row does when the aggregator applies a contribution in place.</summary>
    private sealed class Row(int pairs)
    {
        public int Pairs { get; set; } = pairs;
    }

    private static DecodedCache<Row> Cache(long budget) => new(budget, row => row.Pairs);

    // An operation (0-1 add, 2 read, 3 remove), a key among 41, a weight.
    private static Gen<(int Op, int Key, int Pairs)> Step() =>
        from op in Gen.Choose(0, 3)
        from key in Gen.Choose(0, 40)
        from pairs in Gen.Choose(1, 600)
        select (op, key, pairs);

    /// <summary>The learner's memory bound: whatever is added, read or removed, the held weight stays within the budget and is what the held values weighed when added.</summary>
    [Property(MaxTest = 300)]
    public Property The_held_weight_never_exceeds_the_budget() =>
        Prop.ForAll(Gen.Choose(2, 2_000).ToArbitrary(), Step().ListOf().ToArbitrary(),
            (budget, steps) =>
            {
                var cache = Cache(budget);
                var held = new Dictionary<string, Row>();
                foreach (var (op, key, pairs) in steps)
                {
                    var name = "item:" + key;
                    switch (op)
                    {
                        case 0 or 1:
                            var row = new Row(pairs);
                            cache.Add(name, row);
                            held[name] = row;
                            break;
                        case 2:
                            // A hit is the value last added under the key, never another one.
                            if (cache.TryGet(name, out var found) && (!held.TryGetValue(name, out var last) || !ReferenceEquals(found, last))) return false;
                            break;
                        default:
                            cache.Remove(name);
                            held.Remove(name);
                            if (cache.TryGet(name, out _)) return false; // removed means gone
                            break;
                    }
                    if (cache.Weight > budget || cache.Weight < 0) return false;
                }
                return true;
            });

    [Fact]
    public void A_row_read_often_stays_decoded_while_a_larger_store_passes_through()
    {
        var cache = Cache(1_000); // two generations of 500
        var hot = new Row(10);
        cache.Add("item:hot", hot);
        for (var i = 0; i < 10_000; i++)
        {
            cache.Add($"item:{i}", new Row(10)); // a walk over a store 100 times the budget
            if (i % 40 == 0) Assert.True(cache.TryGet("item:hot", out _), $"the hot row was dropped after {i} other rows");
        }
        Assert.True(cache.TryGet("item:hot", out var found));
        Assert.Same(hot, found);
        Assert.False(cache.TryGet("item:5", out _)); // a row read once long ago is gone
        Assert.InRange(cache.Weight, 1, 1_000);
    }

    [Fact]
    public void A_row_changed_in_place_is_removed_at_the_weight_it_was_added_with()
    {
        var cache = Cache(1_000);
        var row = new Row(100);
        cache.Add("item:a", row);
        row.Pairs = 300; // the aggregator applies a contribution to the row it read, then writes it back
        cache.Remove("item:a");
        Assert.Equal(0, cache.Weight);
        cache.Add("item:a", row);
        Assert.Equal(300, cache.Weight);
    }

    [Fact]
    public void A_budget_below_two_generations_of_one_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Cache(1));

    [Fact]
    public void A_row_heavier_than_half_the_budget_is_read_from_the_store_each_time()
    {
        var cache = Cache(1_000);
        cache.Add("item:small", new Row(10));
        cache.Add("item:huge", new Row(501));
        Assert.False(cache.TryGet("item:huge", out _));
        Assert.True(cache.TryGet("item:small", out _));
        Assert.Equal(10, cache.Weight);
    }
}
