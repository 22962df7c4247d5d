namespace CartCrossSell.OrderHistory.Tests;

public sealed class CartSkuResolverTests
{
    private static HistoricalOrder Order(params (string Sku, string? Variant)[] lines) =>
        new("o", DateTimeOffset.UnixEpoch, null, lines.Select(l => new HistoricalLine(l.Sku, l.Variant, null, 1, 1m)).ToList());

    [Fact]
    public void A_product_sku_stays_a_variant_code_becomes_its_product_and_an_unknown_sku_is_flagged()
    {
        var resolver = CartSkuResolver.Build([Order(("85099", "85099B"), ("22386", "22386")), Order(("47566", "47566"))]);

        Assert.Equal(new ResolvedCartItem("85099", null, true), resolver.Resolve(new CartFileItem("85099", 1)));
        Assert.Equal(new ResolvedCartItem("85099", "85099B", true), resolver.Resolve(new CartFileItem("85099B", 1)));
        // A variant named by the file wins over the code the item was named by.
        Assert.Equal(new ResolvedCartItem("85099", "85099F", true), resolver.Resolve(new CartFileItem("85099B", 1, "85099F")));
        // A code that is its product's only variant is the product itself.
        Assert.Equal(new ResolvedCartItem("47566", null, true), resolver.Resolve(new CartFileItem("47566", 1)));
        Assert.Equal(new ResolvedCartItem("beer", null, false), resolver.Resolve(new CartFileItem("beer", 1)));
    }

    [Fact]
    public void The_catalog_names_products_and_variants_the_orders_never_held()
    {
        var resolver = CartSkuResolver.Build([], [("socks", ["socks-39", "socks-43"])]);

        Assert.Equal(new ResolvedCartItem("socks", null, true), resolver.Resolve(new CartFileItem("socks", 1)));
        Assert.Equal(new ResolvedCartItem("socks", "socks-43", true), resolver.Resolve(new CartFileItem("socks-43", 1)));
    }

    [Fact]
    public void A_sku_that_is_also_another_products_variant_code_stays_the_product()
    {
        // A store whose variant ids reuse product skus: the product sku is what a cart names first.
        var resolver = CartSkuResolver.Build([Order(("a", "b")), Order(("b", "b"))]);

        Assert.Equal(new ResolvedCartItem("b", null, true), resolver.Resolve(new CartFileItem("b", 1)));
    }

    [Fact]
    public void An_online_retail_design_nobody_ordered_names_its_product_by_the_code_rule_only_for_such_files()
    {
        var orders = new[] { Order(("85099", "85099B")) };

        Assert.Equal(new ResolvedCartItem("85099", "85099C", true), CartSkuResolver.Build(orders, onlineRetailCodes: true).Resolve(new CartFileItem("85099C", 1)));
        Assert.False(CartSkuResolver.Build(orders).Resolve(new CartFileItem("85099C", 1)).Known);
        // The rule names a product only if the orders know it.
        Assert.False(CartSkuResolver.Build(orders, onlineRetailCodes: true).Resolve(new CartFileItem("12345A", 1)).Known);
    }
}
