namespace CartCrossSell.OrderHistory.Tests;

public sealed class OnlineRetailReadingTests : IDisposable
{
    private const string Header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country";
    private readonly FixtureFiles _files = new();

    public void Dispose() => _files.Dispose();

    private string Write(params string[] lines) => _files.Write("retail.csv", string.Join("\n", [Header, .. lines]) + "\n");

    [Fact]
    public void Lines_of_an_invoice_become_one_order_in_the_order_they_were_added()
    {
        var path = Write(
            "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom",
            "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850,United Kingdom",
            "536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,,United Kingdom",
            "536365,22752,SET 7 BABUSHKA NESTING BOXES,2,2010-12-01 08:26:00,7.65,17850,United Kingdom");

        var result = OrderFiles.Read(path);

        Assert.Equal(OrderFileFormat.OnlineRetail, result.Format);
        Assert.Empty(result.Problems);
        Assert.Equal(["536365", "536366"], result.Orders.Select(o => o.OrderId));
        var first = result.Orders[0];
        Assert.Equal(["85123", "71053", "22752"], first.Lines.Select(l => l.Sku));
        Assert.Equal(new DateTimeOffset(2010, 12, 1, 8, 26, 0, TimeSpan.Zero), first.Timestamp);
        Assert.Equal("17850", first.CustomerId);
        Assert.Null(result.Orders[1].CustomerId);
        Assert.Equal(new HistoricalLine("71053", "71053", "WHITE METAL LANTERN", 6, 3.39m), first.Lines[1]);
    }

    /// <summary>The wholesaler's "Online Retail II" export (its 2009-2010 year included) names three columns differently.</summary>
    [Fact]
    public void The_online_retail_II_export_with_invoice_price_and_customer_id_reads_like_the_first_export()
    {
        string[] lines =
        [
            "489434,85048,15CM CHRISTMAS GLASS BALL 20 LIGHTS,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom",
            "489434,79323P,PINK CHERRY LIGHTS,12,2009-12-01 07:45:00,6.75,13085.0,United Kingdom",
            "C489449,22087,PAPER BUNTING WHITE LACE,-12,2009-12-01 10:33:00,2.95,16321.0,Australia",
            "489435,22350,CAT BOWL,12,2009-12-01 07:46:00,2.1O,13085.0,United Kingdom",
            "489436,21733,RED HANGING HEART T-LIGHT HOLDER,4,2009-12-01 09:06:00,2.95,,United Kingdom",
        ];
        var second = _files.Write("online_retail_II.csv", string.Join("\n", ["Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country", .. lines]) + "\n");
        var first = Write(lines);

        var read = OrderFiles.Read(second);
        var expected = OrderFiles.Read(first);

        Assert.Equal(OrderFileFormat.OnlineRetail, read.Format);
        Assert.Equal(expected.Orders.Select(o => (o.OrderId, o.Timestamp, o.CustomerId, string.Join(";", o.Lines))),
            read.Orders.Select(o => (o.OrderId, o.Timestamp, o.CustomerId, string.Join(";", o.Lines))));
        Assert.Equal(["489434", "489436"], read.Orders.Select(o => o.OrderId));
        Assert.Equal("13085", read.Orders[0].CustomerId);
        Assert.Equal(("79323", "79323P", 6.75m), (read.Orders[0].Lines[1].Sku, read.Orders[0].Lines[1].VariantId, read.Orders[0].Lines[1].UnitPrice));
        Assert.Equal(1, read.Summary.CancellationLines);
        // A bad line is reported under the file's own column names.
        var problem = Assert.Single(read.Problems);
        Assert.Equal(5, problem.Line);
        Assert.Equal("Price '2.1O' is not a number", problem.Message);
    }

    [Fact]
    public void A_colour_variant_code_is_the_variant_of_its_five_digit_product()
    {
        var path = Write(
            "536400,85099B,JUMBO BAG RED RETROSPOT,10,2010-12-01 10:00:00,1.95,13000,United Kingdom",
            "536400,85099C,JUMBO  BAG BAROQUE BLACK WHITE,10,2010-12-01 10:00:00,1.95,13000,United Kingdom",
            "536400,15056BL,EDWARDIAN PARASOL BLACK,1,2010-12-01 10:00:00,5.95,13000,United Kingdom");

        var lines = OrderFiles.Read(path).Orders.Single().Lines;

        Assert.Equal(("85099", "85099B"), (lines[0].Sku, lines[0].VariantId));
        Assert.Equal(("85099", "85099C"), (lines[1].Sku, lines[1].VariantId));
        Assert.Equal(("15056", "15056BL"), (lines[2].Sku, lines[2].VariantId));
        Assert.Equal("JUMBO BAG BAROQUE BLACK WHITE", lines[1].Title);
    }

    [Fact]
    public void Cancellations_postage_fees_and_free_or_negative_lines_are_counted_not_reported()
    {
        var path = Write(
            "536500,22633,HAND WARMER UNION JACK,6,2010-12-01 09:00:00,1.85,14000,United Kingdom",
            "536500,POST,POSTAGE,3,2010-12-01 09:00:00,18,14000,France",
            "536500,BANK CHARGES,Bank Charges,1,2010-12-01 09:00:00,15,14000,United Kingdom",
            "536500,M,Manual,1,2010-12-01 09:00:00,0.85,14000,United Kingdom",
            "536500,DCGS0003,BOXED GLASS ASHTRAY,1,2010-12-01 09:00:00,2.51,14000,United Kingdom",
            "536500,22632,HAND WARMER RED RETROSPOT,6,2010-12-01 09:00:00,0,14000,United Kingdom",
            "536500,22631,CIRCUS PARADE LUNCH BOX,-2,2010-12-01 09:00:00,1.95,14000,United Kingdom",
            "C536501,22633,HAND WARMER UNION JACK,-6,2010-12-01 09:10:00,1.85,14000,United Kingdom",
            "536502,POST,POSTAGE,1,2010-12-01 09:20:00,18,14001,France");

        var result = OrderFiles.Read(path);

        Assert.Empty(result.Problems);
        var order = Assert.Single(result.Orders);
        Assert.Equal("536500", order.OrderId);
        Assert.Equal(["22633"], order.Lines.Select(l => l.Sku));
        var s = result.Summary;
        Assert.Equal(9, s.DataLines);
        Assert.Equal(3, s.DistinctOrderIds);
        Assert.Equal(1, s.CancelledOrderIds);
        Assert.Equal(1, s.CancellationLines);
        Assert.Equal(5, s.NonProductLines);
        Assert.Equal(2, s.NonProductLinesByCode["POST"]);
        Assert.Equal(1, s.NonProductLinesByCode["BANK CHARGES"]);
        Assert.Equal(1, s.NonProductLinesByCode["DCGS0003"]);
        Assert.Equal(1, s.NonPositivePriceLines);
        Assert.Equal(1, s.NonPositiveQuantityLines);
        Assert.Equal(1, s.OrdersWithoutProductLines);
        Assert.Equal(1, s.KeptLines);
    }

    [Fact]
    public void The_same_item_twice_in_one_invoice_is_one_line_at_its_first_position()
    {
        var path = Write(
            "536600,22386,JUMBO BAG PINK POLKADOT,10,2010-12-01 11:00:00,1.95,15000,United Kingdom",
            "536600,21931,JUMBO STORAGE BAG SUKI,10,2010-12-01 11:00:00,1.95,15000,United Kingdom",
            "536600,22386,JUMBO BAG PINK POLKADOT,30,2010-12-01 11:00:00,1.65,15000,United Kingdom",
            "536600,85099B,JUMBO BAG RED RETROSPOT,1,2010-12-01 11:00:00,1.95,15000,United Kingdom",
            "536600,85099F,JUMBO BAG STRAWBERRY,1,2010-12-01 11:00:00,1.95,15000,United Kingdom");

        var result = OrderFiles.Read(path);

        var lines = result.Orders.Single().Lines;
        Assert.Equal(["22386", "21931", "85099", "85099"], lines.Select(l => l.Sku));
        Assert.Equal(40, lines[0].Quantity);
        // Quantity-weighted mean of 10 x 1.95 and 30 x 1.65, to the penny.
        Assert.Equal(1.73m, lines[0].UnitPrice);
        Assert.Equal(1, result.Summary.MergedDuplicateLines);
        Assert.Equal(4, result.Summary.KeptLines);
    }

    [Fact]
    public void Quoted_descriptions_keep_their_commas_and_quotes()
    {
        var path = Write(
            "536381,82567,\"AIRLINE LOUNGE,METAL SIGN\",2,2010-12-01 09:41:00,2.1,15311,United Kingdom",
            "536540,85071C,\"CHARLIE+LOLA\"\"EXTREMELY BUSY\"\" SIGN\",6,2010-12-01 14:05:00,2.55,14911,EIRE");

        var result = OrderFiles.Read(path);

        Assert.Empty(result.Problems);
        Assert.Equal("AIRLINE LOUNGE,METAL SIGN", result.Orders[0].Lines[0].Title);
        Assert.Equal("CHARLIE+LOLA\"EXTREMELY BUSY\" SIGN", result.Orders[1].Lines[0].Title);
    }

    [Fact]
    public void A_bad_line_is_reported_with_its_line_number_and_reading_goes_on()
    {
        var path = Write(
            "536700,22633,HAND WARMER UNION JACK,6,2010-12-01 09:00:00,1.85,14000,United Kingdom",
            "536700,22632,HAND WARMER RED RETROSPOT,six,2010-12-01 09:00:00,1.85,14000,United Kingdom",
            "536700,22631,CIRCUS PARADE LUNCH BOX,2,1 December 2010,1.95,14000,United Kingdom",
            "536700,22630,DOLLY GIRL LUNCH BOX,2,2010-12-01 09:00:00,1.95,14000",
            "536700,22629,SPACEBOY LUNCH BOX,2,2010-12-01 09:00:00,1.95,14000,United Kingdom",
            "536700,22628,PICNIC BOXES SET OF 3,20000,2010-12-01 09:00:00,4.95,14000,United Kingdom",
            "536701,21212,\"PACK OF 72 RETROSPOT CAKE CASES,24,2010-12-01 09:00:00,0.55,14000,United Kingdom");

        var result = OrderFiles.Read(path);

        Assert.Equal(["22633", "22629"], result.Orders.Single().Lines.Select(l => l.Sku));
        Assert.Equal([3, 4, 5, 7, 8], result.Problems.Select(p => p.Line));
        Assert.All(result.Problems, p => Assert.Equal(path, p.File));
        Assert.Contains("Quantity 'six'", result.Problems[0].Message);
        Assert.Contains("InvoiceDate '1 December 2010'", result.Problems[1].Message);
        Assert.Contains("expected 8 fields", result.Problems[2].Message);
        Assert.Contains("above the contract maximum", result.Problems[3].Message);
        Assert.Contains("not closed", result.Problems[4].Message);
        Assert.Equal(7, result.Summary.DataLines);
    }

    [Fact]
    public void A_quoted_line_break_keeps_the_following_line_numbers_right()
    {
        var path = Write(
            "536800,\"22633\",\"HAND WARMER\nUNION JACK\",6,2010-12-01 09:00:00,1.85,14000,United Kingdom",
            "536800,22632,HAND WARMER RED RETROSPOT,x,2010-12-01 09:00:00,1.85,14000,United Kingdom");

        var result = OrderFiles.Read(path);

        Assert.Equal("HAND WARMER UNION JACK", result.Orders.Single().Lines.Single().Title);
        Assert.Equal(4, Assert.Single(result.Problems).Line);
    }

    [Fact]
    public void A_file_saved_with_a_byte_order_mark_and_windows_line_ends_reads_the_same()
    {
        var path = _files.Write("windows.csv", "\uFEFF" + Header + "\r\n" +
            "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\r\n" +
            "536365,82567,\"AIRLINE LOUNGE,\r\nMETAL SIGN\",2,2010-12-01 08:26:00,2.1,17850.0,United Kingdom\r\n");

        var result = OrderFiles.Read(path);

        Assert.Equal(OrderFileFormat.OnlineRetail, result.Format);
        Assert.Empty(result.Problems);
        var order = Assert.Single(result.Orders);
        Assert.Equal("17850", order.CustomerId);
        Assert.Equal(["85123", "82567"], order.Lines.Select(l => l.Sku));
        Assert.Equal("AIRLINE LOUNGE, METAL SIGN", order.Lines[1].Title);
    }

    [Theory]
    [InlineData("85123A", "85123", "85123A")]
    [InlineData("22752", "22752", "22752")]
    [InlineData("15056bl", "15056", "15056BL")]
    [InlineData(" 84029G ", "84029", "84029G")]
    public void Product_codes_split_into_sku_and_variant(string code, string sku, string variant)
    {
        Assert.True(OnlineRetailStockCodes.TrySplit(code, out var s, out var v));
        Assert.Equal((sku, variant), (s, v));
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("D")]
    [InlineData("M")]
    [InlineData("C2")]
    [InlineData("DOT")]
    [InlineData("BANK CHARGES")]
    [InlineData("AMAZONFEE")]
    [InlineData("PADS")]
    [InlineData("CRUK")]
    [InlineData("S")]
    [InlineData("B")]
    [InlineData("DCGS0003")]
    [InlineData("gift_0001_40")]
    [InlineData("8512")]
    [InlineData("85123ABC")]
    public void Postage_fees_and_adjustments_are_not_products(string code) =>
        Assert.False(OnlineRetailStockCodes.IsProduct(code));
}
