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
        double pair, rowWeight, wc;
        if (set.Find(sku) is { } c && set.TryPairWeight(a, c, out pair, out rowWeight))
            wc = c.Weight; // the candidate's row weight, read when the generator met it
        else
        {
            if (a.Row is not { Weight: > 0 } row || !evidence.TryGetWeight(RowKeys.Item(sku), out wc)) return false;
            pair = RankingFeatures.PairWeight(row, sku);
            rowWeight = row.Weight;
        }
        if (wc <= 0 || set.Baskets <= 0 || pair <= 0) return false;
        var baskets = pair / set.NowWeight;
        var lift = pair * set.Baskets / (rowWeight * wc);
        return baskets >= options.ComplementMinBaskets && lift >= options.ComplementMinLift;
    }
}
