using CartCrossSell.Cli.Hosting;
using CartCrossSell.OrderHistory;
using CartCrossSell.Streams;
using CartCrossSell.Topologies.Hosting;
using Testcontainers.Kafka;
using Testcontainers.Redis;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// The same path as <see cref="CartToRedisEndToEndTests"/> on a real Apache Kafka broker and the Redis image, through
/// Testcontainers. Runs wherever a Docker engine answers; skipped with the reason where none does.
/// </summary>
public sealed class RealBrokerTests(ITestOutputHelper output)
{
    [DockerFact]
    public Task Backfilled_orders_and_a_cart_become_add_ons_in_redis_on_a_real_broker() => RunAsync(ProcessingGuarantee.AtLeastOnce);

    /// <summary>
    /// <c>Streams:Guarantee = ExactlyOnce</c> (Kafka transactions), which the embedded mock cannot carry (it stores no
    /// transactional offsets and shows aborted records): the same path on a broker that can.
    /// </summary>
    [DockerFact]
    public Task The_same_path_runs_exactly_once_on_a_real_broker() => RunAsync(ProcessingGuarantee.ExactlyOnce);

    private async Task RunAsync(ProcessingGuarantee guarantee)
    {
        await using var kafka = new KafkaBuilder("apache/kafka:3.9.0").Build();
        await using var redis = new RedisBuilder("redis:7.2").Build();
        await Task.WhenAll(kafka.StartAsync(), redis.StartAsync());
        var kafkaOptions = new KafkaOptions { BootstrapServers = kafka.GetBootstrapAddress() };

        using (var admin = new TopicAdmin(kafkaOptions))
        {
            var results = await admin.ApplyAsync(TopicLayout.All(new TopicLayoutOptions { Partitions = 3 }, new StreamsOptions()), TimeSpan.FromSeconds(30));
            Assert.All(results, r => Assert.StartsWith("created", r.Outcome));
        }

        var orders = OrderFiles.Read(RepositoryFiles.OnlineRetail).Orders;
        var cart = DemoRunner.PickCarts(orders, 1).Single();
        using var publisher = new EventPublisher(kafkaOptions);
        await BackfillJob.RunAsync(publisher, RepositoryFiles.OnlineRetail, null, include: o => o.OrderId != cart.Order.OrderId, rebaseTo: DateTimeOffset.UtcNow);

        using var loggers = TestInfrastructure.TestLogging.Create(output.WriteLine, Microsoft.Extensions.Logging.LogLevel.Warning);
        await using var service = new CrossSellService(new CrossSellServiceOptions
        {
            Kafka = kafkaOptions,
            Streams = new StreamsOptions { Guarantee = guarantee },
            Redis = new() { Configuration = redis.GetConnectionString() },
            Recommender = new() { Ranking = new() { MultiBuyCategories = OnlineRetailCatalog.MultiBuyCategories } },
        }, loggers);
        await service.StartAsync();
        await DemoRunner.WaitForLearningAsync(service, CancellationToken.None);

        var storefront = new StorefrontCarts(publisher);
        foreach (var line in cart.InCart) storefront.AddItem(cart.CartId, "s1", line.Sku, line.VariantId, line.Quantity, line.UnitPrice);
        var viewed = storefront.View(cart.CartId, "s1");
        await storefront.FlushAsync();
        var value = await DemoRunner.WaitForRecommendationAsync(service, cart.CartId, viewed.Timestamp, CancellationToken.None);
        Assert.InRange(value.AddOns.Count, 0, 3);
        Assert.DoesNotContain(value.AddOns, a => cart.InCart.Any(l => l.Sku == a.Sku));
    }
}
