using CartCrossSell.Contracts;
using CartCrossSell.Streams;
using CartCrossSell.Web.Shop;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCrossSell.Web.Tests;

/// <summary>The demo shop's own carts: the recommender's line rules, and a bound on how many it holds.</summary>
public sealed class ShopCartsTests : IDisposable
{
    // Never connected: the carts are fed directly, as the gateway feeds them once an event is on the topic.
    private readonly EventPublisher _publisher = new(new KafkaOptions { BootstrapServers = "127.0.0.1:9" });

    private ShopCarts Carts(int maxCarts = ShopCarts.MaxCarts) =>
        new(new CartEventGateway(_publisher), new ShopCatalog(new WebServiceOptions(), NullLoggerFactory.Instance), maxCarts);

    private static CartEvent Event(string cart, CartEventType type, string? sku = null, string? variant = null, int? quantity = null) => new()
    {
        EventId = Guid.NewGuid().ToString("N"), CartId = cart, SessionId = "s", Type = type, Sku = sku, VariantId = variant,
        Quantity = quantity, UnitPrice = sku is null ? null : 2m, Timestamp = DateTimeOffset.UtcNow,
    };

    [Fact]
    public void Adds_merge_by_sku_and_variant_and_a_removal_without_a_variant_takes_every_line_of_the_sku()
    {
        var carts = Carts();
        carts.Record(Event("c", CartEventType.ItemAdded, "bag", "bag-red", 1));
        carts.Record(Event("c", CartEventType.ItemAdded, "bag", "bag-blue", 1));
        carts.Record(Event("c", CartEventType.ItemAdded, "bag", "bag-red", 2));
        carts.Record(Event("c", CartEventType.ItemAdded, "box", "box-a", 1));

        Assert.Equal([("bag", "bag-red", 3), ("bag", "bag-blue", 1), ("box", "box-a", 1)],
            carts.View("c").Lines.Select(l => (l.Sku, l.VariantId!, l.Quantity)));

        carts.Record(Event("c", CartEventType.ItemRemoved, "bag", "bag-blue"));
        Assert.Equal(["bag-red", "box-a"], carts.View("c").Lines.Select(l => l.VariantId!));
        carts.Record(Event("c", CartEventType.ItemRemoved, "bag"));
        Assert.Equal(["box"], carts.View("c").Lines.Select(l => l.Sku));
    }

    [Fact]
    public void A_checkout_takes_the_cart_once_and_a_failed_one_puts_its_lines_back_beside_what_came_meanwhile()
    {
        var carts = Carts();
        carts.Record(Event("c", CartEventType.ItemAdded, "bag", "bag-red", 2));
        carts.Record(Event("c", CartEventType.ItemAdded, "box", "box-a", 1));

        var taken = carts.Take("c");
        Assert.Equal(["bag", "box"], taken.Select(l => l.Sku));
        Assert.Empty(carts.Take("c")); // a second checkout (a double click) finds nothing to publish
        Assert.Equal(0, carts.Count);

        carts.Record(Event("c", CartEventType.ItemAdded, "bag", "bag-red", 1)); // a one-click add while the order was out
        carts.Restore("c", taken);                                               // the order was refused
        Assert.Equal([("bag", 3), ("box", 1)], carts.View("c").Lines.Select(l => (l.Sku, l.Quantity)));
        Assert.Equal(1, carts.Count);
    }

    [Fact]
    public void Past_its_bound_the_least_recently_changed_carts_are_forgotten()
    {
        var carts = Carts(maxCarts: 20);
        for (var i = 0; i < 20; i++) carts.Record(Event($"c{i}", CartEventType.ItemAdded, "bag", "bag-red", 1));
        carts.Record(Event("c0", CartEventType.ItemAdded, "box", "box-a", 1)); // c0 changed again: now the most recent

        carts.Record(Event("c20", CartEventType.ItemAdded, "bag", "bag-red", 1));

        Assert.True(carts.Count <= 20, $"{carts.Count} carts held");
        Assert.Empty(carts.View("c1").Lines);         // the least recently changed went
        Assert.Equal(2, carts.View("c0").Lines.Count); // the recently changed stayed
        Assert.Single(carts.View("c20").Lines);
    }

    public void Dispose() => _publisher.Dispose();
}
