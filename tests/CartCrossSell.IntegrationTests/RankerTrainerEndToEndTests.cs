using CartCrossSell.Cli.Hosting;
using CartCrossSell.Contracts;
using CartCrossSell.OrderHistory;
using CartCrossSell.Streams;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Topologies;
using CartCrossSell.Topologies.Hosting;
using CartCrossSell.Topologies.Training;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// Retraining in the stream, end to end on the embedded broker and a real redis-server: orders flow in, the
/// ranker-trainer group trains and publishes a model, and the recommender swaps to it while carts keep changing.
/// </summary>
public sealed class RankerTrainerEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private readonly KafkaFixture _kafka = new();
    private readonly RedisFixture _redis = new();

    [Fact]
    public async Task The_trainer_publishes_a_model_and_new_redis_values_carry_its_version_without_losing_cart_events()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = cts.Token;
        var orders = OrderFiles.Read(RepositoryFiles.OnlineRetail).Orders;
        // The newest orders arrive while carts are being served: they make the training due.
        var late = orders.OrderBy(o => o.Timestamp).TakeLast(150).Select(o => o.OrderId).ToHashSet();
        var now = DateTimeOffset.UtcNow;
        using var publisher = new EventPublisher(_kafka.Options);
        var early = await BackfillJob.RunAsync(publisher, RepositoryFiles.OnlineRetail, null, include: o => !late.Contains(o.OrderId), rebaseTo: now, cancellationToken: ct);

        using var loggers = TestLogging.Create(output.WriteLine, Microsoft.Extensions.Logging.LogLevel.Warning);
        await using var service = new CrossSellService(new CrossSellServiceOptions
        {
            Kafka = _kafka.Options,
            Redis = new() { Configuration = _redis.Server.Configuration },
            Recommender = new() { Ranking = new() { MultiBuyCategories = OnlineRetailCatalog.MultiBuyCategories } },
            Topologies = [TopologyNames.Learner, TopologyNames.Recommender, TopologyNames.RankerTrainer],
            RankerTrainer = new()
            {
                SampleOrders = 5_000, EveryOrders = early.Orders + 100, Every = TimeSpan.FromHours(1), CheckInterval = TimeSpan.FromSeconds(1),
                Trees = 10, Leaves = 7,
            },
        }, loggers);
        await service.StartAsync(ct);
        await DemoRunner.WaitForLearningAsync(service, ct);
        Assert.Equal(0, service.TrainerMetrics.Count(PublicationKind.NoModel, "too-few-orders")); // not due yet: nothing tried

        // Eight carts keep changing, one item every 100 ms, before, during and after the swap.
        var storefront = new StorefrontCarts(publisher);
        var carts = DemoRunner.PickCarts(orders, 8);
        var expected = new Dictionary<string, decimal>();
        var lastEvent = new Dictionary<string, DateTimeOffset>();
        var sent = 0;
        async Task AddAsync()
        {
            var cart = carts[sent % carts.Count];
            var line = cart.Order.Lines[(sent / carts.Count) % cart.Order.Lines.Count];
            var added = storefront.AddItem(cart.CartId, "s-" + cart.CartId, line.Sku, line.VariantId, 1, line.UnitPrice);
            expected[cart.CartId] = expected.GetValueOrDefault(cart.CartId) + line.UnitPrice;
            lastEvent[cart.CartId] = added.Timestamp;
            sent++;
            await storefront.FlushAsync(ct);
            await Task.Delay(100, ct);
        }

        for (var i = 0; i < carts.Count; i++) await AddAsync();
        var before = await DemoRunner.WaitForRecommendationAsync(service, carts[^1].CartId, lastEvent[carts[^1].CartId], ct);
        Assert.Null(before.ModelVersion); // the heuristic ranks until a model exists

        var lateRun = BackfillJob.RunAsync(publisher, RepositoryFiles.OnlineRetail, null, include: o => late.Contains(o.OrderId), rebaseTo: now, cancellationToken: ct);
        while (service.Models.Serving is null)
        {
            // Without a model in service the first one is judged against the heuristic: a refusal (or a failed training)
            // would never serve, so it fails the test at once instead of at its time-out.
            foreach (var (kind, reason) in new[] { (PublicationKind.Refused, "worse"), (PublicationKind.Refused, "superseded"), (PublicationKind.Refused, "too-large"), (PublicationKind.NoModel, "failed") })
                Assert.Equal(0, service.TrainerMetrics.Count(kind, reason));
            await AddAsync();
            if (ct.IsCancellationRequested) break;
        }
        await lateRun;
        var model = service.Models.Serving!.Model;
        output.WriteLine($"{model.Version}: generation {model.Metrics[ModelPublication.Generation]}, {model.Metrics["training_orders"]} orders, {model.Metrics["training_seconds"]} s");
        for (var i = 0; i < 2 * carts.Count; i++) await AddAsync();

        Assert.Equal(1, service.TrainerMetrics.Count(PublicationKind.Promoted, "no-model-in-service"));
        // Due at the hundredth late order: trained on the early orders and at least that many late ones.
        Assert.InRange(model.Metrics["training_orders"], early.Orders + 100, early.Orders + late.Count);
        foreach (var cart in carts)
        {
            var value = await DemoRunner.WaitForRecommendationAsync(service, cart.CartId, lastEvent[cart.CartId], ct);
            Assert.Equal(expected[cart.CartId], value.CartValue); // every add of the cart counted, across the swap
            Assert.Equal(model.Version, value.ModelVersion); // ranked by the new model, without a restart
        }
        output.WriteLine($"{sent} cart events, {carts.Count} carts");
    }

    public void Dispose()
    {
        _redis.Dispose();
        _kafka.Dispose();
    }
}
