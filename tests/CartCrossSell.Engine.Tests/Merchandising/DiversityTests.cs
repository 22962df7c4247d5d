using CartCrossSell.Engine.Merchandising;
using static CartCrossSell.Engine.Tests.Merchandising.CampingShop;

namespace CartCrossSell.Engine.Tests.Merchandising;

/// <summary>At most one add-on per leaf category; near-duplicate titles count as one.</summary>
public sealed class DiversityTests
{
    [Fact]
    public void Two_items_of_one_leaf_category_do_not_share_a_list_by_default_and_the_switch_turns_that_off()
    {
        var shop = new CampingShop()
            .Item("stove-2", ["outdoor", "cooking", "stoves"], 20m, "Alcohol burner")
            .Orders(7, "tent", "stove-2");

        var varied = shop.Recommend(shop.Tent);
        var off = shop.Recommend(shop.Tent, new RecommendationOptions { Diversity = new DiversityOptions { MaxPerLeafCategory = 0 } });

        Assert.Equal(["stove", "lamp", "mat"], Skus(varied));
        Assert.Equal([Merchandiser.LeafCategoryDiversity], varied.AppliedRules);
        Assert.Equal(["stove", "stove-2", "lamp"], Skus(off));
        Assert.Empty(off.AppliedRules);
    }

    [Fact]
    public void Near_duplicates_in_different_categories_count_as_one()
    {
        var shop = new CampingShop()
            .Item("chain-skulls", ["party", "skulls"], 20m, "PAPER CHAIN KIT SKULLS")
            .Item("chain-empire", ["party", "empire"], 20m, "PAPER CHAIN KIT EMPIRE")
            .Orders(9, "tent", "chain-skulls").Orders(9, "tent", "chain-empire");

        var list = shop.Recommend(shop.Tent);

        Assert.Single(Skus(list), s => s.StartsWith("chain-", StringComparison.Ordinal));
        Assert.Contains(Merchandiser.NearDuplicateDiversity, list.AppliedRules);
        var off = shop.Recommend(shop.Tent, new RecommendationOptions { Diversity = new DiversityOptions { NearDuplicates = false } });
        Assert.Equal(2, Skus(off).Count(s => s.StartsWith("chain-", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_pinned_item_is_never_dropped_by_diversity_but_keeps_its_category_out_of_the_rest()
    {
        var shop = new CampingShop().Item("stove-2", ["outdoor", "cooking", "stoves"], 20m, "Alcohol burner");
        var pin = new MerchandisingRule { Id = "burner", Kind = RuleKind.Pin, TriggerSkus = Set("tent"), PinSku = "stove-2" };

        Assert.Equal(["stove-2", "lamp", "mat"], Skus(shop.Recommend(shop.Tent, pin)));
    }

    [Theory]
    [InlineData("WHITE HANGING HEART T-LIGHT HOLDER", "RED HANGING HEART T-LIGHT HOLDER", true)]
    [InlineData("Trail shoe, navy", "Trail shoe - grey", true)]
    [InlineData("PAPER CHAIN KIT 50'S CHRISTMAS", "PAPER CHAIN KIT VINTAGE CHRISTMAS", true)]
    [InlineData("whole milk 1l", "whole milk 2l", true)]
    [InlineData("LUNCH BAG RED", "LUNCH BOX RED", false)]
    [InlineData("whole milk", "yogurt", false)]
    [InlineData("SET OF 3 CAKE TINS", "SET OF 3 HEART COOKIE CUTTERS", false)]
    public void Titles_equal_apart_from_variant_words_or_one_differing_word_are_near_duplicates(string a, string b, bool expected)
    {
        var options = new DiversityOptions();

        Assert.Equal(expected, TitleFamily.Of(a, options).IsNearDuplicateOf(TitleFamily.Of(b, options), options));
    }

    [Fact]
    public void The_variant_word_list_is_configurable()
    {
        var options = new DiversityOptions { VariantWords = Set("retrospot", "polkadot"), NearDuplicateMaxDifferingWords = 0 };

        Assert.True(TitleFamily.Of("JUMBO BAG RETROSPOT", options).IsNearDuplicateOf(TitleFamily.Of("JUMBO BAG POLKADOT", options), options));
        Assert.False(TitleFamily.Of("JUMBO BAG RED", options).IsNearDuplicateOf(TitleFamily.Of("JUMBO BAG PINK", options), options));
    }

    [Fact]
    public void Configured_variant_words_match_whatever_their_case_or_the_set_comparer()
    {
        var options = new DiversityOptions { VariantWords = new HashSet<string>(["Retrospot"], StringComparer.Ordinal), NearDuplicateMaxDifferingWords = 0 };

        Assert.True(TitleFamily.Of("JUMBO BAG RETROSPOT", options).IsNearDuplicateOf(TitleFamily.Of("Jumbo bag", options), options));
    }

    [Fact]
    public void Invalid_diversity_options_are_refused_by_name()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new RecommendationOptions { Diversity = new DiversityOptions { MaxPerLeafCategory = -1 } }.Validate());
        Assert.Contains("MaxPerLeafCategory", e.Message);
    }
}
