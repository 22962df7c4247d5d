namespace CartCrossSell.Contracts;

/// <summary>A completed order (schema <c>schemas/order-completed.schema.json</c>), keyed by order id.</summary>
public sealed record OrderCompleted
{
    public int SchemaVersion { get; set; } = 1;
    public required string EventId { get; init; }
    public required string OrderId { get; init; }
    public string? CartId { get; init; }
    public string? SessionId { get; init; }
    public string? VisitorId { get; init; }
    public string Currency { get; set; } = "GBP";
    public required DateTimeOffset Timestamp { get; init; }
    public required IReadOnlyList<OrderLine> Lines { get; init; }
}

public sealed record OrderLine
{
    public required string Sku { get; init; }
    public string? VariantId { get; init; }
    public required int Quantity { get; init; }
    public required decimal UnitPrice { get; init; }
    public string Source { get; set; } = EventSources.Storefront;
}
