using CartCrossSell.Engine;

namespace CartCrossSell.Engine.Tests;

/// <summary>Rule 4: one click adds the add-on, with a variant inferred from the cart.</summary>
public class FrictionTests
{
    private static Store Shop(params CatalogVariant[] candidateVariants) =>
        Shop(needsFit: false, candidateVariants);

    private static Store Shop(bool needsFit, params CatalogVariant[] candidateVariants)
    {
        var store = new Store()
            .Item("shoes", "running-shoes", 100m, "Trail shoes",
                variants: [Store.Variant("shoes-42", "size", "EU 42"), Store.Variant("shoes-45", "size", "EU 45")])
            .Item("tee", "tees", 100m, "Tee", variants: [Store.Variant("tee-m", "size", "M"), Store.Variant("tee-l", "size", "L")])
            .Item("bag", "bags", 100m, "Bag", variants: [Store.Variant("bag-red", "colour", "Red"), Store.Variant("bag-blue", "colour", "Blue")])
            .Item("candidate", "accessories", 20m, "Candidate", needsFit: needsFit, variants: candidateVariants)
            .Item("plain", "accessories-2", 20m, "Plain");
        store.Orders(6, "shoes", "candidate").Orders(6, "tee", "candidate").Orders(6, "bag", "candidate")
            .Orders(2, "shoes", "plain").Orders(2, "tee", "plain").Orders(2, "bag", "plain");
        return store;
    }

    private static AddOn? Candidate(Store store, Basket cart, RecommendationOptions? options = null) =>
        store.Recommend(cart, options).AddOns.SingleOrDefault(a => a.Sku == "candidate");

    [Fact]
    public void Preselects_the_sock_size_range_that_fits_the_shoe_size_in_the_cart()
    {
        var store = Shop(Store.Variant("socks-35", "size", "35-38"), Store.Variant("socks-39", "size", "39-42"), Store.Variant("socks-43", "size", "43-46"));
        var addOn = Candidate(store, store.Cart(store.Line("shoes", "shoes-42")))!;
        Assert.Equal("socks-39", addOn.VariantId);
        Assert.Contains("EU 42", addOn.VariantReason);

        var bigger = Candidate(store, store.Cart(store.Line("shoes", "shoes-45")))!;
        Assert.Equal("socks-43", bigger.VariantId);
    }

    [Fact]
    public void Preselects_the_sock_letter_size_for_a_shoe_size()
    {
        var store = Shop(Store.Variant("socks-s", "size", "S"), Store.Variant("socks-m", "size", "M"), Store.Variant("socks-l", "size", "L"));
        Assert.Equal("socks-l", Candidate(store, store.Cart(store.Line("shoes", "shoes-45")))!.VariantId);
    }

    [Fact]
    public void Carries_an_apparel_size_across_categories()
    {
        var store = Shop(Store.Variant("shorts-s", "size", "Small"), Store.Variant("shorts-m", "size", "Medium"), Store.Variant("shorts-l", "size", "Large"));
        var addOn = Candidate(store, store.Cart(store.Line("tee", "tee-m")))!;
        Assert.Equal("shorts-m", addOn.VariantId);
        Assert.Contains("same size", addOn.VariantReason);
    }

    [Fact]
    public void Takes_the_size_from_the_cart_line_attributes()
    {
        var store = Shop(Store.Variant("shorts-m", "size", "M"), Store.Variant("shorts-l", "size", "L"));
        var line = store.Line("tee", attributes: new Dictionary<string, string> { ["Size"] = "L" });
        Assert.Equal("shorts-l", Candidate(store, store.Cart(line))!.VariantId);
    }

    [Fact]
    public void Matches_the_colour_of_a_cart_item()
    {
        var store = Shop(Store.Variant("purse-blue", "color", "blue", sold: 1), Store.Variant("purse-red", "color", "red", sold: 90));
        var addOn = Candidate(store, store.Cart(store.Line("bag", "bag-blue")))!;
        Assert.Equal("purse-blue", addOn.VariantId);
        Assert.Contains("match", addOn.VariantReason);
    }

    [Fact]
    public void The_same_catalog_item_takes_each_cart_s_own_colour()
    {
        // What an item's variants offer is kept per catalog item; which one is chosen must still follow each cart.
        var store = Shop(Store.Variant("purse-blue", "color", "blue", sold: 1), Store.Variant("purse-red", "color", "red", sold: 90));
        Assert.Equal("purse-blue", Candidate(store, store.Cart(store.Line("bag", "bag-blue")))!.VariantId);
        Assert.Equal("purse-red", Candidate(store, store.Cart(store.Line("bag", "bag-red")))!.VariantId);
        Assert.Equal("purse-blue", Candidate(store, store.Cart(store.Line("bag", "bag-blue")))!.VariantId);
        var undecided = Candidate(store, store.Cart("shoes"), new RecommendationOptions { BestSellerAttributes = new HashSet<string>() });
        Assert.Null(undecided); // no colour in the cart and no best-seller rule: excluded, whatever was chosen before
    }

    [Fact]
    public void Falls_back_to_the_only_variant_in_stock()
    {
        var store = Shop(Store.Variant("v-s", "size", "S", inStock: false), Store.Variant("v-m", "size", "M"));
        var addOn = Candidate(store, store.Cart("bag"))!;
        Assert.Equal("v-m", addOn.VariantId);
        Assert.Equal("only variant in stock", addOn.VariantReason);
    }

    [Fact]
    public void Falls_back_to_the_best_selling_colour_when_the_cart_does_not_tell()
    {
        var store = Shop(Store.Variant("mug-white", "colour", "white", sold: 10), Store.Variant("mug-black", "colour", "black", sold: 70));
        var addOn = Candidate(store, store.Cart("shoes"))!;
        Assert.Equal("mug-black", addOn.VariantId);
        Assert.Contains("best-selling colour", addOn.VariantReason);
    }

    [Fact]
    public void Excludes_an_item_whose_size_cannot_be_inferred_from_the_cart()
    {
        var store = Shop(Store.Variant("g-s", "size", "S", sold: 5), Store.Variant("g-m", "size", "M", sold: 50));
        Assert.Null(Candidate(store, store.Cart("bag")));
        Assert.Contains(store.Recommend(store.Cart("bag")).AddOns, a => a.Sku == "plain");
    }

    [Fact]
    public void Excludes_an_item_that_needs_a_fit_decision()
    {
        var store = Shop(needsFit: true);
        Assert.Null(Candidate(store, store.Cart("bag")));
    }

    [Fact]
    public void By_configuration_penalises_undecided_items_instead_of_excluding_them()
    {
        var store = Shop(Store.Variant("g-s", "size", "S"), Store.Variant("g-m", "size", "M"));
        var penalise = new RecommendationOptions { UndecidedVariants = UndecidedVariantPolicy.Penalize, RelativeScoreFloor = 0 };
        var result = store.Recommend(store.Cart("bag"), penalise);

        var candidate = Assert.Single(result.AddOns, a => a.Sku == "candidate");
        Assert.Contains("cannot be inferred", candidate.VariantReason);
        Assert.True(result.AddOns.ToList().IndexOf(candidate) > result.AddOns.ToList().FindIndex(a => a.Sku == "plain"));
    }

    [Fact]
    public void An_item_without_variants_is_added_as_it_is()
    {
        var store = Shop();
        var addOn = Candidate(store, store.Cart("bag"))!;
        Assert.Equal("candidate", addOn.VariantId);
        Assert.Equal("single product without variants", addOn.VariantReason);
    }

    [Theory]
    [InlineData("42", new[] { "35-38", "39-42", "43-46" }, "39-42")]
    [InlineData("UK 8", new[] { "39-42", "43-46" }, "39-42")]
    [InlineData("US 11", new[] { "39-42", "43-46" }, "43-46")]
    [InlineData("EU 42", new[] { "41", "42", "43" }, "42")]
    [InlineData("XL", new[] { "M", "L", "Extra Large" }, "Extra Large")]
    [InlineData("38", new[] { "S", "M", "L" }, "S")]
    public void The_size_mapping_maps_as_documented(string cartSize, string[] candidateSizes, string expected)
    {
        Assert.Equal(expected, SizeMapping.Map(cartSize, candidateSizes)?.Value);
    }

    [Fact]
    public void The_size_mapping_guesses_nothing_it_does_not_know()
    {
        Assert.Null(SizeMapping.Map("M", ["39-42", "43-46"]));
        Assert.Null(SizeMapping.Map("age 4-5", ["S", "M"]));
    }
}
