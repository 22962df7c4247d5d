using System.Text;
using CartCrossSell.Contracts;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.Streams.Testing;
using CartCrossSell.Topologies.Recommending;

namespace CartCrossSell.Topologies.Tests;

public sealed class CartRecommenderTopologyTests : IDisposable
{
    private readonly CapturingSink _sink = new();
    private static readonly StreamsOptions Streams = new() { StateStore = StateStoreKind.InMemory };
    private readonly GroupTestDriver _driver;

    public CartRecommenderTopologyTests() =>
        _driver = new GroupTestDriver(CartRecommenderTopology.Build(Streams, new RecommenderOptions { MaxCartLines = 3 }, Store.Catalog(), Store.Learned(), _sink), Streams);

    public void Dispose() => _driver.Dispose();

    [Fact]
    public void Every_cart_change_writes_a_value_versioned_by_the_event_offset()
    {
        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "running-shoes", 1, 120m), ContractCodecs.CartEvent);
        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m), ContractCodecs.CartEvent);

        Assert.Equal([0L, 1L], _sink.Written.Select(w => w.Version));
        var latest = _sink.Latest("c1");
        Assert.Equal(132m, latest.CartValue);
        Assert.Equal(Cohorts.Treatment, latest.Cohort);
        Assert.InRange(latest.AddOns.Count, 1, 3);
        Assert.DoesNotContain(latest.AddOns, a => a.Sku is "running-shoes" or "socks");
        Assert.All(latest.AddOns, a => Assert.Equal(new OneClickAdd { CartId = "c1", Sku = a.Sku, VariantId = a.VariantId }, a.AddToCart));
    }

    [Fact]
    public void The_commit_waits_for_the_values_written_since_the_last_one()
    {
        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "running-shoes", 1, 120m), ContractCodecs.CartEvent);
        var before = _sink.Flushes;
        _driver.Commit();
        Assert.True(_sink.Flushes > before, "the commit flushed the Redis writes through the barrier store");
    }

    /// <summary>
    /// The commit does not just start the flush, it waits for it: a sink whose writes are still outstanding holds the
    /// commit (and so the offsets) until they are acknowledged.
    /// </summary>
    [Fact]
    public async Task The_commit_does_not_end_until_the_outstanding_writes_are_acknowledged()
    {
        var gated = new GatedSink();
        using var driver = new GroupTestDriver(CartRecommenderTopology.Build(Streams, new RecommenderOptions { MaxCartLines = 3 }, Store.Catalog(), Store.Learned(), gated), Streams);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "running-shoes", 1, 120m), ContractCodecs.CartEvent);

        var commit = Task.Run(driver.Commit);
        Assert.True(gated.FlushStarted.Wait(TimeSpan.FromSeconds(30)), "the commit flushed the sink");
        Assert.NotSame(commit, await Task.WhenAny(commit, Task.Delay(300))); // still waiting for the writes
        gated.Acknowledge();
        await commit.WaitAsync(TimeSpan.FromSeconds(30)); // and ends once they are acknowledged
    }

    private sealed class GatedSink : ICartRecommendationSink
    {
        private readonly TaskCompletionSource _acknowledged = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public ManualResetEventSlim FlushStarted { get; } = new();
        public void Enqueue(CartRecommendation value) { }
        public void Acknowledge() => _acknowledged.TrySetResult();

        public Task FlushAsync(CancellationToken cancellationToken = default)
        {
            FlushStarted.Set();
            return _acknowledged.Task;
        }
    }

    [Fact]
    public void When_redis_writes_stop_the_event_is_not_dead_lettered_the_stream_thread_stops()
    {
        var failing = new FailingSink();
        using var driver = new GroupTestDriver(CartRecommenderTopology.Build(Streams, new RecommenderOptions(), Store.Catalog(), Store.Learned(), failing), Streams);
        var thrown = Assert.ThrowsAny<Exception>(() => driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m), ContractCodecs.CartEvent));
        // The writer's failure itself (the driver may wrap it), not some other fault of the processor.
        var causes = new List<Exception>();
        for (var e = thrown; e is not null; e = e.InnerException) causes.Add(e);
        Assert.Contains(causes, e => e is EffectFailedException && e.Message.Contains("Redis writes stopped", StringComparison.Ordinal));
        Assert.Empty(driver.DeadLetters); // a Redis outage is not the event's fault
    }

    private sealed class FailingSink : ICartRecommendationSink
    {
        public void Enqueue(CartRecommendation value) =>
            throw new EffectFailedException("Redis writes stopped", new InvalidOperationException("gave up"));

        public Task FlushAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
    }

    [Fact]
    public void Cart_state_follows_adds_quantity_changes_removals_and_clears()
    {
        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "running-shoes", 1, 120m), ContractCodecs.CartEvent);
        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 2, 12m), ContractCodecs.CartEvent);
        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m), ContractCodecs.CartEvent);
        Assert.Equal(3, _driver.Store<CartState>(TopologyNames.CartsStore).Get("c1")!.Lines.Single(l => l.Sku == "socks").Quantity);

        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m) with { Type = CartEventType.QuantityChanged, Quantity = 0, UnitPrice = null }, ContractCodecs.CartEvent);
        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "running-shoes", 1, 120m) with { Type = CartEventType.ItemRemoved, Quantity = null, UnitPrice = null }, ContractCodecs.CartEvent);
        Assert.Empty(_driver.Store<CartState>(TopologyNames.CartsStore).Get("c1")!.Lines);
        Assert.Equal(0m, _sink.Latest("c1").CartValue);
        Assert.Empty(_sink.Latest("c1").AddOns);

        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "water-bottle", 1, 15m), ContractCodecs.CartEvent);
        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "water-bottle", 1, 15m) with { Type = CartEventType.CartCleared, Sku = null, Quantity = null, UnitPrice = null }, ContractCodecs.CartEvent);
        Assert.Empty(_driver.Store<CartState>(TopologyNames.CartsStore).Get("c1")!.Lines);
    }

    [Fact]
    public void An_unknown_sku_is_dead_lettered_and_leaves_the_cart_as_it_was()
    {
        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m), ContractCodecs.CartEvent);
        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "not-in-catalog", 1, 5m), ContractCodecs.CartEvent);

        var dead = Assert.Single(_driver.DeadLetters);
        Assert.Equal(DeadLetterKinds.UnknownSku, dead.Kind);
        Assert.Equal(1, dead.SourceOffset);
        Assert.Contains("not-in-catalog", dead.Reason);
        Assert.Single(_driver.Store<CartState>(TopologyNames.CartsStore).Get("c1")!.Lines);
        Assert.Single(_sink.Written);
    }

    /// <summary>Learned rows whose reads fail once armed: the ranking then throws after the event changed the cart.</summary>
    private sealed class FailingEvidence(Engine.IBasketEvidence inner) : Engine.IBasketEvidence
    {
        public bool Fail { get; set; }
        public double Baskets => inner.Baskets;
        public Engine.EvidenceRow? Find(string rowKey) => Fail ? throw new InvalidOperationException("rows unreadable") : inner.Find(rowKey);
    }

    [Fact]
    public void A_ranking_that_throws_after_the_event_changed_the_cart_leaves_the_stored_cart_as_it_was()
    {
        var evidence = new FailingEvidence(Store.Learned());
        var sink = new CapturingSink();
        using var driver = new GroupTestDriver(CartRecommenderTopology.Build(Streams, new RecommenderOptions(), Store.Catalog(), evidence, sink), Streams);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m), ContractCodecs.CartEvent);
        driver.Commit();

        evidence.Fail = true;
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "running-shoes", 1, 120m), ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 2, 12m), ContractCodecs.CartEvent);

        Assert.Equal([DeadLetterKinds.ProcessingError, DeadLetterKinds.ProcessingError], driver.DeadLetters.Select(d => d.Kind));
        // The store keeps its value decoded between commits: neither failed event may have changed it in place.
        var cart = driver.Store<CartState>(TopologyNames.CartsStore).Get("c1")!;
        Assert.Equal(("socks", 1), (cart.Lines.Single().Sku, cart.Lines.Single().Quantity));
        Assert.Equal(0L, cart.AppliedOffset);

        evidence.Fail = false;
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "water-bottle", 1, 15m), ContractCodecs.CartEvent);
        driver.Commit();
        Assert.Equal(["socks", "water-bottle"], driver.Store<CartState>(TopologyNames.CartsStore).Get("c1")!.Lines.Select(l => l.Sku));
        Assert.Equal(27m, sink.Latest("c1").CartValue);
    }

    [Fact]
    public void A_cart_above_the_line_cap_is_dead_lettered()
    {
        foreach (var sku in new[] { "socks", "water-bottle", "energy-gels", "headband" })
            _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", sku, 1, 10m), ContractCodecs.CartEvent);

        Assert.Equal(DeadLetterKinds.CartTooLarge, Assert.Single(_driver.DeadLetters).Kind);
        Assert.Equal(3, _driver.Store<CartState>(TopologyNames.CartsStore).Get("c1")!.Lines.Count);
    }

    [Fact]
    public void Malformed_and_invalid_events_are_dead_lettered_with_their_reason_and_the_stream_goes_on()
    {
        _driver.PipeRaw(Topics.CartEvents, "c1", Encoding.UTF8.GetBytes("{ not json"));
        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", -2, 12m), ContractCodecs.CartEvent);
        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, -12m), ContractCodecs.CartEvent);
        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m), ContractCodecs.CartEvent);

        Assert.Collection(_driver.DeadLetters,
            d => { Assert.Equal(DeadLetterKinds.Unparseable, d.Kind); Assert.Equal("{ not json", d.Payload); Assert.Equal(0, d.SourceOffset); },
            d => { Assert.Equal(DeadLetterKinds.Invalid, d.Kind); Assert.Contains("quantity must be positive", d.Reason); },
            d => { Assert.Equal(DeadLetterKinds.Invalid, d.Kind); Assert.Contains("unitPrice must not be negative", d.Reason); });
        Assert.All(_driver.DeadLetters, d => Assert.Equal(Topics.CartEvents, d.SourceTopic));
        Assert.Equal(12m, _sink.Latest("c1").CartValue);
    }

    [Fact]
    public void The_driver_refuses_oversized_values_and_tombstones_as_the_running_layer_does()
    {
        _driver.PipeRaw(Topics.CartEvents, "c1", Encoding.UTF8.GetBytes(new string(' ', Streams.MaxRecordBytes + 1)));
        _driver.PipeRaw(Topics.CartEvents, "c1", null);

        Assert.Equal([DeadLetterKinds.Oversized, DeadLetterKinds.Invalid], _driver.DeadLetters.Select(d => d.Kind));
        Assert.Empty(_sink.Written);
    }
}
