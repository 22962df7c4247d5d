using System.Diagnostics;
using System.Globalization;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.Contracts;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.Topologies.Recommending;
using CartCrossSell.OrderHistory;
using CartCrossSell.Streams;
using CartCrossSell.Topologies;
using Confluent.Kafka;

namespace CartCrossSell.Load;

/// <summary>
/// The end-to-end run: the embedded broker and a local redis-server in this process's care, each topology group as
/// its own <c>cartxsell run</c> process, and the storefront (producer, readers, freshness probe) played from here.
/// Phases run one after another so that each measures one thing: learner backlog, recommender backlog, fixed-rate
/// freshness with storefront reads, the redis-benchmark floor, an optional shorter commit interval, and the outcomes
/// group catching up on everything before resident memory is read.
/// </summary>
public sealed class LoadBenchmark(LoadOptions options, ProgressLog log)
{
    private readonly CpuAccounting _cpu = new();

    private const string KeyPrefix = "xsell:v1:cart:";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan GroupTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(5);

    public async Task<RunResults> RunAsync(RunResults results, CancellationToken ct)
    {
        using var bench = BenchEnvironment.Start(options.ResultsDirectory, $"logs-{results.StartedAt:yyyyMMdd-HHmmss}", log);
        var (logs, redisPort, bootstrap, environment) = (bench.Logs, bench.RedisPort, bench.BootstrapServers, bench.Embedded);
        await using var watcher = await RedisWatcher.StartAsync(redisPort, KeyPrefix);
        var redis = $"127.0.0.1:{redisPort}";
        _cpu.Track("driver (broker, storefront, probe)", Environment.ProcessId);
        _cpu.Track("redis-server", await watcher.ServerProcessIdAsync());

        // 1. Backlogs, produced before any topology runs, so the drains measure the service and not this producer.
        // With a learner warm-up, its orders go first and the timed ones once they are learned (below), so none of the
        // timed orders is learned cold, and a long backlog finds the warm-up consumed before the embedded broker's
        // ~5 MiB per partition trims it.
        using var orderPublisher = new EventPublisher(environment.Kafka.ToOptions());
        var firstOrders = await OrderBacklog.PublishAsync(orderPublisher, options.OrdersPath,
            options.LearnerWarmupLines > 0 ? options.LearnerWarmupLines : options.LearnerLines, ct);
        if (options.LearnerWarmupLines > 0)
        {
            results.LearnerWarmup = firstOrders;
            log.Line($"learner warm-up: {firstOrders.Orders:N0} orders, {firstOrders.Lines:N0} lines ({firstOrders.Copies} copies of the file), catalog of {firstOrders.Products:N0} products");
        }
        else
        {
            results.OrderBacklog = firstOrders;
            log.Line($"order backlog: {firstOrders.Orders:N0} orders, {firstOrders.Lines:N0} lines ({firstOrders.Copies} copies of the file), catalog of {firstOrders.Products:N0} products");
        }
        var baskets = CartTraffic.Baskets(OrderFiles.Read(options.OrdersPath).Orders, options.MaxCartProducts);
        results.Baskets = baskets.Count;
        results.MeanBasketLines = baskets.Average(b => b.Lines.Count);
        using var storefrontPublisher = new EventPublisher(environment.Kafka.ToOptions(), options.ProducerLingerMs);
        var traffic = new CartTraffic(baskets, options.ActiveCarts, new StorefrontCarts(storefrontPublisher), options.Seed,
            results.StartedAt.ToString("HHmmss", CultureInfo.InvariantCulture));
        var queued = options.WarmupEvents + options.BacklogEvents;
        for (var i = 0; i < queued; i++)
        {
            traffic.PublishNext();
            if ((i + 1) % 20_000 == 0) log.Line($"cart backlog: {i + 1:N0}/{queued:N0} events queued");
        }
        await storefrontPublisher.FlushAsync(ct);
        var backlogCarts = traffic.LastEventAt.ToDictionary(StringComparer.Ordinal);
        log.Line($"cart backlog: {options.WarmupEvents:N0} warm-up and {options.BacklogEvents:N0} timed events over {backlogCarts.Count:N0} carts from {baskets.Count:N0} real baskets; load average {ProgressLog.LoadAverage()}");

        var multiBuy = OnlineRetailCatalog.MultiBuyCategories.Order(StringComparer.Ordinal)
            .Select((c, i) => ($"CARTXSELL__Recommender__Ranking__MultiBuyCategories__{i}", c))
            .ToDictionary(p => p.Item1, p => p.c);

        // 2. Learner.
        await using var learner = ServiceProcess.Start(options.CliPath, TopologyNames.Learner, bootstrap, redis, logs);
        using var watermarks = BenchTools.WatermarkReader(bootstrap);
        _cpu.Track("learner", learner.Pid);
        if (results.LearnerWarmup is { } warmupOrders)
        {
            var warmed = await MeasureLearnerAsync(learner, watermarks, warmupOrders, LearnerCounts.None, "learner warm-up", ct);
            log.Line(string.Create(CultureInfo.InvariantCulture, $"learner warm-up: {warmupOrders.Lines:N0} lines learned (not timed: {warmed.LinesPerSecond:N0} lines/s cold); publishing the timed backlog"));
            // The timed part starts from a look taken before the first timed order is out (the learner splits the first
            // ones before the next scrape would see it idle).
            var before = new LearnerCounts(warmupOrders.Orders, warmed.RowUpdates,
                new LearnerLook(Stopwatch.GetTimestamp(), await learner.ScrapeAsync(ct), _cpu.Sample(), RowsPublished(watermarks)));
            var timed = await OrderBacklog.PublishCopiesAsync(orderPublisher, options.OrdersPath, options.LearnerLines, "t", DateTimeOffset.UtcNow, ct);
            results.OrderBacklog = timed with { Products = warmupOrders.Products };
            log.Line($"order backlog: {timed.Orders:N0} orders, {timed.Lines:N0} lines ({timed.Copies} copies of the file)");
            results.Learner = await MeasureLearnerAsync(learner, watermarks, results.OrderBacklog, before, "learner", ct);
        }
        else
        {
            results.Learner = await MeasureLearnerAsync(learner, watermarks, results.OrderBacklog!, LearnerCounts.None, "learner", ct);
        }
        log.Line(results.Learner is { Duration: { } learned, LinesPerSecond: { } linesPerSecond, SplitterLinesPerSecond: { } splitterPerSecond }
            ? string.Create(CultureInfo.InvariantCulture, $"learner: {results.Learner.Lines:N0} lines in {learned.TotalSeconds:0.0} s = {linesPerSecond:N0} lines/s (splitter alone {splitterPerSecond:N0} lines/s)")
            : $"learner: {NotMeasured.Learner}");
        log.Line($"learner, CPU: {results.Learner.Cpu}");
        log.Line($"learner, its own view: splitter {results.Learner.Splitter.Describe(freshness: false)}; aggregator {results.Learner.Aggregator.Describe(freshness: false)}");
        if (options.StopAfter == "learner")
        {
            results.Memory.Add(new MemoryRow("learner", learner.Memory(), $"after the backlog ({results.LinesLearned:N0} lines learned)"));
            return results;
        }
        // Changed rows go out at most once per Learner:RowPublishInterval (1 s): give the last ones time to leave.
        await Task.Delay(TimeSpan.FromSeconds(3), ct);

        // 3. Recommender drain. A model given with --model goes into service first: the recommender's global store
        // restores it before the first cart event, so every event of the drain and the phases is ranked with it.
        if (options.ModelPath is { } modelPath)
        {
            var model = RankingModel.FromBytes(await File.ReadAllBytesAsync(modelPath, ct));
            storefrontPublisher.Publish(Topics.RankingModels, ModelTable.ServingKey, model.ToBytes());
            await storefrontPublisher.FlushAsync(ct);
            results.ModelVersion = model.Version;
            log.Line($"model {model.Version} ({model.Cascade}) put in service on {Topics.RankingModels}");
        }
        var recommender = ServiceProcess.Start(options.CliPath, TopologyNames.Recommender, bootstrap, redis, logs,
            new Dictionary<string, string>(multiBuy) { ["CARTXSELL__Streams__CommitInterval"] = options.CommitInterval.ToString("c", CultureInfo.InvariantCulture) });
        _cpu.Track("recommender", recommender.Pid);
        ServiceProcess? outcomes = null;
        var ordersInLog = 0;
        try
        {
            results.Drain = await MeasureDrainAsync(recommender, watcher, backlogCarts, options.WarmupEvents, options.BacklogEvents, ct);
            log.Line(results.Drain is { Duration: { } drained, EventsPerSecond: { } drainRate }
                ? string.Create(CultureInfo.InvariantCulture,
                    $"recommender drain: {results.Drain.Events:N0} events in {drained.TotalSeconds:0.00} s = {drainRate:N0} events/s; {results.Drain.DeadLettered} dead-lettered; load average {ProgressLog.LoadAverage()}")
                : $"recommender drain: {NotMeasured.Drain(options.WarmupEvents)}");
            log.Line($"recommender drain, the recommender's view: {results.Drain.Service.Describe(freshness: false)}");
            log.Line($"recommender drain, CPU: {results.Drain.Cpu}");
            results.DrainRankedBy = await watcher.CountRankedByAsync(backlogCarts.Keys, ct);
            log.Line($"recommender drain, what ranked the carts' values: {MarkdownReport.RankedBy(results.DrainRankedBy)}");
            // The fixed-rate phases run at shares of the drain's rate (--rates too are reported as shares of it): without it, stop here.
            var sustained = results.Drain.EventsPerSecond;
            if (sustained is null)
                results.Notes.Add("The drain was not measured (row 1), so the fixed-rate phases, placed by its rate, did not run; a larger --warmup gives the scrapes time to see the timed part begin.");
            if (options.StopAfter == "drain" || sustained is null)
            {
                results.Memory.Add(new MemoryRow("recommender", recommender.Memory(), "after the drain"));
                results.Memory.Insert(0, new MemoryRow("learner", learner.Memory(), $"after the drain ({results.LinesLearned:N0} lines learned)"));
                return results;
            }

            // 4. Outcomes: started now and left running, because the mock cluster keeps only the newest 5 MiB of each
            // partition: a consumer that starts at the end of the run finds the first cart events gone. It catches up
            // on the backlog before the phases, so it competes with them only for the live events, as in a deployment.
            if (options.WithOutcomes)
            {
                outcomes = ServiceProcess.Start(options.CliPath, TopologyNames.Outcomes, bootstrap, redis, logs);
                _cpu.Track("outcomes", outcomes.Pid);
                // Every order the broker still holds (the warm-up's oldest may be gone: the mock keeps ~5 MiB per partition).
                ordersInLog = (int)BenchTools.Watermarks(watermarks, Topics.OrderEvents, BenchTools.EmbeddedPartitions).Retained;
                results.Outcomes = await MeasureOutcomesAsync(outcomes, traffic.Published, ordersInLog, ct);
            }
            else log.Line("outcomes: left out (--no-outcomes); the phases run the recommender, the broker and redis-server");

            // 5. Fixed-rate phases; storefront readers during the first.
            var rates = options.FixedRates.Count > 0
                ? options.FixedRates.Select(r => ((double)r, r / sustained.Value)).ToArray()
                : options.LoadShares.Select(s => (s * sustained.Value, s)).ToArray();
            var readerKeys = backlogCarts.Keys.Select(k => KeyPrefix + k).ToArray();
            var readersPhase = Array.IndexOf(rates, rates.MinBy(r => Math.Abs(r.Item2 - 0.5)));
            for (var i = 0; i < rates.Length; i++)
            {
                var (rate, share) = rates[i];
                var phase = await RunPhaseAsync($"{share:P0} of sustained", share, rate, options.CommitInterval, recommender, 0, watcher,
                    storefrontPublisher, traffic, i == readersPhase ? readerKeys : null, results, redisPort, ct);
                results.Freshness.Add(phase);
            }

            // 6. The floor for storefront reads, on the same server, with the pipeline idle (every phase caught up).
            var payload = (int)Math.Round(results.Reads?.MeanPayloadBytes ?? 0);
            if (payload > 0)
            {
                log.Line($"redis-benchmark: GET of {payload} bytes, 50 clients, {options.RedisBenchmarkRequests:N0} requests");
                results.RedisBenchmark = await RedisBenchmarkRow.RunAsync(redisPort, payload, 50, options.RedisBenchmarkRequests, ct);
                if (results.RedisBenchmark is null) results.Notes.Add("redis-benchmark did not run (install redis-tools) or printed no GET row.");
                else log.Line(string.Create(CultureInfo.InvariantCulture,
                    $"redis-benchmark GET: {results.RedisBenchmark.RequestsPerSecond:N0} req/s, p50 {results.RedisBenchmark.P50Milliseconds:0.000} ms, p99 {results.RedisBenchmark.P99Milliseconds:0.000} ms"));
            }
            results.Memory.Add(new MemoryRow("recommender", recommender.Memory(), $"after the drain and the fixed-rate phases, commit interval {options.CommitInterval.TotalMilliseconds:0} ms"));
            await recommender.DisposeAsync();

            // 7. Optional: the first phase's rate with a shorter commit interval (a fresh instance; it restores the carts first).
            if (options.ShortCommitMs > 0 && results.Freshness.Count > 0)
            {
                var commit = TimeSpan.FromMilliseconds(options.ShortCommitMs);
                var env = new Dictionary<string, string>(multiBuy) { ["CARTXSELL__Streams__CommitInterval"] = commit.ToString("c", CultureInfo.InvariantCulture) };
                // The first instance committed everything it processed when it stopped: the new one starts after it.
                var baseline = traffic.Published;
                recommender = ServiceProcess.Start(options.CliPath, TopologyNames.Recommender, bootstrap, redis, logs, env, "recommender-short-commit");
                _cpu.Track("recommender", recommender.Pid);
                log.Line($"recommender with commit interval {options.ShortCommitMs} ms: starting (joins the group, restores the carts)");
                await recommender.WaitUntilRunningAsync(TopologyNames.Recommender, GroupTimeout, ct);
                var first = results.Freshness.MinBy(f => f.TargetRate)!;
                // A fresh process: let the JIT and the caches warm up at the phase's rate before measuring.
                log.Line($"recommender with commit interval {options.ShortCommitMs} ms: {WarmUp.TotalSeconds:0} s warm-up at {first.TargetRate:N0} events/s (not measured)");
                await FixedRateProducer.RunAsync(traffic, first.TargetRate, WarmUp, ct);
                results.Freshness.Add(await RunPhaseAsync($"{first.Share:P0} of sustained, commit {options.ShortCommitMs} ms", first.Share, first.TargetRate, commit,
                    recommender, baseline, watcher, storefrontPublisher, traffic, null, results, redisPort, ct));
                results.Memory.Add(new MemoryRow($"recommender (commit {options.ShortCommitMs} ms instance)", recommender.Memory(),
                    "after restoring the carts changelog (what the mock retained) and one phase"));
            }

            // 8. Memory of every group at the end of the run, while each still runs.
            results.Memory.Insert(0, new MemoryRow("learner", learner.Memory(), $"end of run ({results.LinesLearned:N0} lines learned)"));
            if (outcomes is not null)
            {
                var outcomesCaughtUp = await WaitForOutcomesAsync(outcomes, traffic.Published, ct);
                if (!outcomesCaughtUp) results.Notes.Add("The outcomes group had not caught up with every cart event when its memory was read.");
                results.Memory.Add(new MemoryRow("outcomes", outcomes.Memory(), $"end of run, after {traffic.Published:N0} cart events and {ordersInLog:N0} orders"));
            }
        }
        finally
        {
            await recommender.DisposeAsync();
            if (outcomes is not null) await outcomes.DisposeAsync();
        }
        results.Memory.Add(new MemoryRow("benchmark driver (mock broker holding every topic, producer, readers)", ProcessMemory.Read(Environment.ProcessId), "end of run"));
        results.RedisResidentBytes = await watcher.ServerResidentBytesAsync();
        return results;
    }

    /// <summary>A scrape of the learner and the machine's CPU at one moment.</summary>
    private sealed record LearnerLook(long Timestamp, MetricsSnapshot Metrics, CpuSample Cpu, long RowsPublished);

    /// <summary>
    /// What the learner had already processed when a backlog was published (zero without a warm-up), and a look taken
    /// before it was published (none: the first scrape that sees nothing split yet is the start).
    /// </summary>
    private sealed record LearnerCounts(long Orders, long RowBundles, LearnerLook? Look = null)
    {
        public static readonly LearnerCounts None = new(0, 0);
    }

    /// <summary>
    /// Times a learner backlog end to end, <c>order-events</c> to <c>item-neighbors</c>: from the last look before its
    /// first order was split to the later of the aggregator's last change and the last row published (changed rows go
    /// out once per <c>Learner:RowPublishInterval</c>, so the last ones leave up to that long after the last bundle).
    /// </summary>
    private async Task<LearnerResult> MeasureLearnerAsync(ServiceProcess learner, IConsumer<byte[], byte[]> watermarks, OrderBacklogReport backlog,
        LearnerCounts before, string label, CancellationToken ct)
    {
        log.Line(before == LearnerCounts.None
            ? $"{label}: started (pid {learner.Pid}); waiting for its groups to join and consume {backlog.Orders:N0} orders"
            : $"{label}: waiting for it to consume {backlog.Orders:N0} more orders");
        var overall = Stopwatch.StartNew();
        long? start = before.Look?.Timestamp; // the last look before the first order was processed; none if the first look came after it
        long splitterDone = 0, aggregatorLastChange = 0, lastAggregator = -1, lastReport = 0, publishedLastChange = 0, publishedAtStart = before.Look?.RowsPublished ?? -1, lastPublished = -1;
        var atStart = before.Look?.Metrics ?? MetricsSnapshot.Empty;
        var cpuAtStart = before.Look?.Cpu ?? _cpu.Sample();
        while (overall.Elapsed < GroupTimeout)
        {
            var now = Stopwatch.GetTimestamp();
            var cpuNow = _cpu.Sample();
            var m = await learner.ScrapeAsync(ct);
            if (m.Samples.Count > 0)
            {
                var splitter = m.Processed(TopologyNames.BasketSplitter) - before.Orders;
                var aggregator = m.Processed(TopologyNames.BasketAggregator) - before.RowBundles;
                if (splitter <= 0)
                {
                    start = now; // the last look before the first order was processed
                    atStart = m;
                    cpuAtStart = cpuNow;
                }
                if (splitter >= backlog.Orders && splitterDone == 0) splitterDone = now;
                if (aggregator != lastAggregator)
                {
                    lastAggregator = aggregator;
                    aggregatorLastChange = now;
                }
                var published = RowsPublished(watermarks);
                if (splitter <= 0 || publishedAtStart < 0) publishedAtStart = published;
                if (published != lastPublished)
                {
                    lastPublished = published;
                    if (splitter > 0) publishedLastChange = now;
                }
                if (Stopwatch.GetElapsedTime(lastReport) > TimeSpan.FromSeconds(2))
                {
                    log.Line($"{label}: {Math.Max(0, splitter):N0}/{backlog.Orders:N0} orders split, {Math.Max(0, aggregator):N0} row bundles aggregated, learner lag {m.Lag(TopologyNames.Learner):N0}");
                    lastReport = now;
                }
                // Done when every order was split and the aggregator and item-neighbors have been quiet with nothing
                // left for three seconds.
                if (splitterDone != 0 && aggregator > 0 && m.Lag(TopologyNames.Learner) == 0
                    && Stopwatch.GetElapsedTime(aggregatorLastChange) > TimeSpan.FromSeconds(3)
                    && Stopwatch.GetElapsedTime(publishedLastChange) > TimeSpan.FromSeconds(3))
                {
                    return new LearnerResult(backlog.Orders, backlog.Lines, NotMeasured.Between(start, splitterDone),
                        NotMeasured.Between(start, Math.Max(aggregatorLastChange, publishedLastChange)), aggregator,
                        ServiceTimings.Between(atStart, m, TopologyNames.BasketSplitter), ServiceTimings.Between(atStart, m, TopologyNames.BasketAggregator),
                        CpuAccounting.Describe(cpuAtStart, _cpu.Sample()))
                    {
                        RowsPublished = Math.Max(0, published - publishedAtStart),
                    };
                }
            }
            await Task.Delay(PollInterval, ct);
        }
        throw new TimeoutException($"the learner did not consume its backlog within {GroupTimeout.TotalMinutes} min; see {learner.LogPath}");
    }

    /// <summary>Records written to <c>item-neighbors</c> so far; 0 before the learner has created it.</summary>
    private static long RowsPublished(IConsumer<byte[], byte[]> watermarks)
    {
        try
        {
            return BenchTools.Watermarks(watermarks, Topics.ItemNeighbors, BenchTools.EmbeddedPartitions).Written;
        }
        catch (KafkaException)
        {
            return 0;
        }
    }

    private async Task<DrainResult> MeasureDrainAsync(ServiceProcess recommender, RedisWatcher watcher,
        IReadOnlyDictionary<string, DateTimeOffset> lastEventAt, long warmup, long events, CancellationToken ct)
    {
        log.Line($"recommender: started (pid {recommender.Pid}); it replicates the catalog and item-neighbors, joins its group, then drains {warmup:N0} warm-up events and {events:N0} timed ones");
        var total = warmup + events;
        var overall = Stopwatch.StartNew();
        long? start = null; // none if the first look came after the warm-up was through
        long lastReport = 0, processedAtStart = 0;
        var atStart = MetricsSnapshot.Empty;
        var cpuAtStart = _cpu.Sample();
        var writesBefore = watcher.Writes;
        while (overall.Elapsed < GroupTimeout)
        {
            var now = Stopwatch.GetTimestamp();
            var cpuNow = _cpu.Sample();
            var m = await recommender.ScrapeAsync(ct);
            if (m.Samples.Count > 0)
            {
                var processed = m.Processed(TopologyNames.CartRecommender);
                // The timed part starts at the last scrape before the warm-up was through (or before the first event).
                if (processed <= warmup)
                {
                    start = now;
                    atStart = m;
                    cpuAtStart = cpuNow;
                    processedAtStart = processed;
                    writesBefore = watcher.Writes;
                }
                if (Stopwatch.GetElapsedTime(lastReport) > TimeSpan.FromSeconds(2))
                {
                    log.Line($"recommender: {processed:N0}/{total:N0} events processed, {watcher.Writes - writesBefore:N0} values written to Redis");
                    lastReport = now;
                }
                if (processed >= total)
                {
                    // Every cart's value must answer its last event; the drain ends at the last write that did it.
                    var behind = await watcher.CountBehindAsync(lastEventAt, ct);
                    if (behind == 0)
                    {
                        var end = watcher.LastWriteTimestamp;
                        var timings = ServiceTimings.Between(atStart, await recommender.ScrapeAsync(ct), TopologyNames.CartRecommender);
                        return new DrainResult(total - processedAtStart, processedAtStart, lastEventAt.Count, NotMeasured.Between(start, end), m.DeadLettered() - atStart.DeadLettered(), watcher.Writes - writesBefore, timings,
                            CpuAccounting.Describe(cpuAtStart, _cpu.Sample()));
                    }
                }
            }
            await Task.Delay(PollInterval, ct);
        }
        throw new TimeoutException($"the recommender did not drain its backlog within {GroupTimeout.TotalMinutes} min; see {recommender.LogPath}");
    }

    /// <param name="baseline">Cart events published before this recommender instance started (it processes only the rest).</param>
    private async Task<FreshnessResult> RunPhaseAsync(string label, double share, double rate, TimeSpan commitInterval, ServiceProcess recommender,
        long baseline, RedisWatcher watcher, EventPublisher publisher, CartTraffic traffic, IReadOnlyList<string>? readerKeys, RunResults results, int redisPort,
        CancellationToken ct)
    {
        var before = await recommender.ScrapeAsync(ct);
        log.Line(string.Create(CultureInfo.InvariantCulture,
            $"phase {label}: {rate:N0} events/s for {options.PhaseDuration.TotalSeconds:0} s{(readerKeys is null ? "" : $", {options.Readers} storefront readers")}; load average {ProgressLog.LoadAverage()}"));
        var probe = watcher.StartProbe(DateTimeOffset.UtcNow);
        var cpuBefore = _cpu.Sample();
        using var stopReaders = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var readers = readerKeys is null ? null
            : new StorefrontReaders(redisPort, readerKeys, options.Readers, options.ReadRate, options.Seed).RunAsync(stopReaders.Token);
        var producing = FixedRateProducer.RunAsync(traffic, rate, options.PhaseDuration, ct);
        while (!producing.IsCompleted)
        {
            await Task.WhenAny(producing, Task.Delay(TimeSpan.FromSeconds(5), ct));
            if (!producing.IsCompleted)
                log.Line(string.Create(CultureInfo.InvariantCulture,
                    $"phase {label}: {traffic.Published:N0} events published in total; freshness so far p50 {probe.Latency.Milliseconds(50):0.0} ms, p99 {probe.Latency.Milliseconds(99):0.0} ms ({probe.Latency.Count:N0} values)"));
        }
        var producer = await producing;
        await publisher.FlushAsync(ct);
        await stopReaders.CancelAsync();
        if (readers is not null)
        {
            results.Reads = await readers;
            log.Line(string.Create(CultureInfo.InvariantCulture,
                $"storefront reads: {results.Reads.Reads:N0} GETs ({results.Reads.ReadsPerSecond:N0}/s), {results.Reads.Latency.Describe()}, mean value {results.Reads.MeanPayloadBytes:0} bytes, {results.Reads.Misses} misses"));
        }
        // Every event of the phase counts, also those the recommender works off after the producer stopped.
        var (behindAtEnd, catchUp) = await CatchUpAsync(recommender, traffic.Published - baseline, ct);
        if (behindAtEnd > 0)
            log.Line(string.Create(CultureInfo.InvariantCulture, $"phase {label}: {behindAtEnd:N0} events were not yet processed when the producer stopped; caught up {catchUp.TotalSeconds:0.0} s later"));
        var cpu = CpuAccounting.Describe(cpuBefore, _cpu.Sample());
        // The last values land with the commit after their processing.
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        await watcher.StopProbeAsync(probe);
        var after = await recommender.ScrapeAsync(ct);
        var timings = ServiceTimings.Between(before, after, TopologyNames.CartRecommender);
        var processed = after.Processed(TopologyNames.CartRecommender) - before.Processed(TopologyNames.CartRecommender);
        log.Line(string.Create(CultureInfo.InvariantCulture,
            $"phase {label}: {producer.Events:N0} events at {producer.EventsPerSecond:N0}/s (producer at most {producer.MaxBehindSchedule.TotalMilliseconds:0} ms behind schedule); freshness {probe.Latency.Describe()}"));
        log.Line($"phase {label}, the recommender's view: {timings.Describe()}");
        log.Line($"phase {label}, CPU: {cpu}");
        return new FreshnessResult(label, share, rate, commitInterval, producer, probe.Latency, probe.Notified, processed, timings, behindAtEnd, catchUp, cpu);
    }

    private async Task<OutcomesResult> MeasureOutcomesAsync(ServiceProcess outcomes, long cartEvents, int orders, CancellationToken ct)
    {
        log.Line($"outcomes: started (pid {outcomes.Pid}); catching up on {cartEvents:N0} cart events and {orders:N0} orders");
        var overall = Stopwatch.StartNew();
        long? start = null; // none if the first look came after the catch-up began
        long lastReport = 0;
        var atStart = MetricsSnapshot.Empty;
        while (overall.Elapsed < GroupTimeout)
        {
            var now = Stopwatch.GetTimestamp();
            var m = await outcomes.ScrapeAsync(ct);
            if (m.Samples.Count > 0)
            {
                var carts = m.Processed(TopologyNames.SessionCartSplitter);
                var orderCount = m.Processed(TopologyNames.SessionOrderSplitter);
                if (carts + orderCount == 0)
                {
                    start = now;
                    atStart = m;
                }
                if (Stopwatch.GetElapsedTime(lastReport) > TimeSpan.FromSeconds(2))
                {
                    log.Line($"outcomes: {carts:N0}/{cartEvents:N0} cart events, {orderCount:N0}/{orders:N0} orders, {m.Processed(TopologyNames.SessionOutcomes):N0} session events");
                    lastReport = now;
                }
                if (carts >= cartEvents && orderCount >= orders)
                {
                    var result = new OutcomesResult(cartEvents, orders, NotMeasured.Between(start, now),
                        ServiceTimings.Between(atStart, m, TopologyNames.SessionCartSplitter), ServiceTimings.Between(atStart, m, TopologyNames.SessionOutcomes));
                    var took = result is { Duration: { } d, CartEventsPerSecond: { } perSecond }
                        ? string.Create(CultureInfo.InvariantCulture, $"in {d.TotalSeconds:0.0} s = {perSecond:N0} cart events/s")
                        : $"({NotMeasured.Outcomes})";
                    log.Line(string.Create(CultureInfo.InvariantCulture,
                        $"outcomes: caught up on {cartEvents:N0} cart events {took}; cart splitter {result.CartSplitter.Describe(freshness: false)}; session outcomes {result.SessionOutcomes.Describe(freshness: false)}"));
                    return result;
                }
            }
            await Task.Delay(PollInterval, ct);
        }
        throw new TimeoutException($"the outcomes group did not catch up within {GroupTimeout.TotalMinutes} min; see {outcomes.LogPath}");
    }

    /// <summary>Waits until the outcomes group's cart splitter has seen every cart event published.</summary>
    private static async Task<bool> WaitForOutcomesAsync(ServiceProcess outcomes, long cartEvents, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            if ((await outcomes.ScrapeAsync(ct)).Processed(TopologyNames.SessionCartSplitter) >= cartEvents) return true;
            await Task.Delay(PollInterval, ct);
        }
        return false;
    }

    /// <summary>
    /// Waits until the recommender has processed <paramref name="expected"/> events; returns how many were still
    /// unprocessed at the first look and how long catching up took.
    /// </summary>
    private async Task<(long BehindAtStart, TimeSpan Took)> CatchUpAsync(ServiceProcess recommender, long expected, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        long behindAtStart = -1, lastReport = 0;
        while (clock.Elapsed < GroupTimeout)
        {
            var m = await recommender.ScrapeAsync(ct);
            if (m.Samples.Count > 0)
            {
                var behind = expected - m.Processed(TopologyNames.CartRecommender);
                if (behindAtStart < 0) behindAtStart = Math.Max(0, behind);
                if (behind <= 0) return (behindAtStart, behindAtStart == 0 ? TimeSpan.Zero : clock.Elapsed);
                if (Stopwatch.GetElapsedTime(lastReport) > TimeSpan.FromSeconds(3))
                {
                    log.Line($"recommender: catching up, {behind:N0} events to go");
                    lastReport = Stopwatch.GetTimestamp();
                }
            }
            await Task.Delay(PollInterval, ct);
        }
        throw new TimeoutException($"the recommender did not catch up within {GroupTimeout.TotalMinutes} min; see {recommender.LogPath}");
    }
}

/// <summary>The layer's defaults the report names (StreamsOptions is the single source).</summary>
internal static class StreamsDefaults
{
    public static TimeSpan CommitInterval { get; } = new StreamsOptions().CommitInterval;
}
