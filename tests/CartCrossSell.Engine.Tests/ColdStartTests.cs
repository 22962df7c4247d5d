using CartCrossSell.Engine;

namespace CartCrossSell.Engine.Tests;

/// <summary>Rule 7: thin item evidence falls back to complementary categories learned from the same orders.</summary>
public class ColdStartTests
{
    private static Store Shop()
    {
        var store = new Store()
            .Item("shoe-a", "running-shoes", 90m).Item("new-shoe", "running-shoes", 95m, "New shoe")
            .Item("bottle-a", "bottles", 12m).Item("new-bottle", "bottles", 14m, "New bottle")
            .Item("socks-popular", "socks", 20m).Item("socks-rare", "socks", 20m);
        store.Orders(6, "shoe-a", "bottle-a").Orders(4, "shoe-a", "socks-popular").Orders(1, "shoe-a", "socks-rare")
            .Orders(3, "socks-popular").Orders(2, "socks-rare");
        return store;
    }

    [Fact]
    public void A_new_item_gets_popular_items_of_a_complementary_category()
    {
        var store = Shop();
        var result = store.Recommend(store.Cart("new-shoe"));

        Assert.Equal(AddOnRanker.CategoryFallback, result.Strategy);
        Assert.Equal("bottle-a", result.AddOns[0].Sku);
        Assert.Contains("popular in bottles, a category often bought with running-shoes", result.AddOns[0].Reason);
        Assert.Empty(store.Recommend(store.Cart("new-shoe"), new RecommendationOptions { CategoryFallback = false }).AddOns);
    }

    [Fact]
    public void The_fallback_never_offers_a_substitute()
    {
        var store = Shop();
        var result = store.Recommend(store.Cart("new-shoe", "new-bottle"));

        Assert.Equal(AddOnRanker.CategoryFallback, result.Strategy);
        Assert.Equal("socks-popular", result.AddOns[0].Sku);
        Assert.DoesNotContain(result.AddOns, a => a.Sku is "shoe-a" or "bottle-a");
    }

    [Fact]
    public void Item_evidence_comes_first_when_there_is_enough_of_it()
    {
        var store = Shop();
        var result = store.Recommend(store.Cart("shoe-a"));
        Assert.Equal(AddOnRanker.BasketAware, result.Strategy);
        Assert.Equal("bottle-a", result.AddOns[0].Sku);
    }
}
