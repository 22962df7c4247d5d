using System.Text;
using System.Text.Json;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.Contracts;
using CartCrossSell.OrderHistory;
using CartCrossSell.Streams;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Topologies.Hosting;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// The walking skeleton end to end: real orders backfilled into the embedded Kafka mock cluster, the learner and the
/// cart recommender running on it, and the storefront's key read back from a real redis-server.
/// </summary>
public sealed class CartToRedisEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private readonly KafkaFixture _kafka = new();
    private readonly RedisFixture _redis = new();

    [Fact]
    public async Task Cart_events_become_at_most_three_valid_add_ons_in_redis_and_bad_events_become_dead_letters()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = cts.Token;
        var orders = OrderFiles.Read(RepositoryFiles.OnlineRetail).Orders;
        var candidates = DemoRunner.PickCarts(orders, 6);
        var heldOut = candidates.Select(c => c.Order.OrderId).ToHashSet();

        using var publisher = new EventPublisher(_kafka.Options);
        var backfill = await BackfillJob.RunAsync(publisher, RepositoryFiles.OnlineRetail, null,
            include: o => !heldOut.Contains(o.OrderId), rebaseTo: DateTimeOffset.UtcNow, cancellationToken: ct);
        Assert.True(backfill.Orders > 900, $"backfilled {backfill.Orders} orders");

        using var loggers = TestLogging.Create(output.WriteLine, Microsoft.Extensions.Logging.LogLevel.Warning);
        await using var service = new CrossSellService(new CrossSellServiceOptions
        {
            Kafka = _kafka.Options,
            Redis = new() { Configuration = _redis.Server.Configuration },
            Recommender = new() { Ranking = new() { MultiBuyCategories = OnlineRetailCatalog.MultiBuyCategories } },
        }, loggers);
        // Readiness: never before the start has created every topology, then once they run (restores done).
        Assert.Equal("starting: the topology groups are being created", service.NotReadyBecause);
        var starting = service.StartAsync(ct);
        while (!starting.IsCompleted)
        {
            Assert.False(service.IsReady, "ready before the topologies were created");
            await Task.Delay(1, ct);
        }
        await starting;
        await DemoRunner.WaitForLearningAsync(service, ct);
        Assert.True(service.IsReady);
        Assert.Null(service.NotReadyBecause);
        Assert.True(service.Neighbors.RowCount > 1000, $"learned {service.Neighbors.RowCount} rows");

        var storefront = new StorefrontCarts(publisher);

        // A real basket, minus its last item, gets add-ons: at most three, none in the cart, none out of stock,
        // none priced at or above the cart's value.
        CartRecommendation? value = null;
        DemoCart? cart = null;
        foreach (var candidate in candidates)
        {
            foreach (var line in candidate.InCart)
                storefront.AddItem(candidate.CartId, "s-" + candidate.CartId, line.Sku, line.VariantId, line.Quantity, line.UnitPrice);
            var viewed = storefront.View(candidate.CartId, "s-" + candidate.CartId);
            await storefront.FlushAsync(ct);
            value = await DemoRunner.WaitForRecommendationAsync(service, candidate.CartId, viewed.Timestamp, ct);
            output.WriteLine($"{candidate.CartId}: {value.AddOns.Count} add-ons");
            // Two or more: after the first is added, the cart must still be offered something to take out of stock.
            if (value.AddOns.Count >= 2)
            {
                cart = candidate;
                break;
            }
        }
        Assert.NotNull(cart);
        AssertValidAddOns(cart!.InCart.Select(l => l.Sku).ToHashSet(), value!, service);
        Assert.Equal($"xsell:v1:cart:{cart.CartId}", service.Store!.KeyOf(cart.CartId));
        var ttl = await service.Store.TimeToLiveAsync(cart.CartId);
        Assert.True(ttl > TimeSpan.FromDays(6), $"TTL {ttl}");

        // One click adds the first add-on with its preselected variant: the key is rewritten without it.
        var accepted = value!.AddOns[0];
        var added = storefront.AddItem(cart.CartId, "s-" + cart.CartId, accepted.Sku, accepted.VariantId, 1, accepted.Price, EventSources.CrossSellWidget);
        await storefront.FlushAsync(ct);
        var afterAdd = await DemoRunner.WaitForRecommendationAsync(service, cart.CartId, added.Timestamp, ct);
        Assert.True(afterAdd.Version > value.Version);
        Assert.DoesNotContain(afterAdd.AddOns, a => a.Sku == accepted.Sku);
        var inCart = cart.InCart.Select(l => l.Sku).Append(accepted.Sku).ToHashSet();
        AssertValidAddOns(inCart, afterAdd, service);
        Assert.Equal(value.CartValue + accepted.Price, afterAdd.CartValue);

        // An add-on that goes out of stock is no longer offered.
        Assert.NotEmpty(afterAdd.AddOns);
        {
            var soldOut = afterAdd.AddOns[0].Sku;
            var product = service.Catalog.Table.Find(soldOut)! with { InStock = false };
            publisher.Publish(Topics.Catalog, soldOut, JsonSerializer.SerializeToUtf8Bytes(product, ContractsJson.Default.ProductUpserted));
            await publisher.FlushAsync(ct);
            while (service.Catalog.Find(soldOut)!.InStock) await Task.Delay(50, ct);
            var viewed = storefront.View(cart.CartId, "s-" + cart.CartId);
            await storefront.FlushAsync(ct);
            var afterStockOut = await DemoRunner.WaitForRecommendationAsync(service, cart.CartId, viewed.Timestamp, ct);
            Assert.DoesNotContain(afterStockOut.AddOns, a => a.Sku == soldOut);
        }

        // A malformed event goes to dead-letters with its reason and coordinates; later events are still processed.
        storefront.PublishRaw(cart.CartId, Encoding.UTF8.GetBytes("{\"type\": \"itemAdded\", oops"));
        var later = storefront.AddItem("cart-after-bad-input", "s-later", cart.InCart[0].Sku, cart.InCart[0].VariantId, 2, cart.InCart[0].UnitPrice);
        await storefront.FlushAsync(ct);
        var laterValue = await DemoRunner.WaitForRecommendationAsync(service, "cart-after-bad-input", later.Timestamp, ct);
        Assert.Equal(2 * cart.InCart[0].UnitPrice, laterValue.CartValue);

        var deadLetters = TopicProbe.ReadAll(_kafka.Options, Topics.DeadLetters, 1, TimeSpan.FromSeconds(20))
            .Select(r => JsonSerializer.Deserialize(r.Message.Value, ContractsJson.Default.DeadLetter)!)
            .ToArray();
        var malformed = Assert.Single(deadLetters, d => d.Payload == "{\"type\": \"itemAdded\", oops");
        Assert.Equal(DeadLetterKinds.Unparseable, malformed.Kind);
        Assert.Equal(Topics.CartEvents, malformed.SourceTopic);
        Assert.True(malformed.SourceOffset >= 0);
        Assert.Contains("CartEvent", malformed.Reason);
        Assert.Equal(cart.CartId, malformed.Key);
        Assert.True(service.StreamsMetrics.DeadLetteredCount("cart-recommender", Topics.CartEvents, DeadLetterKinds.Unparseable) >= 1);
    }

    private static void AssertValidAddOns(IReadOnlySet<string> cartSkus, CartRecommendation value, CrossSellService service)
    {
        Assert.InRange(value.AddOns.Count, 0, 3);
        foreach (var addOn in value.AddOns)
        {
            Assert.DoesNotContain(addOn.Sku, cartSkus);
            var product = service.Catalog.Find(addOn.Sku);
            Assert.NotNull(product);
            Assert.True(product!.InStock, $"{addOn.Sku} is out of stock");
            Assert.True(addOn.Price < value.CartValue, $"{addOn.Sku} costs {addOn.Price}, cart {value.CartValue}");
            Assert.Equal(product.Price, addOn.Price); // full catalog price, never a discount
            Assert.False(string.IsNullOrWhiteSpace(addOn.Reason));
            Assert.Equal(addOn.VariantId, addOn.AddToCart.VariantId);
            Assert.Equal(value.CartId, addOn.AddToCart.CartId);
        }
    }

    public void Dispose()
    {
        _redis.Dispose();
        _kafka.Dispose();
    }
}
