using CartCrossSell.Contracts;

namespace CartCrossSell.OrderHistory.Tests;

/// <summary>The real shared extract (first 20,000 lines of UCI Online Retail, 2010-12-01 to 2010-12-14).</summary>
public sealed class SharedOnlineRetailFileTests
{
    private static readonly Lazy<OrderReadResult> Result = new(() => OrderFiles.Read(RepositoryFiles.OnlineRetail));

    [Fact]
    public void The_shared_file_reads_without_problems_and_matches_the_data_readme()
    {
        var r = Result.Value;
        Assert.Equal(OrderFileFormat.OnlineRetail, r.Format);
        Assert.Empty(r.Problems);
        Assert.Equal(20_000, r.Summary.DataLines);
        Assert.Equal(1_194, r.Summary.DistinctOrderIds);
        Assert.Equal(2_226, r.Summary.DistinctStockCodes);
        Assert.Equal(192, r.Summary.CancelledOrderIds);
        Assert.Equal(458, r.Summary.CancellationLines);
    }

    [Fact]
    public void The_data_rules_leave_998_orders_of_2002_products()
    {
        var s = Result.Value.Summary;
        Assert.Equal(69, s.NonProductLines);
        Assert.Equal(new Dictionary<string, int> { ["BANKCHARGES"] = 1, ["C2"] = 5, ["M"] = 23, ["POST"] = 40 }, s.NonProductLinesByCode);
        Assert.Equal(0, s.NonPositiveQuantityLines);
        Assert.Equal(1, s.NonPositivePriceLines);
        Assert.Equal(740, s.MergedDuplicateLines);
        Assert.Equal(18_732, s.KeptLines);
        Assert.Equal(998, s.Orders);
        Assert.Equal(4, s.OrdersWithoutProductLines);
        Assert.Equal(2_002, s.DistinctSkus);
        Assert.Equal(2_205, s.DistinctVariants);
        Assert.Equal(846, Result.Value.Orders.Count(o => o.Lines.Count >= 3));
    }

    [Fact]
    public void The_first_invoice_keeps_its_lines_in_file_order()
    {
        var first = Result.Value.Orders[0];
        Assert.Equal("536365", first.OrderId);
        Assert.Equal(["85123A", "71053", "84406B", "84029G", "84029E", "22752", "21730"], first.Lines.Select(l => l.VariantId));
        Assert.Equal(new DateTimeOffset(2010, 12, 1, 8, 26, 0, TimeSpan.Zero), first.Timestamp);
    }

    [Fact]
    public void Every_order_becomes_a_valid_order_event()
    {
        Assert.All(Result.Value.Orders, o => Assert.Empty(ContractValidation.Validate(o.ToOrderCompleted())));
        Assert.Equal(998, Result.Value.Orders.Select(o => o.ToOrderCompleted().EventId).Distinct().Count());
    }

    [Fact]
    public void Every_derived_product_has_a_category_a_price_and_a_valid_record()
    {
        var catalog = OnlineRetailCatalog.Derive(Result.Value.Orders);

        Assert.Equal(2_002, catalog.Count);
        Assert.Equal(121, catalog.Count(p => p.Variants.Count > 1));
        Assert.All(catalog, p =>
        {
            Assert.Empty(ContractValidation.Validate(p));
            Assert.Equal(2, p.CategoryPath.Count);
            Assert.True(p.Price > 0, $"{p.Sku} has price {p.Price}");
            Assert.InRange(p.MarginRate!.Value, 0.25, 0.65);
            Assert.NotEmpty(p.Variants);
        });
        var heart = catalog.Single(p => p.Sku == "85123");
        Assert.Equal("WHITE HANGING HEART T-LIGHT HOLDER", heart.Title);
        Assert.Equal(["home decor", "t-light holder"], heart.CategoryPath);
        Assert.Equal(2.95m, heart.Price);
        Assert.Equal(2_393L, heart.Variants.Single().UnitsSold);
        // Most products get their leaf from the curated table, the rest from a word of the description.
        var fromTable = catalog.Count(p => OnlineRetailCatalog.Groups.ContainsKey(p.CategoryPath[1]));
        Assert.Equal(1_257, fromTable);
    }
}
