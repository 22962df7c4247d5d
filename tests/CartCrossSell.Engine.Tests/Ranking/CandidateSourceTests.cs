using CartCrossSell.Engine.Ranking;

namespace CartCrossSell.Engine.Tests.Ranking;

public class CandidateSourceTests
{
    private static RankingInputs Inputs(Store store, bool catalog = true) =>
        new(store.Learner, catalog ? store.Catalog : null, store.Learner.Clock, RankingInputs.BestSellersOf(store.Learner.Items()));

    private static Store Shop() => new Store()
        .Item("tent", "tents", 200).Item("pegs", "pegs", 10).Item("mallet", "tools", 15).Item("lamp", "lights", 30)
        .Item("stove", "stoves", 60).Item("gas", "fuel", 8).Item("mug", "cups", 6).Item("pot", "cookware", 25);

    [Fact]
    public void Basket_source_sums_over_every_cart_item_so_a_candidate_bought_with_both_beats_one_bought_with_one()
    {
        var store = Shop().Orders(4, "tent", "stove", "gas").Orders(4, "tent", "lamp").Orders(4, "stove", "pot");
        var set = new CandidateGenerator().Generate(store.Cart("tent", "stove"), Inputs(store), Store.Now);
        var gas = set.Find("gas")!;
        var lamp = set.Find("lamp")!;
        Assert.Equal(2, gas.Matches);
        Assert.Equal(1, lamp.Matches);
        Assert.True(gas.CosUniform > lamp.CosUniform);
        Assert.True((gas.Sources & CandidateSource.Basket) != 0);
        Assert.Null(set.Find("tent"));
        Assert.Null(set.Find("stove"));
    }

    [Fact]
    public void Similar_baskets_source_offers_what_the_baskets_most_like_the_whole_cart_held_and_its_features_say_so()
    {
        // One past basket held tent, stove and gas: it is more like the cart than those that held one of the two.
        var store = Shop().Orders(1, "tent", "stove", "gas").Orders(1, "tent", "lamp").Orders(1, "stove", "mug");
        var inputs = new RankingInputs(store.Learner, store.Catalog, store.Learner.Clock, RankingInputs.BestSellersOf(store.Learner.Items()))
        {
            SimilarBaskets = store.Baskets,
        };
        var generator = new CandidateGenerator(new CandidateOptions { SimilarBasketsDepth = 1 });
        var set = generator.Generate(store.Cart("tent", "stove"), inputs, Store.Now);
        var gas = set.Find("gas")!;
        Assert.Equal(CandidateSource.SimilarBaskets, gas.Sources & CandidateSource.SimilarBaskets);
        Assert.Equal(1, gas.RankSimilar);
        Assert.Equal(2 / Math.Sqrt(6), gas.SimilarScore, 6);
        // Below the source's top (depth 1) a candidate keeps its score there, without a rank.
        var lamp = set.Find("lamp")!;
        Assert.Equal(CandidateSource.None, lamp.Sources & CandidateSource.SimilarBaskets);
        Assert.Equal(0, lamp.RankSimilar);
        Assert.True(lamp.SimilarScore > 0 && lamp.SimilarScore < gas.SimilarScore);
        var x = RankingFeatures.Extract(set, store.Catalog);
        float Feature(CandidateEvidence c, string name) => x[set.Candidates.ToList().IndexOf(c) * RankingFeatures.Count + RankingFeatures.Names.ToList().IndexOf(name)];
        Assert.Equal(1f, Feature(gas, "rank_similar_baskets_in_top"));
        Assert.Equal(1f, Feature(gas, "similar_baskets_share_of_top"));
        Assert.Equal(RankingFeatures.Absent, Feature(lamp, "rank_similar_baskets_in_top"));
        Assert.Equal((float)(lamp.SimilarScore / gas.SimilarScore), Feature(lamp, "similar_baskets_share_of_top"), 5);

        // Without baskets held the source is silent and a model reads no basket as similar.
        var without = generator.Generate(store.Cart("tent", "stove"), Inputs(store), Store.Now);
        Assert.All(without.Candidates, c => Assert.Equal(0, c.SimilarScore));
        Assert.Equal(0f, RankingFeatures.Extract(without, store.Catalog)[RankingFeatures.Names.ToList().IndexOf("similar_baskets_share_of_top")]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(25)]
    public void Similar_baskets_top_is_the_depth_highest_scores_with_equal_scores_by_sku(int depth)
    {
        // Many equal scores (baskets of one to three other items, all sharing the one cart item): the cut must fall as a
        // full sort by score, then sku, would put it.
        var random = new Random(5);
        var store = new Store();
        for (var i = 0; i < 300; i++)
            store.Orders(1, ["cart", .. Enumerable.Range(0, random.Next(1, 4)).Select(_ => $"x{random.Next(60):D2}").Distinct()]);
        List<(string Sku, double Score)> all;
        using (var scores = store.Baskets.Score(["cart"]))
            all = Enumerable.Range(0, scores.Count).Select(i => (scores.Sku(i), scores.ScoreAt(i))).ToList();
        var expected = all.OrderByDescending(x => x.Score).ThenBy(x => x.Sku, StringComparer.Ordinal).Take(depth).ToList();
        var inputs = new RankingInputs(store.Learner, null, store.Learner.Clock, []) { SimilarBaskets = store.Baskets };
        var set = new CandidateGenerator(new CandidateOptions { SimilarBasketsDepth = depth }).Generate(store.Cart("cart"), inputs, Store.Now);
        var top = set.Candidates.Where(c => (c.Sources & CandidateSource.SimilarBaskets) != 0).ToList();
        Assert.Equal(expected.Select(x => x.Sku).Order(StringComparer.Ordinal), top.Select(c => c.Sku).Order(StringComparer.Ordinal));
        // Ranks within the top: 1 + the number of higher scores, so equal scores share one.
        foreach (var c in top) Assert.Equal(1 + expected.Count(x => x.Score > c.SimilarScore), c.RankSimilar);
        Assert.True(all.Count > depth, $"{all.Count} items scored");
    }

    [Fact]
    public void Sequence_source_finds_what_is_added_right_after_the_last_item_even_when_rarely_bought_with_it_overall()
    {
        // Orders list items in the order they were added: mallet always follows pegs.
        var store = Shop().Orders(5, "tent", "pegs", "mallet").Orders(3, "tent", "lamp", "mug");
        var set = new CandidateGenerator().Generate(store.Cart("tent", "pegs"), Inputs(store), Store.Now);
        var mallet = set.Find("mallet")!;
        Assert.True(mallet.NextFromLast > 0.99, $"mallet follows pegs in every order, got {mallet.NextFromLast}");
        Assert.True((mallet.Sources & CandidateSource.Sequence) != 0);
        Assert.Equal(0, set.Find("mug")?.NextFromLast ?? 0);
    }

    [Fact]
    public void Last_items_source_scores_the_last_and_second_last_item_only()
    {
        var store = Shop().Orders(4, "tent", "lamp").Orders(4, "stove", "gas").Orders(4, "pegs", "mallet");
        var set = new CandidateGenerator().Generate(store.Cart("tent", "stove", "pegs"), Inputs(store), Store.Now);
        Assert.True(set.Find("mallet")!.LastCos > 0);
        Assert.True(set.Find("gas")!.SecondLastCos > 0);
        Assert.Equal(0, set.Find("lamp")!.LastItemsScore);
    }

    [Fact]
    public void Category_source_offers_popular_items_of_complementary_categories_for_a_cart_without_item_evidence()
    {
        var store = Shop().Orders(6, "stove", "gas").Orders(2, "stove", "mug");
        // A new stove model nobody ordered yet: only its category is known.
        store.Item("stove-2", "stoves", 80);
        var set = new CandidateGenerator().Generate(store.Cart("stove-2"), Inputs(store), Store.Now);
        var gas = set.Find("gas")!;
        Assert.True(gas.CategoryScore > 0);
        Assert.True((gas.Sources & CandidateSource.Category) != 0);
        Assert.False(gas.HasItemEvidence);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Complementary_categories_of_equal_score_are_chosen_by_name(bool exhaustive)
    {
        // Stoves go with fuel and with cups equally (same orders, same day): with room for one complementary
        // category, "cups" comes first by name, whichever order the rows were learned in.
        var store = Shop().Orders(3, "stove", "gas").Orders(3, "stove", "mug");
        store.Item("stove-2", "stoves", 80);
        var options = new CandidateOptions { ComplementCategories = 1 };
        var set = new CandidateGenerator(options) { ExhaustiveRanks = exhaustive }.Generate(store.Cart("stove-2"), Inputs(store), Store.Now);
        Assert.True(set.Find("mug")?.CategoryScore > 0, "cups, first by name, is the complementary category");
        Assert.Equal(0, set.Find("gas")?.CategoryScore ?? 0);

        // Learned the other way round, the choice is the same.
        var reversed = Shop().Orders(3, "stove", "mug").Orders(3, "stove", "gas");
        reversed.Item("stove-2", "stoves", 80);
        var again = new CandidateGenerator(options) { ExhaustiveRanks = exhaustive }.Generate(reversed.Cart("stove-2"), Inputs(reversed), Store.Now);
        Assert.True(again.Find("mug")?.CategoryScore > 0);
        Assert.Equal(0, again.Find("gas")?.CategoryScore ?? 0);
    }

    [Fact]
    public void Rows_of_skus_too_long_to_compose_on_the_stack_are_found_in_every_store()
    {
        // Row keys are composed on the stack up to 256 characters, longer ones as strings: both must find the rows.
        var tent = new string('t', 300);
        var store = new Store().Item(tent, "tents", 200).Item("pegs", "pegs", 10).Item("lamp", "lights", 30)
            .Orders(4, tent, "pegs").Orders(2, "lamp", tent);
        foreach (IBasketEvidence evidence in new IBasketEvidence[] { store.Learner, store.Learner.Compact(), store.Learner.Live() })
        {
            var inputs = new RankingInputs(evidence, store.Catalog, store.Learner.Clock, RankingInputs.BestSellersOf(store.Learner.Items()));
            var set = new CandidateGenerator().Generate(store.Cart(tent), inputs, Store.Now);
            Assert.True(set.Find("pegs")?.CosUniform > 0, $"{evidence.GetType().Name}: the long sku's item row");
            Assert.True(set.Find("lamp")?.PreviousFromLast > 0, $"{evidence.GetType().Name}: the long sku's sequence row");
            var found = new CandidateGenerator().Generate(store.Cart("pegs"), inputs, Store.Now).Find(tent);
            Assert.True(found?.Weight > 0, $"{evidence.GetType().Name}: the long sku as a candidate");
        }
    }

    [Fact]
    public void Popular_source_fills_in_best_sellers_and_never_the_cart_items()
    {
        var store = Shop().Orders(9, "mug").Orders(5, "pot").Orders(1, "tent", "lamp");
        var set = new CandidateGenerator(new CandidateOptions { PopularDepth = 2 }).Generate(store.Cart("mug", "tent"), Inputs(store), Store.Now);
        Assert.Equal(CandidateSource.Popular, set.Find("pot")!.Sources & CandidateSource.Popular);
        Assert.Null(set.Find("mug"));
    }

    [Fact]
    public void Each_source_contributes_at_most_its_depth()
    {
        var store = Shop();
        for (var i = 0; i < 30; i++)
        {
            store.Item($"x{i}", "misc", 5);
            store.Orders(1 + i % 3, "tent", $"x{i}");
        }
        var options = new CandidateOptions { BasketDepth = 5, LastItemsDepth = 0, SequenceDepth = 0, CategoryDepth = 0, PopularDepth = 0 };
        var set = new CandidateGenerator(options).Generate(store.Cart("tent"), Inputs(store), Store.Now);
        Assert.Equal(5, set.Candidates.Count);
        Assert.All(set.Candidates, c => Assert.True(c.RankBasket is >= 1 and <= 5));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Equal_scores_share_a_rank_and_the_top_is_cut_by_sku(bool exhaustive)
    {
        // A tent goes with the lamp three times and with each of eight pegs once (same day): the pegs' basket scores are
        // equal, so each ranks second, whatever its name; a top of four takes the lamp and the first three pegs by sku.
        var store = Shop().Orders(3, "tent", "lamp");
        var pegs = new[] { "peg-h", "peg-c", "peg-f", "peg-a", "peg-g", "peg-b", "peg-e", "peg-d" };
        foreach (var peg in pegs) store.Item(peg, "pegs", 1).Orders(1, "tent", peg);
        var options = new CandidateOptions { BasketDepth = 4, LastItemsDepth = 0, SequenceDepth = 0, CategoryDepth = 0, PopularDepth = 0 };
        var set = new CandidateGenerator(options) { ExhaustiveRanks = exhaustive }.Generate(store.Cart("tent"), Inputs(store), Store.Now);
        Assert.Equal(["lamp", "peg-a", "peg-b", "peg-c"], set.Candidates.Select(c => c.Sku).Order(StringComparer.Ordinal));
        Assert.Equal(1, set.Find("lamp")!.RankBasket);
        Assert.All(set.Candidates.Where(c => c.Sku != "lamp"), c => Assert.Equal(2, c.RankBasket));

        // Below a basket top of two (the lamp and peg-a), candidates that join through the best sellers: peg-b ties with
        // the top's last entry and the mallet, a best seller bought once with the tent, scores lower. Both have a basket
        // score and no basket rank: a rank is a place in the source's top, and the model reads them as absent there.
        store.Orders(20, "stove", "mallet").Orders(1, "tent", "mallet");
        var popular = options with { BasketDepth = 2, PopularDepth = 5 };
        var again = new CandidateGenerator(popular) { ExhaustiveRanks = exhaustive }.Generate(store.Cart("tent"), Inputs(store), Store.Now);
        var features = RankingFeatures.Extract(again, store.Catalog);
        var rankBasket = RankingFeatures.Names.ToList().IndexOf("rank_basket_in_top");
        foreach (var sku in new[] { "peg-b", "mallet" })
        {
            var c = again.Find(sku)!;
            Assert.Equal(CandidateSource.Popular, c.Sources);
            Assert.True(c.CosWeighted > 0);
            Assert.Equal(0, c.RankBasket);
            var index = again.Candidates.ToList().IndexOf(c);
            Assert.Equal(RankingFeatures.Absent, features[index * RankingFeatures.Count + rankBasket]);
        }
        Assert.Equal(again.Find("peg-a")!.CosWeighted, again.Find("peg-b")!.CosWeighted);
        Assert.Equal(2, again.Find("peg-a")!.RankBasket);
    }
}

public class RankingFeatureTests
{
    [Fact]
    public void Every_feature_is_finite_and_unknowns_use_their_sentinels()
    {
        var store = new Store().Item("a", "x", 10).Item("b", "y", 0).Orders(3, "a", "b").Orders(1, "a", "c");
        var inputs = new RankingInputs(store.Learner, store.Catalog, store.Learner.Clock, ["a", "b", "c"]);
        var set = new CandidateGenerator().Generate(store.Cart("a"), inputs, Store.Now);
        var x = RankingFeatures.Extract(set, store.Catalog);
        Assert.Equal(set.Candidates.Count * RankingFeatures.Count, x.Length);
        Assert.All(x, v => Assert.True(float.IsFinite(v)));
        var c = set.Candidates.ToList().FindIndex(k => k.Sku == "c");
        var row = x.AsSpan(c * RankingFeatures.Count, RankingFeatures.Count);
        int F(string name) => RankingFeatures.Names.ToList().IndexOf(name);
        Assert.Equal(-1f, row[F("price_share")]);       // c is not in the catalog
        Assert.Equal(-1f, row[F("margin_rate")]);
        Assert.Equal(0f, row[F("has_category")]);
        Assert.Equal(RankingFeatures.Absent, row[F("rank_category_in_top")]);
    }

    [Fact]
    public void A_candidates_share_of_top_is_its_score_over_the_best_candidates_in_each_order()
    {
        // b goes with a far more often than c or d, so it leads the basket orders; c and d trail it.
        var store = new Store().Item("a", "x", 10).Item("b", "y", 5).Item("c", "y", 3).Item("d", "z", 4)
            .Orders(4, "a", "b").Orders(1, "c", "a").Orders(1, "a", "e", "d");
        var set = new CandidateGenerator().Generate(store.Cart("a"),
            new RankingInputs(store.Learner, store.Catalog, store.Learner.Clock, ["b", "c", "d"]), Store.Now);
        var x = RankingFeatures.Extract(set, store.Catalog);
        int F(string name) => RankingFeatures.Names.ToList().IndexOf(name);
        var orders = new (string Feature, Func<CandidateEvidence, double> Score)[]
        {
            ("basket_share_of_top", k => k.CosWeighted), ("uniform_share_of_top", k => k.CosUniform),
            ("last_items_share_of_top", k => k.LastItemsScore), ("sequence_share_of_top", k => k.SequenceScore),
        };
        foreach (var (feature, score) in orders)
        {
            var top = set.Candidates.Max(score);
            Assert.True(top > 0, feature);
            for (var i = 0; i < set.Candidates.Count; i++)
                Assert.Equal((float)(score(set.Candidates[i]) / top), x[i * RankingFeatures.Count + F(feature)], 5);
        }
        var rowOf = (string sku) => set.Candidates.ToList().FindIndex(k => k.Sku == sku) * RankingFeatures.Count;
        Assert.Equal(1f, x[rowOf("b") + F("basket_share_of_top")]);
        Assert.InRange(x[rowOf("c") + F("basket_share_of_top")], 0.01f, 0.99f);
    }

    [Fact]
    public void With_no_evidence_in_an_order_every_candidates_share_of_it_is_zero()
    {
        // Orders of one line: no pairs, no order of addition; the candidates are the best sellers only.
        var store = new Store().Item("a", "x", 10).Item("b", "y", 5).Orders(3, "b").Orders(1, "a");
        var set = new CandidateGenerator().Generate(store.Cart("a"),
            new RankingInputs(store.Learner, store.Catalog, store.Learner.Clock, ["b"]), Store.Now);
        Assert.NotEmpty(set.Candidates);
        var x = RankingFeatures.Extract(set, store.Catalog);
        int F(string name) => RankingFeatures.Names.ToList().IndexOf(name);
        foreach (var name in new[] { "basket_share_of_top", "uniform_share_of_top", "last_items_share_of_top", "sequence_share_of_top" })
            for (var i = 0; i < set.Candidates.Count; i++)
                Assert.Equal(0f, x[i * RankingFeatures.Count + F(name)]);
    }

    [Fact]
    public void Features_are_the_same_whether_read_from_the_learner_or_its_compact_copy()
    {
        var store = new Store().Item("a", "x", 10).Item("b", "y", 5).Item("c", "x", 3)
            .Orders(3, "a", "b", "c").Orders(2, "b", "c").Orders(1, "c", "a");
        var best = RankingInputs.BestSellersOf(store.Learner.Items());
        var live = new RankingInputs(store.Learner, store.Catalog, store.Learner.Clock, best);
        var compact = new RankingInputs(store.Learner.Compact(), store.Catalog, store.Learner.Clock, best);
        var cart = store.Cart("a");
        var x1 = RankingFeatures.Extract(new CandidateGenerator().Generate(cart, live, Store.Now), store.Catalog);
        var x2 = RankingFeatures.Extract(new CandidateGenerator().Generate(cart, compact, Store.Now), store.Catalog);
        Assert.Equal(x1.Length, x2.Length);
        for (var i = 0; i < x1.Length; i++) Assert.Equal(x1[i], x2[i], 4);
    }
}
