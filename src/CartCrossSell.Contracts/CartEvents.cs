using System.Text.Json.Serialization;

namespace CartCrossSell.Contracts;

/// <summary>What happened to a cart. The storefront publishes one event per change, keyed by cart id.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CartEventType>))]
public enum CartEventType
{
    [JsonStringEnumMemberName("itemAdded")] ItemAdded,
    [JsonStringEnumMemberName("itemRemoved")] ItemRemoved,
    [JsonStringEnumMemberName("quantityChanged")] QuantityChanged,
    [JsonStringEnumMemberName("cartViewed")] CartViewed,
    [JsonStringEnumMemberName("cartCleared")] CartCleared,
}

/// <summary>
/// One cart change (schema <c>schemas/cart-event.schema.json</c>). Item events carry the sku, the variant and
/// its attributes; <see cref="Source"/> says where the add came from so a cross-sell acceptance is attributable.
/// </summary>
public sealed record CartEvent
{
    public int SchemaVersion { get; set; } = 1;
    public required string EventId { get; init; }
    public required CartEventType Type { get; init; }
    public required string CartId { get; init; }
    public required string SessionId { get; init; }
    public string? VisitorId { get; init; }
    public string? Sku { get; init; }
    public string? VariantId { get; init; }
    public IReadOnlyDictionary<string, string>? Attributes { get; init; }
    /// <summary>For itemAdded, the quantity added; for quantityChanged, the new quantity of the line.</summary>
    public int? Quantity { get; init; }
    public decimal? UnitPrice { get; init; }
    public string Currency { get; set; } = "GBP";
    /// <summary>The shopper's country (ISO 3166-1 alpha-2), when the storefront knows it: merchandising markets rules read it.</summary>
    public string? Country { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    /// <summary><see cref="EventSources"/>: where the change came from (storefront, cross-sell widget, ...).</summary>
    public string Source { get; set; } = EventSources.Storefront;
}

/// <summary>Well-known values of the <c>source</c> field of cart events and order lines.</summary>
public static class EventSources
{
    public const string Storefront = "storefront";
    /// <summary>The line was added with one click from the cart-page cross-sell module.</summary>
    public const string CrossSellWidget = "cross-sell-widget";
    public const string Backfill = "backfill";
    public const string Simulator = "simulator";
}
