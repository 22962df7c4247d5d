namespace CartCrossSell.Contracts;

/// <summary>
/// What the cart-page module showed (schema <c>schemas/cross-sell-impression.schema.json</c>), keyed by cart id on
/// <c>cross-sell-impressions</c>: one per cart value shown, the skus in the order they were shown (position 1 first),
/// so click-through per position and acceptance per add-on can be counted against it.
/// </summary>
public sealed record CrossSellImpression
{
    public int SchemaVersion { get; set; } = 1;
    public required string EventId { get; init; }
    public required string CartId { get; init; }
    public string? SessionId { get; init; }
    public string? VisitorId { get; init; }
    /// <summary>The <see cref="CartRecommendation.Version"/> of the value that was shown.</summary>
    public required long ValueVersion { get; init; }
    /// <summary>The add-ons shown, in position order: 1 to <see cref="ContractValidation.MaxImpressionSkus"/> skus, each once.</summary>
    public required IReadOnlyList<string> Skus { get; init; }
    /// <summary>What ranked the list: the value's <see cref="CartRecommendation.ModelVersion"/>, or its <see cref="CartRecommendation.Strategy"/> when the heuristic ranked.</summary>
    public required string ModelVersion { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
}
