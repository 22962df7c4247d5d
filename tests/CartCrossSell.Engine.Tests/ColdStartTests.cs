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
    public void A_multi_buy_cart_category_stays_complementary()
    {
        // Without the override the bottles are the cart's own category (substitutes); as a multi-buy category they are
        // offered like any other complementary category, from the compact store and from the learner alike.
        var store = Shop();
        var multiBuy = new RecommendationOptions { MultiBuyCategories = new HashSet<string>(StringComparer.Ordinal) { "bottles" } };
        foreach (var compact in new[] { false, true })
        {
            var result = store.Recommend(store.Cart("new-shoe", "new-bottle"), multiBuy, compact);
            Assert.Equal(AddOnRanker.CategoryFallback, result.Strategy);
            Assert.Equal(["bottle-a", "socks-popular"], result.AddOns.Take(2).Select(a => a.Sku));
        }
    }

    [Theory]
    [InlineData("running-shoes", true)]
    [InlineData("bottles", false)]
    [InlineData("socks", false)]
    [InlineData("", false)]
    public void A_category_is_the_carts_own_by_name_or_by_a_slice_of_a_row_key(string leaf, bool expected)
    {
        var store = Shop();
        var rules = new CartRules(store.Cart("new-shoe", "new-bottle"), store.Catalog,
            new RecommendationOptions { MultiBuyCategories = new HashSet<string>(StringComparer.Ordinal) { "bottles" } });
        Assert.Equal(expected, rules.IsInCartCategory(leaf));
        Assert.Equal(expected, rules.IsInCartCategory(RowKeys.Category(leaf).AsSpan(RowKeys.CategoryPrefix.Length)));
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
