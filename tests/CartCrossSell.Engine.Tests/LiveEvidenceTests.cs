using CartCrossSell.Engine.Ranking;

namespace CartCrossSell.Engine.Tests;

public class LiveEvidenceTests
{
    /// <summary>A shop of 60 items in 6 categories and 400 random orders (fixed seed), learned by the engine.</summary>
    private static (Store Store, string[] Skus) RandomShop(int seed = 7)
    {
        var store = new Store();
        var skus = Enumerable.Range(0, 60).Select(i => $"s{i}").ToArray();
        var random = new Random(seed);
        foreach (var sku in skus) store.Item(sku, $"c{int.Parse(sku[1..]) % 6}", 2 + random.Next(40));
        for (var o = 0; o < 400; o++)
        {
            // Orders lean on neighbourhoods of numbers, so pairs have structure and the rankings are not all ties.
            var start = random.Next(skus.Length);
            store.Orders(1, Enumerable.Range(0, 2 + random.Next(5)).Select(_ => skus[(start + random.Next(8)) % skus.Length]).Distinct().ToArray());
        }
        return (store, skus);
    }

    [Fact]
    public void Rankings_read_by_number_are_the_rankings_read_by_key()
    {
        var (store, skus) = RandomShop();
        var live = store.Learner.Live();
        var ranker = new AddOnRanker(new RecommendationOptions(), store.Learner.Clock);
        var best = RankingInputs.BestSellersOf(store.Learner.Items());
        var random = new Random(3);
        var compared = 0;
        for (var c = 0; c < 200; c++)
        {
            var cart = store.Cart(Enumerable.Range(0, 1 + random.Next(6)).Select(_ => skus[random.Next(skus.Length)]).Distinct().ToArray());
            var byKey = ranker.Rank(cart, store.Catalog, store.Learner, Store.Now);
            var byNumber = ranker.Rank(cart, store.Catalog, live, Store.Now);
            Assert.Equal(byKey.AddOns.Select(a => (a.Sku, Math.Round(a.Score, 9))), byNumber.AddOns.Select(a => (a.Sku, Math.Round(a.Score, 9))));
            compared += byKey.AddOns.Count;

            // The learned ranker's candidate generation reads the same rows.
            var x1 = RankingFeatures.Extract(new CandidateGenerator().Generate(cart, new RankingInputs(store.Learner, store.Catalog, store.Learner.Clock, best), Store.Now), store.Catalog);
            var x2 = RankingFeatures.Extract(new CandidateGenerator().Generate(cart, new RankingInputs(live, store.Catalog, store.Learner.Clock, best), Store.Now), store.Catalog);
            Assert.Equal(x1, x2);
        }
        Assert.True(compared > 200, $"only {compared} add-ons compared: the shop does not exercise the ranking");
    }

    [Fact]
    public void A_skus_rows_found_by_the_sku_are_the_rows_found_by_their_keys_as_they_arrive()
    {
        var live = new LiveEvidence();
        void Same(string sku)
        {
            var (item, next, previous) = live.RowsOfSku(sku);
            Assert.Equal(live.IndexOf(RowKeys.ItemPrefix + sku), item);
            Assert.Equal(live.IndexOf(RowKeys.NextPrefix + sku), next);
            Assert.Equal(live.IndexOf(RowKeys.PreviousPrefix + sku), previous);
        }
        Assert.Equal((-1, -1, -1), live.RowsOfSku("tent"));
        // "pegs" first arrives as a neighbour (numbered, no row), then with rows of its own; "tent" gets its sequence rows later.
        live.Apply(new EvidenceRow(RowKeys.Item("tent"), 4, [new Neighbor(RowKeys.Item("pegs"), 2)]));
        Same("tent");
        Same("pegs");
        Assert.True(live.RowsOfSku("pegs").Item >= 0, "a sku known as a neighbour has a number");
        live.Apply(new EvidenceRow(RowKeys.NextPrefix + "tent", 3, [new Neighbor(RowKeys.Item("pegs"), 2)]));
        live.Apply(new EvidenceRow(RowKeys.PreviousPrefix + "pegs", 2, [new Neighbor(RowKeys.Item("tent"), 2)]));
        live.Apply(new EvidenceRow(RowKeys.Category("tents"), 4, [new Neighbor(RowKeys.Category("pegs"), 2)]));
        foreach (var sku in new[] { "tent", "pegs", "tents", "never-sold" }) Same(sku);
        Assert.Equal(-1, live.RowsOfSku("tents").Item);   // a category is not a sku
        live.Clear();
        Same("tent");
    }

    [Fact]
    public void A_replaced_or_removed_row_is_read_as_it_is_now()
    {
        var live = new LiveEvidence();
        live.Apply(new EvidenceRow(RowKeys.Item("a"), 4, [new Neighbor(RowKeys.Item("b"), 2), new Neighbor(RowKeys.Category("x"), 1)]));
        Assert.Equal(1, live.RowCount);
        Assert.False(live.TryGetWeight(RowKeys.Item("b"), out _)); // a neighbour without a row of its own

        live.Apply(new EvidenceRow(RowKeys.Item("b"), 3, [new Neighbor(RowKeys.Item("a"), 2)]));
        live.Apply(new EvidenceRow(RowKeys.Item("a"), 5, [new Neighbor(RowKeys.Item("b"), 3)]));
        Assert.Equal(2, live.RowCount);
        Assert.True(live.TryGetWeight(RowKeys.Item("a"), out var weight));
        Assert.Equal(5, weight);
        Assert.Equal([RowKeys.Item("b")], live.Find(RowKeys.Item("a"))!.Neighbors.Select(n => n.Key));

        live.Remove(RowKeys.Item("b"));
        live.Remove(RowKeys.Item("never-seen"));
        Assert.Equal(1, live.RowCount);
        Assert.Null(live.Find(RowKeys.Item("b")));
        Assert.Equal([RowKeys.Item("a")], live.RowKeys());
    }

    [Fact]
    public void A_number_reads_the_weight_of_its_row_as_it_is_now_across_replacement_removal_clearing_and_growth()
    {
        var live = new LiveEvidence();
        double Weight(string sku) => live.WeightAt(live.IndexOf(RowKeys.Item(sku)));
        live.Apply(new EvidenceRow(RowKeys.Item("a"), 4, [new Neighbor(RowKeys.Item("b"), 2)]));
        Assert.Equal(4, Weight("a"));
        Assert.Equal(0, Weight("b"));                      // a neighbour without a row of its own
        live.Apply(new EvidenceRow(RowKeys.Item("a"), 6, []));
        Assert.Equal(6, Weight("a"));
        live.Apply(new EvidenceRow(RowKeys.Item("b"), double.NaN, []));
        Assert.Equal(0, Weight("b"));                      // no weight to read, as a row with none
        live.Remove(RowKeys.Item("a"));
        Assert.Equal(0, Weight("a"));

        // Thousands of numbers: the weights grow with the slots and keep what was written before.
        for (var i = 0; i < 5_000; i++) live.Apply(new EvidenceRow(RowKeys.Item($"s{i}"), i + 1, [new Neighbor(RowKeys.Item($"n{i}"), 1)]));
        live.Apply(new EvidenceRow(RowKeys.Item("a"), 9, []));
        Assert.Equal(9, Weight("a"));
        Assert.All(Enumerable.Range(0, 5_000), i => Assert.Equal(i + 1, Weight($"s{i}")));
        Assert.All(Enumerable.Range(0, 5_000), i => Assert.Equal(0, Weight($"n{i}")));
        Assert.True(live.Weights.Length > live.IndexOf(RowKeys.Item("n4999")));

        live.Clear();
        Assert.Equal(0, Weight("a"));
        Assert.Equal(0, Weight("s4999"));
        live.Apply(new EvidenceRow(RowKeys.Item("s7"), 2, []));
        Assert.Equal(2, Weight("s7"));
    }

    [Fact]
    public async Task Readers_rank_while_the_writer_replaces_rows_and_see_each_row_whole()
    {
        var (store, skus) = RandomShop(seed: 11);
        var live = store.Learner.Live();
        var rows = store.Learner.RowKeysLearned.Select(k => store.Learner.Find(k)!).ToArray();
        var ranker = new AddOnRanker(new RecommendationOptions(), store.Learner.Clock);
        using var stop = new CancellationTokenSource();
        var failures = new List<string>();

        // The writer alternates every row between two versions (and new keys, so the numbers and their array grow).
        var writer = Task.Run(() =>
        {
            for (var round = 0; round < 200; round++)
            {
                foreach (var row in rows)
                    live.Apply(round % 2 == 0 ? row with { Weight = row.Weight * 2 } : row);
                live.Apply(new EvidenceRow(RowKeys.Item($"new-{round}"), 1, [new Neighbor(RowKeys.Item($"new-{round}-n"), 1)]));
            }
            stop.Cancel();
        });
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var random = new Random(r);
            while (!stop.IsCancellationRequested)
            {
                var sku = skus[random.Next(skus.Length)];
                var original = store.Learner.Find(RowKeys.Item(sku));
                var seen = live.Find(RowKeys.Item(sku));
                if (original is not null && seen is not null && seen.Weight != original.Weight && seen.Weight != original.Weight * 2)
                    lock (failures) failures.Add($"{sku}: weight {seen.Weight} is neither version");
                ranker.Rank(store.Cart(sku, skus[random.Next(skus.Length)]), store.Catalog, live, Store.Now);
            }
        })).ToArray();
        await Task.WhenAll([writer, .. readers]).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Empty(failures);
        Assert.Equal(rows.Length + 200, live.RowCount);
    }
}
