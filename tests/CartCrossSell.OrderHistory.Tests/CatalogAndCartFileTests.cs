using System.Text.Json;
using CartCrossSell.Contracts;

namespace CartCrossSell.OrderHistory.Tests;

public sealed class CatalogAndCartFileTests : IDisposable
{
    private readonly FixtureFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static readonly ProductUpserted Mug = new()
    {
        Sku = "mug",
        Title = "Enamel mug",
        CategoryPath = ["kitchen", "mug"],
        Price = 8.5m,
        MarginRate = 0.4,
        Variants = [new ProductVariant { VariantId = "mug-red", Attributes = new Dictionary<string, string> { ["colour"] = "red" }, UnitsSold = 12 }],
    };

    [Fact]
    public void A_catalog_without_prices_or_titles_reads_them_as_zero_and_the_sku()
    {
        var path = _files.Write("catalog.jsonl", string.Join("\n",
            """{"sku":"milk","title":"Whole milk","categoryPath":["dairy","milk"]}""",
            """{"sku":"eggs","categoryPath":["dairy","eggs"],"price":null}""",
            """{"sku":"bread","title":"Bread","categoryPath":["bakery","bread"],"price":0}""",
            """{"sku":"jam","title":"Jam","categoryPath":["pantry","jam"],"price":-2}"""));

        var result = CatalogFiles.Read(path);

        Assert.Equal(["milk", "eggs", "bread"], result.Items.Select(p => p.Sku));
        Assert.All(result.Items, p => Assert.Equal(0m, p.Price));
        Assert.Equal("eggs", result.Items[1].Title);
        Assert.Equal(4, Assert.Single(result.Problems).Line);   // a negative price is still an error
    }

    [Fact]
    public void A_catalog_file_yields_its_valid_products_and_reports_the_rest_by_line()
    {
        var path = _files.Write("catalog.jsonl", string.Join("\n",
            JsonSerializer.Serialize(Mug, ContractsJson.Default.ProductUpserted),
            JsonSerializer.Serialize(Mug with { Sku = "tray", Price = -1m }, ContractsJson.Default.ProductUpserted),
            "",
            "not json",
            JsonSerializer.Serialize(Mug with { Sku = "coaster", CategoryPath = [] }, ContractsJson.Default.ProductUpserted),
            JsonSerializer.Serialize(Mug with { Sku = "plate" }, ContractsJson.Default.ProductUpserted),
            """{"sku":"cup","price":"abc"}"""));

        var result = CatalogFiles.Read(path);

        Assert.Equal(["mug", "plate"], result.Items.Select(p => p.Sku));
        Assert.Equal("red", result.Items[0].Variants.Single().Attributes["colour"]);
        Assert.Equal([2, 4, 5, 7], result.Problems.Select(p => p.Line));
        Assert.Contains("price must not be negative", result.Problems[0].Message);
        Assert.Contains("not a ProductUpserted record", result.Problems[1].Message);
        // The line as written: where in it; System.Text.Json's own line count from 0 is left out.
        Assert.Matches(@"\(byte \d+ of the line\)$", result.Problems[1].Message);
        Assert.DoesNotContain("LineNumber", result.Problems[1].Message);
        Assert.Contains("categoryPath", result.Problems[2].Message);
        // The field by its path; no byte, as the line was rewritten (its absent title defaulted to the sku) before parsing.
        Assert.Contains("(at $.price)", result.Problems[3].Message);
    }

    [Fact]
    public void A_derived_catalog_written_as_json_lines_reads_back_whole()
    {
        var orders = new[]
        {
            new HistoricalOrder("1", DateTimeOffset.UnixEpoch, null,
                [new HistoricalLine("85099", "85099B", "JUMBO BAG RED RETROSPOT", 10, 1.95m), new HistoricalLine("22752", "22752", "SET 7 BABUSHKA NESTING BOXES", 2, 7.65m)]),
        };
        var catalog = OnlineRetailCatalog.Derive(orders);
        var path = _files.Write("derived.jsonl", string.Join("\n", catalog.Select(p => JsonSerializer.Serialize(p, ContractsJson.Default.ProductUpserted))));

        var result = CatalogFiles.Read(path);

        Assert.Empty(result.Problems);
        Assert.Equal(catalog.Select(p => JsonSerializer.Serialize(p, ContractsJson.Default.ProductUpserted)),
            result.Items.Select(p => JsonSerializer.Serialize(p, ContractsJson.Default.ProductUpserted)));
    }

    [Fact]
    public void A_missing_catalog_or_cart_file_throws_naming_the_path()
    {
        var path = _files.PathOf("missing.jsonl");
        Assert.Contains(path, Assert.Throws<FileNotFoundException>(() => CatalogFiles.Read(path)).Message);
        Assert.Contains(path, Assert.Throws<FileNotFoundException>(() => CartFiles.Read(path)).Message);
    }

    [Fact]
    public void A_cart_file_yields_carts_with_items_in_the_order_added()
    {
        var path = _files.Write("carts.jsonl", string.Join("\n",
            """{"cartId":"c1","items":[{"sku":"22386","quantity":2},{"sku":"85099","variantId":"85099B"}]}""",
            """{"cartId":"c2","items":[{"sku":"21931","quantity":1}],"note":"ignored"}"""));

        var result = CartFiles.Read(path);

        Assert.Empty(result.Problems);
        Assert.Equal(2, result.Items.Count);
        Assert.Equal("c1", result.Items[0].CartId);
        Assert.Equal([new CartFileItem("22386", 2), new CartFileItem("85099", 1, "85099B")], result.Items[0].Items);
        Assert.Equal([new CartFileItem("21931", 1)], result.Items[1].Items);
    }

    [Fact]
    public void Bad_carts_are_reported_by_line_and_the_good_ones_kept()
    {
        var path = _files.Write("carts.jsonl", string.Join("\n",
            """{"items":[{"sku":"22386"}]}""",
            """{"cartId":"c2","items":[]}""",
            """{"cartId":"c3","items":[{"sku":"22386","quantity":0}]}""",
            """{"cartId":"c4","items":[{"quantity":1}]}""",
            """{"cartId":"c5","items":[{"sku":"22386","quantity":1.5}]}""",
            """["c6"]""",
            """{"cartId":"c7",""",
            """{"cartId":"c8","items":[{"sku":"22386","quantity":3}]}"""));

        var result = CartFiles.Read(path);

        Assert.Equal("c8", Assert.Single(result.Items).CartId);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], result.Problems.Select(p => p.Line));
        Assert.Contains("cartId is required", result.Problems[0].Message);
        Assert.Contains("at least one item", result.Problems[1].Message);
        Assert.Contains("items[0].quantity must be between 1", result.Problems[2].Message);
        Assert.Contains("items[0].sku is required", result.Problems[3].Message);
        Assert.Contains("whole number", result.Problems[4].Message);
        Assert.Contains("expected a JSON object", result.Problems[5].Message);
        Assert.Contains("not a JSON object", result.Problems[6].Message);
        // The file's line is the reader's; System.Text.Json's own count from 0 ("LineNumber: 0") is left out.
        Assert.DoesNotContain("LineNumber", result.Problems[6].Message);
        Assert.Contains("of the line)", result.Problems[6].Message);
        Assert.Equal(8, result.Items[0].Line);
    }
}
