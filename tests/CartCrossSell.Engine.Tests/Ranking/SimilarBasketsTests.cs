using CartCrossSell.Engine.Ranking;

namespace CartCrossSell.Engine.Tests.Ranking;

public class SimilarBasketsTests
{
    private static Dictionary<string, double> ScoresOf(SimilarBaskets index, params string[] cart)
    {
        using var scores = index.Score(cart);
        var all = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < scores.Count; i++) all[scores.Sku(i)] = scores.ScoreAt(i);
        foreach (var (sku, score) in all) Assert.Equal(score, scores.Of(sku));
        return all;
    }

    [Fact]
    public void An_item_scores_the_cosine_of_each_similar_basket_holding_it()
    {
        var index = new SimilarBaskets();
        index.Add("o1", ["tent", "stove", "gas"]);
        index.Add("o2", ["tent", "lamp"]);
        index.Add("o3", ["mug", "pot"]);
        var scores = ScoresOf(index, "tent", "stove");
        // o1 shares two of the cart's two items and holds three: 2 / √(2 × 3); o2 shares one of two: 1 / √(2 × 2).
        Assert.Equal(2 / Math.Sqrt(6), scores["gas"], 6);
        Assert.Equal(1 / Math.Sqrt(4), scores["lamp"], 6);
        Assert.False(scores.ContainsKey("mug"), "a basket sharing nothing with the cart is not compared");
        Assert.False(scores.ContainsKey("tent"), "a cart item is never scored");
    }

    [Fact]
    public void One_basket_like_the_whole_cart_beats_several_that_share_one_item_when_only_the_nearest_count()
    {
        // What no sum over pairs can tell: pairs say lamp (bought with tent three times) and gas (once with each) alike.
        var index = new SimilarBaskets(new SimilarBasketsOptions { Neighbors = 2 });
        index.Add("o1", ["tent", "stove", "gas"]);
        index.Add("o2", ["tent", "lamp"]);
        index.Add("o3", ["tent", "lamp"]);
        index.Add("o4", ["tent", "lamp"]);
        var scores = ScoresOf(index, "tent", "stove");
        Assert.True(scores["gas"] > scores["lamp"], $"gas {scores["gas"]} against lamp {scores["lamp"]}");
        // The second neighbour is the newest of the equally similar baskets.
        Assert.Equal(0.5, scores["lamp"], 6);
    }

    [Fact]
    public void The_oldest_basket_is_forgotten_when_the_index_is_full_and_so_are_items_no_basket_names()
    {
        var index = new SimilarBaskets(new SimilarBasketsOptions { Capacity = 3 });
        index.Add("o1", ["tent", "canoe"]);
        index.Add("o2", ["tent", "lamp"]);
        index.Add("o3", ["tent", "mug"]);
        Assert.True(ScoresOf(index, "tent").ContainsKey("canoe"));
        Assert.Equal(4, index.ItemCount);
        index.Add("o4", ["tent", "pot"]);
        var scores = ScoresOf(index, "tent");
        Assert.Equal(3, index.Count);
        Assert.False(scores.ContainsKey("canoe"));
        Assert.Equal(["lamp", "mug", "pot"], scores.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(4, index.ItemCount); // canoe out, pot in
        // The forgotten order may come again: it is a new basket then.
        Assert.True(index.Add("o1", ["tent", "canoe"]));
    }

    [Fact]
    public void A_remembered_id_gives_the_skus_score_only_while_the_index_still_holds_that_sku_at_that_id()
    {
        var index = new SimilarBaskets(new SimilarBasketsOptions { Capacity = 2 });
        index.Add("o1", ["tent", "canoe"]);
        index.Add("o2", ["tent", "lamp"]);
        int canoe = -1, lamp = -1;
        using (var scores = index.Score(["tent"]))
        {
            Assert.Equal(scores.Of("canoe"), scores.Of("canoe", ref canoe));
            Assert.Equal(scores.Of("lamp"), scores.Of("lamp", ref lamp));
            Assert.True(scores.Of("canoe") > 0);
            Assert.NotEqual(canoe, lamp);
            // Remembered, the id answers without a lookup; a wrong one (another sku's, out of range) is looked up again.
            Assert.Equal(scores.Of("canoe"), scores.Of("canoe", ref canoe));
            var wrong = lamp;
            Assert.Equal(scores.Of("canoe"), scores.Of("canoe", ref wrong));
            Assert.Equal(canoe, wrong);
            var outOfRange = 1_000;
            Assert.Equal(scores.Of("lamp"), scores.Of("lamp", ref outOfRange));
            var unknown = canoe;
            Assert.Equal(0, scores.Of("kayak", ref unknown));
            Assert.Equal(-1, unknown);
        }
        // o1 leaves and canoe with it; kayak takes canoe's freed id. Canoe's remembered id must not read kayak's score.
        index.Add("o3", ["tent", "kayak"]);
        using (var scores = index.Score(["tent"]))
        {
            var kayak = -1;
            Assert.Equal(scores.Of("kayak"), scores.Of("kayak", ref kayak));
            Assert.True(scores.Of("kayak") > 0);
            Assert.Equal(canoe, kayak); // the freed id, taken again
            var stale = canoe;
            Assert.Equal(0, scores.Of("canoe", ref stale));
            Assert.Equal(-1, stale);
            Assert.Equal(scores.Of("lamp"), scores.Of("lamp", ref lamp));
        }
    }

    [Fact]
    public void An_item_the_forgotten_basket_named_alone_stays_known_when_the_new_basket_names_it_too()
    {
        var index = new SimilarBaskets(new SimilarBasketsOptions { Capacity = 1 });
        index.Add("o1", ["tent", "canoe"]);
        index.Add("o2", ["tent", "lamp"]); // o1 leaves, and tent with it, until o2 names it again
        Assert.Equal(["lamp"], ScoresOf(index, "tent").Keys);
        index.Add("o3", ["kayak", "paddle"]); // numbers freed by o2's leaving are taken again
        Assert.Equal(["kayak"], ScoresOf(index, "paddle").Keys);
        Assert.Empty(ScoresOf(index, "tent"));
        index.Add("o4", ["paddle", "tent"]);
        Assert.Equal(["paddle"], ScoresOf(index, "tent").Keys);
        Assert.Equal(2, index.ItemCount);
    }

    [Fact]
    public void An_order_seen_again_or_a_basket_of_one_item_is_not_held()
    {
        var index = new SimilarBaskets();
        Assert.True(index.Add("o1", ["tent", "lamp"]));
        Assert.False(index.Add("o1", ["tent", "lamp", "mug"]));
        Assert.False(index.Add("o2", ["tent"]));
        Assert.False(index.Add("o3", ["tent", "tent"]));
        Assert.Equal(1, index.Count);
        Assert.Equal(2, index.ItemCount);
        Assert.Equal(["lamp"], ScoresOf(index, "tent").Keys);

        // An order's lines may name a sku twice (two variants): the basket holds it once, so its size is two, not three.
        Assert.True(index.Add("o4", ["mug", "pot", "pot"]));
        Assert.Equal(1 / Math.Sqrt(2), ScoresOf(index, "mug")["pot"], 12);
    }

    [Fact]
    public void Only_the_newest_baskets_of_each_cart_item_are_compared()
    {
        var index = new SimilarBaskets(new SimilarBasketsOptions { SamplePerItem = 2 });
        index.Add("o1", ["tent", "canoe"]);
        index.Add("o2", ["tent", "lamp"]);
        index.Add("o3", ["tent", "mug"]);
        Assert.Equal(["lamp", "mug"], ScoresOf(index, "tent").Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_call_may_read_the_baskets_as_a_model_was_fitted_whatever_the_index_options()
    {
        // The index reads the newest 1,000 baskets per item and scores the 50 nearest; a model fitted with 2 and 1 is
        // served with them: the call gives what an index with those options gives.
        var index = new SimilarBaskets();
        var fitted = new SimilarBaskets(new SimilarBasketsOptions { SamplePerItem = 2, Neighbors = 1 });
        foreach (var target in new[] { index, fitted })
        {
            target.Add("o1", ["tent", "stove", "canoe"]);
            target.Add("o2", ["tent", "lamp"]);
            target.Add("o3", ["tent", "stove", "mug"]);
        }
        Dictionary<string, double> Read(SimilarBaskets from, int? neighbors, int? sample)
        {
            using var scores = from.Score(["tent", "stove"], neighbors, sample);
            return Enumerable.Range(0, scores.Count).ToDictionary(scores.Sku, scores.ScoreAt);
        }
        var asFitted = Read(index, 1, 2);
        Assert.Equal(ScoresOf(fitted, "tent", "stove"), asFitted);
        Assert.Equal(["mug"], asFitted.Keys); // o1 is not among tent's newest two; of o2 and o3, o3 is nearer
        Assert.Equal(["canoe", "lamp", "mug"], Read(index, null, null).Keys.Order(StringComparer.Ordinal));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Score(["tent"], neighbors: 0));
    }

    [Fact]
    public void Among_equally_similar_baskets_the_newest_counts_after_the_ring_has_wrapped()
    {
        // Capacity 3, five baskets: o3, o4 and o5 are held at positions 2, 0 and 1; each shares tent with the cart.
        var index = new SimilarBaskets(new SimilarBasketsOptions { Capacity = 3, Neighbors = 1 });
        for (var i = 1; i <= 5; i++) index.Add($"o{i}", ["tent", $"item{i}"]);
        Assert.Equal(["item5"], ScoresOf(index, "tent").Keys);
        index.Add("o6", ["tent", "item6"]); // position 2
        Assert.Equal(["item6"], ScoresOf(index, "tent").Keys);
        var two = new SimilarBaskets(new SimilarBasketsOptions { Capacity = 3, Neighbors = 2 });
        for (var i = 1; i <= 6; i++) two.Add($"o{i}", ["tent", $"item{i}"]);
        Assert.Equal(["item5", "item6"], ScoresOf(two, "tent").Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_cart_of_unknown_items_scores_nothing_and_scores_must_be_released_before_the_next_call()
    {
        var index = new SimilarBaskets();
        index.Add("o1", ["tent", "lamp"]);
        Assert.Empty(ScoresOf(index, "kayak"));
        var held = index.Score(["tent"]);
        Assert.Throws<InvalidOperationException>(() => index.Score(["tent"]));
        held.Dispose();
        Assert.Equal(1 / Math.Sqrt(2), ScoresOf(index, "tent")["lamp"], 9);
    }

    [Fact]
    public void Clear_forgets_every_basket()
    {
        var index = new SimilarBaskets();
        index.Add("o1", ["tent", "lamp"]);
        index.Clear();
        Assert.Equal(0, index.Count);
        Assert.Empty(ScoresOf(index, "tent"));
        Assert.True(index.Add("o1", ["tent", "lamp"]));
    }

    [Fact]
    public async Task Readers_score_while_a_writer_adds_and_each_reading_is_consistent()
    {
        // The stream's table adds orders on its global thread while stream threads rank: a reading sees a whole index.
        var index = new SimilarBaskets(new SimilarBasketsOptions { Capacity = 500, Neighbors = 100 });
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++) index.Add($"o{i}", ["tent", $"item-{i % 700}", $"item-{(i + 1) % 700}"]);
            stop.Cancel();
        });
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var readings = 0;
            while (!stop.IsCancellationRequested || readings == 0)
            {
                using var scores = index.Score(["tent"]);
                // Every held basket holds tent and two items; at most Neighbors (100) baskets are scored, each 1 / √3.
                var total = 0.0;
                for (var i = 0; i < scores.Count; i++) total += scores.ScoreAt(i);
                Assert.InRange(total, 0, 2 * 100 / Math.Sqrt(3) + 1e-9);
                readings++;
            }
            return readings;
        })).ToArray();
        await writer;
        Assert.All(await Task.WhenAll(readers), readings => Assert.True(readings > 0));
        Assert.Equal(500, index.Count);
        Assert.Equal(2 * 100 / Math.Sqrt(3), ScoresOf(index, "tent").Values.Sum(), 6);
    }
}
