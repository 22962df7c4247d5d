using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.Contracts;
using CartCrossSell.Streams;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Topologies;
using CartCrossSell.Topologies.Hosting;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>Issue 14 on the embedded mock cluster and a real redis-server: input that used to stop a partition.</summary>
public sealed class HostileInputEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private readonly KafkaFixture _kafka = new();
    private readonly RedisFixture _redis = new();

    public void Dispose()
    {
        _redis.Dispose();
        _kafka.Dispose();
    }

    private CrossSellService Service(Microsoft.Extensions.Logging.ILoggerFactory loggers) => new(new CrossSellServiceOptions
    {
        Kafka = _kafka.Options,
        Redis = new() { Configuration = _redis.Server.Configuration },
        Learner = new() { RowPublishInterval = TimeSpan.FromMilliseconds(200) },
    }, loggers);

    /// <summary>
    /// The largest value a producer with the default <c>message.max.bytes</c> (1,000,000) gets onto the broker, found by
    /// asking librdkafka, made of quotes (each written by JSON as six bytes): its dead letter would be about 6 MB.
    /// </summary>
    private static byte[] LargestAcceptedValue(KafkaOptions kafka, string topic, string key)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).SetLogHandler((_, _) => { }).Build();
        for (var size = 1_000_000; ; size--)
        {
            var value = Encoding.UTF8.GetBytes(new string('"', size));
            try
            {
                producer.Produce(topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = value });
                producer.Flush(TimeSpan.FromSeconds(10));
                return value;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.MsgSizeTooLarge)
            {
            }
        }
    }

    [Fact]
    public async Task The_largest_value_the_broker_accepts_of_characters_json_escapes_is_dead_lettered_and_the_partitions_keep_flowing()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = cts.Token;
        using var publisher = new EventPublisher(_kafka.Options);
        var product = new ProductUpserted { Sku = "mug", Title = "Mug", CategoryPath = ["kitchen", "mugs"], Price = 8m };
        publisher.Publish(Topics.Catalog, "mug", JsonSerializer.SerializeToUtf8Bytes(product, ContractsJson.Default.ProductUpserted));
        await publisher.FlushAsync(ct);

        using var loggers = TestLogging.Create(output.WriteLine, Microsoft.Extensions.Logging.LogLevel.Error);
        await using var service = Service(loggers);
        await service.StartAsync(ct);

        var cartPill = LargestAcceptedValue(_kafka.Options, Topics.CartEvents, "cart-pill");
        var orderPill = LargestAcceptedValue(_kafka.Options, Topics.OrderEvents, "order-pill");
        output.WriteLine($"largest value accepted: {cartPill.Length:N0} bytes");
        Assert.True(cartPill.Length > 999_000, $"{cartPill.Length} bytes");

        // A good event after each pill: processed, so neither partition stopped.
        var storefront = new StorefrontCarts(publisher);
        var added = storefront.AddItem("cart-pill", "s-pill", "mug", "mug", 2, 8m);
        await storefront.FlushAsync(ct);
        var value = await DemoRunner.WaitForRecommendationAsync(service, "cart-pill", added.Timestamp, ct);
        Assert.Equal(16m, value.CartValue);

        var letters = TopicProbe.ReadAll(_kafka.Options, Topics.DeadLetters, 2, TimeSpan.FromSeconds(30));
        Assert.Equal(2, letters.Count);
        foreach (var (letter, pill, topic) in new[] { (letters.Single(l => l.Message.Key == "cart-pill"), cartPill, Topics.CartEvents), (letters.Single(l => l.Message.Key == "order-pill"), orderPill, Topics.OrderEvents) })
        {
            Assert.True(Encoding.UTF8.GetByteCount(letter.Message.Value) <= 1_000_000 - DeadLetters.RecordOverheadBytes);
            var dead = JsonSerializer.Deserialize(letter.Message.Value, ContractsJson.Default.DeadLetter)!;
            Assert.Equal((DeadLetterKinds.Oversized, topic), (dead.Kind, dead.SourceTopic));
            Assert.True(dead.PayloadTruncated);
            Assert.Equal(pill.Length, dead.PayloadBytes);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(pill)), dead.PayloadSha256);
            Assert.True(dead.Payload!.Length > 100_000, $"kept {dead.Payload.Length} characters");
            Assert.True(dead.Payload.All(c => c == '"'));
            // The coordinates fetch the original.
            var original = TopicProbe.ReadToEnd(_kafka.Options, topic, TimeSpan.FromSeconds(30))
                .Single(r => r.Partition.Value == dead.SourcePartition && r.Offset.Value == dead.SourceOffset);
            Assert.Equal(pill.Length, Encoding.UTF8.GetByteCount(original.Message.Value));
        }
        Assert.True(service.IsLive);
    }

    [Fact]
    public async Task Running_the_backfill_twice_changes_no_learned_row()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var ct = cts.Token;
        using var loggers = TestLogging.Create(output.WriteLine, Microsoft.Extensions.Logging.LogLevel.Error);
        await using var service = Service(loggers);
        using var publisher = new EventPublisher(_kafka.Options);
        var first = await BackfillJob.RunAsync(publisher, RepositoryFiles.OnlineRetail, null, rebaseTo: DateTimeOffset.UtcNow, cancellationToken: ct);
        await service.StartAsync(ct);
        var learned = await LearnedAfterAsync(service, first.Orders, ct);

        var second = await BackfillJob.RunAsync(publisher, RepositoryFiles.OnlineRetail, null, rebaseTo: DateTimeOffset.UtcNow, cancellationToken: ct);
        Assert.Equal(first.Orders, second.Orders);
        var relearned = await LearnedAfterAsync(service, first.Orders + second.Orders, ct);

        output.WriteLine($"{first.Orders} orders twice; {learned.Count} rows");
        Assert.True(learned.Count > 1000, $"{learned.Count} rows");
        Assert.Equal(learned, relearned);
    }

    /// <summary>The learned rows once the splitter has processed <paramref name="orders"/> records and the rows are published.</summary>
    private static async Task<Dictionary<string, string>> LearnedAfterAsync(CrossSellService service, int orders, CancellationToken ct)
    {
        await Polling.UntilAsync(() => Task.FromResult(service.StreamsMetrics.ProcessedCount(TopologyNames.BasketSplitter, Topics.OrderEvents) >= orders),
            TimeSpan.FromSeconds(120), () => $"the splitter processed {service.StreamsMetrics.ProcessedCount(TopologyNames.BasketSplitter, Topics.OrderEvents)} of {orders} orders");
        await DemoRunner.WaitForLearningAsync(service, ct);
        return service.Neighbors.Table.Entries.ToDictionary(e => e.Key,
            e => string.Join(";", e.Value.Neighbors.Select(n => $"{n.Key}={n.PairWeight:R}").Prepend(e.Value.Weight.ToString("R"))));
    }
}
