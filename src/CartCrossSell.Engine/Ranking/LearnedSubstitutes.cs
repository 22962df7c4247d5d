namespace CartCrossSell.Engine.Ranking;

/// <summary>
/// Substitutes learned from the orders (rule 3): an item of a cart item's leaf category is a complement where the
/// orders bought the two together, in at least <see cref="RecommendationOptions.ComplementMinBaskets"/> baskets and at
/// least <see cref="RecommendationOptions.ComplementMinLift"/> times as often as their popularity predicts (several
/// designs of one lunch bag, several vegetables); otherwise the category rule stands (no evidence, or bought
/// together less than chance: they replace each other). Multi-buy categories are never substitutes (an override).
/// </summary>
public sealed class LearnedSubstitutes(CandidateSet set, IBasketEvidence evidence, RecommendationOptions options)
{
    public bool IsSubstitute(CatalogItem item)
    {
        var leaf = item.LeafCategory;
        if (string.IsNullOrEmpty(leaf) || options.MultiBuyCategories.Contains(leaf)) return false;
        foreach (var a in set.Cart)
        {
            if (a.LeafCategory != leaf) continue;
            if (options.Substitutes == SubstituteEvidence.Category || !BoughtTogether(a, item.Sku)) return true;
        }
        return false;
    }

    /// <summary>Whether the orders say the two are bought together (enough baskets, at least chance level).</summary>
    public bool BoughtTogether(CartItemEvidence a, string sku)
    {
        var candidate = set.Find(sku);
        if (!set.TryPairWithRow(a, candidate, sku, out var pair, out var rowWeight)) return false;
        // The candidate's row weight as the generator read it; another sku's from the evidence.
        double wc;
        if (candidate is not null) wc = candidate.Weight;
        else if (!evidence.TryGetWeight(RowKeys.Item(sku), out wc)) return false;
        if (wc <= 0 || set.Baskets <= 0 || pair <= 0) return false;
        var baskets = pair / set.NowWeight;
        var lift = pair * set.Baskets / (rowWeight * wc);
        return baskets >= options.ComplementMinBaskets && lift >= options.ComplementMinLift;
    }
}
