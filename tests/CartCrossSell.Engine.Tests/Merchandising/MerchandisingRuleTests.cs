using System.Text.RegularExpressions;
using CartCrossSell.Engine.Merchandising;
using static CartCrossSell.Engine.Tests.Merchandising.CampingShop;

namespace CartCrossSell.Engine.Tests.Merchandising;

/// <summary>One test per rule kind and per interaction with the cart rules (docs/merchandising.md).</summary>
public sealed class MerchandisingRuleTests
{
    private readonly CampingShop _shop = new();

    [Fact]
    public void Without_rules_the_ranker_alone_decides_and_no_rule_is_reported()
    {
        var list = _shop.Recommend(_shop.Tent);

        Assert.Equal(["stove", "lamp", "mat"], Skus(list));
        Assert.Empty(list.AppliedRules);
    }

    [Fact]
    public void A_blocked_sku_is_never_shown_and_the_next_candidate_takes_its_place()
    {
        var list = _shop.Recommend(_shop.Tent, new MerchandisingRule { Id = "no-stove", Kind = RuleKind.Block, Skus = Set("stove") });

        Assert.Equal(["lamp", "mat", "chair"], Skus(list));
        Assert.Equal(["no-stove"], list.AppliedRules);
    }

    [Fact]
    public void A_blocked_category_at_any_level_of_the_path_removes_its_items()
    {
        // "cooking" is the middle level of the stove's path outdoor > cooking > stoves.
        var list = _shop.Recommend(_shop.Tent, new MerchandisingRule { Id = "no-cooking", Kind = RuleKind.Block, Categories = Set("cooking") });

        Assert.DoesNotContain("stove", Skus(list));
        Assert.Equal(["lamp", "mat", "chair"], Skus(list));
    }

    [Fact]
    public void A_title_pattern_blocks_every_matching_title_whatever_its_case()
    {
        var rule = new MerchandisingRule { Id = "no-lamps", Kind = RuleKind.Block, TitlePattern = new Regex("camping LAMP", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking) };

        var list = _shop.Recommend(_shop.Tent, rule);

        Assert.Equal(["stove", "mat", "chair"], Skus(list));
        Assert.Equal(["no-lamps"], list.AppliedRules);
    }

    [Fact]
    public void A_pin_triggered_by_a_cart_sku_puts_its_item_first_even_without_evidence()
    {
        var pin = new MerchandisingRule { Id = "knife-with-tents", Kind = RuleKind.Pin, TriggerSkus = Set("tent"), PinSku = "knife" };

        var list = _shop.Recommend(_shop.Tent, pin);

        Assert.Equal(["knife", "stove", "lamp"], Skus(list));
        Assert.Equal("picked to go with dome tent", list.AddOns[0].Reason);
        Assert.Equal(["knife-with-tents"], list.AppliedRules);
    }

    [Fact]
    public void A_pin_triggered_by_a_cart_category_at_any_level_fires_and_one_with_another_trigger_does_not()
    {
        var fires = new MerchandisingRule { Id = "a", Kind = RuleKind.Pin, TriggerCategories = Set("shelter"), PinSku = "knife", Reason = "every camper needs one" };
        var silent = new MerchandisingRule { Id = "b", Kind = RuleKind.Pin, TriggerCategories = Set("kitchen"), PinSku = "chair" };

        var list = _shop.Recommend(_shop.Tent, fires, silent);

        Assert.Equal(["knife", "stove", "lamp"], Skus(list));
        Assert.Equal("every camper needs one", list.AddOns[0].Reason);
    }

    [Fact]
    public void A_pin_already_in_the_cart_is_not_shown_again_and_changes_nothing()
    {
        var pin = new MerchandisingRule { Id = "pin-knife", Kind = RuleKind.Pin, TriggerSkus = Set("tent"), PinSku = "knife" };
        var cart = _shop.Cart("GBP", "GB", "knife", "tent");
        var without = _shop.Recommend(cart);

        var list = _shop.Recommend(cart, pin);

        Assert.DoesNotContain("knife", Skus(list));
        Assert.Equal(Skus(without), Skus(list));
        Assert.Empty(list.AppliedRules);
    }

    [Fact]
    public void A_pin_that_is_a_substitute_of_a_cart_item_fails_the_cart_rules_and_is_not_shown()
    {
        var pin = new MerchandisingRule { Id = "pin-tent", Kind = RuleKind.Pin, TriggerSkus = Set("tent"), PinSku = "tent-2" };

        var list = _shop.Recommend(_shop.Tent, pin);

        Assert.Equal(["stove", "lamp", "mat"], Skus(list));
        Assert.Empty(list.AppliedRules);
    }

    [Fact]
    public void A_pin_that_is_blocked_is_not_shown_block_wins()
    {
        var pin = new MerchandisingRule { Id = "pin-knife", Kind = RuleKind.Pin, TriggerSkus = Set("tent"), PinSku = "knife" };
        var block = new MerchandisingRule { Id = "no-blades", Kind = RuleKind.Block, Categories = Set("blades") };

        Assert.Equal(["stove", "lamp", "mat"], Skus(_shop.Recommend(_shop.Tent, pin, block)));
    }

    [Fact]
    public void A_boost_lifts_an_item_above_more_relevant_ones()
    {
        var list = _shop.Recommend(_shop.Tent, new MerchandisingRule { Id = "chairs-up", Kind = RuleKind.Boost, Categories = Set("furniture"), Factor = 3 });

        Assert.Equal("chair", Skus(list)[0]);
        Assert.Equal(["chairs-up"], list.AppliedRules);
    }

    [Fact]
    public void A_bury_moves_an_item_down_the_list()
    {
        var list = _shop.Recommend(_shop.Tent, new MerchandisingRule { Id = "stove-down", Kind = RuleKind.Bury, Skus = Set("stove"), Factor = 0.5 });

        Assert.Equal(["lamp", "mat", "stove"], Skus(list));
        Assert.Equal(["stove-down"], list.AppliedRules);
    }

    [Fact]
    public void A_boost_that_would_push_a_blocked_item_does_not_bring_it_back()
    {
        var boost = new MerchandisingRule { Id = "stove-up", Kind = RuleKind.Boost, Skus = Set("stove"), Factor = 10 };
        var block = new MerchandisingRule { Id = "no-stove", Kind = RuleKind.Block, Skus = Set("stove") };

        var list = _shop.Recommend(_shop.Tent, boost, block);

        Assert.DoesNotContain("stove", Skus(list));
        Assert.Equal(["no-stove"], list.AppliedRules);
    }

    [Fact]
    public void A_boost_cannot_lift_an_item_over_the_price_cap()
    {
        // The grill costs 60 in a cart of 100: at or above half the cart value it is never an add-on.
        var list = _shop.Recommend(_shop.Tent, new MerchandisingRule { Id = "grills-up", Kind = RuleKind.Boost, Skus = Set("pricey"), Factor = 10 });

        Assert.DoesNotContain("pricey", Skus(list));
        Assert.Empty(list.AppliedRules);
    }

    [Fact]
    public void An_expired_rule_and_a_rule_not_yet_valid_do_nothing_and_a_current_one_acts()
    {
        MerchandisingRule Block(DateTimeOffset? from, DateTimeOffset? to) =>
            new() { Id = "window", Kind = RuleKind.Block, Skus = Set("stove"), ValidFrom = from, ValidTo = to };

        Assert.Contains("stove", Skus(_shop.Recommend(_shop.Tent, Block(null, Now.AddDays(-1)))));
        Assert.Contains("stove", Skus(_shop.Recommend(_shop.Tent, Block(Now.AddDays(1), null))));
        Assert.Contains("stove", Skus(_shop.Recommend(_shop.Tent, Block(Now.AddDays(-2), Now)))); // validTo is exclusive
        Assert.DoesNotContain("stove", Skus(_shop.Recommend(_shop.Tent, Block(Now, Now.AddDays(1)))));
    }

    [Fact]
    public void A_markets_rule_offers_an_item_only_to_carts_of_its_currencies_or_countries()
    {
        var rule = new MerchandisingRule { Id = "stove-eu", Kind = RuleKind.Markets, Skus = Set("stove"), Markets = Set("EUR", "CH") };

        Assert.DoesNotContain("stove", Skus(_shop.Recommend(_shop.Cart("GBP", "GB", "tent"), rule)));
        Assert.Contains("stove", Skus(_shop.Recommend(_shop.Cart("EUR", "DE", "tent"), rule)));
        Assert.Contains("stove", Skus(_shop.Recommend(_shop.Cart("CHF", "CH", "tent"), rule)));
        Assert.DoesNotContain("stove", Skus(_shop.Recommend(_shop.Cart("CHF", null, "tent"), rule)));
        Assert.Equal(["stove-eu"], _shop.Recommend(_shop.Cart("GBP", "GB", "tent"), rule).AppliedRules);
    }

    [Fact]
    public void An_add_on_priced_in_another_currency_than_the_cart_is_never_shown_even_when_pinned()
    {
        _shop.Item("stove", ["outdoor", "cooking", "stoves"], 20m, "Gas stove", currency: "EUR");
        var pin = new MerchandisingRule { Id = "pin-stove", Kind = RuleKind.Pin, TriggerSkus = Set("tent"), PinSku = "stove" };

        Assert.DoesNotContain("stove", Skus(_shop.Recommend(_shop.Cart("GBP", null, "tent"), pin)));
        Assert.Equal("stove", Skus(_shop.Recommend(_shop.Cart("EUR", null, "tent"), pin))[0]);
    }

    [Fact]
    public void A_price_limit_in_the_cart_currency_removes_dearer_add_ons_and_other_currencies_are_untouched()
    {
        _shop.Item("lamp", ["outdoor", "lighting", "lamps"], 30m, "Camping lamp");
        var rule = new MerchandisingRule { Id = "cheap", Kind = RuleKind.Limits, MaxPrice = new Dictionary<string, decimal> { ["GBP"] = 25m } };

        Assert.Equal(["stove", "mat", "chair"], Skus(_shop.Recommend(_shop.Cart("GBP", null, "tent"), rule)));
        Assert.Contains("lamp", Skus(_shop.Recommend(_shop.Cart("EUR", null, "tent"), rule)));
    }

    [Fact]
    public void Pins_count_towards_the_three_add_ons()
    {
        var pins = new[] { "knife", "chair", "mat", "lamp" }.Select((sku, i) =>
            new MerchandisingRule { Id = $"pin-{i}", Kind = RuleKind.Pin, TriggerSkus = Set("tent"), PinSku = sku }).ToArray();

        var list = _shop.Recommend(_shop.Tent, pins);

        Assert.Equal(["knife", "chair", "mat"], Skus(list));
    }

    [Fact]
    public void An_inapplicable_rule_is_refused_when_the_set_is_built()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MerchandisingRuleSet([new MerchandisingRule { Id = "x", Kind = RuleKind.Boost, Factor = 0.5 }]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MerchandisingRuleSet([new MerchandisingRule { Id = "x", Kind = RuleKind.Bury, Factor = 2 }]));
        Assert.Throws<ArgumentException>(() => new MerchandisingRuleSet([new MerchandisingRule { Id = "x", Kind = RuleKind.Pin }]));
        Assert.Throws<ArgumentException>(() => new MerchandisingRuleSet(
            [new MerchandisingRule { Id = "x", Kind = RuleKind.Block }, new MerchandisingRule { Id = "x", Kind = RuleKind.Block }]));
    }
}
