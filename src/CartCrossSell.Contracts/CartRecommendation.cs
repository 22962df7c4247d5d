namespace CartCrossSell.Contracts;

/// <summary>
/// The value stored in Redis for one cart (schema <c>schemas/cart-recommendation.schema.json</c>), read by the
/// storefront when it renders the cart page. <see cref="Version"/> only grows for a cart: a write with a lower
/// or equal version never replaces a newer value.
/// </summary>
public sealed record CartRecommendation
{
    public int SchemaVersion { get; set; } = 1;
    public required string CartId { get; init; }
    /// <summary>Monotone per cart: the offset of the cart event this value answers (or one more than the previous version, for a cart moved to lower offsets).</summary>
    public required long Version { get; init; }
    /// <summary><c>treatment</c> renders the add-ons; <c>holdout</c> renders nothing (the list is empty).</summary>
    public string Cohort { get; set; } = Cohorts.Treatment;
    public string? ExperimentId { get; init; }
    public required decimal CartValue { get; init; }
    public string Currency { get; set; } = "GBP";
    public required string Strategy { get; init; }
    /// <summary>The version of the learned ranking model that ranked this value (<c>rk-…</c>); null when the heuristic did.</summary>
    public string? ModelVersion { get; init; }
    public required DateTimeOffset GeneratedAt { get; init; }
    /// <summary>The time of the cart event this value answers (for freshness measurements).</summary>
    public required DateTimeOffset EventTimestamp { get; init; }
    public required IReadOnlyList<RecommendedAddOn> AddOns { get; init; }
    /// <summary>
    /// Holdout only: the skus the engine would have shown, kept for later analysis. The storefront renders
    /// <see cref="AddOns"/> (empty in the holdout) and never this list.
    /// </summary>
    public IReadOnlyList<string>? WithheldAddOns { get; init; }
    /// <summary>
    /// The merchandising rules (by id) and diversity checks (<c>diversity:leaf-category</c>, <c>diversity:near-duplicate</c>)
    /// that changed the list from what the ranker alone would have shown; empty when none did.
    /// </summary>
    public IReadOnlyList<string> AppliedRules { get; set; } = [];
}

public sealed record RecommendedAddOn
{
    public required string Sku { get; init; }
    public required string VariantId { get; init; }
    public required string Title { get; init; }
    /// <summary>The catalog's full price: the service never attaches a discount.</summary>
    public required decimal Price { get; init; }
    public string Currency { get; set; } = "GBP";
    public required double Score { get; init; }
    public required string Reason { get; init; }
    public required string VariantReason { get; init; }
    /// <summary>What the storefront posts to add this item with one click.</summary>
    public required OneClickAdd AddToCart { get; init; }
}

/// <summary>The one-click add payload: enough for the storefront's add-to-cart call, variant preselected.</summary>
public sealed record OneClickAdd
{
    public required string CartId { get; init; }
    public required string Sku { get; init; }
    public required string VariantId { get; init; }
    public int Quantity { get; set; } = 1;
    public string Source { get; set; } = EventSources.CrossSellWidget;
}

public static class Cohorts
{
    public const string Treatment = "treatment";
    public const string Holdout = "holdout";
}
