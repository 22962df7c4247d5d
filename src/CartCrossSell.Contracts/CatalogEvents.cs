namespace CartCrossSell.Contracts;

/// <summary>
/// The current state of one product (schema <c>schemas/product-upserted.schema.json</c>), keyed by sku on the
/// compacted <c>catalog</c> topic: the latest record per sku is the product.
/// </summary>
public sealed record ProductUpserted
{
    public int SchemaVersion { get; set; } = 1;
    public required string Sku { get; init; }
    public required string Title { get; init; }
    /// <summary>From the root to the leaf, e.g. ["apparel", "running", "socks"]. The leaf decides substitutes.</summary>
    public required IReadOnlyList<string> CategoryPath { get; init; }
    public required decimal Price { get; init; }
    public string Currency { get; set; } = "GBP";
    /// <summary>Unit cost, when the store shares it; margin is then price minus cost.</summary>
    public decimal? UnitCost { get; init; }
    /// <summary>Margin rate in [0, 1], when the store shares a rate instead of a cost.</summary>
    public double? MarginRate { get; init; }
    public bool InStock { get; set; } = true;
    /// <summary>True for items that need a fit or specification decision (a suit, a laptop): never one-click.</summary>
    public bool NeedsFitDecision { get; init; }
    public IReadOnlyList<ProductVariant> Variants { get; set; } = [];
    public DateTimeOffset? Timestamp { get; init; }
}

public sealed record ProductVariant
{
    public required string VariantId { get; init; }
    /// <summary>Attributes such as <c>size</c> and <c>colour</c>.</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; set; } = new Dictionary<string, string>();
    public bool InStock { get; set; } = true;
    /// <summary>Units sold, when known; lets the engine fall back to the best-selling variant where allowed.</summary>
    public long? UnitsSold { get; init; }
}
