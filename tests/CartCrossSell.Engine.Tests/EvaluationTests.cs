using CartCrossSell.Engine;
using CartCrossSell.Engine.Evaluation;
using CartCrossSell.Engine.Merchandising;
using CartCrossSell.Engine.Ranking;

namespace CartCrossSell.Engine.Tests;

public class EvaluationTests
{
    private static readonly DateTimeOffset Start = new(2011, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static EvalOrder Order(string id, int minutes, params string[] skus) =>
        new(id, Start.AddMinutes(minutes), skus.Select(s => new EvalLine(s, 1, 1m)).ToList());

    [Fact]
    public void Splits_orders_by_time_the_same_way_every_time()
    {
        var orders = Enumerable.Range(0, 10).Select(i => Order($"o{i}", 100 - i, "a", "b")).ToList();
        var (train, test) = OfflineEvaluation.Split(orders, 0.2);
        var (train2, test2) = OfflineEvaluation.Split(orders.AsEnumerable().Reverse(), 0.2);

        Assert.Equal(8, train.Count);
        Assert.Equal(["o1", "o0"], test.Select(o => o.OrderId));
        Assert.True(train.Max(o => o.Timestamp) <= test.Min(o => o.Timestamp));
        Assert.Equal(train.Select(o => o.OrderId), train2.Select(o => o.OrderId));
        Assert.Equal(test.Select(o => o.OrderId), test2.Select(o => o.OrderId));
    }

    [Fact]
    public void Hides_the_last_added_item_or_a_seeded_random_one()
    {
        var order = Order("536365", 0, "a", "b", "c", "b", "d");
        Assert.Equal("d", OfflineEvaluation.Hidden(order, HoldoutProtocol.LastAdded, 42));
        var random = OfflineEvaluation.Hidden(order, HoldoutProtocol.RandomItem, 42);
        Assert.Contains(random, new[] { "a", "b", "c", "d" });
        Assert.Equal(random, OfflineEvaluation.Hidden(order, HoldoutProtocol.RandomItem, 42));
        var hidden = Enumerable.Range(0, 40).Select(seed => OfflineEvaluation.Hidden(order, HoldoutProtocol.RandomItem, seed)).ToHashSet();
        Assert.True(hidden.Count >= 3);
    }

    [Fact]
    public void Measures_hit_rates_ndcg_and_mrr_from_the_rank_of_the_hidden_item()
    {
        var orders = new List<EvalOrder>();
        for (var i = 0; i < 8; i++) orders.Add(Order($"t{i}", i, "x", "y", "z"));
        for (var i = 0; i < 20; i++) orders.Add(Order($"p{i}", 10 + i, "p", "q"));
        for (var i = 0; i < 7; i++) orders.Add(Order($"test{i}", 100 + i, "x", "y", "z"));

        var report = OfflineEvaluation.Run(orders, null, new EvaluationOptions { TestFraction = 0.2 });

        Assert.Equal(7, report.TestBaskets);
        var popularity = report.Results.Single(r => r.Strategy == Strategies.Popularity && r.Protocol == HoldoutProtocol.LastAdded);
        // Popularity shows p, q, z: the hidden z is third.
        Assert.Equal(0, popularity.HitRateAt1);
        Assert.Equal(1, popularity.HitRateAt3);
        Assert.Equal(0.5, popularity.NdcgAt3, 9);
        Assert.Equal(1.0 / 3, popularity.MrrAt10, 9);
        var basketAware = report.Results.Single(r => r.Strategy == Strategies.BasketAware && r.Protocol == HoldoutProtocol.LastAdded);
        Assert.Equal(1, basketAware.HitRateAt1);
        Assert.Equal(1, basketAware.MrrAt10);
        Assert.All(report.Results, r => Assert.Equal(0, r.DuplicateShare));
    }

    [Fact]
    public void Reports_every_strategy_under_both_protocols_as_a_markdown_table()
    {
        var orders = Enumerable.Range(0, 30).Select(i => Order($"o{i}", i, "a", "b", "c", $"d{i % 3}")).ToList();
        var catalog = new InMemoryCatalog(new[] { "a", "b", "c", "d0", "d1", "d2" }.Select(s => new CatalogItem
        {
            Sku = s, Title = s, CategoryPath = [s.StartsWith('d') ? "d" : s], Price = 1m,
        }));
        var report = OfflineEvaluation.Run(orders, catalog);

        // Five strategies (popularity, last item, basket counts, basket cosine, basket-aware) and, with a catalog, the
        // four baselines held to the cart rules, under two protocols.
        Assert.Equal(18, report.Results.Count);
        Assert.All(report.Results, r => Assert.NotNull(r.SubstituteShare));
        Assert.Equal(0, report.Results.Single(r => r.Strategy == Strategies.BasketAware && r.Protocol == HoldoutProtocol.RandomItem).SubstituteShare);
        var table = EvaluationTable.Markdown(report);
        Assert.Contains("| protocol | strategy | HR@1 | HR@3 | NDCG@3 | MRR@10 |", table);
        foreach (var s in new[] { "popularity", "last-item", "basket-counts", "basket-cosine", "basket-aware",
                     "popularity (cart rules)", "last-item (cart rules)", "basket-counts (cart rules)", "basket-cosine (cart rules)" })
        {
            Assert.Contains($"| last-added | {s} |", table);
            Assert.Contains($"| random-item | {s} |", table);
        }
        // Held to the rules, a baseline shows no two add-ons of one leaf category (diversity): here every d-item shares one.
        Assert.All(report.Results.Where(r => r.Strategy.EndsWith(Strategies.UnderCartRules, StringComparison.Ordinal)),
            r => Assert.True(r.MeanAddOns <= 1 + 1e-9, $"{r.Strategy}: {r.MeanAddOns} add-ons per cart"));
        Assert.Contains(report.Results, r => r.Strategy == Strategies.Popularity && r.MeanAddOns > 1);
        // Without a catalog there are no cart rules to hold a baseline to.
        Assert.DoesNotContain(OfflineEvaluation.Run(orders, null).Results, r => r.Strategy.EndsWith(Strategies.UnderCartRules, StringComparison.Ordinal));
    }

    [Fact]
    public void Says_what_the_learned_ranker_scores_over_the_best_baseline_as_it_is_and_held_to_the_cart_rules()
    {
        static StrategyResult Row(string strategy, HoldoutProtocol protocol, double hitRateAt3) =>
            new(strategy, protocol, 100, 0, hitRateAt3, 0, 0, 0, 0, null, null, 3, 0);
        var report = new EvaluationReport(10, 8, 2, 100, 5, true, Start,
        [
            Row(Strategies.LastItem, HoldoutProtocol.LastAdded, 0.2), Row(Strategies.BasketCosine, HoldoutProtocol.LastAdded, 0.1),
            Row(Strategies.Learned, HoldoutProtocol.LastAdded, 0.16),
            Row(Strategies.LastItem + Strategies.UnderCartRules, HoldoutProtocol.LastAdded, 0.14),
            Row(Strategies.BasketCosine + Strategies.UnderCartRules, HoldoutProtocol.LastAdded, 0.08),
            // A rule-abiding ranker's row is no baseline, however it scores.
            Row(Strategies.BasketAware, HoldoutProtocol.RandomItem, 0.5),
            Row(Strategies.LastItem, HoldoutProtocol.RandomItem, 0.05), Row(Strategies.Learned, HoldoutProtocol.RandomItem, 0.1),
        ], []);

        var lines = EvaluationTable.LearnedOverBestBaseline(report);

        Assert.Equal(
        [
            "last-added: learned HR@3 0.160 = 0.80 × the best baseline (0.200), 1.14 × the best baseline held to the same cart rules (0.140).",
            "random-item: learned HR@3 0.100 = 2.00 × the best baseline (0.050).",
        ], lines);
        Assert.Contains(lines[0], EvaluationTable.Markdown(report));
        Assert.Empty(EvaluationTable.LearnedOverBestBaseline(report with { Results = report.Results.Where(r => r.Strategy != Strategies.Learned).ToList() }));
    }

    [Fact]
    public void Leaves_out_baskets_whose_hidden_item_the_engine_may_never_show()
    {
        var catalog = new InMemoryCatalog(new[] { ("a", "mugs", 1m), ("b", "mugs", 1m), ("c", "tea", 5m), ("d", "pots", 100m) }
            .Select(t => new CatalogItem { Sku = t.Item1, Title = t.Item1, CategoryPath = [t.Item2], Price = t.Item3 }));
        var rest = new Basket([new BasketLine { Sku = "a", UnitPrice = 1m }, new BasketLine { Sku = "c", UnitPrice = 5m }]);
        var options = new RecommendationOptions();

        Assert.False(OfflineEvaluation.Eligible("b", rest, catalog, options));
        Assert.False(OfflineEvaluation.Eligible("d", rest, catalog, options));
        Assert.True(OfflineEvaluation.Eligible("b", rest, catalog, options with { MultiBuyCategories = new HashSet<string> { "mugs" } }));

        var orders = Enumerable.Range(0, 20).Select(i => Order($"o{i}", i, "c", "a", "b")).ToList();
        var eligible = OfflineEvaluation.Run(orders, catalog, new EvaluationOptions { TestFraction = 0.5, Targets = HoldoutTargets.Eligible });
        var all = OfflineEvaluation.Run(orders, catalog, new EvaluationOptions { TestFraction = 0.5 });   // the default: every basket
        Assert.Equal(10, eligible.IneligibleBaskets[HoldoutProtocol.LastAdded]);
        Assert.Equal(0, all.IneligibleBaskets[HoldoutProtocol.LastAdded]);
        Assert.Equal(10, all.Results[0].Baskets);
    }
}

public class BaselineStrategyTests
{
    private static readonly DateTimeOffset T0 = new(2011, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_baseline_held_to_the_cart_rules_keeps_its_own_order_among_what_the_learned_ranker_may_show()
    {
        var store = new Store()
            .Item("mug", "cups", 10, "Enamel mug").Item("kettle", "kettles", 40, "Steel kettle")
            .Item("mug-2", "cups", 10, "Glass tumbler").Item("mug-3", "cups", 10, "Camp cup")
            .Item("teapot", "pots", 20, "Clay teapot", inStock: false).Item("lamp", "lights", 30, "Desk lamp")
            .Item("tea", "tea", 8, "Green tea").Item("tea-2", "tea", 8, "Black tea")
            .Item("spoon", "cutlery", 3, "Tea spoon").Item("sugar", "food", 2, "Cane sugar")
            // mug-3 is bought with the cart's mug (a complement of one leaf); mug-2 never is (a substitute).
            .Orders(3, "mug", "mug-3", "kettle").Orders(2, "kettle", "tea").Orders(2, "kettle", "tea-2")
            .Orders(1, "mug-2", "spoon").Orders(2, "spoon", "sugar");
        var cart = store.Cart("mug", "kettle"); // worth 50: the lamp, at 60 %, is over the cap
        var inputs = new RankingInputs(store.Learner, store.Catalog, store.Learner.Clock,
            RankingInputs.BestSellersOf(store.Learner.Items()));
        var set = new CandidateGenerator().Generate(cart, inputs, Store.Now);
        string[] ranked = ["mug", "mug-2", "teapot", "lamp", "tea", "tea-2", "mug-3", "spoon", "sugar"];
        var options = new RecommendationOptions();

        IReadOnlyList<string> Held(int count, RecommendationOptions o) =>
            Baselines.UnderCartRules(ranked, cart, store.Catalog, set, store.Learner, o, count, Store.Now);

        // In the cart, a substitute, out of stock, over the cap: out; the black tea, a second tea: out (diversity).
        Assert.Equal(["tea", "mug-3", "spoon"], Held(3, options));
        Assert.Equal(["tea", "mug-3", "spoon", "sugar"], Held(10, options));
        // The category rule instead of the learned one refuses the complement too; without diversity the second tea stays.
        Assert.Equal(["tea", "spoon", "sugar"], Held(3, options with { Substitutes = SubstituteEvidence.Category }));
        Assert.Equal(["tea", "tea-2", "mug-3"], Held(3, options with { Diversity = new DiversityOptions { MaxPerLeafCategory = 0, NearDuplicates = false } }));
    }

    [Fact]
    public void Basket_counts_sum_raw_counts_over_the_basket_and_basket_cosine_divides_by_popularity()
    {
        var learner = new BasketLearner();
        // x goes with both cart items twice; hub is bought with each cart item three times but in 40 other baskets too.
        for (var i = 0; i < 2; i++) learner.AddOrder(["a", "b", "x"], T0);
        for (var i = 0; i < 3; i++) learner.AddOrder(["a", "hub"], T0);
        for (var i = 0; i < 3; i++) learner.AddOrder(["b", "hub"], T0);
        for (var i = 0; i < 40; i++) learner.AddOrder(["hub", $"z{i}"], T0);
        var catalog = new InMemoryCatalog([]);
        var options = new RecommendationOptions { AllowUnknownItems = true, Shrinkage = 0 };
        var cart = new Basket([new BasketLine { Sku = "a" }, new BasketLine { Sku = "b" }]);
        var counts = new AddOnRanker(options with { Similarity = SimilarityMeasure.Cooccurrence }, learner.Clock)
            .RankUniformBasket(cart, catalog, learner, T0, Evaluation.Strategies.BasketCounts);
        var cosine = new AddOnRanker(options, learner.Clock).RankUniformBasket(cart, catalog, learner, T0, Evaluation.Strategies.BasketCosine);
        Assert.Equal("hub", counts.AddOns[0].Sku);     // 6 baskets against 4
        Assert.Equal("x", cosine.AddOns[0].Sku);       // x is rare, hub is everywhere
        Assert.Equal(Evaluation.Strategies.BasketCounts, counts.Strategy);
    }
}
