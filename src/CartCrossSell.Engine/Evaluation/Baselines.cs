namespace CartCrossSell.Engine.Evaluation;

/// <summary>
/// The simple baselines a ranker must beat, defined once for the offline evaluation and the trainer's validation:
/// best sellers, "bought with the last item", and the unweighted basket sums of co-occurrence counts and of cosine.
/// None applies a cart rule beyond "not already in the cart": they are the widgets a store would otherwise run.
/// </summary>
public static class Baselines
{
    /// <summary>The ranking options a baseline runs with, derived from the engine's (similarity and shrinkage).</summary>
    public static RecommendationOptions Options(string strategy, RecommendationOptions options) => strategy switch
    {
        Strategies.BasketCounts => options with { Similarity = SimilarityMeasure.Cooccurrence, Shrinkage = 0 },
        Strategies.BasketCosine => options with { Similarity = SimilarityMeasure.Cosine, Shrinkage = 0 },
        Strategies.Popularity or Strategies.LastItem => options,
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "not a baseline"),
    };

    /// <summary>
    /// The skus a baseline shows, at most the ranker's <see cref="RecommendationOptions.MaxAddOns"/>.
    /// <paramref name="ranker"/> must run with <see cref="Options"/> of the same strategy.
    /// </summary>
    public static IReadOnlyList<string> Rank(string strategy, AddOnRanker ranker, Basket basket, ICatalog catalog, IBasketEvidence evidence,
        IReadOnlyList<string> bestSellers, DateTimeOffset now)
    {
        var list = strategy switch
        {
            Strategies.Popularity => null,
            Strategies.LastItem => ranker.RankLastItem(basket, catalog, evidence, now),
            Strategies.BasketCounts or Strategies.BasketCosine => ranker.RankUniformBasket(basket, catalog, evidence, now, strategy),
            _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "not a baseline"),
        };
        return list is null
            ? bestSellers.Where(s => !basket.Contains(s)).Take(ranker.Options.MaxAddOns).ToList()
            : list.AddOns.Select(a => a.Sku).ToList();
    }
}
