using System.Text.Json;
using CartCrossSell.Contracts;

namespace CartCrossSell.OrderHistory.Tests;

public sealed class OrderFileFormatTests : IDisposable
{
    private readonly FixtureFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void A_missing_order_file_throws_naming_the_path()
    {
        var path = _files.PathOf("nowhere.csv");
        var ex = Assert.Throws<FileNotFoundException>(() => OrderFiles.Read(path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void An_unknown_header_throws_naming_the_path()
    {
        var path = _files.Write("orders.csv", "invoice,product\n1,2\n");
        var ex = Assert.Throws<InvalidDataException>(() => OrderFiles.Read(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("header", ex.Message);
    }

    [Fact]
    public void An_empty_order_file_throws_naming_the_path()
    {
        var path = _files.Write("empty.csv", "\n\n");
        Assert.Contains(path, Assert.Throws<InvalidDataException>(() => OrderFiles.Read(path)).Message);
    }

    [Fact]
    public void A_generic_csv_with_only_order_and_sku_buys_one_of_each_in_file_order()
    {
        var path = _files.Write("orders.csv", "order_id,sku\no1,mug\no1,coaster\no2,card\no1,wrap\n");

        var result = OrderFiles.Read(path);

        Assert.Equal(OrderFileFormat.GenericCsv, result.Format);
        Assert.Empty(result.Problems);
        Assert.Equal(["o1", "o2"], result.Orders.Select(o => o.OrderId));
        Assert.Equal(["mug", "coaster", "wrap"], result.Orders[0].Lines.Select(l => l.Sku));
        Assert.All(result.Orders.SelectMany(o => o.Lines), l => Assert.Equal((1, 0m), (l.Quantity, l.UnitPrice)));
        Assert.Equal("mug", result.Orders[0].Lines[0].VariantId);
        // Without timestamps, time order is file order: the n-th order is n seconds after the epoch.
        Assert.Equal(DateTimeOffset.UnixEpoch, result.Orders[0].Timestamp);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddSeconds(1), result.Orders[1].Timestamp);
    }

    /// <summary>A grocer's order lines as exported (order_id, product_id, add_to_cart_order, reordered): product_id is the sku.</summary>
    [Fact]
    public void A_generic_csv_may_name_its_sku_column_product_id_and_keeps_other_columns_out_of_the_way()
    {
        var path = _files.Write("order_products.csv", "order_id,product_id,add_to_cart_order,reordered\n2,33120,1,1\n2,28985,2,1\n2,,3,0\n3,33754,1,1\n");

        var result = OrderFiles.Read(path);

        Assert.Equal(OrderFileFormat.GenericCsv, result.Format);
        Assert.Equal([["33120", "28985"], ["33754"]], result.Orders.Select(o => o.Lines.Select(l => l.Sku).ToArray()));
        var problem = Assert.Single(result.Problems);
        Assert.Equal((4, "product_id is empty"), (problem.Line, problem.Message));
    }

    [Fact]
    public void Lines_with_an_add_to_cart_order_are_taken_in_that_order_whatever_the_file_order()
    {
        var path = _files.Write("order_products.csv", "order_id,product_id,add_to_cart_order\n7,milk,3\n7,bread,1\n8,eggs,1\n7,jam,2\n7,tea,x\n");

        var result = OrderFiles.Read(path);

        Assert.Equal(["7", "8"], result.Orders.Select(o => o.OrderId));
        Assert.Equal(["bread", "jam", "milk"], result.Orders[0].Lines.Select(l => l.Sku));
        Assert.Equal(DateTimeOffset.UnixEpoch, result.Orders[0].Timestamp);
        var problem = Assert.Single(result.Problems);
        Assert.Equal((6, "add_to_cart_order 'x' is not a whole number"), (problem.Line, problem.Message));
    }

    [Fact]
    public void A_generic_csv_with_every_column_in_any_order_is_read_and_bad_lines_reported()
    {
        var path = _files.Write("orders.csv",
            "timestamp,unit_price,quantity,sku,order_id\n" +
            "2024-03-01T10:00:00Z,3.50,2,mug,o1\n" +
            "2024-03-01T10:00:00Z,1.25,zero,coaster,o1\n" +
            "2024-03-01T10:00:00Z,-1,1,napkins,o1\n" +
            "yesterday,1,1,card,o2\n" +
            "2024-03-01T11:30:00+01:00,2.00,3,card,o2\n" +
            "2024-03-01T10:00:00Z,1.25,1,,o3\n");

        var result = OrderFiles.Read(path);

        Assert.Equal([3, 4, 5, 7], result.Problems.Select(p => p.Line));
        Assert.Contains("quantity 'zero'", result.Problems[0].Message);
        Assert.Contains("unit_price", result.Problems[1].Message);
        Assert.Contains("timestamp 'yesterday'", result.Problems[2].Message);
        Assert.Contains("sku is empty", result.Problems[3].Message);
        Assert.Equal(new HistoricalLine("mug", "mug", null, 2, 3.50m), result.Orders[0].Lines.Single());
        Assert.Equal(new DateTimeOffset(2024, 3, 1, 10, 30, 0, TimeSpan.Zero), result.Orders[1].Timestamp);
    }

    [Fact]
    public void A_generic_csv_reads_iso_8601_times_only_so_a_day_first_date_is_not_taken_for_month_first_and_skips_blank_lines()
    {
        var path = _files.Write("orders.csv",
            "order_id,sku,quantity,unit_price,timestamp\n" +
            "o1,mug,1,3.50,12/05/2020\n" +
            "  \t \n" + // whitespace only: skipped like a blank line
            "o2,mug,1,3.50,2020-05-12\n" +
            "o3,mug,1,3.50,2020-05-12 08:30\n");

        var result = OrderFiles.Read(path);

        Assert.Equal(2, result.Problems.Single().Line);
        Assert.Contains("timestamp '12/05/2020' is not an ISO 8601", result.Problems[0].Message);
        Assert.Equal([new DateTimeOffset(2020, 5, 12, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2020, 5, 12, 8, 30, 0, TimeSpan.Zero)],
            result.Orders.Select(o => o.Timestamp));
    }

    [Fact]
    public void Order_events_are_read_and_invalid_or_repeated_events_reported()
    {
        var good = new OrderCompleted
        {
            EventId = "e1",
            OrderId = "o1",
            VisitorId = "v1",
            Timestamp = new DateTimeOffset(2024, 3, 1, 10, 0, 0, TimeSpan.Zero),
            Lines =
            [
                new OrderLine { Sku = "mug", VariantId = "mug-red", Quantity = 2, UnitPrice = 3.5m },
                new OrderLine { Sku = "coaster", Quantity = 1, UnitPrice = 1.25m },
            ],
        };
        var negative = good with { EventId = "e2", OrderId = "o2", Lines = [new OrderLine { Sku = "mug", Quantity = -1, UnitPrice = 3.5m }] };
        var path = _files.Write("orders.jsonl", string.Join("\n",
            JsonSerializer.Serialize(good, ContractsJson.Default.OrderCompleted),
            "",
            JsonSerializer.Serialize(negative, ContractsJson.Default.OrderCompleted),
            "{\"orderId\": ",
            JsonSerializer.Serialize(good with { EventId = "e3" }, ContractsJson.Default.OrderCompleted)));

        var result = OrderFiles.Read(path);

        Assert.Equal(OrderFileFormat.OrderEventsJsonLines, result.Format);
        var order = Assert.Single(result.Orders);
        Assert.Equal(("o1", "v1"), (order.OrderId, order.CustomerId));
        Assert.Equal([new HistoricalLine("mug", "mug-red", null, 2, 3.5m), new HistoricalLine("coaster", null, null, 1, 1.25m)], order.Lines);
        Assert.Equal([3, 4, 5], result.Problems.Select(p => p.Line));
        Assert.Contains("lines[0].quantity must be positive", result.Problems[0].Message);
        Assert.Contains("not an OrderCompleted event", result.Problems[1].Message);
        Assert.Contains("already read on line 1", result.Problems[2].Message);
    }

    [Fact]
    public void Lines_of_different_orders_share_one_string_per_sku_variant_and_title_in_every_format()
    {
        // A million orders held millions of copies of a few thousand skus and titles (docs/benchmarks.md).
        var mug = new OrderLine { Sku = "mug", VariantId = "mug-red", Quantity = 1, UnitPrice = 3.5m };
        var first = new OrderCompleted
        {
            EventId = "e1", OrderId = "o1", VisitorId = "v1", Timestamp = new DateTimeOffset(2024, 3, 1, 10, 0, 0, TimeSpan.Zero),
            Lines = [mug, new OrderLine { Sku = "coaster", Quantity = 1, UnitPrice = 1.25m }],
        };
        var files = new[]
        {
            _files.Write("retail.csv", "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n" +
                "536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n" +
                "536366,85123A,WHITE HANGING HEART,2,2010-12-01 08:28:00,2.55,17850,United Kingdom\n"),
            _files.Write("orders.csv", "order_id,sku,variant_id,title\no1,mug,mug-red,Red mug\no2,mug,mug-red,Red mug\n"),
            _files.Write("orders.jsonl", string.Join("\n",
                JsonSerializer.Serialize(first, ContractsJson.Default.OrderCompleted),
                JsonSerializer.Serialize(first with { EventId = "e2", OrderId = "o2" }, ContractsJson.Default.OrderCompleted))),
            _files.Write("baskets.csv", "mug,coaster\ncoaster,mug\n"),
        };
        var formats = new OrderFileFormat?[] { null, null, null, OrderFileFormat.BasketLines };

        for (var i = 0; i < files.Length; i++)
        {
            var result = OrderFiles.Read(files[i], formats[i]);
            Assert.Empty(result.Problems);
            var lines = result.Orders.SelectMany((o, n) => o.Lines.Select(l => (Order: n, Line: l))).ToList();
            foreach (var group in lines.GroupBy(l => l.Line.Sku))
            {
                var (inFirst, a) = group.First();
                var (inSecond, b) = Assert.Single(group.Skip(1));
                Assert.NotEqual(inFirst, inSecond);
                Assert.Same(a.Sku, b.Sku);
                Assert.Same(a.VariantId, b.VariantId);
                Assert.Same(a.Title, b.Title);
            }
        }
    }

    [Fact]
    public void A_backfilled_order_is_a_valid_event_with_an_id_that_depends_only_on_the_order()
    {
        var order = new HistoricalOrder("536365", new DateTimeOffset(2010, 12, 1, 8, 26, 0, TimeSpan.Zero), "17850",
        [
            new HistoricalLine("85123", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 6, 2.55m),
            new HistoricalLine("71053", "71053", "WHITE METAL LANTERN", 6, 3.39m),
        ]);

        var e = order.ToOrderCompleted();

        Assert.Empty(ContractValidation.Validate(e));
        Assert.Equal(e.EventId, (order with { Lines = [order.Lines[0]] }).ToOrderCompleted().EventId);
        Assert.NotEqual(e.EventId, (order with { OrderId = "536366" }).ToOrderCompleted().EventId);
        Assert.True(Guid.TryParse(e.EventId, out var id));
        Assert.Equal(5, id.Version);
        Assert.Equal("536365", e.OrderId);
        Assert.Equal("17850", e.VisitorId);
        Assert.Equal(order.Timestamp, e.Timestamp);
        Assert.Equal(["85123A", "71053"], e.Lines.Select(l => l.VariantId));
        Assert.All(e.Lines, l => Assert.Equal(EventSources.Backfill, l.Source));
        Assert.Equal((6, 2.55m), (e.Lines[0].Quantity, e.Lines[0].UnitPrice));
    }
}
