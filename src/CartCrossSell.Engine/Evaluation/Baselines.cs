using CartCrossSell.Engine.Merchandising;
using CartCrossSell.Engine.Ranking;

namespace CartCrossSell.Engine.Evaluation;

/// <summary>
/// The simple baselines a ranker must beat, defined once for the offline evaluation and the trainer's validation:
/// best sellers, "bought with the last item", and the unweighted basket sums of co-occurrence counts and of cosine.
/// None applies a cart rule beyond "not already in the cart": they are the widgets a store would otherwise run.
/// <see cref="UnderCartRules"/> holds one to the cart rules, for a comparison with a ranker under the same constraints.
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

    /// <summary>
    /// How deep a baseline ranks before <see cref="UnderCartRules"/> holds it to the cart rules: deep enough that the
    /// rules, which refuse many of a catalog's same-design items, rarely leave it short of ten.
    /// </summary>
    public const int DepthUnderRules = 50;

    /// <summary>
    /// A baseline's ranking (<paramref name="ranked"/>, best first) held to the product's hard cart rules as the learned
    /// ranker serves them: never in the cart, in stock, not a substitute (learned from the orders, as
    /// <see cref="LearnedSubstitutes"/> decides), under the price cap, a one-click variant, and diversity; the first
    /// <paramref name="count"/> that pass, in the baseline's own order (no price band or margin shaping, no show
    /// threshold: those are a ranker's choices, not rules). What a store would get from the simple widget if it had to
    /// obey the cart page's rules, so that the learned ranker's rules-on rows have a comparison under the same
    /// constraints beside the one against the unconstrained widgets. Items the catalog does not know pass only where
    /// <paramref name="options"/> allow unknown items.
    /// </summary>
    /// <param name="candidates">The candidate set of the cart (the learned substitutes read its pair evidence).</param>
    public static IReadOnlyList<string> UnderCartRules(IReadOnlyList<string> ranked, Basket basket, ICatalog catalog, CandidateSet candidates,
        IBasketEvidence evidence, RecommendationOptions options, int count, DateTimeOffset now)
    {
        var substitutes = new LearnedSubstitutes(candidates, evidence, options);
        var rules = new CartRules(basket, catalog, options, substitutes.IsSubstitute);
        var shortlist = new List<ShortlistItem>(ranked.Count);
        for (var i = 0; i < ranked.Count; i++)
        {
            var sku = ranked[i];
            if (basket.Contains(sku)) continue;
            var item = catalog.Find(sku);
            if (item is null ? !options.AllowUnknownItems : !rules.TryQualify(item, 1, 0, out _)) continue;
            // Scores that keep the baseline's order: the merchandiser orders by score.
            shortlist.Add(new ShortlistItem(sku, item, ranked.Count - i, shortlist.Count));
        }
        var merchandiser = new Merchandiser(MerchandisingRuleSet.None, options.Diversity, basket, catalog, now);
        var list = merchandiser.Apply(shortlist, count, static (bestFirst, slots) => bestFirst.Take(slots).ToList(), static _ => null);
        return list.AddOns.Select(a => a.Candidate.Sku).ToList();
    }
}
