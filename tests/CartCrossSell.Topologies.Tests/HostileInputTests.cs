using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.Streams.Testing;
using CartCrossSell.Topologies.Learning;
using CartCrossSell.Topologies.Outcomes;
using CartCrossSell.Topologies.Recommending;

namespace CartCrossSell.Topologies.Tests;

/// <summary>Input a storefront, a script or an attacker can produce: none of it may stop a partition or corrupt state.</summary>
public sealed class HostileInputTests
{
    private static readonly StreamsOptions Streams = new() { StateStore = StateStoreKind.InMemory };

    private static GroupTestDriver Recommender(CapturingSink sink, StreamsOptions? streams = null, IBasketEvidence? evidence = null, ICatalog? catalog = null) =>
        new(CartRecommenderTopology.Build(streams ?? Streams, new RecommenderOptions { DeduplicationWindow = 3 }, catalog ?? Store.Catalog(), evidence ?? Store.Learned(), sink),
            streams ?? Streams);

    private static CartState? Cart(GroupTestDriver driver, string cartId) => driver.Store<CartState>(TopologyNames.CartsStore).Get(cartId);

    [Fact]
    public void A_dead_letter_too_large_for_the_producer_carries_the_start_of_the_value_with_its_size_and_hash()
    {
        var streams = new StreamsOptions { StateStore = StateStoreKind.InMemory, MaxDeadLetterBytes = 20_000 };
        using var driver = Recommender(new CapturingSink(), streams);
        // 60,000 quotes: JSON writes each as \u0022, so the whole value would need 360,000 bytes in the envelope.
        var hostile = Encoding.UTF8.GetBytes(new string('"', 60_000));
        driver.PipeRaw(Topics.CartEvents, "c1", hostile);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m), ContractCodecs.CartEvent);

        var sent = Assert.Single(driver.SentTo(Topics.DeadLetters));
        Assert.True(sent.Value.Length + Encoding.UTF8.GetByteCount(sent.Key) <= streams.MaxDeadLetterBytes - DeadLetters.RecordOverheadBytes,
            $"dead letter of {sent.Value.Length} bytes");
        var dead = Assert.Single(driver.DeadLetters);
        Assert.Equal(DeadLetterKinds.Unparseable, dead.Kind);
        Assert.True(dead.PayloadTruncated);
        Assert.Equal(hostile.Length, dead.PayloadBytes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(hostile)), dead.PayloadSha256);
        Assert.StartsWith(dead.Payload!, Encoding.UTF8.GetString(hostile));
        Assert.True(dead.Payload!.Length > 2_000, $"kept {dead.Payload.Length} characters"); // uses the room it has
        Assert.Equal((Topics.CartEvents, 0, 0L), (dead.SourceTopic, dead.SourcePartition, dead.SourceOffset));
        Assert.Single(Cart(driver, "c1")!.Lines); // the partition went on
    }

    [Fact]
    public void A_small_dead_letter_keeps_the_whole_value_and_no_truncation_fields()
    {
        using var driver = Recommender(new CapturingSink());
        driver.PipeRaw(Topics.CartEvents, "c1", Encoding.UTF8.GetBytes("{ \"oops\""));
        var dead = Assert.Single(driver.DeadLetters);
        Assert.Equal("{ \"oops\"", dead.Payload);
        Assert.Null(dead.PayloadTruncated);
        Assert.Null(dead.PayloadSha256);
    }

    [Fact]
    public void A_binary_value_too_large_for_the_producer_is_cut_on_a_base64_boundary()
    {
        var streams = new StreamsOptions { StateStore = StateStoreKind.InMemory, MaxDeadLetterBytes = 20_000 };
        using var driver = Recommender(new CapturingSink(), streams);
        var binary = Enumerable.Range(0, 50_000).Select(i => (byte)(0x80 | i % 64)).ToArray(); // never valid UTF-8
        driver.PipeRaw(Topics.CartEvents, "c1", binary);

        var dead = Assert.Single(driver.DeadLetters);
        Assert.Equal(("base64", true), (dead.PayloadEncoding, dead.PayloadTruncated));
        var start = Convert.FromBase64String(dead.Payload!);
        Assert.Equal(binary[..start.Length], start);
    }

    [Fact]
    public void A_cart_event_keyed_by_another_id_than_its_cart_is_dead_lettered_as_key_mismatch()
    {
        var sink = new CapturingSink();
        using var driver = Recommender(sink);
        driver.Pipe(Topics.CartEvents, "c2", Store.Added("c1", "socks", 1, 12m), ContractCodecs.CartEvent);

        var dead = Assert.Single(driver.DeadLetters);
        Assert.Equal(DeadLetterKinds.KeyMismatch, dead.Kind);
        Assert.Contains("'c2'", dead.Reason);
        Assert.Null(Cart(driver, "c1"));
        Assert.Empty(sink.Written);
    }

    [Fact]
    public void A_cart_event_without_a_key_is_dead_lettered_as_key_mismatch_and_the_next_keyed_one_applies()
    {
        // Streamiz skips a keyless record before a stateful transformer sees it: without the split in front, this event
        // vanished with a warning in the log and nothing dead-lettered or counted.
        var sink = new CapturingSink();
        using var driver = Recommender(sink);
        driver.Pipe(Topics.CartEvents, null, Store.Added("c1", "socks", 1, 12m), ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 2, 12m), ContractCodecs.CartEvent);

        var dead = Assert.Single(driver.DeadLetters);
        Assert.Equal((DeadLetterKinds.KeyMismatch, Topics.CartEvents, 0L), (dead.Kind, dead.SourceTopic, dead.SourceOffset));
        Assert.Contains("the record key is missing", dead.Reason);
        Assert.Equal(("socks", 2), Cart(driver, "c1")!.Lines.Select(l => (l.Sku, l.Quantity)).Single()); // the keyless add was not applied
    }

    [Fact]
    public void Cart_events_dated_beyond_the_skew_or_older_than_the_max_age_are_implausible_time()
    {
        var sink = new CapturingSink();
        using var driver = Recommender(sink);
        var now = DateTimeOffset.UtcNow;
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m) with { Timestamp = now.AddHours(2) }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m) with { Timestamp = now.AddDays(-8) }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m) with { Timestamp = DateTimeOffset.MinValue }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m) with { Timestamp = DateTimeOffset.MaxValue }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m) with { Timestamp = now.AddMinutes(30) }, ContractCodecs.CartEvent);

        Assert.Equal(Enumerable.Repeat(DeadLetterKinds.ImplausibleTime, 4), driver.DeadLetters.Select(d => d.Kind));
        Assert.Equal(1, Assert.Single(Cart(driver, "c1")!.Lines).Quantity); // only the event within the skew
    }

    [Fact]
    public void The_same_cart_event_id_twice_is_applied_once_within_the_window()
    {
        var sink = new CapturingSink();
        using var driver = Recommender(sink);
        var add = Store.Added("c1", "socks", 1, 12m);
        driver.Pipe(Topics.CartEvents, "c1", add, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", add, ContractCodecs.CartEvent); // a storefront retry
        Assert.Equal(1, Assert.Single(Cart(driver, "c1")!.Lines).Quantity);
        Assert.Single(sink.Written);

        // The memory is bounded (window 3 here): ids older than the window are forgotten.
        foreach (var sku in new[] { "water-bottle", "headband", "energy-gels" })
            driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", sku, 1, 10m), ContractCodecs.CartEvent);
        Assert.Equal(3, Cart(driver, "c1")!.RecentEventIds.Count);
        Assert.DoesNotContain(add.EventId, Cart(driver, "c1")!.RecentEventIds);
    }

    [Fact]
    public void A_line_in_another_currency_than_the_cart_is_dead_lettered_and_the_cart_keeps_one_currency()
    {
        var sink = new CapturingSink();
        using var driver = Recommender(sink);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "running-shoes", 1, 120m), ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 14m) with { Currency = "EUR" }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 14m) with { Type = CartEventType.CartViewed, Sku = null, Quantity = null, UnitPrice = null, Currency = "USD" },
            ContractCodecs.CartEvent);

        Assert.Equal([DeadLetterKinds.CurrencyMismatch, DeadLetterKinds.CurrencyMismatch], driver.DeadLetters.Select(d => d.Kind));
        Assert.Contains("GBP", driver.DeadLetters[0].Reason);
        Assert.Equal(("GBP", 120m), (sink.Latest("c1").Currency, sink.Latest("c1").CartValue));

        // An emptied cart takes the currency of its next line.
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "x", 1, 1m) with { Type = CartEventType.CartCleared, Sku = null, Quantity = null, UnitPrice = null }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 14m) with { Currency = "EUR" }, ContractCodecs.CartEvent);
        Assert.Equal("EUR", Cart(driver, "c1")!.Currency);
        Assert.Equal(2, driver.DeadLetters.Count);
    }

    [Fact]
    public void Add_ons_are_offered_only_when_the_catalog_prices_them_in_the_cart_currency()
    {
        // Socks are the natural add-on to running shoes; priced in EUR they must not be offered to a GBP cart.
        var catalog = Store.Catalog();
        catalog.Upsert(Store.Product("socks", "socks", 12m) with { Currency = "EUR" });
        foreach (var sku in new[] { "running-shoes", "water-bottle", "energy-gels", "headband", "trail-shoes" })
            catalog.Upsert(catalog.Find(sku)! with { Currency = "GBP" });
        var sink = new CapturingSink();
        using var driver = Recommender(sink, catalog: catalog);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "running-shoes", 1, 120m), ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c2", Store.Added("c2", "running-shoes", 1, 120m) with { Currency = "EUR" }, ContractCodecs.CartEvent);

        Assert.NotEmpty(sink.Latest("c1").AddOns);
        Assert.All(sink.Latest("c1").AddOns, a => Assert.Equal("GBP", catalog.Find(a.Sku)!.Currency));
        Assert.DoesNotContain(sink.Latest("c1").AddOns, a => a.Sku == "socks");
        Assert.All(sink.Latest("c2").AddOns, a => Assert.Equal("EUR", catalog.Find(a.Sku)!.Currency));
    }

    [Fact]
    public void When_ranking_throws_the_cart_is_left_as_it_was()
    {
        var sink = new CapturingSink();
        var evidence = new FailingEvidence(Store.Learned());
        using var driver = Recommender(sink, evidence: evidence);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m), ContractCodecs.CartEvent);
        evidence.Failing = true;
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "water-bottle", 1, 15m), ContractCodecs.CartEvent);
        evidence.Failing = false;

        Assert.Equal(DeadLetterKinds.ProcessingError, Assert.Single(driver.DeadLetters).Kind);
        var cart = Cart(driver, "c1")!;
        Assert.Equal(["socks"], cart.Lines.Select(l => l.Sku));
        Assert.Equal(0, cart.AppliedOffset);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "x", 1, 1m) with { Type = CartEventType.CartViewed, Sku = null, Quantity = null, UnitPrice = null }, ContractCodecs.CartEvent);
        Assert.Equal(12m, sink.Latest("c1").CartValue);
    }

    [Fact]
    public void A_value_version_is_the_event_offset_while_the_cart_stays_in_its_partition()
    {
        var sink = new CapturingSink();
        using var driver = Recommender(sink);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m), ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c2", Store.Added("c2", "socks", 1, 12m), ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c2", Store.Added("c2", "headband", 1, 14m), ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "headband", 1, 14m), ContractCodecs.CartEvent);

        Assert.Equal([0L, 3L], sink.Written.Where(w => w.CartId == "c1").Select(w => w.Version)); // the events' offsets
        Assert.Equal([1L, 2L], sink.Written.Where(w => w.CartId == "c2").Select(w => w.Version));
    }

    [Fact]
    public void A_cart_that_moves_to_lower_offsets_or_was_saved_without_a_sequence_keeps_beating_its_values_in_redis()
    {
        var cart = new CartState { CartId = "c1", SessionId = "s", AppliedPartition = 2, AppliedOffset = 4711 };
        Assert.Equal(4712, cart.NextVersion(17)); // moved to a partition with lower offsets
        Assert.Equal(4713, cart.NextVersion(18));
        Assert.Equal(9000, cart.NextVersion(9000)); // offsets caught up: the offset again
        Assert.Equal(5, new CartState { CartId = "c2", SessionId = "s" }.NextVersion(5));
    }

    [Fact]
    public void An_add_on_whose_score_the_evidence_makes_infinite_is_left_out_and_the_rest_of_the_value_is_written()
    {
        // Weights every table check lets through (finite, positive), far apart in scale: the cosine of (running shoes,
        // headband), 1e300 / sqrt(1e100 * 1e-300), overflows to infinity. It orders nothing, it would have cut every
        // finite add-on below its floor, and a value holding it would not serialise and would stop the writer. The
        // socks, an honest pair, are still offered.
        var evidence = new TableEvidence(new Dictionary<string, EvidenceRow>
        {
            [RowKeys.Item("running-shoes")] = new(RowKeys.Item("running-shoes"), 1e100,
                [new Neighbor(RowKeys.Item("headband"), 1e300), new Neighbor(RowKeys.Item("socks"), 1e80)]),
            [RowKeys.Item("headband")] = new(RowKeys.Item("headband"), 1e-300, [new Neighbor(RowKeys.Item("running-shoes"), 1e300)]),
            [RowKeys.Item("socks")] = new(RowKeys.Item("socks"), 1e100, [new Neighbor(RowKeys.Item("running-shoes"), 1e80)]),
        });
        var sink = new CapturingSink();
        using var driver = Recommender(sink, evidence: evidence);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "running-shoes", 1, 120m), ContractCodecs.CartEvent);

        var value = sink.Latest("c1");
        Assert.Empty(driver.DeadLetters);
        Assert.Equal(["socks"], value.AddOns.Select(a => a.Sku));
        Assert.All(value.AddOns, a => Assert.True(double.IsFinite(a.Score)));
        Assert.NotNull(JsonSerializer.Serialize(value, ContractsJson.Default.CartRecommendation));
        Assert.Single(Cart(driver, "c1")!.Lines);
    }

    private sealed class TableEvidence(Dictionary<string, EvidenceRow> rows) : IBasketEvidence
    {
        public EvidenceRow? Find(string rowKey) => rows.GetValueOrDefault(rowKey);
        public double Baskets => 1;
    }

    private sealed class FailingEvidence(IBasketEvidence inner) : IBasketEvidence
    {
        public bool Failing { get; set; }
        public EvidenceRow? Find(string rowKey) => Failing ? throw new InvalidOperationException("evidence unavailable") : inner.Find(rowKey);
        public double Baskets => inner.Baskets;
    }

    // ---- the learner ----

    private static readonly LearningOptions Learning = new() { MaxNeighbors = 50 };
    private const string Repartition = "cartxsell-learner-basket-rows-repartition";

    private static OrderCompleted Order(string id, DateTimeOffset at, params string[] skus) => new()
    {
        EventId = "e-" + id, OrderId = id, Timestamp = at,
        Lines = skus.Select(s => new OrderLine { Sku = s, Quantity = 1, UnitPrice = 10m }).ToArray(),
    };

    private static GroupTestDriver Learner(LearnerOptions? learner = null, ICatalog? catalog = null) =>
        new(BasketLearningTopology.Build(Streams, Learning, learner ?? new LearnerOptions(), catalog ?? Store.Catalog()), Streams);

    private static void Aggregate(GroupTestDriver driver)
    {
        foreach (var sent in driver.SentTo(Repartition).ToArray()) driver.PipeRaw(Repartition, sent.Key, sent.Value);
    }

    private static Dictionary<string, double> Rows(GroupTestDriver driver)
    {
        var rows = new Dictionary<string, double>();
        foreach (var key in driver.SentTo(Repartition).Select(s => s.Key).Distinct())
            rows[key] = driver.Store<BasketRowState>(TopologyNames.BasketRowsStore).Get(key)!.Accumulator.Weight;
        return rows;
    }

    [Fact]
    public void Outputs_never_carry_the_input_headers_which_could_make_each_of_them_too_large()
    {
        using var driver = Learner();
        var headers = new Confluent.Kafka.Headers { { "trace", new byte[300_000] }, { "trace", new byte[300_000] }, { "other", new byte[300_000] } };
        driver.PipeRaw(Topics.OrderEvents, "o1", ContractCodecs.OrderCompleted.Encode(Order("o1", Store.Now, "socks", "headband")), headers: headers);
        driver.PipeRaw(Topics.OrderEvents, "o2", Encoding.UTF8.GetBytes("{ bad"), headers: new Confluent.Kafka.Headers { { "trace", new byte[900_000] } });

        Assert.NotEmpty(driver.SentTo(Repartition));
        Assert.All(driver.SentTo(Repartition), s => Assert.Equal(0, s.HeaderCount));
        Assert.Equal(0, Assert.Single(driver.SentTo(Topics.DeadLetters)).HeaderCount);
    }

    [Fact]
    public void An_order_keyed_by_another_id_than_its_order_id_is_dead_lettered_as_key_mismatch()
    {
        using var driver = Learner();
        driver.Pipe(Topics.OrderEvents, "cart-7", Order("o1", Store.Now, "socks", "headband"), ContractCodecs.OrderCompleted);
        Assert.Equal(DeadLetterKinds.KeyMismatch, Assert.Single(driver.DeadLetters).Kind);
        Assert.Empty(driver.SentTo(Repartition));
    }

    [Fact]
    public void An_order_without_a_key_is_dead_lettered_as_key_mismatch_and_not_learned()
    {
        using var driver = Learner();
        driver.Pipe(Topics.OrderEvents, null, Order("o1", Store.Now, "socks", "headband"), ContractCodecs.OrderCompleted);
        var dead = Assert.Single(driver.DeadLetters);
        Assert.Equal((DeadLetterKinds.KeyMismatch, Topics.OrderEvents), (dead.Kind, dead.SourceTopic));
        Assert.Empty(driver.SentTo(Repartition));
    }

    [Fact]
    public void The_same_order_id_twice_is_learned_once()
    {
        using var driver = Learner();
        driver.Pipe(Topics.OrderEvents, "o1", Order("o1", Store.Now, "socks", "headband"), ContractCodecs.OrderCompleted);
        var first = driver.SentTo(Repartition).Count;
        driver.Pipe(Topics.OrderEvents, "o1", Order("o1", Store.Now.AddMinutes(1), "socks", "headband") with { EventId = "retry" }, ContractCodecs.OrderCompleted);
        Assert.Equal(first, driver.SentTo(Repartition).Count);
        Assert.Equal(0L, driver.Store<SeenOrder>(TopologyNames.OrderIdsStore).Get("o1")!.Offset);
        Assert.Empty(driver.DeadLetters);
    }

    [Fact]
    public void Order_ids_older_than_the_retention_are_forgotten()
    {
        using var driver = Learner(new LearnerOptions { OrderIdRetention = TimeSpan.FromMilliseconds(1), OrderIdSweepInterval = TimeSpan.FromSeconds(1) });
        driver.Pipe(Topics.OrderEvents, "o1", Order("o1", Store.Now, "socks", "headband"), ContractCodecs.OrderCompleted);
        Thread.Sleep(5); // the sweep compares with the clock: the id must be older than the retention
        driver.AdvanceWallClock(TimeSpan.FromSeconds(2));
        Assert.Null(driver.Store<SeenOrder>(TopologyNames.OrderIdsStore).Get("o1"));
    }

    [Fact]
    public void Orders_dated_decades_ahead_or_in_year_one_are_implausible_time_and_every_row_stays_finite()
    {
        using var driver = Learner();
        driver.Pipe(Topics.OrderEvents, "o-far", Order("o-far", DateTimeOffset.MaxValue.AddDays(-1), "socks", "headband"), ContractCodecs.OrderCompleted);
        for (var i = 0; i < 3; i++)
            driver.Pipe(Topics.OrderEvents, $"o-ahead{i}", Order($"o-ahead{i}", DateTimeOffset.UtcNow.AddYears(40), "socks", "headband"), ContractCodecs.OrderCompleted);
        driver.Pipe(Topics.OrderEvents, "o-old", Order("o-old", new DateTimeOffset(1, 1, 2, 0, 0, 0, TimeSpan.Zero), "socks", "headband"), ContractCodecs.OrderCompleted);
        driver.Pipe(Topics.OrderEvents, "o1", Order("o1", Store.Now, "socks", "headband"), ContractCodecs.OrderCompleted);
        Aggregate(driver);

        Assert.Equal(Enumerable.Repeat(DeadLetterKinds.ImplausibleTime, 5), driver.DeadLetters.Select(d => d.Kind));
        Assert.All(Rows(driver).Values, w => Assert.True(double.IsFinite(w) && w > 0, $"weight {w}"));
        Assert.All(driver.SentTo(Repartition), s => Assert.True(s.Timestamp.Year >= 2000, $"sent at {s.Timestamp:O}"));
    }

    [Fact]
    public void An_order_naming_a_sku_the_catalog_does_not_know_is_learned_and_that_sku_is_not_offered_until_the_catalog_has_it()
    {
        using var learner = Learner();
        for (var i = 0; i < 5; i++)
            learner.Pipe(Topics.OrderEvents, $"o{i}", Order($"o{i}", Store.Now, "running-shoes", "new-insoles"), ContractCodecs.OrderCompleted);
        Aggregate(learner);
        Assert.Empty(learner.DeadLetters);
        var shoes = learner.Store<BasketRowState>(TopologyNames.BasketRowsStore).Get(RowKeys.Item("running-shoes"))!.Accumulator.ToRow();
        Assert.Contains(shoes.Neighbors, n => n.Key == RowKeys.Item("new-insoles"));

        // Learned evidence that the insoles go with the shoes; the recommender offers them only once the catalog has them.
        var evidence = Store.Learned();
        for (var i = 0; i < 200; i++) evidence.AddOrder(["running-shoes", "new-insoles"], Store.Now, sku => Store.Catalog().Find(sku)?.LeafCategory);
        var catalog = Store.Catalog();
        var sink = new CapturingSink();
        using var recommender = Recommender(sink, evidence: evidence, catalog: catalog);
        recommender.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "running-shoes", 1, 120m), ContractCodecs.CartEvent);
        Assert.DoesNotContain(sink.Latest("c1").AddOns, a => a.Sku == "new-insoles");

        catalog.Upsert(Store.Product("new-insoles", "insoles", 20m));
        recommender.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "x", 1, 1m) with { Type = CartEventType.CartViewed, Sku = null, Quantity = null, UnitPrice = null }, ContractCodecs.CartEvent);
        Assert.Contains(sink.Latest("c1").AddOns, a => a.Sku == "new-insoles");
    }

    [Fact]
    public void Sending_every_order_again_changes_no_learned_row()
    {
        using var driver = Learner();
        var orders = Enumerable.Range(0, 20).Select(i => Order($"o{i}", Store.Now.AddHours(-i), i % 2 == 0 ? ["socks", "headband"] : ["running-shoes", "socks", "energy-gels"])).ToArray();
        foreach (var o in orders) driver.Pipe(Topics.OrderEvents, o.OrderId, o, ContractCodecs.OrderCompleted);
        Aggregate(driver);
        var once = Rows(driver);
        var sent = driver.SentTo(Repartition).Count;

        foreach (var o in orders) driver.Pipe(Topics.OrderEvents, o.OrderId, o with { Timestamp = o.Timestamp.AddMinutes(5) }, ContractCodecs.OrderCompleted); // a backfill run again
        Assert.Equal(sent, driver.SentTo(Repartition).Count);
        Assert.Equal(once, Rows(driver));
        Assert.Empty(driver.DeadLetters);
    }

    // ---- the outcomes splitters ----

    [Fact]
    public void A_view_or_a_session_order_keyed_by_another_id_is_dead_lettered_as_key_mismatch_by_the_outcome_splitters()
    {
        var experiment = new ExperimentOptions { ExperimentId = "xsell-test", Salt = "pepper" };
        using var driver = new GroupTestDriver(OutcomesTopology.Build(Streams, experiment), Streams);
        var sessionEvents = OutcomesTopology.SessionEventsTopic(Streams);
        var view = Store.Added("c1", "socks", 1, 12m) with { Type = CartEventType.CartViewed, Sku = null, Quantity = null, UnitPrice = null };
        var order = Order("o1", Store.Now, "socks") with { SessionId = "s-c1" };

        driver.Pipe(Topics.CartEvents, "c2", view, ContractCodecs.CartEvent);
        driver.Pipe(Topics.OrderEvents, "c1", order, ContractCodecs.OrderCompleted);
        driver.Pipe(Topics.CartEvents, "c2", Store.Added("c1", "socks", 1, 12m), ContractCodecs.CartEvent); // not a view: the recommender's to dead-letter
        Assert.Empty(driver.SentTo(sessionEvents));
        Assert.Equal([(DeadLetterKinds.KeyMismatch, 0L), (DeadLetterKinds.KeyMismatch, 0L)], driver.DeadLetters.Select(d => (d.Kind, d.SourceOffset)));
        Assert.Equal([Topics.CartEvents, Topics.OrderEvents], driver.DeadLetters.Select(d => d.SourceTopic));

        driver.Pipe(Topics.CartEvents, "c1", view, ContractCodecs.CartEvent);
        driver.Pipe(Topics.OrderEvents, "o1", order, ContractCodecs.OrderCompleted);
        Assert.Equal(2, driver.SentTo(sessionEvents).Count); // correctly keyed, the same events pass
        Assert.Equal(2, driver.DeadLetters.Count);
    }
}
