using System.Text;
using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.Streams.Testing;
using CartCrossSell.Topologies.Learning;

namespace CartCrossSell.Topologies.Tests;

public sealed class BasketLearningTopologyTests
{
    private static readonly StreamsOptions Streams = new() { StateStore = StateStoreKind.InMemory };
    private static readonly LearningOptions Learning = new() { MaxNeighbors = 50 };
    private static readonly LearnerOptions Learner = new() { RowPublishInterval = TimeSpan.FromSeconds(1) };
    private const string Repartition = "cartxsell-learner-basket-rows-repartition";

    private static OrderCompleted Order(string id, DateTimeOffset at, params string[] skus) => new()
    {
        EventId = "e-" + id, OrderId = id, Timestamp = at,
        Lines = skus.Select(s => new OrderLine { Sku = s, Quantity = 1, UnitPrice = 10m }).ToArray(),
    };

    private static GroupTestDriver Driver(ICatalog? catalog = null, StreamsOptions? streams = null) =>
        new(BasketLearningTopology.Build(streams ?? Streams, Learning, Learner, catalog ?? Store.Catalog()), streams ?? Streams);

    private static BasketRowBundle Bundle(SentRecord sent) => BasketRowBundleCodec.Instance.Decode(sent.Value).Value!;

    /// <summary>Every row contribution sent, with the coordinates of its order.</summary>
    private static IEnumerable<(BasketRowBundle Bundle, RowContribution Row)> Rows(IEnumerable<SentRecord> sent) =>
        sent.Select(Bundle).SelectMany(b => b.Rows.Select(r => (b, r)));

    [Fact]
    public void The_splitter_sends_each_order_s_contribution_to_every_touched_row_with_the_order_coordinates()
    {
        using var driver = Driver();
        driver.Pipe(Topics.OrderEvents, "o0", Order("o0", Store.Now, "socks"), ContractCodecs.OrderCompleted);
        driver.Pipe(Topics.OrderEvents, "o1", Order("o1", Store.Now, "running-shoes", "socks", "energy-gels"), ContractCodecs.OrderCompleted);

        Assert.Equal(Repartition, BasketLearningTopology.RepartitionTopic(Streams));
        // The test driver's topics have one partition: one bundle per order, keyed by its first row.
        var sent = Assert.Single(driver.SentTo(Repartition), s => Bundle(s).SourceOffset == 1);
        Assert.Equal("baskets", sent.Key);
        var rows = Bundle(sent).Rows;
        Assert.Equal(
            new[]
            {
                "baskets", "category:nutrition", "category:shoes", "category:socks", "item:energy-gels", "item:running-shoes", "item:socks",
                "next:running-shoes", "next:socks", "prev:energy-gels", "prev:socks",
            },
            rows.Select(r => r.RowKey).Order());
        var shoes = rows.Single(r => r.RowKey == "item:running-shoes");
        Assert.Equal(["item:energy-gels", "item:socks"], shoes.Pairs.Select(p => p.Key).Order());
        Assert.Equal(0, Bundle(sent).SourcePartition);
        // Order of addition (the default window: the next line only): socks were added right after the shoes, the gels
        // right after the socks, so the gels are not in the shoes' next row.
        Assert.Equal(["item:socks"], rows.Single(r => r.RowKey == "next:running-shoes").Pairs.Select(p => p.Key));
        Assert.Equal(["item:energy-gels"], rows.Single(r => r.RowKey == "next:socks").Pairs.Select(p => p.Key));
        Assert.Equal(["item:socks"], rows.Single(r => r.RowKey == "prev:energy-gels").Pairs.Select(p => p.Key));
    }

    [Fact]
    public void The_aggregator_counts_a_replayed_order_once_and_publishes_each_changed_row_once_per_period()
    {
        using var driver = Driver();
        var delta = new BasketRowDelta
        {
            RowKey = "item:socks", Weight = 1, Pairs = [new NeighborWeight("item:running-shoes", 1)],
            SourcePartition = 0, SourceOffset = 7, Timestamp = Store.Now,
        };
        driver.Pipe(Repartition, delta.RowKey, delta, ContractCodecs.BasketRowDelta);
        driver.AdvanceWallClock(TimeSpan.FromSeconds(1.1));
        driver.Pipe(Repartition, delta.RowKey, delta, ContractCodecs.BasketRowDelta); // the splitter crashed before committing and sent it again (as JSON, the earlier format: still read)
        driver.Pipe(Repartition, delta.RowKey, delta with { SourceOffset = 8 }, BasketRowDeltaCodec.Instance);
        var bundle = new BasketRowBundle(0, 9, Store.Now,
            [new RowContribution("item:socks", 1, [new Neighbor("item:running-shoes", 1)]), new RowContribution("item:running-shoes", 1, [new Neighbor("item:socks", 1)])]);
        driver.Pipe(Repartition, bundle.RoutingKey, bundle, BasketRowBundleCodec.Instance);
        driver.Pipe(Repartition, bundle.RoutingKey, bundle, BasketRowBundleCodec.Instance); // replayed whole
        driver.AdvanceWallClock(TimeSpan.FromSeconds(1.1));
        driver.AdvanceWallClock(TimeSpan.FromSeconds(1.1)); // nothing changed: nothing published

        var row = driver.Store<BasketRowState>(TopologyNames.BasketRowsStore).Get("item:socks")!.Accumulator.ToRow();
        Assert.Equal(3, row.Weight);
        Assert.Equal(3, Assert.Single(row.Neighbors).PairWeight);
        Assert.Equal(1, driver.Store<BasketRowState>(TopologyNames.BasketRowsStore).Get("item:running-shoes")!.Accumulator.Weight);
        var published = driver.SentTo(Topics.ItemNeighbors).Select(s => JsonSerializer.Deserialize(s.Value, ContractsJson.Default.NeighborRow)!).ToArray();
        // The first period: the change and the walk every start makes over the stored rows; then three changes in one period: one publication.
        Assert.Equal([1.0, 1.0, 3.0], published.Where(p => p.RowKey == "item:socks").Select(p => p.Weight));
    }

    /// <summary>
    /// After a start every stored row is published once (a change applied but not published before a crash is not
    /// lost), a slice per period: one punctuation over a million rows held the thread for a minute.
    /// </summary>
    [Fact]
    public void After_a_start_every_row_is_published_once_more_a_slice_per_period()
    {
        var learner = new LearnerOptions { RowPublishInterval = TimeSpan.FromSeconds(1), RepublishRowsPerInterval = 3 };
        using var driver = new GroupTestDriver(BasketLearningTopology.Build(Streams, Learning, learner, Store.Catalog()), Streams);
        var bundle = new BasketRowBundle(0, 1, Store.Now, Enumerable.Range(0, 7).Select(i => new RowContribution($"item:r{i}", 1, [])).ToArray());
        driver.Pipe(Repartition, bundle.RoutingKey, bundle, BasketRowBundleCodec.Instance);

        var perPeriod = new List<int>();
        for (var period = 0; period < 5; period++)
        {
            var before = driver.SentTo(Topics.ItemNeighbors).Count;
            driver.AdvanceWallClock(TimeSpan.FromSeconds(1.1));
            perPeriod.Add(driver.SentTo(Topics.ItemNeighbors).Count - before);
        }

        Assert.Equal([7 + 3, 3, 1, 0, 0], perPeriod); // the seven changed rows, then the walk three at a time, then nothing
        var published = driver.SentTo(Topics.ItemNeighbors).GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Enumerable.Range(0, 7).Select(i => ($"item:r{i}", 2)), published.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value)));
    }

    [Fact]
    public void A_bundle_with_one_row_that_cannot_apply_changes_no_row_and_is_dead_lettered()
    {
        using var driver = Driver();
        var good = new BasketRowBundle(0, 1, Store.Now, [new RowContribution("item:socks", 1, [new Neighbor("item:hat", 1)])]);
        driver.Pipe(Repartition, good.RoutingKey, good, BasketRowBundleCodec.Instance);
        var bad = new BasketRowBundle(0, 2, Store.Now,
            [new RowContribution("item:socks", 1, [new Neighbor("item:hat", 1)]), new RowContribution("item:hat", 1, [new Neighbor("item:socks", double.NaN)])]);
        driver.Pipe(Repartition, bad.RoutingKey, bad, BasketRowBundleCodec.Instance);

        var dead = Assert.Single(driver.DeadLetters);
        Assert.Equal((DeadLetterKinds.ProcessingError, Repartition, 1L), (dead.Kind, dead.SourceTopic, dead.SourceOffset));
        var rows = driver.Store<BasketRowState>(TopologyNames.BasketRowsStore);
        Assert.Equal(1, rows.Get("item:socks")!.Accumulator.Weight); // the first row of the refused bundle was not applied
        Assert.Equal(1L, rows.Get("item:socks")!.AppliedOrderOffsets[0]);
        Assert.Null(rows.Get("item:hat"));
    }

    [Fact]
    public void Bundles_hold_each_row_once_with_every_row_owned_by_the_partition_its_routing_key_goes_to()
    {
        var items = Enumerable.Range(0, 300).Select(i => $"sku-{i}").ToArray(); // 89,700 item pairs: a partition's share is more than one bundle holds
        var contributions = BasketSplitter.Split(items, sku => "cat-" + sku[^1], 0.5).ToArray();
        var maxBytes = new StreamsOptions().MaxRecordBytes;

        var bundles = BasketRowBundle.ByPartition(contributions, row => KeyPartitioning.PartitionOf(row, 4), maxBytes, 2, 41, Store.Now);

        Assert.Equal(contributions.Select(c => c.RowKey).Order(), bundles.SelectMany(b => b.Rows).Select(r => r.RowKey).Order());
        Assert.All(bundles, b => Assert.All(b.Rows, r => Assert.Equal(KeyPartitioning.PartitionOf(b.RoutingKey, 4), KeyPartitioning.PartitionOf(r.RowKey, 4))));
        Assert.All(bundles, b => Assert.True(BasketRowBundleCodec.Instance.Encode(b).Length <= maxBytes));
        Assert.True(bundles.Count > 4); // some partition's share was cut
        Assert.All(bundles, b => Assert.Equal((2, 41L), (b.SourcePartition, b.SourceOffset)));
        Assert.Equal(4, bundles.Select(b => KeyPartitioning.PartitionOf(b.RoutingKey, 4)).Distinct().Count());
    }

    [Fact]
    public void An_order_of_hundreds_of_items_reaches_every_row_without_a_record_the_aggregator_refuses()
    {
        using var driver = Driver();
        var skus = Enumerable.Range(0, 250).Select(i => $"sku-{i:000}").ToArray(); // one partition here: 62,250 pairs for it

        driver.Pipe(Topics.OrderEvents, "big", Order("big", Store.Now, skus), ContractCodecs.OrderCompleted);

        Assert.True(driver.SentTo(Repartition).Count > 1);
        Assert.All(driver.SentTo(Repartition), s => Assert.True(s.Value.Length <= Streams.MaxRecordBytes));
        foreach (var sent in driver.SentTo(Repartition)) driver.PipeRaw(Repartition, sent.Key, sent.Value); // the driver does not loop the repartition back
        Assert.Empty(driver.DeadLetters);
        var rows = driver.Store<BasketRowState>(TopologyNames.BasketRowsStore);
        var orderWeight = rows.Get(RowKeys.Baskets)!.Accumulator.Weight;
        Assert.All(skus, sku => Assert.Equal(orderWeight, rows.Get(RowKeys.Item(sku))!.Accumulator.Weight)); // every item's row learned the order once
    }

    [Fact]
    public void A_row_bundle_survives_its_binary_form_one_row_records_of_earlier_versions_are_read_and_garbage_is_refused()
    {
        var bundle = new BasketRowBundle(3, long.MaxValue - 1, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123),
        [
            new RowContribution("item:socks", 0.75 + 1e-12, [new Neighbor("item:running-shoes", 0.5), new Neighbor("category:shoes", 1e-300)]),
            new RowContribution("item:running-shoes", 0.75, [new Neighbor("item:socks", 0.5)]),
            new RowContribution("baskets", 0.75, []),
        ]);
        var codec = BasketRowBundleCodec.Instance;

        var back = codec.Decode(codec.Encode(bundle));

        Assert.True(back.Ok, back.FailureReason);
        Assert.Equal((bundle.SourcePartition, bundle.SourceOffset, bundle.Timestamp), (back.Value!.SourcePartition, back.Value.SourceOffset, back.Value.Timestamp));
        Assert.Equal(bundle.Rows.Select(r => (r.RowKey, r.Weight)), back.Value.Rows.Select(r => (r.RowKey, r.Weight)));
        Assert.Equal(bundle.Rows.SelectMany(r => r.Pairs), back.Value.Rows.SelectMany(r => r.Pairs));

        var single = new BasketRowDelta
        {
            RowKey = "item:socks", Weight = 0.5, Pairs = [new NeighborWeight("item:hat", 0.5)], SourcePartition = 1, SourceOffset = 12, Timestamp = Store.Now,
        };
        foreach (var earlier in new[] { BasketRowDeltaCodec.Instance.Encode(single), ContractCodecs.BasketRowDelta.Encode(single) })
        {
            var read = codec.Decode(earlier);
            Assert.True(read.Ok, read.FailureReason);
            Assert.Equal((1, 12L, "item:socks", 0.5), (read.Value!.SourcePartition, read.Value.SourceOffset, read.Value.Rows.Single().RowKey, read.Value.Rows.Single().Weight));
            Assert.Equal([new Neighbor("item:hat", 0.5)], read.Value.Rows.Single().Pairs);
        }
        var encoded = codec.Encode(bundle);
        var badIndex = codec.Encode(bundle with { Rows = [new RowContribution("x", 1, [])] });
        badIndex[^10] = 7; // the row names string 7 of 1
        foreach (var garbage in new[] { Array.Empty<byte>(), [9, 1, 2], encoded[..^3], [2, 0, 0], badIndex })
            Assert.Equal(DeadLetterKinds.Unparseable, codec.Decode(garbage).FailureKind);
    }

    [Fact]
    public void Bad_orders_are_dead_lettered_with_kind_reason_and_coordinates_and_the_good_ones_still_learn()
    {
        using var driver = Driver();
        driver.PipeRaw(Topics.OrderEvents, "o-bad", Encoding.UTF8.GetBytes("{not json"));
        driver.PipeRaw(Topics.OrderEvents, "o-tombstone", null);
        driver.Pipe(Topics.OrderEvents, "o-neg", Order("o-neg", Store.Now, "socks") with { Lines = [new OrderLine { Sku = "socks", Quantity = -1, UnitPrice = 10m }] },
            ContractCodecs.OrderCompleted);
        driver.Pipe(Topics.OrderEvents, "o1", Order("o1", Store.Now, "running-shoes", "socks"), ContractCodecs.OrderCompleted);

        var dead = driver.DeadLetters;
        Assert.Equal([DeadLetterKinds.Unparseable, DeadLetterKinds.Invalid, DeadLetterKinds.Invalid], dead.Select(d => d.Kind));
        Assert.All(dead, d => Assert.Equal((Topics.OrderEvents, 0), (d.SourceTopic, d.SourcePartition)));
        Assert.Equal([0L, 1L, 2L], dead.Select(d => d.SourceOffset));
        Assert.Equal(TopologyNames.BasketSplitter, dead[0].Processor);
        Assert.Equal("{not json", dead[0].Payload);
        Assert.Contains("quantity", dead[2].Reason);
        Assert.Contains(Rows(driver.SentTo(Repartition)), s => s.Row.RowKey == "item:running-shoes" && s.Bundle.SourceOffset == 3);
    }

    [Fact]
    public void A_processor_that_throws_dead_letters_the_record_and_sends_nothing_for_it()
    {
        using var driver = Driver(new ThrowingCatalog("poison"));
        driver.Pipe(Topics.OrderEvents, "o1", Order("o1", Store.Now, "socks", "poison"), ContractCodecs.OrderCompleted);
        driver.Pipe(Topics.OrderEvents, "o2", Order("o2", Store.Now, "socks", "headband"), ContractCodecs.OrderCompleted);

        var dead = Assert.Single(driver.DeadLetters);
        Assert.Equal((DeadLetterKinds.ProcessingError, 0L), (dead.Kind, dead.SourceOffset));
        Assert.Contains("poison", dead.Reason);
        Assert.All(driver.SentTo(Repartition), s => Assert.Equal(1L, Bundle(s).SourceOffset)); // nothing half-sent for o1
    }

    [Fact]
    public void A_contribution_that_cannot_apply_is_refused_before_it_changes_the_row()
    {
        // The aggregator's store hands out the row it holds, so a contribution must apply whole or not at all.
        var row = new BasketRowState(new EvidenceAccumulator(RowKeys.Item("a"), 10), []);
        row.Apply(0, 0, 1, [new Neighbor(RowKeys.Item("b"), 1)]);

        Assert.ThrowsAny<ArgumentException>(() => row.Apply(0, 1, 1, [new Neighbor(RowKeys.Item("c"), 1), new Neighbor(RowKeys.Item("d"), double.NaN)]));
        Assert.ThrowsAny<ArgumentException>(() => row.Apply(0, 1, double.PositiveInfinity, [new Neighbor(RowKeys.Item("c"), 1)]));

        Assert.Equal(1, row.Accumulator.Weight);
        Assert.Equal([RowKeys.Item("b")], row.Accumulator.AllPairs.Select(p => p.Key));
        Assert.Equal(0L, row.AppliedOrderOffsets[0]);
        Assert.True(row.Apply(0, 1, 1, [new Neighbor(RowKeys.Item("c"), 1)])); // the offset was not taken by the refused ones
    }

    [Theory]
    [InlineData(StateStoreKind.InMemory)]
    [InlineData(StateStoreKind.RocksDb)]
    public void Streaming_learning_through_the_repartition_equals_learning_in_one_batch(StateStoreKind stores)
    {
        var catalog = Store.Catalog();
        var orders = Enumerable.Range(0, 60).Select(i => Order($"o{i}", Store.Now.AddHours(-i),
            new[] { "running-shoes", "socks", "water-bottle", "energy-gels", "headband" }.Where((_, j) => (i + j) % 3 != 0).ToArray())).ToArray();

        var streams = new StreamsOptions { StateStore = stores };
        using var driver = Driver(catalog, streams);
        foreach (var order in orders) driver.Pipe(Topics.OrderEvents, order.OrderId, order, ContractCodecs.OrderCompleted);
        // Streamiz's driver does not feed a topic the topology writes back to its readers: pipe the repartition by hand.
        foreach (var sent in driver.SentTo(Repartition)) driver.PipeRaw(Repartition, sent.Key, sent.Value);
        driver.AdvanceWallClock(TimeSpan.FromSeconds(1.1));

        var batch = new BasketLearner(Learning);
        foreach (var order in orders) batch.AddOrder(order.Lines.Select(l => l.Sku).ToArray(), order.Timestamp, s => catalog.Find(s)?.LeafCategory);

        var store = driver.Store<BasketRowState>(TopologyNames.BasketRowsStore);
        foreach (var key in batch.RowKeysLearned)
        {
            var expected = batch.Find(key)!;
            var actual = store.Get(key)!.Accumulator.ToRow();
            Assert.Equal(expected.Weight, actual.Weight, 9);
            Assert.Equal(expected.Neighbors.ToDictionary(n => n.Key, n => Math.Round(n.PairWeight, 9)),
                actual.Neighbors.ToDictionary(n => n.Key, n => Math.Round(n.PairWeight, 9)));
        }
        Assert.Equal(batch.RowKeysLearned.Count() + 1, store.All().Count()); // the store also holds the basket count row
        Assert.Equal(batch.Baskets, store.Get(RowKeys.Baskets)!.Accumulator.Weight, 9);
        // Every learned row was published, with its learned weight.
        var published = driver.SentTo(Topics.ItemNeighbors).GroupBy(s => s.Key)
            .ToDictionary(g => g.Key, g => JsonSerializer.Deserialize(g.Last().Value, ContractsJson.Default.NeighborRow)!);
        foreach (var key in batch.RowKeysLearned) Assert.Equal(batch.Find(key)!.Weight, published[key].Weight, 9);
    }

    [Fact]
    public void A_row_survives_its_binary_changelog_form_exactly_and_a_foreign_format_is_refused()
    {
        var row = new BasketRowState(new EvidenceAccumulator("item:socks", 50), new Dictionary<int, long> { [0] = 7, [3] = 12 });
        row.Apply(1, 13, 0.75, [new Neighbor("item:running-shoes", 0.5), new Neighbor("category:shoes", 0.25 + 1e-12)]);
        var codec = new BasketRowCodec(50);

        var back = codec.Decode(codec.Encode(row));

        Assert.True(back.Ok);
        Assert.Equal(row.Accumulator.Weight, back.Value!.Accumulator.Weight);
        Assert.Equal(row.Accumulator.AllPairs.OrderBy(p => p.Key), back.Value.Accumulator.AllPairs.OrderBy(p => p.Key));
        Assert.Equal(row.AppliedOrderOffsets, back.Value.AppliedOrderOffsets);
        Assert.False(codec.Decode("{\"rowKey\":\"item:socks\"}"u8).Ok); // the earlier JSON form is not silently misread
    }

    [Fact]
    public void A_row_contribution_survives_its_binary_form_the_json_form_is_still_read_and_garbage_is_refused()
    {
        var delta = new BasketRowDelta
        {
            RowKey = "item:socks", Weight = 0.75 + 1e-12, Pairs = [new NeighborWeight("item:running-shoes", 0.5), new NeighborWeight("category:shoes", 1e-300)],
            SourcePartition = 3, SourceOffset = long.MaxValue - 1, Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123),
        };
        var codec = BasketRowDeltaCodec.Instance;

        var binary = codec.Encode(delta);
        foreach (var bytes in new[] { binary, ContractCodecs.BasketRowDelta.Encode(delta) })
        {
            var back = codec.Decode(bytes);
            Assert.True(back.Ok, back.FailureReason);
            Assert.Equal((delta.RowKey, delta.Weight, delta.SourcePartition, delta.SourceOffset, delta.Timestamp),
                (back.Value!.RowKey, back.Value.Weight, back.Value.SourcePartition, back.Value.SourceOffset, back.Value.Timestamp));
            Assert.Equal(delta.Pairs, back.Value.Pairs);
        }
        Assert.True(binary.Length < ContractCodecs.BasketRowDelta.Encode(delta).Length);
        foreach (var garbage in new[] { Array.Empty<byte>(), [9, 1, 2], binary[..^3], [1, 5, (byte)'a'] })
            Assert.Equal(DeadLetterKinds.Unparseable, codec.Decode(garbage).FailureKind);
    }

    /// <summary>A catalog whose lookup of one sku throws, standing in for a bug met on one record.</summary>
    private sealed class ThrowingCatalog(string poison) : ICatalog
    {
        private readonly InMemoryCatalog _inner = Store.Catalog();
        public CatalogItem? Find(string sku) => sku == poison ? throw new InvalidOperationException($"lookup of '{sku}' failed") : _inner.Find(sku);
        public IReadOnlyCollection<CatalogItem> InCategory(string leafCategory) => _inner.InCategory(leafCategory);
    }
}
