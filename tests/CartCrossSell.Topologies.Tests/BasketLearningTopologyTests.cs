using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Testing;
using CartCrossSell.Topologies.Learning;

namespace CartCrossSell.Topologies.Tests;

public sealed class BasketLearningTopologyTests
{
    private static readonly StreamsOptions Streams = new();
    private static readonly LearningOptions Learning = new() { MaxNeighbors = 50 };

    private static OrderCompleted Order(string id, DateTimeOffset at, params string[] skus) => new()
    {
        EventId = "e-" + id, OrderId = id, Timestamp = at,
        Lines = skus.Select(s => new OrderLine { Sku = s, Quantity = 1, UnitPrice = 10m }).ToArray(),
    };

    [Fact]
    public void The_splitter_sends_one_contribution_per_touched_row_keyed_by_the_row_with_the_order_coordinates()
    {
        using var splitter = new TopologyTestDriver<OrderCompleted>(BasketLearningTopology.Splitter(Streams, Learning, Store.Catalog()));
        splitter.Pipe("o1", Order("o1", Store.Now, "running-shoes", "socks", "energy-gels"), partition: 2);

        var sent = splitter.SentTo("cartxsell-basket-rows-repartition").ToArray();
        Assert.Equal(
            new[]
            {
                "baskets", "category:nutrition", "category:shoes", "category:socks", "item:energy-gels", "item:running-shoes", "item:socks",
                "next:running-shoes", "next:socks", "prev:energy-gels", "prev:socks",
            },
            sent.Select(s => s.Key).Order());
        var shoes = JsonSerializer.Deserialize(sent.Single(s => s.Key == "item:running-shoes").Value, ContractsJson.Default.BasketRowDelta)!;
        Assert.Equal(["item:energy-gels", "item:socks"], shoes.Pairs.Select(p => p.Key).Order());
        Assert.Equal((2, 0L), (shoes.SourcePartition, shoes.SourceOffset));
        // Order of addition: socks were added right after the shoes, the gels right after the socks.
        var afterShoes = JsonSerializer.Deserialize(sent.Single(s => s.Key == "next:running-shoes").Value, ContractsJson.Default.BasketRowDelta)!;
        Assert.Equal(["item:socks", "item:energy-gels"], afterShoes.Pairs.Select(p => p.Key));
        var beforeGels = JsonSerializer.Deserialize(sent.Single(s => s.Key == "prev:energy-gels").Value, ContractsJson.Default.BasketRowDelta)!;
        Assert.Equal(["item:socks", "item:running-shoes"], beforeGels.Pairs.Select(p => p.Key));
    }

    [Fact]
    public void The_aggregator_counts_a_replayed_order_once_and_publishes_each_changed_row_once_per_commit()
    {
        using var aggregator = new TopologyTestDriver<BasketRowDelta>(BasketLearningTopology.Aggregator(Streams, Learning));
        var delta = new BasketRowDelta
        {
            RowKey = "item:socks", Weight = 1, Pairs = [new NeighborWeight("item:running-shoes", 1)],
            SourcePartition = 0, SourceOffset = 7, Timestamp = Store.Now,
        };
        aggregator.Pipe(delta.RowKey, delta);
        aggregator.Pipe(delta.RowKey, delta); // the splitter crashed before committing and sent it again
        aggregator.Pipe(delta.RowKey, delta with { SourceOffset = 8 });

        var row = aggregator.Store<BasketRowState>(TopologyNames.BasketRowsStore).Get("item:socks")!.Accumulator.ToRow();
        Assert.Equal(2, row.Weight);
        Assert.Equal(2, Assert.Single(row.Neighbors).PairWeight);
        var published = aggregator.SentTo(Topics.ItemNeighbors).Select(s => JsonSerializer.Deserialize(s.Value, ContractsJson.Default.NeighborRow)!).ToArray();
        Assert.Equal([1.0, 2.0], published.Select(p => p.Weight));
    }

    [Fact]
    public void Streaming_learning_through_the_repartition_equals_learning_in_one_batch()
    {
        var catalog = Store.Catalog();
        var orders = Enumerable.Range(0, 60).Select(i => Order($"o{i}", Store.Now.AddHours(-i),
            new[] { "running-shoes", "socks", "water-bottle", "energy-gels", "headband" }.Where((_, j) => (i + j) % 3 != 0).ToArray())).ToArray();

        using var splitter = new TopologyTestDriver<OrderCompleted>(BasketLearningTopology.Splitter(Streams, Learning, catalog));
        foreach (var (order, i) in orders.Select((o, i) => (o, i))) splitter.Pipe(order.OrderId, order, partition: i % 3);
        using var aggregator = new TopologyTestDriver<BasketRowDelta>(BasketLearningTopology.Aggregator(Streams, Learning));
        foreach (var sent in splitter.SentTo("cartxsell-basket-rows-repartition"))
            aggregator.Pipe(sent.Key, JsonSerializer.Deserialize(sent.Value, ContractsJson.Default.BasketRowDelta)!);

        var batch = new BasketLearner(Learning);
        foreach (var order in orders) batch.AddOrder(order.Lines.Select(l => l.Sku).ToArray(), order.Timestamp, s => catalog.Find(s)?.LeafCategory);

        var store = aggregator.Store<BasketRowState>(TopologyNames.BasketRowsStore);
        foreach (var key in batch.RowKeysLearned)
        {
            var expected = batch.Find(key)!;
            var actual = store.Get(key)!.Accumulator.ToRow();
            Assert.Equal(expected.Weight, actual.Weight, 9);
            Assert.Equal(expected.Neighbors.ToDictionary(n => n.Key, n => Math.Round(n.PairWeight, 9)),
                actual.Neighbors.ToDictionary(n => n.Key, n => Math.Round(n.PairWeight, 9)));
        }
        Assert.Equal(batch.RowKeysLearned.Count(), store.Count - 1); // the store also holds the basket count row
        Assert.Equal(batch.Baskets, store.Get(RowKeys.Baskets)!.Accumulator.Weight, 9);
    }
}
