using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.Streams;
using CartCrossSell.Topologies;
using Confluent.Kafka;
using StackExchange.Redis;

namespace CartCrossSell.Load;

/// <summary>What one fail-over run measured.</summary>
/// <param name="SurvivorPause">The longest gap between two Redis writes of one of the survivor's own partitions, from
/// a second before the other instance went away until the end of the run.</param>
/// <param name="Takeover">From the moment the other instance went away until the survivor wrote every moved partition;
/// null when it never wrote one of them before the end of the run (no figure: the run's length is not a takeover time).</param>
public sealed record FailoverRun(string Rebalancing, string Departure, int Repeat, int OwnPartitions, int MovedPartitions,
    TimeSpan SurvivorPause, TimeSpan? Takeover, TimeSpan SteadyGap);

/// <summary>
/// <c>make bench-failover</c>: two <c>cartxsell run -t recommender</c> processes in one consumer group under steady
/// cart traffic on every partition; one of them is stopped (SIGTERM: it commits and leaves the group) or killed
/// (SIGKILL: the group notices after <c>Streams:SessionTimeout</c>). Each instance writes Redis under its own key
/// prefix, so keyspace notifications say which instance wrote which cart, and the carts' partitions (from the
/// producer's delivery reports) say which partitions each instance owned. Measured for each rebalancing protocol.
/// </summary>
public sealed class FailoverBenchmark(FailoverOptions options, ProgressLog log)
{
    private const int Partitions = BenchTools.EmbeddedPartitions;

    public async Task<IReadOnlyList<FailoverRun>> RunAsync(CancellationToken ct)
    {
        using var environment = BenchEnvironment.Start(options.ResultsDirectory, $"failover-logs-{DateTime.UtcNow:yyyyMMdd-HHmmss}", log);
        var (logs, redisPort, bootstrap) = (environment.Logs, environment.RedisPort, environment.BootstrapServers);
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redisPort},allowAdmin=true,abortConnect=false");
        await redis.GetServer(redis.GetEndPoints()[0]).ConfigSetAsync("notify-keyspace-events", "E$");
        var writes = new WriteLog();
        await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal("__keyevent@0__:set"), (_, key) => writes.Add(key!));

        using var producer = BenchTools.Producer(bootstrap, lingerMs: 2);
        var products = Enumerable.Range(0, 20).Select(i => new ProductUpserted
        {
            Sku = $"fo-{i}", Title = $"Failover product {i}", CategoryPath = ["bench", $"leaf{i % 5}"], Price = 4m + i, MarginRate = 0.3,
        }).ToArray();
        foreach (var p in products)
            await producer.ProduceAsync(Topics.Catalog, new Message<string, byte[]> { Key = p.Sku, Value = JsonSerializer.SerializeToUtf8Bytes(p, ContractsJson.Default.ProductUpserted) }, ct);

        var runs = new List<FailoverRun>();
        var n = 0;
        for (var repeat = 1; repeat <= options.Repeats; repeat++)
            foreach (var rebalancing in options.Protocols)
                foreach (var departure in options.Departures)
                {
                    n++;
                    var run = await RunOnceAsync(n, repeat, rebalancing, departure, bootstrap, $"127.0.0.1:{redisPort}", logs, producer, products, writes, ct);
                    runs.Add(run);
                    log.Line(string.Create(CultureInfo.InvariantCulture,
                        $"run {n}: {rebalancing}, {departure}: survivor's own {run.OwnPartitions} partitions paused at most {run.SurvivorPause.TotalMilliseconds:N0} ms (steady gap {run.SteadyGap.TotalMilliseconds:N0} ms); {run.MovedPartitions} moved partitions written again {FailoverReport.After(run.Takeover)}; load average {ProgressLog.LoadAverage()}"));
                }
        return runs;
    }

    private async Task<FailoverRun> RunOnceAsync(int n, int repeat, string rebalancing, string departure, string bootstrap, string redis, string logs,
        IProducer<string, byte[]> producer, ProductUpserted[] products, WriteLog writes, CancellationToken ct)
    {
        var (survivorPrefix, leaverPrefix) = ($"fo{n}a:", $"fo{n}b:");
        Dictionary<string, string> Environment(string prefix) => new()
        {
            ["CARTXSELL__Streams__ApplicationId"] = $"failover{n}",
            ["CARTXSELL__Streams__Rebalancing"] = rebalancing,
            ["CARTXSELL__Redis__KeyPrefix"] = prefix,
            ["CARTXSELL__Streams__SessionTimeout"] = options.SessionTimeout.ToString("c", CultureInfo.InvariantCulture),
        };

        // Carts, each with one line, on every partition; their partitions from the delivery reports.
        var carts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var c = 0; c < options.Carts; c++)
        {
            var cart = $"fo{n}-cart{c}";
            var added = Event(cart, CartEventType.ItemAdded, products[c % products.Length]);
            var result = await producer.ProduceAsync(Topics.CartEvents, new Message<string, byte[]> { Key = cart, Value = added }, ct);
            carts[cart] = result.Partition.Value;
        }
        writes.Track(carts, survivorPrefix, leaverPrefix);

        await using var survivor = ServiceProcess.Start(options.CliPath, TopologyNames.Recommender, bootstrap, redis, logs, Environment(survivorPrefix), $"run{n}-survivor");
        var leaver = ServiceProcess.Start(options.CliPath, TopologyNames.Recommender, bootstrap, redis, logs, Environment(leaverPrefix), $"run{n}-leaver");
        try
        {
            await Task.WhenAll(survivor.WaitUntilRunningAsync(TopologyNames.Recommender, TimeSpan.FromSeconds(90), ct),
                leaver.WaitUntilRunningAsync(TopologyNames.Recommender, TimeSpan.FromSeconds(90), ct));

            using var traffic = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var sending = Task.Run(() => SendViewsAsync(producer, carts.Keys.ToArray(), traffic.Token), CancellationToken.None);
            // Steady state: the last two seconds saw every partition written, each by one instance, both instances busy.
            var owners = await SteadyOwnersAsync(writes, ct);
            var own = owners.Where(o => o.Value == survivorPrefix).Select(o => o.Key).ToArray();
            var moved = owners.Where(o => o.Value == leaverPrefix).Select(o => o.Key).ToArray();
            var steadyFrom = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromSeconds(2), ct);

            var departed = Stopwatch.GetTimestamp();
            if (departure == "kill") await leaver.KillAsync();
            else await leaver.StopAsync();
            await Task.Delay(departure == "kill" ? options.AfterKill : options.AfterStop, ct);
            await traffic.CancelAsync();
            await sending;
            var ended = Stopwatch.GetTimestamp();

            var pause = own.Select(p => writes.LongestGap(survivorPrefix, p, departed - Stopwatch.Frequency, ended)).DefaultIfEmpty(TimeSpan.Zero).Max();
            var steady = own.Concat(moved).Select(p => writes.LongestGap(owners[p], p, steadyFrom, departed)).DefaultIfEmpty(TimeSpan.Zero).Max();
            var firstWrites = moved.Select(p => writes.FirstAfter(survivorPrefix, p, departed)).ToArray();
            TimeSpan? takeover = firstWrites.Any(first => first is null)
                ? null
                : firstWrites.Select(first => Stopwatch.GetElapsedTime(departed, first!.Value)).DefaultIfEmpty(TimeSpan.Zero).Max();
            return new FailoverRun(rebalancing, departure, repeat, own.Length, moved.Length, pause, takeover, steady);
        }
        finally
        {
            await leaver.DisposeAsync();
        }
    }

    private byte[] Event(string cart, CartEventType type, ProductUpserted? product = null) => JsonSerializer.SerializeToUtf8Bytes(new CartEvent
    {
        EventId = Guid.NewGuid().ToString("N"), Type = type, CartId = cart, SessionId = "s-" + cart, Sku = product?.Sku, VariantId = product?.Sku,
        Quantity = product is null ? null : 1, UnitPrice = product?.Price, Timestamp = DateTimeOffset.UtcNow,
    }, ContractsJson.Default.CartEvent);

    /// <summary>Cart views round-robin over the carts at <see cref="FailoverOptions.EventsPerSecond"/>, until cancelled.</summary>
    private async Task SendViewsAsync(IProducer<string, byte[]> producer, string[] carts, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        long sent = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var due = (long)(clock.Elapsed.TotalSeconds * options.EventsPerSecond);
                for (; sent < due; sent++)
                {
                    var cart = carts[sent % carts.Length];
                    producer.Produce(Topics.CartEvents, new Message<string, byte[]> { Key = cart, Value = Event(cart, CartEventType.CartViewed) });
                }
                await Task.Delay(5, ct);
            }
        }
        catch (OperationCanceledException)
        {
            // the run is over
        }
        producer.Flush(TimeSpan.FromSeconds(10));
    }

    private static async Task<Dictionary<int, string>> SteadyOwnersAsync(WriteLog writes, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            await Task.Delay(500, ct);
            var since = Stopwatch.GetTimestamp() - 2 * Stopwatch.Frequency;
            var owners = writes.WritersSince(since);
            if (owners.Count == Partitions && owners.Values.All(w => w.Count == 1) && owners.Values.Select(w => w.Single()).Distinct().Count() == 2)
                return owners.ToDictionary(o => o.Key, o => o.Value.Single());
        }
        throw new TimeoutException("the two instances did not settle on one owner per partition within 90 s");
    }

    /// <summary>Every cart write seen through keyspace notifications: when, by which instance (key prefix), on which partition.</summary>
    private sealed class WriteLog
    {
        private readonly ConcurrentQueue<(long At, string Prefix, int Partition)> _writes = new();
        private volatile Tracked? _tracked;

        private sealed record Tracked(Dictionary<string, int> Carts, string[] Prefixes);

        /// <summary>From now on, writes of these carts under these prefixes are logged (one run's carts and instances).</summary>
        public void Track(Dictionary<string, int> carts, params string[] prefixes) => _tracked = new Tracked(carts, prefixes);

        public void Add(string key)
        {
            var at = Stopwatch.GetTimestamp();
            if (_tracked is not { } tracked) return;
            foreach (var prefix in tracked.Prefixes)
                if (key.StartsWith(prefix, StringComparison.Ordinal) && tracked.Carts.TryGetValue(key[prefix.Length..], out var partition))
                    _writes.Enqueue((at, prefix, partition));
        }

        public Dictionary<int, HashSet<string>> WritersSince(long since)
        {
            var owners = new Dictionary<int, HashSet<string>>();
            foreach (var w in _writes.Where(w => w.At >= since))
            {
                if (!owners.TryGetValue(w.Partition, out var set)) owners[w.Partition] = set = [];
                set.Add(w.Prefix);
            }
            return owners;
        }

        /// <summary>The longest time in [from, to] without a write by <paramref name="prefix"/> on <paramref name="partition"/>.</summary>
        public TimeSpan LongestGap(string prefix, int partition, long from, long to)
        {
            var times = _writes.Where(w => w.Prefix == prefix && w.Partition == partition && w.At >= from && w.At <= to).Select(w => w.At).Order().ToList();
            var previous = from;
            long longest = 0;
            foreach (var t in times.Append(to))
            {
                longest = Math.Max(longest, t - previous);
                previous = t;
            }
            return Stopwatch.GetElapsedTime(0, longest);
        }

        public long? FirstAfter(string prefix, int partition, long after) =>
            _writes.Where(w => w.Prefix == prefix && w.Partition == partition && w.At > after).Select(w => (long?)w.At).Min();
    }
}

public sealed record FailoverOptions
{
    public required string CliPath { get; init; }
    public required string ResultsDirectory { get; init; }
    public int Repeats { get; init; } = 3;
    public IReadOnlyList<string> Protocols { get; init; } = ["Eager", "Cooperative"];
    public IReadOnlyList<string> Departures { get; init; } = ["stop", "kill"];
    public int Carts { get; init; } = 64;
    public int EventsPerSecond { get; init; } = 200;
    /// <summary><c>Streams:SessionTimeout</c> of both instances (the service's default).</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan AfterStop => SessionTimeout + TimeSpan.FromSeconds(4);
    /// <summary>Beyond the session timeout, after which the group notices the killed member.</summary>
    public TimeSpan AfterKill => 2 * SessionTimeout + TimeSpan.FromSeconds(4);
}
