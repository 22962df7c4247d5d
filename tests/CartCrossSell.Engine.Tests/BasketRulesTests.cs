using CartCrossSell.Engine;

namespace CartCrossSell.Engine.Tests;

/// <summary>Rules 2, 3 and 8 and the seed's example.</summary>
public class BasketRulesTests
{
    private static Store RunningShop()
    {
        var store = new Store()
            .Item("shoes-trail", "running-shoes", 90m, "Trail running shoes",
                variants: [Store.Variant("shoes-trail-42", "size", "42"), Store.Variant("shoes-trail-44", "size", "44")])
            .Item("shoes-road", "running-shoes", 45m, "Road running shoes")
            .Item("socks", "socks", 10m, "Running socks")
            .Item("bottle", "bottles", 12m, "Water bottle")
            .Item("bottle-insulated", "bottles", 15m, "Insulated bottle")
            .Item("gels", "nutrition", 18m, "Energy gels")
            .Item("cage", "bike-accessories", 18m, "Bottle cage")
            .Item("armband", "phone-accessories", 18m, "Phone armband");
        store.Orders(6, "shoes-trail", "shoes-road")
            .Orders(6, "bottle", "bottle-insulated")
            .Orders(4, "shoes-trail", "socks", "bottle", "gels")
            .Orders(5, "bottle", "cage")
            .Orders(3, "shoes-trail", "armband");
        return store;
    }

    [Fact]
    public void A_cart_with_running_shoes_socks_and_a_bottle_gets_no_shoes_no_bottle_and_an_item_for_the_combination()
    {
        var store = RunningShop();
        var cart = store.Cart(store.Line("shoes-trail", "shoes-trail-42"), store.Line("socks"), store.Line("bottle"));

        var result = store.Recommend(cart);

        Assert.Equal(AddOnRanker.BasketAware, result.Strategy);
        Assert.NotEmpty(result.AddOns);
        Assert.Equal("gels", result.AddOns[0].Sku);
        Assert.DoesNotContain(result.AddOns, a => a.Sku is "shoes-road" or "bottle-insulated" or "shoes-trail" or "socks" or "bottle");
        Assert.Contains("running socks", result.AddOns[0].Reason);
        Assert.Contains("water bottle", result.AddOns[0].Reason);

        // The product-page widget on the last item would have shown another bottle first.
        var baseline = new AddOnRanker(null, store.Learner.Clock).RankLastItem(cart, store.Catalog, store.Learner, Store.Now);
        Assert.Equal("bottle-insulated", baseline.AddOns[0].Sku);
    }

    [Fact]
    public void A_candidate_that_complements_several_cart_items_beats_one_that_matches_a_single_item_equally_well()
    {
        // "zz-both" goes with the mug and the tea; "aa-one" goes only with the tea, with the same similarity (0.5).
        var store = new Store()
            .Item("mug", "mugs", 0m).Item("tea", "tea", 0m)
            .Item("zz-both", "biscuits", 0m).Item("aa-one", "honey", 0m).Item("filler", "misc", 0m);
        store.Orders(3, "mug", "zz-both").Orders(3, "tea", "zz-both").Orders(3, "tea", "aa-one").Orders(3, "aa-one", "filler");

        var skus = store.Skus(store.Cart("mug", "tea"));

        Assert.Equal(["zz-both", "aa-one"], skus.Take(2));
    }

    [Fact]
    public void The_item_added_last_weighs_most()
    {
        // "aa-early" goes with the first item, "zz-late" as well with the last one: recency breaks the tie.
        var store = new Store()
            .Item("tent", "tents", 0m).Item("mug", "mugs", 0m).Item("aa-early", "pegs", 0m).Item("zz-late", "spoons", 0m);
        store.Orders(4, "tent", "aa-early").Orders(4, "mug", "zz-late");

        Assert.Equal(["zz-late", "aa-early"], store.Skus(store.Cart("tent", "mug")));
        Assert.Equal(["aa-early", "zz-late"], store.Skus(store.Cart("tent", "mug"), new RecommendationOptions { RecencyDecay = 1 }));
    }

    [Fact]
    public void Every_cart_item_counts_not_only_the_last_one_added()
    {
        var store = new Store()
            .Item("tent", "tents", 0m).Item("mug", "mugs", 0m).Item("pegs", "pegs", 0m).Item("spoon", "cutlery", 0m);
        store.Orders(5, "tent", "pegs").Orders(1, "mug", "spoon").Orders(4, "spoon", "tea-towel");

        var skus = store.Skus(store.Cart("tent", "mug"));

        Assert.Contains("pegs", skus);
    }

    [Fact]
    public void Never_recommends_an_item_already_in_the_cart_whatever_the_variant()
    {
        var store = new Store()
            .Item("tee", "tees", 5m, variants: [Store.Variant("tee-red", "colour", "red"), Store.Variant("tee-blue", "colour", "blue")])
            .Item("shorts", "shorts", 20m)
            .Item("cap", "caps", 8m);
        store.Orders(10, "tee", "shorts").Orders(2, "shorts", "cap");

        var result = store.Recommend(store.Cart(store.Line("shorts"), store.Line("tee", "tee-blue")));

        Assert.DoesNotContain(result.AddOns, a => a.Sku is "tee" or "shorts");
        Assert.Contains(result.AddOns, a => a.Sku == "cap");
    }

    [Fact]
    public void Never_recommends_a_substitute_from_the_leaf_category_of_a_cart_item()
    {
        var store = new Store()
            .Item("shoes-a", "running-shoes", 100m).Item("shoes-b", "running-shoes", 40m).Item("socks", "socks", 10m);
        store.Orders(6, "shoes-a", "shoes-b").Orders(2, "shoes-a", "socks");

        var skus = store.Skus(store.Cart("shoes-a"));
        Assert.Equal(["socks"], skus);

        var withoutRule = store.Skus(store.Cart("shoes-a"), new RecommendationOptions { ExcludeSubstitutes = false });
        Assert.Contains("shoes-b", withoutRule);
    }

    [Fact]
    public void Recommends_a_second_item_of_a_multi_buy_category()
    {
        var store = new Store().Item("gel-orange", "energy-gels", 20m).Item("gel-lemon", "energy-gels", 2m);
        store.Orders(5, "gel-orange", "gel-lemon");

        Assert.Empty(store.Skus(store.Cart("gel-orange")));
        var multiBuy = new RecommendationOptions { MultiBuyCategories = new HashSet<string> { "energy-gels" } };
        Assert.Equal(["gel-lemon"], store.Skus(store.Cart("gel-orange"), multiBuy));
    }

    [Fact]
    public void Each_recommendation_says_which_cart_items_it_goes_with()
    {
        var store = RunningShop();
        var result = store.Recommend(store.Cart("shoes-trail", "socks", "bottle"));

        Assert.All(result.AddOns, a => Assert.StartsWith("often bought with ", a.Reason));
        Assert.All(result.AddOns, a => Assert.False(string.IsNullOrWhiteSpace(a.VariantReason)));
        var cage = Assert.Single(result.AddOns, a => a.Sku == "cage");
        Assert.Equal("often bought with water bottle", cage.Reason);
    }

    [Fact]
    public void The_compact_serving_store_recommends_exactly_what_the_learner_does()
    {
        var store = RunningShop();
        foreach (var cart in new[] { store.Cart("shoes-trail", "socks", "bottle"), store.Cart("bottle"), store.Cart("shoes-trail") })
            Assert.Equal(
                store.Recommend(cart).AddOns.Select(a => (a.Sku, Math.Round(a.Score, 6))),
                store.Recommend(cart, compact: true).AddOns.Select(a => (a.Sku, Math.Round(a.Score, 6))));
    }

    [Fact]
    public void An_empty_cart_gets_nothing()
    {
        Assert.Empty(RunningShop().Recommend(new Basket([])).AddOns);
    }
}
