using CartCrossSell.Engine;

namespace CartCrossSell.Engine.Tests;

/// <summary>Rules 5 and 6: price positioning, margin, few options and no noise.</summary>
public class PriceAndChoiceTests
{
    [Fact]
    public void Never_recommends_an_item_priced_at_or_above_half_the_cart_value()
    {
        var store = new Store().Item("jacket", "jackets", 100m).Item("gilet", "gilets", 50m).Item("beanie", "hats", 20m);
        store.Orders(9, "jacket", "gilet").Orders(3, "jacket", "beanie");

        Assert.Equal(["beanie"], store.Skus(store.Cart("jacket")));
        Assert.Contains("gilet", store.Skus(store.Cart("jacket"), new RecommendationOptions { MaxPriceShare = 0.51 }));
    }

    [Fact]
    public void Prefers_an_add_on_priced_inside_the_band_of_15_to_25_percent_of_the_cart()
    {
        // Equally relevant; "a-pricey" would win the tie on its name.
        var store = new Store().Item("jacket", "jackets", 100m).Item("a-pricey", "bags", 45m).Item("b-in-band", "hats", 20m);
        store.Orders(4, "jacket", "a-pricey").Orders(4, "jacket", "b-in-band");

        var result = store.Recommend(store.Cart("jacket"), new RecommendationOptions { RelativeScoreFloor = 0 });

        Assert.Equal(["b-in-band", "a-pricey"], result.AddOns.Select(a => a.Sku));
        Assert.True(result.AddOns[1].Score < result.AddOns[0].Score * 0.3);
    }

    [Fact]
    public void The_price_preference_decays_outside_the_band()
    {
        var o = new RecommendationOptions();
        Assert.Equal(1.0, AddOnRanker.PriceBandPreference(0.20, o));
        Assert.Equal(1.0, AddOnRanker.PriceBandPreference(0.15, o));
        Assert.Equal(0.5, AddOnRanker.PriceBandPreference(0.35, o), 9);
        Assert.Equal(0.5, AddOnRanker.PriceBandPreference(0.05, o), 9);
        Assert.True(AddOnRanker.PriceBandPreference(0.45, o) < AddOnRanker.PriceBandPreference(0.30, o));
    }

    [Fact]
    public void Weighs_margin_between_equally_relevant_add_ons()
    {
        var store = new Store().Item("jacket", "jackets", 100m)
            .Item("a-thin-margin", "hats", 20m, margin: 0.1).Item("b-rich-margin", "gloves", 20m, margin: 0.6);
        store.Orders(4, "jacket", "a-thin-margin").Orders(4, "jacket", "b-rich-margin");

        Assert.Equal(["b-rich-margin", "a-thin-margin"], store.Skus(store.Cart("jacket")));
        Assert.Equal(["a-thin-margin", "b-rich-margin"], store.Skus(store.Cart("jacket"), new RecommendationOptions { MarginWeight = 0 }));
    }

    [Fact]
    public void Shows_the_full_catalog_price_and_never_a_discount()
    {
        var store = new Store().Item("jacket", "jackets", 100m).Item("beanie", "hats", 19.99m);
        store.Orders(3, "jacket", "beanie");
        var cart = store.Cart(new BasketLine { Sku = "jacket", UnitPrice = 80m });

        Assert.Equal(19.99m, Assert.Single(store.Recommend(cart).AddOns).Price);
    }

    [Fact]
    public void Returns_at_most_three_add_ons_by_default_and_the_configured_number_otherwise()
    {
        var store = new Store().Item("tent", "tents", 200m);
        for (var i = 0; i < 6; i++)
        {
            store.Item($"extra{i}", $"cat{i}", 30m);
            store.Orders(5, "tent", $"extra{i}");
        }
        Assert.Equal(3, store.Skus(store.Cart("tent")).Count);
        Assert.Single(store.Skus(store.Cart("tent"), new RecommendationOptions { MaxAddOns = 1 }));
        Assert.Equal(5, store.Skus(store.Cart("tent"), new RecommendationOptions { MaxAddOns = 5 }).Count);
    }

    [Fact]
    public void Drops_an_add_on_scoring_far_below_the_best_one()
    {
        var store = new Store().Item("tent", "tents", 100m).Item("pegs", "pegs", 20m).Item("torch", "torches", 20m).Item("filler", "misc", 1m);
        store.Orders(10, "tent", "pegs").Orders(2, "tent", "torch").Orders(40, "torch", "filler");

        Assert.Equal(["pegs"], store.Skus(store.Cart("tent")));
        Assert.Equal(["pegs", "torch"], store.Skus(store.Cart("tent"), new RecommendationOptions { RelativeScoreFloor = 0 }));
    }

    [Fact]
    public void Returns_none_rather_than_noise()
    {
        var store = new Store().Item("tent", "tents", 100m).Item("kettle", "kettles", 20m);
        store.Learner.AddOrder(["tent", "kettle"], Store.Now.AddDays(-20), sku => sku == "tent" ? "tents" : "kettles");

        var result = store.Recommend(store.Cart("tent"));

        Assert.Empty(result.AddOns);
        Assert.Equal(["kettle"], store.Skus(store.Cart("tent"), new RecommendationOptions { MinSupport = 0 }));
    }

    [Fact]
    public void Never_recommends_an_item_out_of_stock()
    {
        var store = new Store().Item("tent", "tents", 100m).Item("pegs", "pegs", 20m, inStock: false).Item("mallet", "mallets", 20m);
        store.Orders(5, "tent", "pegs").Orders(5, "tent", "mallet");
        Assert.Equal(["mallet"], store.Skus(store.Cart("tent")));
    }

    [Fact]
    public void Options_out_of_range_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AddOnRanker(new RecommendationOptions { MaxAddOns = 0 }));
        Assert.Throws<ArgumentException>(() => new AddOnRanker(new RecommendationOptions { PriceBandLow = 0.3, PriceBandHigh = 0.2 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AddOnRanker(new RecommendationOptions { RecencyDecay = 1.5 }));
    }
}
