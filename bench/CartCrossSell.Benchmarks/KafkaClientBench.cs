using System.Diagnostics;
using System.Globalization;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using Confluent.Kafka;

namespace CartCrossSell.Benchmarks;

/// <summary>
/// What the Kafka client and the embedded cluster cost a stream group on their own, without the service: a commit's
/// producer flush (<c>producer-flush</c>) and the broker's delivery to a consumer that does nothing (<c>broker-floor</c>).
/// </summary>
public static class KafkaClientBench
{
    /// <summary>
    /// One message produced, then the producer flushed, as Streamiz does at every commit: Confluent.Kafka's own flush
    /// against <see cref="PromptFlushProducer"/>'s, alternating round by round on the same cluster; prints each one's
    /// median and p99 in milliseconds.
    /// </summary>
    public static int ProducerFlush(int rounds = 200)
    {
        using var cluster = EmbeddedKafkaCluster.Start();
        // A stream group's producer settings that bear on the flush: a 2 ms linger, the delivery reports served by the
        // client's background thread (Confluent.Kafka's default).
        var config = new ProducerConfig { BootstrapServers = cluster.BootstrapServers, LingerMs = 2, AllowAutoCreateTopics = true, EnableIdempotence = true };
        using var own = new ProducerBuilder<byte[], byte[]>(config).Build();
        using var prompt = new PromptFlushProducer(new ProducerBuilder<byte[], byte[]>(config).Build());
        var producers = new IProducer<byte[], byte[]>[] { own, prompt };
        var times = new[] { new List<double>(), new List<double>() };
        for (var round = -20; round < rounds; round++) // 20 rounds of warm-up (topic creation, connections)
        {
            for (var which = 0; which < 2; which++)
            {
                var producer = producers[(round + which) % 2 == 0 ? 0 : 1];
                producer.Produce("producer-flush", new Message<byte[], byte[]> { Key = [1], Value = new byte[200] });
                var started = Stopwatch.GetTimestamp();
                producer.Flush();
                if (round >= 0) times[producer == own ? 0 : 1].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
        Print("Confluent.Kafka's flush", times[0]);
        Print("PromptFlushProducer's flush", times[1]);
        return 0;
    }

    /// <summary>
    /// The embedded cluster's delivery at <paramref name="rate"/> messages/s (keyed at random over the topic's four
    /// partitions, 200-byte values, the producer's linger <paramref name="lingerMs"/>) to a consumer that only reads
    /// them, with the stream groups' fetch wait: from each message's timestamp to its arrival, median and p99 over
    /// <paramref name="seconds"/> seconds, and the slowest per second. The floor under every freshness figure.
    /// </summary>
    public static int BrokerFloor(int rate = 5_000, double lingerMs = 5, int seconds = 10)
    {
        using var cluster = EmbeddedKafkaCluster.Start();
        const string topic = "broker-floor";
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers, LingerMs = lingerMs, AllowAutoCreateTopics = true,
        }).Build();
        producer.Produce(topic, new Message<byte[], byte[]> { Key = [0], Value = new byte[200] });
        producer.Flush();
        var arrivals = new List<(double At, double Ms)>();
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
            {
                BootstrapServers = cluster.BootstrapServers, GroupId = topic, AutoOffsetReset = AutoOffsetReset.Latest,
                FetchWaitMaxMs = KafkaOptions.ConsumerFetchWaitMs, AllowAutoCreateTopics = true,
            }).Build();
            consumer.Subscribe(topic);
            while (!stop.IsCancellationRequested)
            {
                if (consumer.Consume(100) is not { } record) continue;
                var now = DateTimeOffset.UtcNow;
                var sent = DateTimeOffset.FromUnixTimeMilliseconds(record.Message.Timestamp.UnixTimestampMs);
                lock (arrivals) arrivals.Add(((now - DateTimeOffset.UnixEpoch).TotalSeconds, (now - sent).TotalMilliseconds));
            }
        });
        Thread.Sleep(TimeSpan.FromSeconds(5)); // the consumer joins its group
        var (start, published) = PublishAtRate(producer, topic, rate, seconds);
        stop.Cancel();
        reader.Wait();
        var timed = arrivals.Where(a => a.At >= start).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"embedded cluster, {rate:N0} messages/s for {seconds} s, linger {lingerMs} ms, fetch wait {KafkaOptions.ConsumerFetchWaitMs} ms: {timed.Count:N0} of {published:N0} read"));
        Print("message timestamp to a bare consumer", timed.Select(a => a.Ms).ToList());
        Console.WriteLine("slowest per second (ms): " + string.Join(" ", timed.GroupBy(a => (int)(a.At - start)).OrderBy(g => g.Key)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Max(a => a.Ms):0}"))));
        return 0;
    }

    /// <summary>
    /// What a stream thread's commit costs on the embedded cluster while records flow: <paramref name="consumers"/>
    /// consumers in one group (a stream thread each) read <paramref name="rate"/> messages/s with the stream groups'
    /// fetch wait and commit what they read synchronously every <paramref name="commitMs"/> ms, as Streamiz does at
    /// each commit interval; prints the commits' median and p99 and the messages' delivery as <see cref="BrokerFloor"/> does.
    /// </summary>
    public static int ConsumerCommit(int rate = 5_000, int consumers = 2, int commitMs = 100, int seconds = 10)
    {
        using var cluster = EmbeddedKafkaCluster.Start();
        const string topic = "consumer-commit";
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers, LingerMs = 5, AllowAutoCreateTopics = true,
        }).Build();
        producer.Produce(topic, new Message<byte[], byte[]> { Key = [0], Value = new byte[200] });
        producer.Flush();
        var arrivals = new List<(double At, double Ms)>();
        var commits = new List<(double At, double Ms)>();
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, consumers).Select(_ => Task.Factory.StartNew(() =>
        {
            using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
            {
                BootstrapServers = cluster.BootstrapServers, GroupId = topic, AutoOffsetReset = AutoOffsetReset.Latest,
                FetchWaitMaxMs = KafkaOptions.ConsumerFetchWaitMs, AllowAutoCreateTopics = true, EnableAutoCommit = false,
                SessionTimeoutMs = 10_000,
            }).Build();
            consumer.Subscribe(topic);
            var read = new Dictionary<TopicPartition, long>();
            var lastCommit = Stopwatch.StartNew();
            while (!stop.IsCancellationRequested)
            {
                if (consumer.Consume(5) is { } record)
                {
                    var now = DateTimeOffset.UtcNow;
                    var sent = DateTimeOffset.FromUnixTimeMilliseconds(record.Message.Timestamp.UnixTimestampMs);
                    lock (arrivals) arrivals.Add(((now - DateTimeOffset.UnixEpoch).TotalSeconds, (now - sent).TotalMilliseconds));
                    read[record.TopicPartition] = record.Offset.Value + 1;
                }
                if (lastCommit.ElapsedMilliseconds < commitMs || read.Count == 0) continue;
                var started = Stopwatch.GetTimestamp();
                try
                {
                    consumer.Commit(read.Select(kv => new TopicPartitionOffset(kv.Key, kv.Value)));
                }
                catch (KafkaException)
                {
                    // a rebalance at the start; the next commit carries the offsets
                }
                var at = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).TotalSeconds;
                lock (commits) commits.Add((at, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
                read.Clear();
                lastCommit.Restart();
            }
            consumer.Close();
        }, TaskCreationOptions.LongRunning)).ToArray();
        Thread.Sleep(TimeSpan.FromSeconds(8)); // the consumers join their group
        var (start, published) = PublishAtRate(producer, topic, rate, seconds);
        stop.Cancel();
        Task.WaitAll(readers);
        var timed = arrivals.Where(a => a.At >= start).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"embedded cluster, {rate:N0} messages/s for {seconds} s, {consumers} consumer(s) in one group, a synchronous commit every {commitMs} ms, fetch wait {KafkaOptions.ConsumerFetchWaitMs} ms: {timed.Count:N0} of {published:N0} read"));
        Print("commit", commits.Where(c => c.At >= start).Select(c => c.Ms).ToList());
        Print("message timestamp to the consumer", timed.Select(a => a.Ms).ToList());
        return 0;
    }

    /// <summary>
    /// Publishes <paramref name="rate"/> messages/s (random keys over the topic's partitions, 200-byte values) for
    /// <paramref name="seconds"/> seconds, flushes, and leaves two seconds for the last to arrive; returns when it
    /// started (Unix seconds) and how many it published.
    /// </summary>
    private static (double Start, long Published) PublishAtRate(IProducer<byte[], byte[]> producer, string topic, int rate, int seconds)
    {
        var random = new Random(1);
        var start = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).TotalSeconds;
        var clock = Stopwatch.StartNew();
        long published = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            for (var due = (long)(clock.Elapsed.TotalSeconds * rate); published < due; published++)
                producer.Produce(topic, new Message<byte[], byte[]> { Key = BitConverter.GetBytes(random.Next()), Value = new byte[200] });
            Thread.Sleep(1);
        }
        producer.Flush();
        Thread.Sleep(TimeSpan.FromSeconds(2));
        return (start, published);
    }

    private static void Print(string what, List<double> ms)
    {
        ms.Sort();
        double At(double q) => ms.Count == 0 ? double.NaN : ms[(int)Math.Min(ms.Count - 1, q * ms.Count)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: p50 {At(0.5):0.00} ms, p99 {At(0.99):0.00} ms, max {At(1):0.00} ms ({ms.Count} samples)"));
    }
}
