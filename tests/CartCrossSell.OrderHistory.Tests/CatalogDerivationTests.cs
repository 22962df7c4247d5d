using System.Text;
using CartCrossSell.Contracts;

namespace CartCrossSell.OrderHistory.Tests;

public sealed class CatalogDerivationTests
{
    private static readonly DateTimeOffset Dec1 = new(2010, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static HistoricalOrder Order(string id, int day, params HistoricalLine[] lines) => new(id, Dec1.AddDays(day), null, lines);

    private static HistoricalLine Line(string code, string title, int quantity, decimal price)
    {
        Assert.True(OnlineRetailStockCodes.TrySplit(code, out var sku, out var variant));
        return new HistoricalLine(sku, variant, title, quantity, price);
    }

    [Fact]
    public void A_colour_range_becomes_one_product_with_a_variant_per_colour()
    {
        var orders = new[]
        {
            Order("1", 0, Line("85099B", "JUMBO BAG RED RETROSPOT", 10, 1.95m), Line("85099C", "JUMBO BAG BAROQUE BLACK WHITE", 5, 1.95m)),
            Order("2", 3, Line("85099B", "JUMBO BAG RED RETROSPOT", 100, 1.65m), Line("85099F", "JUMBO BAG STRAWBERRY", 2, 2.08m)),
        };

        var product = Assert.Single(OnlineRetailCatalog.Derive(orders));

        Assert.Equal("85099", product.Sku);
        Assert.Equal("JUMBO BAG", product.Title);
        Assert.Equal(["bags", "jumbo bag"], product.CategoryPath);
        // Median of 1.95, 1.95, 1.65, 2.08.
        Assert.Equal(1.95m, product.Price);
        Assert.Equal(["85099B", "85099C", "85099F"], product.Variants.Select(v => v.VariantId));
        Assert.Equal([110L, 5L, 2L], product.Variants.Select(v => v.UnitsSold));
        Assert.Equal("red", product.Variants[0].Attributes["colour"]);
        Assert.Equal("black", product.Variants[1].Attributes["colour"]);
        Assert.Equal("F", product.Variants[2].Attributes["design"]);
        Assert.False(product.Variants[2].Attributes.ContainsKey("colour"));
        Assert.True(product.InStock);
        Assert.False(product.NeedsFitDecision);
        Assert.Equal(Dec1.AddDays(3), product.Timestamp);
        Assert.Empty(ContractValidation.Validate(product));
    }

    [Fact]
    public void Variants_that_share_a_colour_are_told_apart_by_their_design_letter()
    {
        var orders = new[] { Order("1", 0, Line("72799E", "IVORY PILLAR CANDLE FLOCK", 1, 2.95m), Line("72799F", "IVORY PILLAR CANDLE SILVER FLOCK", 1, 2.95m)) };

        var variants = Assert.Single(OnlineRetailCatalog.Derive(orders)).Variants;

        Assert.Equal(("ivory", "E"), (variants[0].Attributes["colour"], variants[0].Attributes["design"]));
        Assert.Equal(("ivory", "F"), (variants[1].Attributes["colour"], variants[1].Attributes["design"]));
    }

    [Fact]
    public void Variants_without_shared_words_take_the_first_description_without_its_colours()
    {
        var orders = new[] { Order("1", 0, Line("84029G", "KNITTED UNION FLAG HOT WATER BOTTLE", 6, 3.39m), Line("84029E", "RED WOOLLY HOTTIE WHITE HEART.", 6, 3.75m)) };

        var product = Assert.Single(OnlineRetailCatalog.Derive(orders));

        // 84029E sorts first; its description shares under two words with 84029G's.
        Assert.Equal("WOOLLY HOTTIE HEART", product.Title);
        // The title names no product type, so the leaf comes from a variant's description.
        Assert.Equal(["home decor", "hot water bottle"], product.CategoryPath);
        Assert.Equal(3.57m, product.Price);
    }

    [Fact]
    public void A_single_variant_product_is_titled_by_its_most_frequent_description()
    {
        var orders = new[]
        {
            Order("1", 0, Line("22752", "SET 7 BABUSHKA NESTING BOXES", 2, 7.65m)),
            Order("2", 0, Line("22752", "SET 7 BABUSHKA NESTING BOXES", 2, 8.50m)),
            Order("3", 0, Line("22752", "BABUSHKA NESTING BOXES", 2, 7.65m)),
        };

        var product = Assert.Single(OnlineRetailCatalog.Derive(orders));

        Assert.Equal("SET 7 BABUSHKA NESTING BOXES", product.Title);
        Assert.Equal(7.65m, product.Price);
        Assert.Equal(["gifts", "boxes"], product.CategoryPath);
        var variant = Assert.Single(product.Variants);
        Assert.Equal("22752", variant.VariantId);
        Assert.Empty(variant.Attributes);
        Assert.Equal(6L, variant.UnitsSold);
    }

    [Theory]
    [InlineData("WHITE HANGING HEART T-LIGHT HOLDER", "t-light holder", "home decor")]
    [InlineData("KNITTED UNION FLAG HOT WATER BOTTLE", "hot water bottle", "home decor")]
    [InlineData("PINK DRAWER KNOB ACRYLIC EDWARDIAN", "drawer knob", "home decor")]
    [InlineData("LUNCH BAG RED RETROSPOT", "lunch bag", "bags")]
    [InlineData("PACK OF 72 RETROSPOT CAKE CASES", "cake cases", "kitchen")]
    [InlineData("SAVE THE PLANET MUG", "mug", "kitchen")]
    [InlineData("RED RETROSPOT CHRISTMAS CARD", "christmas card", "christmas")]
    [InlineData("ROSE BIRTHDAY CARD", "card", "stationery")]
    [InlineData("WOODEN FRAME CARD HOLDER", "card holder", "home decor")]
    [InlineData("AIRLINE LOUNGE,METAL SIGN", "sign", "home decor")]
    [InlineData("RECYCLING BAG RETROSPOT", "bag", "bags")]
    [InlineData("EDWARDIAN PARASOL PINK", "umbrella", "gifts")]
    [InlineData("SET OF 3 GOLD FLYING DUCKS", "ducks", "gifts")]
    [InlineData("HAND OPEN SHAPE GOLD", "shape", "gifts")]
    [InlineData("ASSORTED COLOUR BIRD ORNAMENT", "ornament", "gifts")]
    [InlineData("?", "other", "gifts")]
    public void The_leaf_is_the_longest_product_type_in_the_description_else_its_last_meaningful_word(string description, string leaf, string group)
    {
        Assert.Equal(leaf, OnlineRetailCatalog.LeafCategoryOf(description));
        Assert.Equal(group, OnlineRetailCatalog.GroupOf(leaf));
    }

    [Fact]
    public void Consumables_are_multi_buy_and_decor_is_not()
    {
        Assert.Contains("card", OnlineRetailCatalog.MultiBuyCategories);
        Assert.Contains("wrap", OnlineRetailCatalog.MultiBuyCategories);
        Assert.Contains("napkins", OnlineRetailCatalog.MultiBuyCategories);
        Assert.Contains("cake cases", OnlineRetailCatalog.MultiBuyCategories);
        Assert.DoesNotContain("t-light holder", OnlineRetailCatalog.MultiBuyCategories);
        Assert.DoesNotContain("mug", OnlineRetailCatalog.MultiBuyCategories);
        var leaves = OnlineRetailCatalog.ProductTypes.Select(t => t.Leaf).ToHashSet();
        Assert.All(OnlineRetailCatalog.MultiBuyCategories, c => Assert.Contains(c, leaves));
    }

    [Fact]
    public void Every_product_type_has_a_group_and_the_table_is_a_curated_size()
    {
        var leaves = OnlineRetailCatalog.ProductTypes.Select(t => t.Leaf).Distinct().ToList();
        Assert.InRange(leaves.Count, 40, 100);
        Assert.All(leaves, l => Assert.True(OnlineRetailCatalog.Groups.ContainsKey(l), $"leaf '{l}' has no group"));
        Assert.Equal(OnlineRetailCatalog.ProductTypes.Count, OnlineRetailCatalog.ProductTypes.Select(t => t.Phrase).Distinct().Count());
    }

    [Fact]
    public void The_synthetic_margin_is_a_stable_fnv_hash_of_the_sku_between_25_and_65_percent()
    {
        // Published FNV-1a 32-bit test vectors.
        Assert.Equal(0x811c9dc5u, OnlineRetailCatalog.Fnv1a32([]));
        Assert.Equal(0xe40c292cu, OnlineRetailCatalog.Fnv1a32("a"u8));
        Assert.Equal(0xbf9cf968u, OnlineRetailCatalog.Fnv1a32("foobar"u8));

        var expected = Math.Round(0.25 + 0.40 * (OnlineRetailCatalog.Fnv1a32(Encoding.UTF8.GetBytes("85123")) / (double)uint.MaxValue), 4);
        Assert.Equal(expected, OnlineRetailCatalog.SyntheticMarginRate("85123"));
        Assert.Equal(0.6238, OnlineRetailCatalog.SyntheticMarginRate("85123"));
        var rates = Enumerable.Range(10000, 5000).Select(i => OnlineRetailCatalog.SyntheticMarginRate(i.ToString())).ToList();
        Assert.All(rates, r => Assert.InRange(r, 0.25, 0.65));
        Assert.True(rates.Distinct().Count() > 1000, "rates should spread over the range");
        Assert.InRange(rates.Average(), 0.42, 0.48);
    }

    [Fact]
    public void Deriving_twice_gives_the_same_catalog_sorted_by_sku()
    {
        var orders = new[]
        {
            Order("1", 0, Line("22752", "SET 7 BABUSHKA NESTING BOXES", 2, 7.65m), Line("21730", "GLASS STAR FROSTED T-LIGHT HOLDER", 6, 4.25m)),
            Order("2", 1, Line("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 6, 2.55m)),
        };

        var first = OnlineRetailCatalog.Derive(orders);
        var second = OnlineRetailCatalog.Derive(orders.Reverse());

        Assert.Equal(["21730", "22752", "85123"], first.Select(p => p.Sku));
        Assert.Equal(first.Select(Json), second.Select(Json));
    }

    private static string Json(ProductUpserted p) => System.Text.Json.JsonSerializer.Serialize(p, ContractsJson.Default.ProductUpserted);
}
