namespace CartCrossSell.Engine.Ranking;

/// <summary>Where a candidate add-on came from; a candidate may come from several sources.</summary>
[Flags]
public enum CandidateSource : byte
{
    None = 0,
    /// <summary>Bought with the whole basket: recency-weighted cosine summed over every cart item.</summary>
    Basket = 1,
    /// <summary>Bought with the last one or two items added.</summary>
    LastItems = 2,
    /// <summary>Added right after or right before a cart item in past orders (order of addition).</summary>
    Sequence = 4,
    /// <summary>Popular items of the leaf categories most often bought with the cart's categories.</summary>
    Category = 8,
    /// <summary>The store's best sellers (the evidence-free fallback).</summary>
    Popular = 16,
}

/// <summary>How many candidates each source contributes to the union the ranker scores.</summary>
public sealed record CandidateOptions
{
    public int BasketDepth { get; init; } = 100;
    public int LastItemsDepth { get; init; } = 40;
    public int SequenceDepth { get; init; } = 40;
    public int CategoryDepth { get; init; } = 40;
    public int PopularDepth { get; init; } = 20;

    /// <summary>Complementary leaf categories whose popular items the category source offers. Default 5.</summary>
    public int ComplementCategories { get; init; } = 5;

    /// <summary>Popular items taken from each complementary category. Default 10.</summary>
    public int ItemsPerCategory { get; init; } = 10;

    /// <summary>Recency weights of the basket source and features (as <see cref="RecommendationOptions.RecencyDecay"/>).</summary>
    public double RecencyDecay { get; init; } = 0.5;
    public double RecencyFloor { get; init; } = 0.2;

    /// <summary>Shrinkage lambda of the cosine: n / (n + lambda) with n the pair count. Default 1.</summary>
    public double Shrinkage { get; init; } = 1.0;

    public void Validate()
    {
        foreach (var (name, depth) in new[] { (nameof(BasketDepth), BasketDepth), (nameof(LastItemsDepth), LastItemsDepth),
                     (nameof(SequenceDepth), SequenceDepth), (nameof(CategoryDepth), CategoryDepth), (nameof(PopularDepth), PopularDepth),
                     (nameof(ComplementCategories), ComplementCategories), (nameof(ItemsPerCategory), ItemsPerCategory) })
            if (depth is < 0 or > 10_000) throw new ArgumentOutOfRangeException(name, depth, $"{name} must be between 0 and 10000");
        if (RecencyDecay is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(RecencyDecay), "must be in [0, 1]");
        if (RecencyFloor is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(RecencyFloor), "must be in [0, 1]");
        if (Shrinkage < 0) throw new ArgumentOutOfRangeException(nameof(Shrinkage), "must not be negative");
    }
}

/// <summary>
/// What the candidate sources read: learned rows, the catalog (optional) and the best sellers, all as of one
/// snapshot. Immutable; safe to share between threads when the evidence and catalog are.
/// </summary>
public sealed class RankingInputs
{
    public RankingInputs(IBasketEvidence evidence, ICatalog? catalog, DecayClock clock, IReadOnlyList<string> bestSellers)
    {
        Evidence = evidence;
        Catalog = catalog;
        Clock = clock;
        BestSellers = bestSellers;
    }

    public IBasketEvidence Evidence { get; }
    public ICatalog? Catalog { get; }
    public DecayClock Clock { get; }

    /// <summary>The most bought items, best first (at least as many as the popular source takes).</summary>
    public IReadOnlyList<string> BestSellers { get; }

    /// <summary>The best sellers of a learner (or any list of learned items with their weights).</summary>
    public static IReadOnlyList<string> BestSellersOf(IEnumerable<(string Sku, double Weight)> items, int count = 100) =>
        items.OrderByDescending(i => i.Weight).ThenBy(i => i.Sku, StringComparer.Ordinal).Take(count).Select(i => i.Sku).ToArray();

    /// <summary>The best sellers of a compact store (item rows by weight).</summary>
    public static IReadOnlyList<string> BestSellersOf(CompactEvidence evidence, int count = 100) =>
        BestSellersOf(evidence.RowKeysHeld.Where(RowKeys.IsItem)
            .Select(k => (RowKeys.SkuOf(k), evidence.TryGetWeight(k, out var w) ? w : 0)), count);
}

/// <summary>
/// Everything the sources learned about one candidate for one cart. Pair counts are baskets as of the ranking time
/// (decayed weights divided by the clock's weight now), similarities are scale-free.
/// </summary>
public sealed class CandidateEvidence
{
    public required string Sku { get; init; }
    /// <summary>Decayed weight of the candidate's item row (0 when it has none).</summary>
    public double Weight;
    public double CosWeighted, CosUniform, CosMax;
    public double CountSum, CountMax;
    public double ConfidenceSum, ConfidenceMax;
    public double LiftMax;
    public int Matches;
    public double LastCos, SecondLastCos, LastConfidence;
    public double NextSum, NextFromLast, PreviousSum, PreviousFromLast;
    public double CategoryScore;
    public int BestSellerRank;
    public CandidateSource Sources;
    public int RankBasket, RankLastItems, RankSequence, RankCategory;
    /// <summary>The cart item (index, most recent first) this candidate owes most of its basket score to; -1 none.</summary>
    public int BestCartItem = -1, SecondCartItem = -1;
    internal double BestContribution, SecondContribution;

    public double LastItemsScore => LastCos + 0.5 * SecondLastCos;
    public double SequenceScore => NextSum + PreviousSum;

    /// <summary>Whether any cart item was bought with it or added next to it: real evidence about this cart.</summary>
    public bool HasItemEvidence => Matches > 0 || NextSum > 0 || PreviousSum > 0;

    internal void AddContribution(int cartIndex, double contribution)
    {
        if (contribution > BestContribution)
        {
            SecondCartItem = BestCartItem;
            SecondContribution = BestContribution;
            BestCartItem = cartIndex;
            BestContribution = contribution;
        }
        else if (contribution > SecondContribution)
        {
            SecondCartItem = cartIndex;
            SecondContribution = contribution;
        }
    }
}

internal sealed class SkuOrder : IComparer<CandidateEvidence>
{
    public static readonly SkuOrder Instance = new();
    public int Compare(CandidateEvidence? x, CandidateEvidence? y) => string.CompareOrdinal(x!.Sku, y!.Sku);
}

/// <summary>One distinct cart item as the sources see it: most recent first, with its recency weight and row.</summary>
public sealed record CartItemEvidence(string Sku, double Recency, EvidenceRow? Row, string? LeafCategory);

/// <summary>The candidates of one cart: the union of every source's top, with what each source knows of them.</summary>
public sealed class CandidateSet
{
    internal CandidateSet(IReadOnlyList<CartItemEvidence> cart, IReadOnlyList<CandidateEvidence> candidates,
        double baskets, double nowWeight, double cartValue)
    {
        Cart = cart;
        Candidates = candidates;
        Baskets = baskets;
        NowWeight = nowWeight;
        CartValue = cartValue;
    }

    /// <summary>Distinct cart items, most recent first.</summary>
    public IReadOnlyList<CartItemEvidence> Cart { get; }

    /// <summary>The union of the sources' tops, in no particular order.</summary>
    public IReadOnlyList<CandidateEvidence> Candidates { get; }

    /// <summary>The decayed basket count of the evidence.</summary>
    public double Baskets { get; }

    /// <summary>The clock's weight at the ranking time (divides a decayed weight into a count of baskets).</summary>
    public double NowWeight { get; }

    public double CartValue { get; }

    /// <summary>Whether <paramref name="sku"/> is one of the candidates (candidate recall).</summary>
    public CandidateEvidence? Find(string sku)
    {
        foreach (var c in Candidates)
            if (c.Sku == sku) return c;
        return null;
    }
}

/// <summary>
/// Candidate generation: each source is a pure function of the learned rows (and the catalog for the category
/// source); the union of their tops is what the ranker scores. Nothing in the cart is ever a candidate.
/// </summary>
public sealed class CandidateGenerator
{
    private readonly CandidateOptions _options;

    public CandidateGenerator(CandidateOptions? options = null)
    {
        _options = options ?? new CandidateOptions();
        _options.Validate();
    }

    public CandidateOptions Options => _options;

    public CandidateSet Generate(Basket basket, RankingInputs inputs, DateTimeOffset now)
    {
        var evidence = inputs.Evidence;
        var nowWeight = inputs.Clock.WeightAt(now);
        var baskets = evidence.Baskets;
        var cart = CartItems(basket, inputs);
        // Keyed by item row key as the evidence stores it, so a neighbour visit allocates nothing; cart items map to null.
        var byKey = new Dictionary<string, CandidateEvidence?>(StringComparer.Ordinal);

        CandidateEvidence? GetByRowKey(string rowKey)
        {
            if (byKey.TryGetValue(rowKey, out var c)) return c;
            var sku = RowKeys.SkuOf(rowKey);
            if (basket.Contains(sku))
            {
                byKey[rowKey] = null;
                return null;
            }
            evidence.TryGetWeight(rowKey, out var w);
            c = new CandidateEvidence { Sku = sku, Weight = w };
            byKey[rowKey] = c;
            return c;
        }

        CandidateEvidence? Get(string sku) => GetByRowKey(RowKeys.Item(sku));

        for (var ci = 0; ci < cart.Count; ci++)
        {
            var item = cart[ci];
            if (item.Row is not { Weight: > 0 } row) continue;
            var wa = row.Weight;
            foreach (var n in row.Neighbors)
            {
                if (!RowKeys.IsItem(n.Key)) continue;
                var c = GetByRowKey(n.Key);
                if (c is null || c.Weight <= 0) continue;
                var pairCount = n.PairWeight / nowWeight;
                var shrink = _options.Shrinkage > 0 ? pairCount / (pairCount + _options.Shrinkage) : 1;
                var cos = n.PairWeight / Math.Sqrt(wa * c.Weight) * shrink;
                var confidence = n.PairWeight / wa;
                var lift = baskets > 0 ? n.PairWeight * baskets / (wa * c.Weight) : 0;
                c.CosWeighted += item.Recency * cos;
                c.CosUniform += cos;
                c.CosMax = Math.Max(c.CosMax, cos);
                c.CountSum += pairCount;
                c.CountMax = Math.Max(c.CountMax, pairCount);
                c.ConfidenceSum += confidence;
                c.ConfidenceMax = Math.Max(c.ConfidenceMax, confidence);
                c.LiftMax = Math.Max(c.LiftMax, lift);
                c.Matches++;
                c.AddContribution(ci, item.Recency * cos);
                if (ci == 0)
                {
                    c.LastCos = cos;
                    c.LastConfidence = confidence;
                }
                else if (ci == 1) c.SecondLastCos = cos;
            }
            AddSequence(RowKeys.Next(item.Sku), wa, item.Recency, ci == 0, next: true);
            AddSequence(RowKeys.Previous(item.Sku), wa, item.Recency, ci == 0, next: false);
        }

        void AddSequence(string rowKey, double itemWeight, double recency, bool last, bool next)
        {
            if (evidence.Find(rowKey) is not { } seq) return;
            foreach (var n in seq.Neighbors)
            {
                if (!RowKeys.IsItem(n.Key)) continue;
                var c = GetByRowKey(n.Key);
                if (c is null) continue;
                // Share of the cart item's baskets in which the candidate was added right after (or before) it.
                var share = n.PairWeight / itemWeight;
                if (next)
                {
                    c.NextSum += recency * share;
                    if (last) c.NextFromLast = share;
                }
                else
                {
                    c.PreviousSum += recency * share;
                    if (last) c.PreviousFromLast = share;
                }
            }
        }

        if (inputs.Catalog is { } catalog) AddCategorySource(cart, inputs, catalog, nowWeight, Get);

        for (var i = 0; i < inputs.BestSellers.Count && i < Math.Max(_options.PopularDepth, 0) + cart.Count; i++)
        {
            var c = Get(inputs.BestSellers[i]);
            if (c is null) continue;
            c.BestSellerRank = i + 1;
        }

        var all = new List<CandidateEvidence>(byKey.Count);
        foreach (var c in byKey.Values)
            if (c is not null) all.Add(c);
        Mark(all, c => c.CosWeighted, _options.BasketDepth, CandidateSource.Basket, (c, r) => c.RankBasket = r);
        Mark(all, c => c.LastItemsScore, _options.LastItemsDepth, CandidateSource.LastItems, (c, r) => c.RankLastItems = r);
        Mark(all, c => c.SequenceScore, _options.SequenceDepth, CandidateSource.Sequence, (c, r) => c.RankSequence = r);
        Mark(all, c => c.CategoryScore, _options.CategoryDepth, CandidateSource.Category, (c, r) => c.RankCategory = r);
        var popular = 0;
        foreach (var c in all.Where(c => c.BestSellerRank > 0).OrderBy(c => c.BestSellerRank))
            if (popular++ < _options.PopularDepth) c.Sources |= CandidateSource.Popular;

        var union = all.Where(c => c.Sources != CandidateSource.None)
            .OrderBy(c => c.Sku, StringComparer.Ordinal)
            .ToArray();
        return new CandidateSet(cart, union, baskets, nowWeight, (double)basket.Value);
    }

    /// <summary>Distinct cart skus, most recent first, each with its recency weight and its item row.</summary>
    private List<CartItemEvidence> CartItems(Basket basket, RankingInputs inputs)
    {
        var items = new List<CartItemEvidence>(basket.Lines.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var weight = 1.0;
        for (var i = basket.Lines.Count - 1; i >= 0; i--)
        {
            var sku = basket.Lines[i].Sku;
            if (!seen.Add(sku)) continue;
            items.Add(new CartItemEvidence(sku, Math.Max(weight, _options.RecencyFloor), inputs.Evidence.Find(RowKeys.Item(sku)),
                inputs.Catalog?.Find(sku)?.LeafCategory));
            weight *= _options.RecencyDecay;
        }
        return items;
    }

    /// <summary>Popular items of the leaf categories most often bought with the cart's leaf categories.</summary>
    private void AddCategorySource(List<CartItemEvidence> cart, RankingInputs inputs, ICatalog catalog, double nowWeight,
        Func<string, CandidateEvidence?> get)
    {
        if (_options.ComplementCategories == 0 || _options.CategoryDepth == 0) return;
        var evidence = inputs.Evidence;
        var cartLeaves = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var item in cart)
            if (!string.IsNullOrEmpty(item.LeafCategory) && !cartLeaves.ContainsKey(item.LeafCategory))
                cartLeaves[item.LeafCategory] = item.Recency;
        var scores = new Dictionary<string, (double Score, double Weight)>(StringComparer.Ordinal);
        foreach (var (leaf, recency) in cartLeaves)
        {
            if (evidence.Find(RowKeys.Category(leaf)) is not { Weight: > 0 } row) continue;
            foreach (var n in row.Neighbors)
            {
                if (!RowKeys.IsCategory(n.Key)) continue;
                var other = RowKeys.CategoryOf(n.Key);
                if (cartLeaves.ContainsKey(other) || !evidence.TryGetWeight(n.Key, out var wy) || wy <= 0) continue;
                var pairCount = n.PairWeight / nowWeight;
                var shrink = _options.Shrinkage > 0 ? pairCount / (pairCount + _options.Shrinkage) : 1;
                var cos = n.PairWeight / Math.Sqrt(row.Weight * wy) * shrink;
                var previous = scores.GetValueOrDefault(other);
                scores[other] = (previous.Score + recency * cos, wy);
            }
        }
        foreach (var (leaf, (score, categoryWeight)) in scores
                     .OrderByDescending(kv => kv.Value.Score).ThenBy(kv => kv.Key, StringComparer.Ordinal)
                     .Take(_options.ComplementCategories))
        {
            var leaders = catalog.InCategory(leaf)
                .Select(i => (i.Sku, Weight: evidence.TryGetWeight(RowKeys.Item(i.Sku), out var w) ? w : 0))
                .Where(i => i.Weight > 0)
                .OrderByDescending(i => i.Weight).ThenBy(i => i.Sku, StringComparer.Ordinal)
                .Take(_options.ItemsPerCategory);
            foreach (var (sku, weight) in leaders)
            {
                var c = get(sku);
                if (c is null) continue;
                c.CategoryScore = Math.Max(c.CategoryScore, score * Math.Min(1, weight / categoryWeight));
            }
        }
    }

    private static void Mark(List<CandidateEvidence> all, Func<CandidateEvidence, double> score, int depth, CandidateSource source,
        Action<CandidateEvidence, int> setRank)
    {
        if (depth == 0) return;
        var ranked = new List<CandidateEvidence>(all.Count);
        foreach (var c in all)
            if (score(c) > 0) ranked.Add(c);
        var keys = new double[ranked.Count];
        for (var i = 0; i < keys.Length; i++) keys[i] = score(ranked[i]);
        var items = ranked.ToArray();
        // Highest score first, ties by sku: sort by the negated score, then fix tie order within equal runs.
        for (var i = 0; i < keys.Length; i++) keys[i] = -keys[i];
        Array.Sort(keys, items);
        for (int start = 0, end; start < items.Length; start = end)
        {
            for (end = start + 1; end < items.Length && keys[end] == keys[start]; end++) { }
            if (end - start > 1) Array.Sort(items, start, end - start, SkuOrder.Instance);
        }
        for (var i = 0; i < items.Length; i++)
        {
            setRank(items[i], i + 1);
            if (i < depth) items[i].Sources |= source;
        }
    }
}
