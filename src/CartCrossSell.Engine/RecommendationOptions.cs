namespace CartCrossSell.Engine;

/// <summary>Every rule of the ranking, with its default. Documented in the README ("Recommendation rules").</summary>
public sealed record RecommendationOptions
{
    /// <summary>Show at most this many add-ons. Default 3.</summary>
    public int MaxAddOns { get; init; } = 3;

    /// <summary>Never recommend an item priced at or above this share of the cart value. Default 0.5.</summary>
    public double MaxPriceShare { get; init; } = 0.5;

    /// <summary>The preferred price band as shares of the cart value. Default 0.15 to 0.25.</summary>
    public double PriceBandLow { get; init; } = 0.15;
    public double PriceBandHigh { get; init; } = 0.25;

    /// <summary>Leaf categories where a second item of the same category is a complement, not a substitute.</summary>
    public IReadOnlySet<string> MultiBuyCategories { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    public void Validate()
    {
        if (MaxAddOns is < 1 or > 10) throw new ArgumentOutOfRangeException(nameof(MaxAddOns), MaxAddOns, "MaxAddOns must be between 1 and 10");
        if (MaxPriceShare is <= 0 or > 10) throw new ArgumentOutOfRangeException(nameof(MaxPriceShare), MaxPriceShare, "MaxPriceShare must be in (0, 10]");
        if (PriceBandLow < 0 || PriceBandHigh <= 0)
            throw new ArgumentOutOfRangeException(nameof(PriceBandLow), "the price band bounds must be positive");
        if (PriceBandLow > PriceBandHigh)
            throw new ArgumentException($"PriceBandLow ({PriceBandLow}) must not exceed PriceBandHigh ({PriceBandHigh})");
    }
}
