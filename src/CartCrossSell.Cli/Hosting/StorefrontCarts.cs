using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.Streams;

namespace CartCrossSell.Cli.Hosting;

/// <summary>
/// Publishes cart events the way a storefront does: keyed by cart id, with a session, a visitor and the variant.
/// Used by the demo and the end-to-end tests; a real storefront publishes the same contract.
/// </summary>
public sealed class StorefrontCarts(EventPublisher publisher, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public CartEvent AddItem(string cartId, string sessionId, string sku, string? variantId, int quantity, decimal unitPrice,
        string source = EventSources.Storefront, IReadOnlyDictionary<string, string>? attributes = null) =>
        Publish(new CartEvent
        {
            EventId = Guid.NewGuid().ToString("D"), Type = CartEventType.ItemAdded, CartId = cartId, SessionId = sessionId,
            VisitorId = $"visitor-{sessionId}", Sku = sku, VariantId = variantId, Quantity = quantity, UnitPrice = unitPrice,
            Attributes = attributes, Timestamp = _clock.GetUtcNow(), Source = source,
        });

    public CartEvent RemoveItem(string cartId, string sessionId, string sku) =>
        Publish(new CartEvent
        {
            EventId = Guid.NewGuid().ToString("D"), Type = CartEventType.ItemRemoved, CartId = cartId, SessionId = sessionId,
            VisitorId = $"visitor-{sessionId}", Sku = sku, Timestamp = _clock.GetUtcNow(),
        });

    public CartEvent View(string cartId, string sessionId) =>
        Publish(new CartEvent
        {
            EventId = Guid.NewGuid().ToString("D"), Type = CartEventType.CartViewed, CartId = cartId, SessionId = sessionId,
            VisitorId = $"visitor-{sessionId}", Timestamp = _clock.GetUtcNow(),
        });

    /// <summary>Publishes raw bytes as a cart event (to exercise dead letters).</summary>
    public void PublishRaw(string cartId, byte[] value) => publisher.Publish(Topics.CartEvents, cartId, value);

    public Task FlushAsync(CancellationToken cancellationToken = default) => publisher.FlushAsync(cancellationToken);

    /// <summary>Publishes an order as the storefront does at checkout, keyed by order id.</summary>
    public OrderCompleted PlaceOrder(OrderCompleted order)
    {
        publisher.Publish(Topics.OrderEvents, order.OrderId, JsonSerializer.SerializeToUtf8Bytes(order, ContractsJson.Default.OrderCompleted), order.Timestamp);
        return order;
    }

    /// <summary>
    /// Reports what the cart page's module showed, as the widget does (<c>POST /v1/impressions</c>): the value's skus in
    /// position order, keyed by cart id on <c>cross-sell-impressions</c>.
    /// </summary>
    public CrossSellImpression Showed(CrossSellImpression impression)
    {
        publisher.Publish(Topics.CrossSellImpressions, impression.CartId, ContractCodecs.CrossSellImpression.Encode(impression), impression.Timestamp);
        return impression;
    }

    /// <summary>Publishes a cart event built by the caller (its own ids and timestamp), keyed by cart id.</summary>
    public CartEvent Publish(CartEvent e)
    {
        publisher.Publish(Topics.CartEvents, e.CartId, JsonSerializer.SerializeToUtf8Bytes(e, ContractsJson.Default.CartEvent), e.Timestamp);
        return e;
    }
}
