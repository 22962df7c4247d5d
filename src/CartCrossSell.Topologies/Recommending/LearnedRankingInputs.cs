using CartCrossSell.Engine;
using CartCrossSell.Engine.Ranking;

namespace CartCrossSell.Topologies.Recommending;

/// <summary>
/// The learned ranker's inputs in the recommender (replicated rows, catalog, best sellers), kept while neither the rows
/// nor the catalog changed and the best sellers are the same list. The inputs remember each complementary category's
/// leaders (its items by learned weight); computing those again for every cart event was a twentieth of the learned
/// ranking in the stream. Kept only while the tables' change counts stand still, so every event ranks exactly as with
/// inputs of its own; tables that count no changes get fresh inputs every time. Safe for several stream threads.
/// </summary>
/// <param name="similarBaskets">The newest orders' baskets (the similar-baskets source); null: none held.</param>
public sealed class LearnedRankingInputs(IBasketEvidence evidence, ICatalog catalog, DecayClock clock, SimilarBaskets? similarBaskets = null)
{
    private volatile Kept? _kept;

    private sealed record Kept(RankingInputs Inputs, long Rows, long Products, IReadOnlyList<string> BestSellers);

    /// <summary>The inputs to rank the next cart event with.</summary>
    public RankingInputs Current()
    {
        // Counts first: a change applied while the inputs are in use makes the next call build new ones.
        var rows = (evidence as IChangeCount)?.Changes;
        var products = (catalog as IChangeCount)?.Changes;
        var bestSellers = (evidence as IBestSellers)?.BestSellers() ?? [];
        if (rows is null || products is null) return new RankingInputs(evidence, catalog, clock, bestSellers) { SimilarBaskets = similarBaskets };
        var kept = _kept;
        if (kept is not null && kept.Rows == rows && kept.Products == products && ReferenceEquals(kept.BestSellers, bestSellers))
            return kept.Inputs;
        // The baskets are not part of what is kept: the index grows under the inputs, and every ranking reads it as it stands.
        var inputs = new RankingInputs(evidence, catalog, clock, bestSellers) { SimilarBaskets = similarBaskets };
        _kept = new Kept(inputs, rows.Value, products.Value, bestSellers);
        return inputs;
    }
}
