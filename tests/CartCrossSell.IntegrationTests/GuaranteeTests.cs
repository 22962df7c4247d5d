using System.Text;
using System.Text.Json;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.OrderHistory;
using CartCrossSell.Redis;
using CartCrossSell.Streams;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Topologies;
using CartCrossSell.Topologies.Catalog;
using CartCrossSell.Topologies.Hosting;
using CartCrossSell.Topologies.Learning;
using CartCrossSell.Topologies.Recommending;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// The guarantees of issue 4 on the embedded mock cluster and a real redis-server: instances killed at random points
/// (killed at each commit step: <see cref="CommitStepCrashTests"/>), scale-out and fail-over, a Redis outage, and bad
/// input mixed with good.
/// </summary>
public sealed class GuaranteeTests(ITestOutputHelper output) : IDisposable
{
    private readonly KafkaFixture _kafka = new();
    private readonly RedisFixture _redis = new();
    private static readonly LearningOptions Learning = new() { MaxNeighbors = 5_000 }; // no pruning: exact comparison
    private static readonly StreamsOptions Streams = new() { CommitInterval = TimeSpan.FromMilliseconds(50) };

    public void Dispose()
    {
        _redis.Dispose();
        _kafka.Dispose();
    }

    private ILoggerFactory Logs => TestLogging.Create(output.WriteLine, LogLevel.Warning);

    /// <summary>The first 150 real orders, rebased to now, and their derived catalog.</summary>
    private static (HistoricalOrder[] Orders, IReadOnlyList<ProductUpserted> Catalog) History()
    {
        var read = OrderFiles.Read(RepositoryFiles.OnlineRetail).Orders;
        var catalog = OnlineRetailCatalog.Derive(read);
        var orders = read.Take(150).ToArray();
        var shift = DateTimeOffset.UtcNow - orders.Max(o => o.Timestamp);
        return (orders.Select(o => o with { Timestamp = o.Timestamp + shift }).ToArray(), catalog);
    }

    private async Task PublishHistoryAsync(HistoricalOrder[] orders, IReadOnlyList<ProductUpserted> catalog)
    {
        using var publisher = new EventPublisher(_kafka.Options);
        foreach (var p in catalog) publisher.Publish(Topics.Catalog, p.Sku, JsonSerializer.SerializeToUtf8Bytes(p, ContractsJson.Default.ProductUpserted));
        foreach (var o in orders)
            publisher.Publish(Topics.OrderEvents, o.OrderId, JsonSerializer.SerializeToUtf8Bytes(o.ToOrderCompleted(), ContractsJson.Default.OrderCompleted), o.Timestamp);
        await publisher.FlushAsync();
    }

    /// <summary>
    /// <c>cartxsell run -t recommender</c> in a child process, SIGKILLed at random points while it works through the
    /// carts (no close, no commit, no checkpoint), restarted on its RocksDB state and once with the state wiped: every
    /// cart's value in Redis must answer its latest event, nothing applied twice (the cart value would show it).
    /// </summary>
    [Fact]
    public async Task Killed_with_SIGKILL_at_random_points_every_cart_ends_with_its_latest_event()
    {
        var (orders, catalog) = History();
        await PublishHistoryAsync(orders, catalog);
        var products = catalog.Where(p => p.Price is > 1m and < 20m).Take(120).ToArray();
        var expected = new Dictionary<string, (decimal Value, DateTimeOffset Last)>();
        using var publisher = new EventPublisher(_kafka.Options);
        var storefront = new StorefrontCarts(publisher);
        void Fill(int from, int to)
        {
            for (var c = from; c < to; c++)
            {
                CartEvent last = null!;
                decimal value = 0;
                for (var i = 0; i < 4; i++)
                {
                    var p = products[(c * 4 + i) % products.Length];
                    last = storefront.AddItem($"cart-{c}", $"s-{c}", p.Sku, p.Variants[0].VariantId, 1 + i % 2, p.Price);
                    value += p.Price * (1 + i % 2);
                }
                lock (expected) expected[$"cart-{c}"] = (value, last.Timestamp);
            }
        }
        // 200 carts before the first life, the other 400 in eight slices a second apart while the lives are killed, so
        // the first kill lands while events are still arriving (published all at once, a life could finish first).
        Fill(0, 200);
        await storefront.FlushAsync();
        var answering = new RecommendationStore(_redis.Connection, new RedisStoreOptions { Configuration = _redis.Server.Configuration });
        // Read side by side, never blocking a pool thread on a read: 600 blocking reads in a row starved the pool on a
        // loaded CI machine until a read timed out.
        async Task<string> Answered()
        {
            KeyValuePair<string, (decimal Value, DateTimeOffset Last)>[] sent;
            lock (expected) sent = [.. expected];
            var values = await Task.WhenAll(sent.Select(e => answering.ReadAsync(e.Key)));
            var answered = sent.Where((e, i) => values[i] is { } v && v.EventTimestamp >= e.Value.Last).Count();
            return $"{answered} of 600 carts answered their latest event by then";
        }

        var stateDirectory = Path.Combine(Path.GetTempPath(), "cartxsell-crash-" + Guid.NewGuid().ToString("N"));
        ChildProcess Start() => ChildProcess.Run(output, "recommender", _kafka.Options, _redis.Server.Configuration,
            new Dictionary<string, string>
            {
                ["CARTXSELL__Streams__StateDirectory"] = stateDirectory,
                ["CARTXSELL__Streams__CommitInterval"] = "00:00:00.050",
                ["CARTXSELL__Streams__SessionTimeout"] = "00:00:06",
            });
        try
        {
            var trickle = Trickle.InSlicesAsync(200, 600, 8, TimeSpan.FromSeconds(1), async (from, to) =>
            {
                Fill(from, to);
                await storefront.FlushAsync();
            });
            await ChildProcess.KillThreeLivesAsync(Start, "recommender", stateDirectory, 100, 1_000, output,
                async () => await Answered() + (trickle.IsCompleted ? "" : ", events still arriving"));
            await trickle;
            using var last = Start();
            var store = new RecommendationStore(_redis.Connection, new RedisStoreOptions { Configuration = _redis.Server.Configuration });
            await WaitForCartsAsync(store, expected, "every cart's value reflects its latest event, each event applied once");
        }
        finally
        {
            if (Directory.Exists(stateDirectory)) Directory.Delete(stateDirectory, recursive: true);
        }
    }

    private CrossSellService Recommender(string? redisConfiguration = null, Rebalancing rebalancing = Rebalancing.Eager) => new(new CrossSellServiceOptions
    {
        Kafka = _kafka.Options,
        Streams = new StreamsOptions { CommitInterval = Streams.CommitInterval, Rebalancing = rebalancing },
        Redis = new() { Configuration = redisConfiguration ?? _redis.Server.Configuration, MaxRetries = 30, MaxBackoff = TimeSpan.FromSeconds(1) },
        Recommender = new() { MaxCartLines = 6 },
        Topologies = ["recommender"],
    }, Logs);

    private static async Task<Dictionary<string, (decimal Value, DateTimeOffset Last)>> AddToCartsAsync(
        StorefrontCarts storefront, IReadOnlyList<ProductUpserted> products, int carts, int round,
        Dictionary<string, (decimal Value, DateTimeOffset Last)> expected)
    {
        for (var c = 0; c < carts; c++)
        {
            var p = products[(c + round * 7) % products.Count];
            var e = storefront.AddItem($"cart-{c}", $"s-{c}", p.Sku, p.Variants[0].VariantId, 1, p.Price);
            var before = expected.GetValueOrDefault($"cart-{c}").Value;
            expected[$"cart-{c}"] = (before + p.Price, e.Timestamp);
        }
        await storefront.FlushAsync();
        return expected;
    }

    private static Task WaitForCartsAsync(RecommendationStore store, Dictionary<string, (decimal Value, DateTimeOffset Last)> expected, string what) =>
        CartValues.UntilEveryCartAnswersAsync(store, expected, TimeSpan.FromSeconds(90), what);

    /// <summary>The catalog published; 50 cheap products to add, a storefront, the carts' Redis values and what they should be.</summary>
    private sealed class CartScenario(EventPublisher publisher, ProductUpserted[] products, RecommendationStore store) : IDisposable
    {
        public ProductUpserted[] Products => products;
        public StorefrontCarts Storefront { get; } = new(publisher);
        public RecommendationStore Store => store;
        public Dictionary<string, (decimal Value, DateTimeOffset Last)> Expected { get; } = [];
        public void Dispose() => publisher.Dispose();
    }

    private async Task<CartScenario> CartScenarioAsync()
    {
        var (_, catalog) = History();
        await PublishHistoryAsync([], catalog);
        return new CartScenario(new EventPublisher(_kafka.Options), catalog.Where(p => p.Price is > 1m and < 20m).Take(50).ToArray(),
            new RecommendationStore(_redis.Connection, new RedisStoreOptions { Configuration = _redis.Server.Configuration }));
    }

    /// <summary>
    /// Scale-out, then fail-over by a graceful leave, with either rebalancing protocol (<c>Streams:Rebalancing</c>): the
    /// default eager one, and the cooperative one a store may choose, whose upstream history includes instances that
    /// stopped processing after a cooperative rebalance. Both members must process after the join, and the survivor
    /// must answer the moved carts after the leave.
    /// </summary>
    [Theory]
    [InlineData(Rebalancing.Eager)]
    [InlineData(Rebalancing.Cooperative)]
    public async Task Two_instances_split_the_carts_and_the_survivor_carries_on_from_restored_state(Rebalancing rebalancing)
    {
        using var carts = await CartScenarioAsync();
        var (products, storefront, store, expected) = (carts.Products, carts.Storefront, carts.Store, carts.Expected);

        await using var survivor = Recommender(rebalancing: rebalancing);
        var leaving = Recommender(rebalancing: rebalancing);
        await Task.WhenAll(survivor.StartAsync(), leaving.StartAsync());
        // The group of both has formed and each member holds tasks (the cooperative protocol may hand partitions over in
        // a second round) before the carts come: otherwise one member could answer them all.
        await Polling.UntilAsync(async () => (await TasksInMetricsAsync(survivor)).Count > 0 && (await TasksInMetricsAsync(leaving)).Count > 0,
            TimeSpan.FromSeconds(60), "both members hold tasks");
        long Processed(CrossSellService s) => s.StreamsMetrics.ProcessedCount(TopologyNames.CartRecommender, Topics.CartEvents);

        await AddToCartsAsync(storefront, products, 40, 0, expected);
        await AddToCartsAsync(storefront, products, 40, 1, expected);
        await WaitForCartsAsync(store, expected, "both instances answered their carts");
        Assert.True(Processed(leaving) > 0 && Processed(survivor) > 0, $"carts split: {Processed(survivor)} and {Processed(leaving)} events");
        // At-least-once: a commit refused during the start-up rebalance makes the new owner process a few events again,
        // and each time a thread is fenced on a loaded machine it processes its uncommitted events again (seen in a CI
        // run: 174, after three fences); the carts' values above prove none was applied twice. Every event at least
        // once; a bound of three times each catches a replay that does not stop.
        Assert.InRange(Processed(survivor) + Processed(leaving), 80, 240);
        var restoredBefore = survivor.Applications.Single().RestoredRecords;

        await leaving.DisposeAsync();
        await AddToCartsAsync(storefront, products, 40, 2, expected);
        await WaitForCartsAsync(store, expected, "every cart, including the ones moved over, reflects all its events");
        // At-least-once: events the leaving instance processed after its last commit are processed again by the
        // survivor, and a thread fenced by a rebalance on a loaded machine (seen in CI: 180) processes its uncommitted
        // events again too; the carts' values above prove none was applied twice. At most three times each, as above.
        Assert.InRange(Processed(survivor) + Processed(leaving), 120, 360);
        Assert.True(survivor.Applications.Single().RestoredRecords > restoredBefore, "the moved partitions' carts were restored from the changelog");
    }

    /// <summary>
    /// Streamiz's sensors as <c>/metrics</c> shows them follow the tasks: once a second instance has taken some of the
    /// first one's partitions, each instance publishes per-task series only for the tasks it holds, not the last values
    /// of the tasks that moved away.
    /// </summary>
    [Fact]
    public async Task After_a_rebalance_each_instance_publishes_task_sensors_only_for_the_tasks_it_holds()
    {
        using var carts = await CartScenarioAsync();
        var (products, storefront, store, expected) = (carts.Products, carts.Storefront, carts.Store, carts.Expected);
        await using var first = Recommender();
        await first.StartAsync();
        await AddToCartsAsync(storefront, products, 40, 0, expected);
        await WaitForCartsAsync(store, expected, "the first instance answered every cart");
        // Polled, not read once: a thread fenced by a rebalance on a loaded machine closes its tasks (and their sensors)
        // for a moment before it takes them again (seen in a CI run).
        var alone = new HashSet<string>();
        await Polling.UntilAsync(async () => (alone = await TasksInMetricsAsync(first)).Count > 0, TimeSpan.FromSeconds(60), "the first instance's task sensors");

        await using var second = Recommender();
        await second.StartAsync();
        // Started is not yet assigned: events added before the group has formed with both went to the first instance
        // alone, and the second then had nothing to process (seen in a CI run).
        await second.Applications.Single().WaitUntilRunningAsync(TimeSpan.FromSeconds(60));
        await AddToCartsAsync(storefront, products, 40, 1, expected);
        await WaitForCartsAsync(store, expected, "both instances answered their carts");
        await Polling.UntilAsync(() => Task.FromResult(second.StreamsMetrics.ProcessedCount(TopologyNames.CartRecommender, Topics.CartEvents) > 0),
            TimeSpan.FromSeconds(60), "the second instance processed its partitions");
        HashSet<string> a = [], b = [];
        await Polling.UntilAsync(async () =>
            {
                (a, b) = (await TasksInMetricsAsync(first), await TasksInMetricsAsync(second));
                return b.Count > 0 && a.Count > 0 && a.Count < alone.Count && !a.Overlaps(b);
            }, TimeSpan.FromSeconds(60),
            () => $"each instance publishes only the tasks it holds (alone: {string.Join(",", alone)}; now {string.Join(",", a)} and {string.Join(",", b)})");
        output.WriteLine($"alone: {string.Join(",", alone)}; then {string.Join(",", a)} and {string.Join(",", b)}");
    }

    private static async Task<HashSet<string>> TasksInMetricsAsync(CrossSellService service)
    {
        return [.. System.Text.RegularExpressions.Regex.Matches(await MetricsText.OfAsync(service.Metrics),
                "^cartxsell_streamiz\\{topology=\"recommender\",[^}]*task=\"(?<task>[^\"]+)\"", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups["task"].Value)];
    }

    /// <summary>
    /// Fail-over by a crash while events flow (the graceful case, with no traffic during the move, is above): one of two
    /// members is a <c>cartxsell run</c> child SIGKILLed between two waves of events; the group reassigns its partitions
    /// to the survivor once its session times out, and the survivor replays what the dead member had not committed.
    /// </summary>
    [Fact]
    public async Task One_of_two_instances_killed_while_events_flow_loses_and_double_counts_nothing()
    {
        using var carts = await CartScenarioAsync();
        var (products, storefront, store, expected) = (carts.Products, carts.Storefront, carts.Store, carts.Expected);

        await using var survivor = Recommender();
        using var killed = ChildProcess.Run(output, "recommender", _kafka.Options, _redis.Server.Configuration,
            new Dictionary<string, string>
            {
                ["CARTXSELL__Streams__CommitInterval"] = "00:00:00.050",
                ["CARTXSELL__Streams__SessionTimeout"] = "00:00:03", // the group notices the dead member after this
                ["CARTXSELL__Recommender__MaxCartLines"] = "6",
            });
        await Task.WhenAll(survivor.StartAsync(), killed.WaitForOutputAsync("recommender: REBALANCING -> RUNNING", TimeSpan.FromSeconds(60)));
        await survivor.Applications.Single().WaitUntilRunningAsync(TimeSpan.FromSeconds(60)); // the group of both has formed
        long Processed() => survivor.StreamsMetrics.ProcessedCount(TopologyNames.CartRecommender, Topics.CartEvents);

        await AddToCartsAsync(storefront, products, 40, 0, expected);
        await WaitForCartsAsync(store, expected, "both members answered their carts");
        Assert.InRange(Processed(), 1, 39); // the carts are split: the child answered the others
        await AddToCartsAsync(storefront, products, 40, 1, expected);
        killed.Kill(); // in the middle of the second wave: some of its events processed, some committed, some neither
        await AddToCartsAsync(storefront, products, 40, 2, expected);
        await WaitForCartsAsync(store, expected, "every cart, the dead member's included, reflects each of its events once");
    }

    /// <summary>
    /// A stream thread that dies makes <c>cartxsell run</c> exit non-zero, so a supervisor (Kubernetes, systemd) starts
    /// it again: Redis goes away and the writer gives up after its one retry, the commit's barrier fails, the thread
    /// stops, and the process exits with 1 instead of staying up without processing.
    /// </summary>
    [Fact]
    public async Task When_the_stream_thread_dies_cartxsell_run_exits_with_1()
    {
        var (_, catalog) = History();
        await PublishHistoryAsync([], catalog);
        var products = catalog.Where(p => p.Price is > 1m and < 20m).Take(50).ToArray();
        var stateDirectory = Path.Combine(Path.GetTempPath(), "cartxsell-exit-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var child = ChildProcess.Run(output, "recommender", _kafka.Options, _redis.Server.Configuration,
                new Dictionary<string, string>
                {
                    ["CARTXSELL__Streams__StateDirectory"] = stateDirectory,
                    ["CARTXSELL__Streams__CommitInterval"] = "00:00:00.050",
                    ["CARTXSELL__Redis__MaxRetries"] = "1",
                    ["CARTXSELL__Redis__MaxBackoff"] = "00:00:00.200",
                });
            await child.WaitForOutputAsync("recommender: REBALANCING -> RUNNING", TimeSpan.FromSeconds(60));
            _redis.Server.Stop();
            using var publisher = new EventPublisher(_kafka.Options);
            await AddToCartsAsync(new StorefrontCarts(publisher), products, 10, 0, []);

            Assert.Equal(1, await child.WaitForExitAsync(TimeSpan.FromSeconds(120)));
            // The group's own hosted service stopped the host, and its log line names the group.
            await child.WaitForOutputAsync("recommender: the topology group stopped by itself", TimeSpan.FromSeconds(5));
            await child.WaitForOutputAsync("stopped because recommender failed", TimeSpan.FromSeconds(5));
        }
        finally
        {
            if (Directory.Exists(stateDirectory)) Directory.Delete(stateDirectory, recursive: true);
        }
    }

    /// <summary>
    /// <c>Streams:Threads</c> = 2 in one instance (and the learner's own <c>Learner:Threads</c>, 2 by default): each
    /// group's tasks are split over two stream threads (a consumer each, members of the group like two instances), and
    /// the results are those of one thread: the learned rows equal the batch counts exactly, every cart's value
    /// answers its latest event, each applied once.
    /// </summary>
    [Fact]
    public async Task Two_stream_threads_in_one_instance_split_the_tasks_and_keep_the_results_exact()
    {
        var (catalog, batch) = await PublishHistoryWithBatchCountsAsync();

        await using var service = LearnerAndRecommender(new StreamsOptions { CommitInterval = Streams.CommitInterval, Threads = 2 });
        await StartUntilRowsAreAsync(service, batch);

        using var publisher = new EventPublisher(_kafka.Options);
        var storefront = new StorefrontCarts(publisher);
        var products = catalog.Where(p => p.Price is > 1m and < 20m).Take(50).ToArray();
        var expected = new Dictionary<string, (decimal Value, DateTimeOffset Last)>();
        await AddToCartsAsync(storefront, products, 40, 0, expected);
        await AddToCartsAsync(storefront, products, 40, 1, expected);
        await WaitForCartsAsync(service.Store!, expected, "every cart answers its latest event");

        // Read as an operator would, from /metrics: Streamiz's per-thread sensors, bridged with the thread as a label.
        var metrics = await MetricsText.OfAsync(service.Metrics);
        foreach (var group in new[] { "learner", "recommender" })
        {
            var threads = StreamThreads(metrics, group, processedOnly: true);
            Assert.True(threads.Length == 2, $"{group}: records processed on {threads.Length} threads ({string.Join(", ", threads)})");
        }
    }

    /// <summary>
    /// The learner runs on its own thread count, <c>Learner:Threads</c> (default 2: its splitter and aggregator tasks
    /// then use both cores instead of taking turns on one), while the other groups keep <c>Streams:Threads</c> (default
    /// 1); the rows learned on two threads still equal the batch counts exactly.
    /// </summary>
    [Fact]
    public async Task The_learner_runs_on_its_own_threads_while_the_other_groups_keep_Streams_Threads()
    {
        var (_, batch) = await PublishHistoryWithBatchCountsAsync();
        Assert.Equal(2, new LearnerOptions().Threads);
        Assert.Equal(1, new StreamsOptions().Threads);
        Assert.Throws<OptionsValidationException>(() => new LearnerOptions { Threads = 0 }.Validate());

        await using var service = LearnerAndRecommender(Streams);
        await StartUntilRowsAreAsync(service, batch);

        var metrics = await MetricsText.OfAsync(service.Metrics);
        var learner = StreamThreads(metrics, "learner", processedOnly: true);
        Assert.True(learner.Length == 2, $"learner: records processed on {learner.Length} threads ({string.Join(", ", learner)})");
        var recommender = StreamThreads(metrics, "recommender", processedOnly: false);
        Assert.True(recommender.Length == 1, $"recommender: {recommender.Length} threads ({string.Join(", ", recommender)})");
    }

    private CrossSellService LearnerAndRecommender(StreamsOptions streams) => new(new CrossSellServiceOptions
    {
        Kafka = _kafka.Options,
        Streams = streams,
        Redis = new() { Configuration = _redis.Server.Configuration },
        Learning = Learning,
        Recommender = new() { MaxCartLines = 6 },
        Topologies = ["learner", "recommender"],
    }, Logs);

    /// <summary>Starts the service and waits until the rows it published equal the batch counts.</summary>
    private async Task StartUntilRowsAreAsync(CrossSellService service, BasketLearner batch)
    {
        await service.StartAsync();
        var difference = "";
        await Polling.UntilAsync(() => Task.FromResult(LearnedRows.SameAsBatch(LearnedRows.Published(_kafka.Options), batch, out difference)),
            TimeSpan.FromSeconds(120), () => $"the learned rows equal the batch recomputation ({difference})");
    }

    /// <summary>The history published, and the rows a batch learner computes from it (what the stream must publish).</summary>
    private async Task<(IReadOnlyList<ProductUpserted> Catalog, BasketLearner Batch)> PublishHistoryWithBatchCountsAsync()
    {
        var (orders, catalog) = History();
        await PublishHistoryAsync(orders, catalog);
        var engineCatalog = new InMemoryCatalog(catalog.Select(p => p.ToCatalogItem()));
        var batch = new BasketLearner(Learning);
        foreach (var o in orders) batch.AddOrder(o.Lines.Select(l => l.Sku).ToArray(), o.Timestamp, s => engineCatalog.Find(s)?.LeafCategory);
        return (catalog, batch);
    }

    /// <summary>
    /// A group's stream threads as an operator reads them from <c>/metrics</c>: Streamiz's per-thread sensors, bridged
    /// with the thread as a label; with <paramref name="processedOnly"/>, only threads that processed records.
    /// </summary>
    private static string[] StreamThreads(string metrics, string group, bool processedOnly) =>
        System.Text.RegularExpressions.Regex.Matches(metrics,
                "^cartxsell_streamiz\\{topology=\"" + group + "\",metric_group=\"stream-thread-metrics\",metric=\"process-rate-total\",thread=\"(?<thread>[^\"]+)\",task=\"\",store=\"\"\\} (?<total>\\S+)$",
                System.Text.RegularExpressions.RegexOptions.Multiline)
            .Where(m => !processedOnly || double.Parse(m.Groups["total"].Value, System.Globalization.CultureInfo.InvariantCulture) > 0)
            .Select(m => m.Groups["thread"].Value).Distinct().ToArray();

    [Fact]
    public async Task A_redis_outage_pauses_the_recommender_and_every_affected_cart_is_right_afterwards()
    {
        var (_, catalog) = History();
        await PublishHistoryAsync([], catalog);
        var products = catalog.Where(p => p.Price is > 1m and < 20m).Take(50).ToArray();
        using var publisher = new EventPublisher(_kafka.Options);
        var storefront = new StorefrontCarts(publisher);
        var expected = new Dictionary<string, (decimal Value, DateTimeOffset Last)>();
        await using var service = Recommender();
        await service.StartAsync();
        await AddToCartsAsync(storefront, products, 20, 0, expected);
        await WaitForCartsAsync(service.Store!, expected, "carts before the outage");

        _redis.Server.Stop();
        await AddToCartsAsync(storefront, products, 20, 1, expected);
        await AddToCartsAsync(storefront, products, 20, 2, expected);
        await Task.Delay(1500); // events keep arriving while Redis is down
        Assert.True(service.Applications.Single().IsRunning, "the recommender waits for Redis; it does not stop");
        await Polling.UntilAsync(() => Task.FromResult(!service.IsReady), TimeSpan.FromSeconds(10), "not ready while Redis writes fail");
        Assert.Equal("Redis writes are failing", service.NotReadyBecause); // what /health/ready answers
        Assert.True(service.IsLive, "live while it retries");
        _redis.Restart();

        await WaitForCartsAsync(service.Store!, expected, "every affected cart after the outage");
        Assert.True(service.IsLive);
        await Polling.UntilAsync(() => Task.FromResult(service.IsReady), TimeSpan.FromSeconds(10), "ready again once Redis writes succeed");
    }

    [Fact]
    public async Task A_burst_far_above_the_processing_rate_is_absorbed_in_bounded_memory_and_nothing_is_dropped()
    {
        var (_, catalog) = History();
        await PublishHistoryAsync([], catalog);
        var products = catalog.Where(p => p.Price is > 1m and < 20m).Take(60).ToArray();
        var expected = new Dictionary<string, (decimal Value, DateTimeOffset Last)>();
        using (var publisher = new EventPublisher(_kafka.Options))
        {
            var storefront = new StorefrontCarts(publisher);
            for (var round = 0; round < 5; round++) await AddToCartsAsync(storefront, products, 6_000, round, expected); // 30,000 events at once
        }

        GC.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peakHeap = 0;
        var peakPending = 0;
        await using var service = Recommender();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
                peakPending = Math.Max(peakPending, service.Writer?.Pending ?? 0);
                await Task.Delay(20);
            }
        });
        await service.StartAsync();
        await WaitForCartsAsync(service.Store!, expected, "all 30,000 events of the burst took effect");
        await sampling.CancelAsync();
        await sampler;

        output.WriteLine($"heap baseline {baseline / 1048576} MiB, peak {peakHeap / 1048576} MiB; peak Redis buffer {peakPending} carts");
        Assert.True(peakPending > 0, "the sampler never saw the Redis writer's buffer");
        Assert.InRange(peakPending, 1, new RedisStoreOptions().MaxPendingWrites); // the Redis buffer is bounded
        Assert.True(peakHeap - baseline < 512L * 1024 * 1024, $"heap grew by {(peakHeap - baseline) / 1048576} MiB");
        Assert.Equal(30_000, service.StreamsMetrics.ProcessedCount(TopologyNames.CartRecommender, Topics.CartEvents));
    }

    [Fact]
    public async Task Every_kind_of_bad_input_is_dead_lettered_with_its_reason_while_every_valid_event_takes_effect()
    {
        var (_, catalog) = History();
        await PublishHistoryAsync([], catalog);
        var products = catalog.Where(p => p.Price is > 1m and < 20m).Take(20).ToArray();
        await using var service = Recommender();
        await service.StartAsync();
        using var publisher = new EventPublisher(_kafka.Options);
        var storefront = new StorefrontCarts(publisher);
        var expected = new Dictionary<string, (decimal Value, DateTimeOffset Last)>();

        CartEvent Valid(string cart, int i) => new()
        {
            EventId = Guid.NewGuid().ToString(), Type = CartEventType.ItemAdded, CartId = cart, SessionId = "s-" + cart,
            Sku = products[i].Sku, VariantId = products[i].Variants[0].VariantId, Quantity = 1, UnitPrice = products[i].Price, Timestamp = DateTimeOffset.UtcNow,
        };
        void Raw(string cart, string json) => storefront.PublishRaw(cart, Encoding.UTF8.GetBytes(json));
        string Json(CartEvent e) => JsonSerializer.Serialize(e, ContractsJson.Default.CartEvent);

        var bad = new List<(string Cart, string Kind, string Reason)>();
        for (var round = 0; round < 3; round++)
        {
            await AddToCartsAsync(storefront, products, 5, round, expected);
            var cart = $"bad-{round}";
            Raw(cart, "{\"type\":\"itemAdded\",");                                          bad.Add((cart, DeadLetterKinds.Unparseable, "not valid CartEvent JSON"));
            Raw(cart, Json(Valid(cart, 0)).Replace("\"cartId\"", "\"cartIdentifier\""));   bad.Add((cart, DeadLetterKinds.Unparseable, "cartId"));
            Raw(cart, Json(Valid(cart, 0) with { Sku = "NO-SUCH-SKU" }));                    bad.Add((cart, DeadLetterKinds.UnknownSku, "NO-SUCH-SKU"));
            Raw(cart, Json(Valid(cart, 0) with { Quantity = -3 }));                          bad.Add((cart, DeadLetterKinds.Invalid, "quantity must be positive"));
            Raw(cart, Json(Valid(cart, 0) with { UnitPrice = -1m }));                        bad.Add((cart, DeadLetterKinds.Invalid, "unitPrice must not be negative"));
            Raw(cart, Json(Valid(cart, 0) with { Attributes = new Dictionary<string, string> { ["note"] = new string('x', 70_000) } }));
            bad.Add((cart, DeadLetterKinds.Oversized, "bytes"));
            var absurd = $"absurd-{round}";
            for (var i = 0; i < 7; i++) Raw(absurd, Json(Valid(absurd, i)));                 // the cap is 6 lines
            bad.Add((absurd, DeadLetterKinds.CartTooLarge, "limit 6"));
            var sum = products.Take(6).Sum(p => p.Price);
            expected[absurd] = (sum, default);
        }
        await storefront.FlushAsync();
        await AddToCartsAsync(storefront, products, 5, 3, expected);

        await Polling.UntilAsync(async () =>
        {
            foreach (var (cartId, (value, last)) in expected)
            {
                var stored = await service.Store!.ReadAsync(cartId);
                if (stored is null || stored.CartValue != value || (last != default && stored.EventTimestamp != last)) return false;
            }
            return true;
        }, TimeSpan.FromSeconds(60), "every valid event took effect");

        var dead = TopicProbe.ReadAll(_kafka.Options, Topics.DeadLetters, bad.Count, TimeSpan.FromSeconds(20))
            .Select(r => JsonSerializer.Deserialize(r.Message.Value, ContractsJson.Default.DeadLetter)!).ToList();
        Assert.Equal(bad.Count, dead.Count);
        foreach (var (cart, kind, reason) in bad)
        {
            var match = dead.FirstOrDefault(d => d.Key == cart && d.Kind == kind && d.Reason.Contains(reason, StringComparison.Ordinal));
            Assert.True(match is not null, $"no dead letter {kind} '{reason}' for {cart}; got: {string.Join(" | ", dead.Where(d => d.Key == cart).Select(d => d.Kind + ": " + d.Reason))}");
            Assert.Equal(Topics.CartEvents, match!.SourceTopic);
            Assert.True(match.SourceOffset >= 0 && match.SourcePartition >= 0);
            dead.Remove(match);
        }
        var text = await MetricsText.OfAsync(service.Metrics);
        Assert.Contains("cartxsell_records_dead_lettered_total{topology=\"cart-recommender\",topic=\"cart-events\",kind=\"unknown-sku\"} 3", text);
    }
}
