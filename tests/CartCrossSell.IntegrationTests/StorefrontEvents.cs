using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.Streams;
using CartCrossSell.Topologies.Outcomes;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// Experiment events as a storefront publishes them: cart views and one-click adds to <c>cart-events</c>, orders to
/// <c>order-events</c>, the widget's impressions to <c>cross-sell-impressions</c>.
/// </summary>
internal static class StorefrontEvents
{
    public static void Publish(EventPublisher publisher, IEnumerable<SessionEvent> events)
    {
        foreach (var e in events)
        {
            if (e.Kind == SessionEvent.ImpressionShown)
                publisher.Publish(Topics.CrossSellImpressions, e.CartId!, JsonSerializer.SerializeToUtf8Bytes(new CrossSellImpression
                {
                    EventId = Guid.NewGuid().ToString(), CartId = e.CartId!, SessionId = e.SessionId, VisitorId = e.VisitorId, ValueVersion = e.ValueVersion!.Value,
                    Skus = e.Skus!, ModelVersion = e.ModelVersion!, Timestamp = e.Timestamp,
                }, ContractsJson.Default.CrossSellImpression), e.Timestamp);
            else if (e.Kind == SessionEvent.WidgetAdd)
                publisher.Publish(Topics.CartEvents, e.CartId!, JsonSerializer.SerializeToUtf8Bytes(new CartEvent
                {
                    EventId = e.EventId!, Type = CartEventType.ItemAdded, CartId = e.CartId!, SessionId = e.SessionId, VisitorId = e.VisitorId,
                    Sku = e.Sku, VariantId = e.Sku, Quantity = 1, UnitPrice = 4.5m, Timestamp = e.Timestamp, Source = EventSources.CrossSellWidget,
                }, ContractsJson.Default.CartEvent), e.Timestamp);
            else if (e.Kind == SessionEvent.CartViewed)
                publisher.Publish(Topics.CartEvents, e.CartId!, JsonSerializer.SerializeToUtf8Bytes(new CartEvent
                {
                    EventId = Guid.NewGuid().ToString(), Type = CartEventType.CartViewed, CartId = e.CartId!, SessionId = e.SessionId,
                    VisitorId = e.VisitorId, Timestamp = e.Timestamp,
                }, ContractsJson.Default.CartEvent), e.Timestamp);
            else
                publisher.Publish(Topics.OrderEvents, e.OrderId!, JsonSerializer.SerializeToUtf8Bytes(new OrderCompleted
                {
                    EventId = Guid.NewGuid().ToString(), OrderId = e.OrderId!, CartId = e.CartId, SessionId = e.SessionId, VisitorId = e.VisitorId,
                    Timestamp = e.Timestamp,
                    Lines = e.Lines!.Select(l => new OrderLine { Sku = l.Sku, Quantity = l.Quantity, UnitPrice = l.UnitPrice, Source = l.Source }).ToArray(),
                }, ContractsJson.Default.OrderCompleted), e.Timestamp);
        }
    }
}
