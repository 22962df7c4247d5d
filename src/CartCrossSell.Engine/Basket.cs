namespace CartCrossSell.Engine;

/// <summary>One line of a live cart.</summary>
public sealed record BasketLine
{
    public required string Sku { get; init; }
    public string? VariantId { get; init; }
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
    public int Quantity { get; init; } = 1;
    public decimal UnitPrice { get; init; }
    /// <summary>When the line was first added; the most recent additions weigh more in basket scoring.</summary>
    public DateTimeOffset AddedAt { get; init; }
}

/// <summary>The whole cart the shopper has committed to: every line counts, not only the last one.</summary>
public sealed class Basket
{
    public Basket(IEnumerable<BasketLine> lines)
    {
        Lines = lines.ToArray();
        Value = Lines.Sum(l => l.UnitPrice * l.Quantity);
        Skus = new HashSet<string>(Lines.Select(l => l.Sku), StringComparer.Ordinal);
    }

    /// <summary>Lines in the order they were added.</summary>
    public IReadOnlyList<BasketLine> Lines { get; }

    /// <summary>Sum of unit price times quantity.</summary>
    public decimal Value { get; }

    public IReadOnlySet<string> Skus { get; }

    public bool IsEmpty => Lines.Count == 0;

    /// <summary>The cart's currency (ISO 4217), when known: no add-on priced in another currency is ever shown.</summary>
    public string? Currency { get; init; }

    /// <summary>The shopper's country (ISO 3166-1 alpha-2), when the cart's events say it; markets rules read it.</summary>
    public string? Country { get; init; }

    public bool Contains(string sku) => Skus.Contains(sku);
}
