namespace CartCrossSell.Engine.Ranking;

/// <summary>
/// The features of one (cart, candidate) pair: one code path for training and serving. Every feature is finite; an
/// unknown value has a stated sentinel (a missing source rank is <see cref="Absent"/>, an unknown price share or
/// margin is -1), so a tree's "x &lt;= threshold" means the same in the trainer and in <see cref="TreeEnsemble"/>.
/// Counts are baskets as of the ranking time; similarities and shares are scale-free, so a model trained on one
/// store's volume reads another's.
/// </summary>
public static class RankingFeatures
{
    /// <summary>The rank given to a candidate outside a source's top (the source did not score it, or scored it below its depth).</summary>
    public const float Absent = 1000f;

    /// <summary>Feature names in vector order. A model records them and refuses a different list.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "basket_cos_weighted", "basket_cos_uniform", "basket_cos_max",
        "log_pair_count_sum", "log_pair_count_max",
        "confidence_sum", "confidence_max", "log_lift_max",
        "cart_items_matched", "cart_items_matched_share",
        "last_cos", "second_last_cos", "last_confidence",
        "next_sum", "next_from_last", "previous_sum", "previous_from_last",
        "category_score",
        "log_popularity", "popularity_share", "best_seller_rank",
        "cart_items", "log_cart_value", "price_share", "margin_rate",
        "same_leaf_cart_items", "same_leaf_log_lift", "has_category",
        "rank_basket_in_top", "rank_last_items_in_top", "rank_sequence_in_top", "rank_category_in_top",
        "log_baskets",
        "basket_share_of_top", "uniform_share_of_top", "last_items_share_of_top", "sequence_share_of_top",
        "similar_baskets_score", "rank_similar_baskets_in_top", "similar_baskets_share_of_top",
    ];

    public static int Count => Names.Count;

    /// <summary>The feature vectors of every candidate of the set, row by row (candidate i at i * Count).</summary>
    public static float[] Extract(CandidateSet set, ICatalog? catalog)
    {
        var features = new float[set.Candidates.Count * Count];
        Extract(set, catalog, features);
        return features;
    }

    /// <summary>As <see cref="Extract(CandidateSet, ICatalog?)"/> into the first Candidates.Count × Count floats of <paramref name="features"/>.</summary>
    public static void Extract(CandidateSet set, ICatalog? catalog, Span<float> features)
    {
        var count = Count;
        if (features.Length < set.Candidates.Count * count) throw new ArgumentException($"room for {set.Candidates.Count} rows needed", nameof(features));
        for (var i = 0; i < set.Candidates.Count; i++) Write(set, set.Candidates[i], catalog, features.Slice(i * count, count));
    }

    public static void Write(CandidateSet set, CandidateEvidence c, ICatalog? catalog, Span<float> x)
    {
        var cartItems = set.Cart.Count;
        var facts = catalog is null ? default : CatalogMemo.FactsOf(catalog, c.Sku);
        var leaf = facts.Leaf;
        var sameLeaf = 0;
        var sameLeafLift = -1.0;
        if (!string.IsNullOrEmpty(leaf))
        {
            foreach (var a in set.Cart)
            {
                if (a.LeafCategory != leaf) continue;
                sameLeaf++;
                var lift = PairLift(set, a, c);
                if (lift > sameLeafLift) sameLeafLift = lift;
            }
        }
        var k = 0;
        x[k++] = (float)c.CosWeighted;
        x[k++] = (float)c.CosUniform;
        x[k++] = (float)c.CosMax;
        x[k++] = (float)Math.Log(1 + c.CountSum);
        x[k++] = (float)Math.Log(1 + c.CountMax);
        x[k++] = (float)c.ConfidenceSum;
        x[k++] = (float)c.ConfidenceMax;
        x[k++] = c.LiftMax > 0 ? (float)Math.Log(c.LiftMax) : -10f;
        x[k++] = c.Matches;
        x[k++] = cartItems == 0 ? 0 : (float)c.Matches / cartItems;
        x[k++] = (float)c.LastCos;
        x[k++] = (float)c.SecondLastCos;
        x[k++] = (float)c.LastConfidence;
        x[k++] = (float)c.NextSum;
        x[k++] = (float)c.NextFromLast;
        x[k++] = (float)c.PreviousSum;
        x[k++] = (float)c.PreviousFromLast;
        x[k++] = (float)c.CategoryScore;
        x[k++] = (float)Math.Log(1 + c.Weight / set.NowWeight);
        x[k++] = set.Baskets > 0 ? (float)(c.Weight / set.Baskets) : 0;
        x[k++] = c.BestSellerRank > 0 ? c.BestSellerRank : Absent;
        x[k++] = cartItems;
        x[k++] = set.LogCartValue;
        x[k++] = set.CartValue > 0 && facts.Price > 0 ? (float)(facts.Price / set.CartValue) : -1f;
        x[k++] = facts.MarginRate is { } m ? (float)Math.Clamp(m, 0, 1) : -1f;
        x[k++] = sameLeaf;
        x[k++] = sameLeaf == 0 ? -1f : sameLeafLift > 0 ? (float)Math.Log(sameLeafLift) : -10f;
        x[k++] = string.IsNullOrEmpty(leaf) ? 0 : 1;
        x[k++] = Rank(c.RankBasket);
        x[k++] = Rank(c.RankLastItems);
        x[k++] = Rank(c.RankSequence);
        x[k++] = Rank(c.RankCategory);
        x[k++] = set.LogBaskets;
        var share = set.ShareOfTop(c);
        x[k++] = (float)share.Basket;
        x[k++] = (float)share.Uniform;
        x[k++] = (float)share.LastItems;
        x[k++] = (float)share.Sequence;
        x[k++] = (float)c.SimilarScore;
        x[k++] = Rank(c.RankSimilar);
        x[k++] = (float)set.SimilarShareOfTop(c);
    }

    private static float Rank(int rank) => rank > 0 ? Math.Min(rank, Absent) : Absent;

    /// <summary>
    /// Observed over expected co-occurrence of a cart item and a candidate (lift): from the cart item's row, else 0
    /// (a pair not among the row's strongest neighbours). Infinity-free: 0 when either row is missing.
    /// </summary>
    public static double PairLift(CandidateSet set, CartItemEvidence a, CandidateEvidence c)
    {
        if (!set.TryPairWithRow(a, c, c.Sku, out var pair, out var rowWeight) || c.Weight <= 0 || set.Baskets <= 0) return 0;
        return pair * set.Baskets / (rowWeight * c.Weight);
    }

    /// <summary>The pair weight of <paramref name="sku"/> in an item row (0 when it is not a neighbour).</summary>
    public static double PairWeight(EvidenceRow row, string sku)
    {
        foreach (var n in row.Neighbors)
            if (n.Key.Length == RowKeys.ItemPrefix.Length + sku.Length && RowKeys.IsItem(n.Key)
                && n.Key.AsSpan(RowKeys.ItemPrefix.Length).SequenceEqual(sku))
                return n.PairWeight;
        return 0;
    }
}
