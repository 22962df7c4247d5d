using CartCrossSell.Contracts;
using CartCrossSell.Engine;

namespace CartCrossSell.Topologies.Recommending;

/// <summary>A live cart as the recommender keeps it (store <c>carts</c>): its lines, who owns it, and its value.</summary>
public sealed class CartState
{
    public required string CartId { get; init; }
    public required string SessionId { get; set; }
    public string? VisitorId { get; set; }
    public string Currency { get; set; } = "GBP";
    /// <summary>The shopper's country from the cart's events, when one said it.</summary>
    public string? Country { get; set; }
    public List<CartLine> Lines { get; init; } = [];
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Where the last applied event came from: an event at or below it is a replay and is not applied again.</summary>
    public int AppliedPartition { get; set; } = -1;

    public long AppliedOffset { get; set; } = -1;

    public decimal Value => Lines.Sum(l => l.UnitPrice * l.Quantity);

    public Basket ToBasket() => new(Lines.Select(l => new BasketLine
    {
        Sku = l.Sku,
        VariantId = l.VariantId,
        Attributes = l.Attributes ?? new Dictionary<string, string>(),
        Quantity = l.Quantity,
        UnitPrice = l.UnitPrice,
        AddedAt = l.AddedAt,
    })) { Currency = Currency, Country = Country };
}

public sealed class CartLine
{
    public required string Sku { get; init; }
    public string? VariantId { get; init; }
    public Dictionary<string, string>? Attributes { get; init; }
    public int Quantity { get; set; }
    public decimal UnitPrice { get; set; }
    public DateTimeOffset AddedAt { get; init; }
    public string Source { get; init; } = EventSources.Storefront;
}
