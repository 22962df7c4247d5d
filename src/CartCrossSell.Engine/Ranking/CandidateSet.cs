namespace CartCrossSell.Engine.Ranking;

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
        LogCartValue = cartValue > 0 ? (float)Math.Log(1 + cartValue) : 0;
        LogBaskets = (float)Math.Log(1 + baskets / nowWeight);
        foreach (var c in candidates)
        {
            _topBasket = Math.Max(_topBasket, c.CosWeighted);
            _topUniform = Math.Max(_topUniform, c.CosUniform);
            _topLastItems = Math.Max(_topLastItems, c.LastItemsScore);
            _topSequence = Math.Max(_topSequence, c.SequenceScore);
            _topSimilar = Math.Max(_topSimilar, c.SimilarScore);
        }
    }

    /// <summary>Distinct cart items, most recent first.</summary>
    public IReadOnlyList<CartItemEvidence> Cart { get; }

    /// <summary>The union of the sources' tops, in ordinal sku order (<see cref="Find"/> searches it).</summary>
    public IReadOnlyList<CandidateEvidence> Candidates { get; }

    /// <summary>The decayed basket count of the evidence.</summary>
    public double Baskets { get; }

    /// <summary>The clock's weight at the ranking time (divides a decayed weight into a count of baskets).</summary>
    public double NowWeight { get; }

    public double CartValue { get; }

    // Two features of the cart and the store alone, the same in every candidate's row: computed once per set rather
    // than once per candidate (two logarithms for each of ~150 candidates: about 0.8 µs of a learned ranking call, measured alternated).
    internal readonly float LogCartValue, LogBaskets;

    // The best score among the candidates in each order that ShareOfTop compares with.
    private readonly double _topBasket, _topUniform, _topLastItems, _topSequence, _topSimilar;

    /// <summary>A candidate's similar-baskets score as a share of the cart's best (as <see cref="ShareOfTop"/>).</summary>
    internal double SimilarShareOfTop(CandidateEvidence c) => Share(c.SimilarScore, _topSimilar);

    /// <summary>
    /// A candidate's score in the basket, uniform-basket, last-items and sequence orders as a share of the best
    /// candidate's score in that order for this cart (0 where the best scores nothing). Why: a raw score grows with
    /// the cart's size and the store's volume, so "how close to this cart's strongest evidence" is something the
    /// trees cannot read from it; measured on validation, it lifted both protocols on Groceries and left Online Retail
    /// within its seeds' spread (docs/engine.md, "Features").
    /// </summary>
    internal (double Basket, double Uniform, double LastItems, double Sequence) ShareOfTop(CandidateEvidence c) =>
        (Share(c.CosWeighted, _topBasket), Share(c.CosUniform, _topUniform), Share(c.LastItemsScore, _topLastItems), Share(c.SequenceScore, _topSequence));

    // Finite whatever the scores: a feature the trees read must never be NaN (Math.Clamp passes NaN through).
    private static double Share(double score, double top) =>
        top > 0 && double.IsFinite(top) && double.IsFinite(score) ? Math.Clamp(score / top, 0, 1) : 0;

    /// <summary>Whether <paramref name="sku"/> is one of the candidates (candidate recall). The candidates are in sku order.</summary>
    public CandidateEvidence? Find(string sku)
    {
        int lo = 0, hi = Candidates.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var order = string.CompareOrdinal(Candidates[mid].Sku, sku);
            if (order == 0) return Candidates[mid];
            if (order < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return null;
    }

    // The pair weights the generator recorded (see CandidateEvidence.PairsOf): cart index and weight per entry.
    internal int[] PairCarts = [];
    internal double[] PairWeights = [];

    /// <summary>
    /// The weight of the pair (cart item <paramref name="a"/>, candidate <paramref name="c"/>) in <paramref name="a"/>'s
    /// row (0 when <paramref name="c"/> is not among its item neighbours) and that row's weight, as the generator read
    /// them; false when it did not record them (<paramref name="a"/> has no leaf category or no row, or either is not
    /// this set's): read <see cref="CartItemEvidence.Row"/> then. The same numbers a scan of the row gives, without one.
    /// </summary>
    internal bool TryPairWeight(CartItemEvidence a, CandidateEvidence c, out double pair, out double rowWeight)
    {
        pair = 0;
        rowWeight = a.RowWeight;
        if (!ReferenceEquals(c.PairsOf, this) || !(rowWeight > 0) || a.Index >= Cart.Count || !ReferenceEquals(Cart[a.Index], a)) return false;
        for (var i = c.PairStart; i < c.PairStart + c.PairCount; i++)
        {
            if (PairCarts[i] != a.Index) continue;
            pair = PairWeights[i];
            break;
        }
        return true;
    }

    /// <summary>
    /// The weight of the pair (<paramref name="a"/>, <paramref name="sku"/>) in <paramref name="a"/>'s row and that
    /// row's weight: as recorded when <paramref name="candidate"/> (the sku's candidate, or null) is this set's, else
    /// from a scan of the row; false when <paramref name="a"/> has no row with a weight.
    /// </summary>
    internal bool TryPairWithRow(CartItemEvidence a, CandidateEvidence? candidate, string sku, out double pair, out double rowWeight)
    {
        if (candidate is not null && TryPairWeight(a, candidate, out pair, out rowWeight)) return true;
        if (a.Row is not { Weight: > 0 } row)
        {
            pair = rowWeight = 0;
            return false;
        }
        pair = RankingFeatures.PairWeight(row, sku);
        rowWeight = row.Weight;
        return true;
    }
}

/// <summary>
/// Everything the sources learned about one candidate for one cart. Pair counts are baskets as of the ranking time
/// (decayed weights divided by the clock's weight now), similarities are scale-free.
/// </summary>
public sealed class CandidateEvidence
{
    public required string Sku { get => _sku; init => _sku = value; }
    private string _sku = "";

    /// <summary>Names a reused candidate (<see cref="CandidateGenerator.EvidencePool"/>); every field is then written anew.</summary>
    internal void Rename(string sku) => _sku = sku;
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
    public int RankBasket, RankLastItems, RankSequence, RankCategory, RankSimilar;
    /// <summary>Its score in the past baskets most like the cart (<see cref="SimilarBaskets"/>; 0 in none of them).</summary>
    public double SimilarScore;
    /// <summary>The cart item (index, most recent first) this candidate owes most of its basket score to; -1 none.</summary>
    public int BestCartItem = -1, SecondCartItem = -1;

    public double LastItemsScore => LastCos + 0.5 * SecondLastCos;
    public double SequenceScore => NextSum + PreviousSum;

    /// <summary>Whether any cart item was bought with it or added next to it: real evidence about this cart.</summary>
    public bool HasItemEvidence => Matches > 0 || NextSum > 0 || PreviousSum > 0;

    // Its pair weights with the cart items that have a leaf category, as the generator read them from those items'
    // rows: entries [PairStart, PairStart + PairCount) of the arrays of the set that holds it (PairsOf).
    internal CandidateSet? PairsOf;
    internal int PairStart, PairCount;
}

/// <summary>One distinct cart item as the sources see it: most recent first, with its recency weight and leaf category.</summary>
public sealed class CartItemEvidence
{
    private readonly IBasketEvidence? _evidence;
    private EvidenceRow? _row;
    private bool _rowRead;

    internal CartItemEvidence(string sku, double recency, string? leafCategory, int index, IBasketEvidence? evidence)
    {
        Sku = sku;
        Recency = recency;
        LeafCategory = leafCategory;
        Index = index;
        _evidence = string.IsNullOrEmpty(leafCategory) ? null : evidence;
    }

    public string Sku { get; }
    public double Recency { get; }
    public string? LeafCategory { get; }

    /// <summary>Its position in the set's <see cref="CandidateSet.Cart"/> (0: the most recent).</summary>
    internal int Index { get; }

    /// <summary>
    /// Its learned row, for an item with a leaf category (only same-category evidence reads it; null otherwise), read on
    /// first use: the candidates' pair weights with it are in the set already (<see cref="CandidateSet.TryPairWeight"/>),
    /// so the row is read only for a sku outside the candidates. Reading it for every cart item of every event (a
    /// decoded row of a hundred neighbours each) and scanning it per candidate was 7-9 % of the CPU of a learned
    /// ranking with a catalog.
    /// A set belongs to one call on one thread: the row is read without a lock.
    /// </summary>
    public EvidenceRow? Row
    {
        get
        {
            if (!_rowRead)
            {
                _row = _evidence?.Find(RowKeys.Item(Sku));
                _rowRead = true;
            }
            return _row;
        }
    }

    /// <summary>The weight of its row as the generator read it (0: no row, or no leaf category).</summary>
    internal double RowWeight;
}
