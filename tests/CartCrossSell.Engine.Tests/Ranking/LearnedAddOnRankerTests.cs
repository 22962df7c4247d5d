using CartCrossSell.Engine.Ranking;

namespace CartCrossSell.Engine.Tests.Ranking;

public class LearnedAddOnRankerTests
{
    /// <summary>A model whose score is the weighted basket cosine (one stump-like tree per level), calibrated monotonically.</summary>
    internal static RankingModel CosineModel(double threshold)
    {
        // Leaves grow with basket_cos_weighted (feature 0), so the ranker's order is the cosine's order.
        var thresholds = new[] { 0.05f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f };
        var trees = thresholds.Select(t => new TreeEnsemble.Tree([0], [t], [-1], [-2], [0.0, 1.0])).ToList();
        return new RankingModel(new TreeEnsemble(trees, -4, RankingFeatures.Count), RankingFeatures.Names, -1, 0, threshold,
            Store.Now, description: "cosine steps");
    }

    internal static RankingInputs Inputs(Store store) =>
        new(store.Learner, store.Catalog, store.Learner.Clock, RankingInputs.BestSellersOf(store.Learner.Items()));

    private static Store Shop() => new Store()
        .Item("shoes", "running-shoes", 100).Item("shoes-2", "running-shoes", 90)
        .Item("socks", "socks", 15).Item("socks-2", "socks", 14)
        .Item("gels", "nutrition", 20).Item("cap", "headwear", 18).Item("bottle", "bottles", 16).Item("watch", "watches", 300);

    [Fact]
    public void An_add_on_only_similar_baskets_held_says_so_in_its_reason()
    {
        // The cap was never learned with shoes, but a recent basket like this cart held it (not yet in the rows).
        var store = Shop().Orders(6, "shoes", "gels").Orders(4, "socks", "cap");
        var baskets = new SimilarBaskets();
        baskets.Add("recent", ["shoes", "cap"]);
        var share = RankingFeatures.Names.ToList().IndexOf("similar_baskets_share_of_top");
        var model = new RankingModel(new TreeEnsemble([new TreeEnsemble.Tree([share], [0.5f], [-1], [-2], [0.0, 1.0])], -2, RankingFeatures.Count),
            RankingFeatures.Names, -1, 0, 0, Store.Now, description: "similar baskets");
        var inputs = new RankingInputs(store.Learner, store.Catalog, store.Learner.Clock, RankingInputs.BestSellersOf(store.Learner.Items()))
        {
            SimilarBaskets = baskets,
        };
        var first = new LearnedAddOnRanker(model).Rank(store.Cart("shoes"), inputs, Store.Now).AddOns[0];
        Assert.Equal("cap", first.Sku);
        Assert.Equal("in baskets like yours", first.Reason);
    }

    [Fact]
    public void Never_a_cart_item_never_a_substitute_without_evidence_never_over_the_price_cap_and_at_most_three()
    {
        var store = Shop()
            .Orders(6, "shoes", "gels").Orders(5, "shoes", "cap").Orders(4, "shoes", "bottle").Orders(3, "shoes", "socks-2")
            .Orders(1, "shoes", "shoes-2").Orders(8, "shoes", "watch").Orders(2, "socks", "gels");
        var ranker = new LearnedAddOnRanker(CosineModel(0));
        var list = ranker.Rank(store.Cart("shoes", "socks"), Inputs(store), Store.Now);
        var skus = list.AddOns.Select(a => a.Sku).ToList();
        Assert.InRange(skus.Count, 1, 3);
        Assert.DoesNotContain("shoes", skus);
        Assert.DoesNotContain("socks", skus);
        Assert.DoesNotContain("shoes-2", skus);   // same leaf as the cart's shoes, bought together once: no evidence → substitute
        Assert.DoesNotContain("watch", skus);     // 300 against a cart of 115: above the 50 % cap
        Assert.Equal(LearnedAddOnRanker.Learned, list.Strategy);
        Assert.Equal(ranker.Model.Version, list.ModelVersion);
        Assert.All(list.AddOns, a => Assert.Equal(store.Catalog.Find(a.Sku)!.Price, a.Price));
    }

    [Fact]
    public void Items_of_one_category_that_the_orders_buy_together_are_complements_not_substitutes()
    {
        var store = Shop().Item("lunch-bag-red", "lunch-bags", 10).Item("lunch-bag-blue", "lunch-bags", 10).Item("lunch-bag-pink", "lunch-bags", 10)
            .Orders(6, "lunch-bag-red", "lunch-bag-blue").Orders(30, "shoes").Orders(1, "lunch-bag-pink", "gels");
        var cart = store.Cart("shoes", "lunch-bag-red");   // the shoes keep a 10.00 bag under the price cap
        var learned = new LearnedAddOnRanker(CosineModel(0)).Rank(cart, Inputs(store), Store.Now);
        Assert.Contains("lunch-bag-blue", learned.AddOns.Select(a => a.Sku));
        var categoryRule = new LearnedAddOnRanker(CosineModel(0), new RecommendationOptions { Substitutes = SubstituteEvidence.Category })
            .Rank(cart, Inputs(store), Store.Now);
        Assert.DoesNotContain("lunch-bag-blue", categoryRule.AddOns.Select(a => a.Sku));
    }

    [Fact]
    public void Same_category_items_bought_together_less_than_chance_stay_substitutes()
    {
        var store = Shop();
        // Two tents each bought very often, together only once: far below what their popularity predicts.
        store.Item("tent-a", "tents", 10).Item("tent-b", "tents", 10);
        store.Orders(40, "tent-a", "gels").Orders(40, "tent-b", "cap").Orders(2, "tent-a", "tent-b").Orders(40, "shoes");
        var list = new LearnedAddOnRanker(CosineModel(0)).Rank(store.Cart("shoes", "tent-a"), Inputs(store), Store.Now);
        Assert.DoesNotContain("tent-b", list.AddOns.Select(a => a.Sku));
        Assert.Contains("gels", list.AddOns.Select(a => a.Sku));
    }

    [Fact]
    public void A_multi_buy_category_override_allows_same_category_items_without_evidence()
    {
        var store = Shop().Orders(3, "socks", "socks-2").Orders(1, "socks", "gels");
        var options = new RecommendationOptions { MultiBuyCategories = new HashSet<string>(["socks"]), ComplementMinBaskets = 100 };
        var list = new LearnedAddOnRanker(CosineModel(0), options).Rank(store.Cart("shoes", "socks"), Inputs(store), Store.Now);
        Assert.Contains("socks-2", list.AddOns.Select(a => a.Sku));
    }

    [Fact]
    public void Fewer_when_unsure_but_a_cart_with_evidence_is_never_left_empty()
    {
        var store = Shop().Orders(6, "shoes", "gels").Orders(1, "shoes", "cap").Orders(1, "shoes", "bottle");
        var inputs = Inputs(store);
        var all = new LearnedAddOnRanker(CosineModel(0)).Rank(store.Cart("shoes"), inputs, Store.Now);
        var sure = new LearnedAddOnRanker(CosineModel(0.99)).Rank(store.Cart("shoes"), inputs, Store.Now);
        Assert.Equal(3, all.AddOns.Count);
        Assert.Single(sure.AddOns);
        Assert.Equal("gels", sure.AddOns[0].Sku);
        Assert.Contains("often bought with shoes", sure.AddOns[0].Reason);
    }

    [Fact]
    public void Without_evidence_about_the_cart_nothing_is_shown_above_an_unreachable_threshold()
    {
        var store = Shop().Orders(10, "gels").Orders(10, "cap");
        store.Item("new-thing", "gadgets", 50);
        var list = new LearnedAddOnRanker(CosineModel(0.99)).Rank(store.Cart("new-thing"), Inputs(store), Store.Now);
        Assert.Empty(list.AddOns);
    }

    [Fact]
    public void Price_band_and_margin_shape_the_final_order_among_equally_probable_add_ons()
    {
        var store = new Store().Item("desk", "desks", 100).Item("lamp", "lamps", 20, margin: 0.1).Item("pad", "pads", 20, margin: 0.6)
            .Item("pen", "pens", 2, margin: 0.6)
            .Orders(5, "desk", "lamp").Orders(5, "desk", "pad").Orders(5, "desk", "pen");
        var list = new LearnedAddOnRanker(CosineModel(0)).Rank(store.Cart("desk"), Inputs(store), Store.Now);
        // pad and lamp are in the 15-25 % band, pad has the better margin; the 2 % pen is far below the band.
        Assert.Equal(["pad", "lamp", "pen"], list.AddOns.Select(a => a.Sku));
    }

    [Fact]
    public void A_model_for_other_features_is_refused()
    {
        var names = RankingFeatures.Names.Reverse().ToArray();
        var model = new RankingModel(new TreeEnsemble([], 0, names.Length), names, -1, 0, 0, Store.Now);
        Assert.Throws<ArgumentException>(() => new LearnedAddOnRanker(model));
    }
}
