using CartCrossSell.Engine.Merchandising;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.Engine.Tests.Ranking;
using static CartCrossSell.Engine.Tests.Merchandising.CampingShop;

namespace CartCrossSell.Engine.Tests.Merchandising;

/// <summary>The learned ranker hands its qualified candidates to the same merchandising stage as the heuristic.</summary>
public sealed class LearnedRankerMerchandisingTests
{
    private static Store Shop() => new Store()
        .Item("shoes", "running-shoes", 100).Item("socks", "socks", 15)
        .Item("gels", "nutrition", 20).Item("cap", "headwear", 18).Item("bottle", "bottles", 16).Item("band", "headwear", 17)
        .Orders(6, "shoes", "gels").Orders(5, "shoes", "cap").Orders(4, "shoes", "bottle").Orders(4, "shoes", "band");

    private static AddOnList Rank(Store store, params MerchandisingRule[] rules) => Rank(store, new RecommendationOptions(), rules);

    private static AddOnList Rank(Store store, RecommendationOptions options, params MerchandisingRule[] rules) =>
        new LearnedAddOnRanker(LearnedAddOnRankerTests.CosineModel(0), options)
            .Rank(store.Cart("shoes", "socks"), LearnedAddOnRankerTests.Inputs(store), Store.Now, new MerchandisingRuleSet(rules));

    [Fact]
    public void Block_pin_and_diversity_act_on_the_learned_list_too()
    {
        var store = Shop();
        var varied = Rank(store, new RecommendationOptions { Diversity = new DiversityOptions { MaxPerLeafCategory = 0 } });
        Assert.Equal(["cap", "gels", "band"], varied.AddOns.Select(a => a.Sku));   // equal model scores: by sku
        var plain = Rank(store);
        Assert.Equal(["cap", "gels", "bottle"], plain.AddOns.Select(a => a.Sku));   // the band is a second headwear item
        Assert.Equal([Merchandiser.LeafCategoryDiversity], plain.AppliedRules);

        var ruled = Rank(store,
            new MerchandisingRule { Id = "no-gels", Kind = RuleKind.Block, Skus = Set("gels") },
            new MerchandisingRule { Id = "band-for-runners", Kind = RuleKind.Pin, TriggerSkus = Set("socks"), PinSku = "band" });

        Assert.Equal(["band", "bottle"], ruled.AddOns.Select(a => a.Sku));   // the pinned band keeps the cap (same leaf) out
        Assert.Equal("picked to go with socks", ruled.AddOns[0].Reason);
        Assert.Equal(["band-for-runners", "no-gels", Merchandiser.LeafCategoryDiversity], ruled.AppliedRules);
    }
}
