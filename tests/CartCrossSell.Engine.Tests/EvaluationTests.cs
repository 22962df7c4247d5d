using CartCrossSell.Engine;
using CartCrossSell.Engine.Evaluation;

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

        Assert.Equal(10, report.Results.Count);   // five strategies (popularity, last item, basket counts, basket cosine, basket-aware) x two protocols
        Assert.All(report.Results, r => Assert.NotNull(r.SubstituteShare));
        Assert.Equal(0, report.Results.Single(r => r.Strategy == Strategies.BasketAware && r.Protocol == HoldoutProtocol.RandomItem).SubstituteShare);
        var table = EvaluationTable.Markdown(report);
        Assert.Contains("| protocol | strategy | HR@1 | HR@3 | NDCG@3 | MRR@10 |", table);
        foreach (var s in new[] { "popularity", "last-item", "basket-counts", "basket-cosine", "basket-aware" })
        {
            Assert.Contains($"| last-added | {s} |", table);
            Assert.Contains($"| random-item | {s} |", table);
        }
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
