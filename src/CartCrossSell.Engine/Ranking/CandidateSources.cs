using System.Numerics;

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
/// <summary>Evidence that can name its best sellers (item rows by weight): the learned ranker's popular fallback candidates.</summary>
public interface IBestSellers
{
    IReadOnlyList<string> BestSellers(int count = 100);
}

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

    /// <summary>
    /// The <paramref name="take"/> items of a leaf category with the most learned weight, strongest first (equal weights
    /// by sku). Kept for the life of these inputs, whose evidence and catalog must not change meanwhile (in the stream,
    /// while the replicated tables count no change: the recommender's LearnedRankingInputs; one fold's frozen counts in
    /// training, where ranking every task's candidates sorted each complementary category again and was a sixth of the
    /// time to draw the tasks).
    /// </summary>
    public IReadOnlyList<(string Sku, double Weight)> CategoryLeaders(string leaf, int take)
    {
        if (Catalog is null) return [];
        var leaders = _leaders ??= new(StringComparer.Ordinal);
        // A static factory with its state: a capturing lambda was a new closure and delegate on every call, hit or not.
        return leaders.GetOrAdd(leaf, static (l, inputs) => inputs.Catalog!.InCategory(l)
            .Select(i => (i.Sku, Weight: inputs.Evidence.TryGetWeight(RowKeys.Item(i.Sku), out var w) ? w : 0))
            .Where(i => i.Weight > 0)
            .OrderByDescending(i => i.Weight).ThenBy(i => i.Sku, StringComparer.Ordinal)
            .ToArray(), this) is var all && all.Length > take ? new ArraySegment<(string Sku, double Weight)>(all, 0, take) : all;
    }

    private System.Collections.Concurrent.ConcurrentDictionary<string, (string Sku, double Weight)[]>? _leaders;

    /// <summary>
    /// The row handles of the first <paramref name="count"/> (or more) <see cref="BestSellers"/> (-1: unknown sku),
    /// kept for the life of these inputs when the reader's handles outlive a call; null otherwise (look each up). Every
    /// ranking offered the same best sellers to the popular source and looked each one's row up by its key again.
    /// </summary>
    internal int[]? BestSellerHandles(RowReader reader, int count)
    {
        if (!reader.HandlesOutliveTheCall) return null;
        count = Math.Min(count, BestSellers.Count);
        if (_bestSellerHandles is { } kept && kept.Length >= count) return kept;
        return _bestSellerHandles = HandlesOf(reader, BestSellers.Take(count).ToArray());
    }

    /// <summary>
    /// As <see cref="BestSellerHandles"/>, for <paramref name="leaders"/>, the leaders of leaf category
    /// <paramref name="leaf"/> that <see cref="CategoryLeaders"/> gave (its first ones, in its order).
    /// </summary>
    internal int[]? LeaderHandles(RowReader reader, string leaf, IReadOnlyList<(string Sku, double Weight)> leaders)
    {
        if (!reader.HandlesOutliveTheCall) return null;
        var kept = _leaderHandles ??= new(StringComparer.Ordinal);
        if (kept.TryGetValue(leaf, out var handles) && handles.Length >= leaders.Count) return handles;
        var skus = new string[leaders.Count];
        for (var i = 0; i < skus.Length; i++) skus[i] = leaders[i].Sku;
        return kept[leaf] = HandlesOf(reader, skus);
    }

    private int[]? _bestSellerHandles;
    private System.Collections.Concurrent.ConcurrentDictionary<string, int[]>? _leaderHandles;

    private static int[] HandlesOf(RowReader reader, IReadOnlyList<string> skus)
    {
        var handles = new int[skus.Count];
        for (var i = 0; i < handles.Length; i++) handles[i] = CandidateGenerator.ItemHandle(reader, skus[i], out _);
        return handles;
    }

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

    public double LastItemsScore => LastCos + 0.5 * SecondLastCos;
    public double SequenceScore => NextSum + PreviousSum;

    /// <summary>Whether any cart item was bought with it or added next to it: real evidence about this cart.</summary>
    public bool HasItemEvidence => Matches > 0 || NextSum > 0 || PreviousSum > 0;

    // Its pair weights with the cart items that have a leaf category, as the generator read them from those items'
    // rows: entries [PairStart, PairStart + PairCount) of the arrays of the set that holds it (PairsOf).
    internal CandidateSet? PairsOf;
    internal int PairStart, PairCount;
}

/// <summary>
/// Candidates in ordinal sku order. The union is sorted by a 128-bit key of each sku's first eight UTF-16 units (a
/// primitive sort, no string comparison) and only runs of equal keys by the whole sku: ~150 skus per call compared as
/// strings through a comparer were 6 % of the learned call.
/// </summary>
internal static class SkuOrder
{
    /// <summary>
    /// The first eight UTF-16 units of <paramref name="sku"/>, the first unit highest, missing units 0. Two skus whose
    /// keys differ are in ordinal order by key: at the first unit where the keys differ, either both skus have a unit
    /// there or the shorter one ended and the longer one's unit is above 0. Equal keys need the whole comparison.
    /// </summary>
    public static UInt128 Key(string sku)
    {
        ulong high = 0, low = 0;
        for (var i = 0; i < 4; i++) high = (high << 16) | (i < sku.Length ? sku[i] : 0u);
        for (var i = 4; i < 8; i++) low = (low << 16) | (i < sku.Length ? sku[i] : 0u);
        return new UInt128(high, low);
    }

    /// <summary>
    /// Fills <paramref name="index"/> with 0..<paramref name="count"/>-1 in ordinal order of <paramref name="skus"/>,
    /// using <paramref name="keys"/> (at least as long) as scratch. Indices, not the candidates, are moved: no reference
    /// is written while sorting.
    /// </summary>
    public static void Sort(string[] skus, UInt128[] keys, int[] index, int count)
    {
        for (var i = 0; i < count; i++)
        {
            keys[i] = Key(skus[i]);
            index[i] = i;
        }
        Array.Sort(keys, index, 0, count);
        for (var i = 1; i < count; i++)
        {
            if (keys[i] != keys[i - 1]) continue;
            SortTies(skus, keys, index, count);
            return;
        }
    }

    // Skus that share their first eight units (rare). A method of its own: a lambda capturing the skus in Sort would
    // make its closure on every call, ties or not.
    private static void SortTies(string[] skus, UInt128[] keys, int[] index, int count) =>
        TiedRuns.Sort(keys, index, 0, count, Comparer<int>.Create((a, b) => string.CompareOrdinal(skus[a], skus[b])));
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

    /// <summary>The union of the sources' tops, in ordinal sku order (<see cref="Find"/> searches it).</summary>
    public IReadOnlyList<CandidateEvidence> Candidates { get; }

    /// <summary>The decayed basket count of the evidence.</summary>
    public double Baskets { get; }

    /// <summary>The clock's weight at the ranking time (divides a decayed weight into a count of baskets).</summary>
    public double NowWeight { get; }

    public double CartValue { get; }

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

    /// <summary>
    /// Ranks every candidate each source scores by full sorts and aggregates complementary categories by name, as before
    /// 2026-11-30: the straightforward reference the exactness tests compare the selection of <see cref="MarkSources"/>
    /// and <see cref="AddCategorySource"/> against. Slower; same candidates, same values.
    /// </summary>
    internal bool ExhaustiveRanks { get; init; }

    /// <summary>Per-thread scratch of one call: accumulators by slot, reused so a call allocates little.</summary>
    [ThreadStatic] private static Accumulators? _scratch;

    public CandidateSet Generate(Basket basket, RankingInputs inputs, DateTimeOffset now)
    {
        var evidence = inputs.Evidence;
        var nowWeight = inputs.Clock.WeightAt(now);
        var baskets = evidence.Baskets;
        var cart = CartItems(basket, inputs);
        var reader = RowReader.For(evidence);
        var acc = _scratch ?? new Accumulators();
        _scratch = null;
        try
        {
            acc.Count = 0;
            acc.PairEntries = 0;
            // Cart items are never candidates: their handles take a slot that refuses every contribution. Their rows are
            // looked up once, here, and read below.
            var rows = acc.CartRows(cart.Count);
            for (var ci = 0; ci < cart.Count; ci++)
            {
                var found = reader.TryRow(RowKeys.ItemPrefix, cart[ci].Sku, out var h, out var w);
                if (found || h >= 0) reader.SetSlot(h, CartSlot);
                rows[ci] = found ? (h, w) : (-1, 0);
            }

            for (var ci = 0; ci < cart.Count; ci++)
            {
                var item = cart[ci];
                var (rowHandle, wa) = rows[ci];
                if (rowHandle < 0) continue;
                // Same-category evidence (features, learned substitutes) reads the pair weights of items with a leaf.
                var recordPairs = item.LeafCategory is { Length: > 0 } && wa > 0;
                if (recordPairs) item.RowWeight = wa;
                var n = reader.LoadNeighbors(rowHandle, wa, items: true);
                for (var i = 0; i < n; i++)
                {
                    var wc = reader.NeighborWeights[i];
                    if (wc <= 0) continue;
                    var slot = Slot(reader, acc, reader.Handles[i], wc);
                    if (slot < 0) continue;
                    ref var c = ref acc.Items[slot];
                    var pair = reader.Pairs[i];
                    var pairCount = pair / nowWeight;
                    var shrink = _options.Shrinkage > 0 ? pairCount / (pairCount + _options.Shrinkage) : 1;
                    var cos = pair / Math.Sqrt(wa * wc) * shrink;
                    var confidence = pair / wa;
                    var lift = baskets > 0 ? pair * baskets / (wa * wc) : 0;
                    c.CosWeighted += item.Recency * cos;
                    c.CosUniform += cos;
                    if (cos > c.CosMax) c.CosMax = cos;
                    c.CountSum += pairCount;
                    if (pairCount > c.CountMax) c.CountMax = pairCount;
                    c.ConfidenceSum += confidence;
                    if (confidence > c.ConfidenceMax) c.ConfidenceMax = confidence;
                    if (lift > c.LiftMax) c.LiftMax = lift;
                    c.Matches++;
                    c.AddContribution(ci, item.Recency * cos);
                    if (recordPairs) acc.AddPair(slot, ci, pair);
                    if (ci == 0)
                    {
                        c.LastCos = cos;
                        c.LastConfidence = confidence;
                    }
                    else if (ci == 1) c.SecondLastCos = cos;
                }
                AddSequence(reader, acc, item.Sku, wa, item.Recency, ci == 0, next: true);
                AddSequence(reader, acc, item.Sku, wa, item.Recency, ci == 0, next: false);
            }

            if (inputs.Catalog is not null)
            {
                if (ExhaustiveRanks) AddCategorySourceByName(cart, inputs, nowWeight, reader, acc);
                else AddCategorySource(cart, inputs, nowWeight, reader, acc);
            }

            var popularTake = Math.Max(_options.PopularDepth, 0) + cart.Count;
            // The reference looks every best seller up, so the exactness tests compare the kept handles with lookups.
            var bestSellerHandles = ExhaustiveRanks ? null : inputs.BestSellerHandles(reader, popularTake);
            for (var i = 0; i < inputs.BestSellers.Count && i < popularTake; i++)
            {
                int handle;
                double w;
                if (bestSellerHandles is null) handle = ItemHandle(reader, inputs.BestSellers[i], out w);
                else
                {
                    // The handle is kept; the weight is read now, as the lookup would (0 without a row).
                    handle = bestSellerHandles[i];
                    w = handle >= 0 ? reader.Weight(handle) : 0;
                }
                if (handle < 0) continue;
                var slot = Slot(reader, acc, handle, w);
                if (slot >= 0 && acc.Items[slot].BestSellerRank == 0) acc.Items[slot].BestSellerRank = i + 1;
            }

            acc.Reader = reader;
            if (ExhaustiveRanks)
            {
                Mark(acc, static (in Acc c) => c.CosWeighted, _options.BasketDepth, CandidateSource.Basket, static (ref Acc c, int r) => c.RankBasket = r);
                Mark(acc, static (in Acc c) => c.LastCos + 0.5 * c.SecondLastCos, _options.LastItemsDepth, CandidateSource.LastItems, static (ref Acc c, int r) => c.RankLastItems = r);
                Mark(acc, static (in Acc c) => c.NextSum + c.PreviousSum, _options.SequenceDepth, CandidateSource.Sequence, static (ref Acc c, int r) => c.RankSequence = r);
                Mark(acc, static (in Acc c) => c.CategoryScore, _options.CategoryDepth, CandidateSource.Category, static (ref Acc c, int r) => c.RankCategory = r);
                Mark(acc, static (in Acc c) => c.BestSellerRank > 0 ? 1.0 / c.BestSellerRank : 0, _options.PopularDepth, CandidateSource.Popular, static (ref Acc c, int r) => { });
            }
            else MarkSources(acc);

            var members = 0;
            var pairs = 0;
            for (var i = 0; i < acc.Count; i++)
            {
                if (acc.Items[i].Sources == CandidateSource.None) continue;
                members++;
                for (var e = acc.Items[i].PairHead; e >= 0; e = acc.PairNext[e]) pairs++;
            }
            // The union in ordinal sku order (CandidateSet.Find searches it).
            var skus = acc.MemberSkus(members);
            var slots = acc.MemberSlots(members);
            for (int i = 0, m = 0; i < acc.Count; i++)
            {
                if (acc.Items[i].Sources == CandidateSource.None) continue;
                skus[m] = reader.Sku(acc.Items[i].Handle);
                slots[m++] = i;
            }
            var order = acc.MemberOrder(members);
            SkuOrder.Sort(skus, acc.SortKeys(members), order, members);
            var pairCarts = pairs == 0 ? [] : new int[pairs];
            var pairWeights = pairs == 0 ? [] : new double[pairs];
            var union = new CandidateEvidence[members];
            var at = 0;
            for (var r = 0; r < members; r++)
            {
                ref var c = ref acc.Items[slots[order[r]]];
                var member = c.ToEvidence(skus[order[r]]);
                member.PairStart = at;
                for (var e = c.PairHead; e >= 0; e = acc.PairNext[e], at++)
                {
                    pairCarts[at] = acc.PairCart[e];
                    pairWeights[at] = acc.PairWeight[e];
                }
                member.PairCount = at - member.PairStart;
                union[r] = member;
            }
            Array.Clear(skus, 0, members);
            var set = new CandidateSet(cart, union, baskets, nowWeight, (double)basket.Value) { PairCarts = pairCarts, PairWeights = pairWeights };
            foreach (var c in union) c.PairsOf = set;
            return set;
        }
        finally
        {
            reader.Release();
            acc.Reader = null;
            _scratch = acc;
        }
    }

    private const int CartSlot = -2;

    /// <summary>The slot of a candidate handle, made on first sight; negative for a cart item.</summary>
    private static int Slot(RowReader reader, Accumulators acc, int handle, double weight)
    {
        var slot = reader.SlotOf(handle);
        if (slot == CartSlot) return -1;
        if (slot >= 0) return slot;
        slot = acc.Add(handle, weight);
        reader.SetSlot(handle, slot);
        return slot;
    }

    /// <summary>An item row's handle and weight (0 without a row), or -1 when the sku is unknown.</summary>
    internal static int ItemHandle(RowReader reader, string sku, out double weight)
    {
        if (reader.TryRow(RowKeys.ItemPrefix, sku, out var handle, out weight)) return handle;
        weight = 0;
        return handle >= 0 ? handle : -1;
    }

    /// <summary>The sequence source: what was added right after (<paramref name="next"/>) or before cart item <paramref name="sku"/>.</summary>
    private static void AddSequence(RowReader reader, Accumulators acc, string sku, double itemWeight, double recency, bool last, bool next)
    {
        if (!reader.TryRow(next ? RowKeys.NextPrefix : RowKeys.PreviousPrefix, sku, out var handle, out var rowWeight)) return;
        var n = reader.LoadNeighbors(handle, rowWeight, items: true);
        for (var i = 0; i < n; i++)
        {
            var slot = Slot(reader, acc, reader.Handles[i], reader.NeighborWeights[i]);
            if (slot < 0) continue;
            ref var c = ref acc.Items[slot];
            // Share of the cart item's baskets in which the candidate was added right after (or before) it.
            var share = reader.Pairs[i] / itemWeight;
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

    /// <summary>Distinct cart skus, most recent first, each with its recency weight and leaf category.</summary>
    private List<CartItemEvidence> CartItems(Basket basket, RankingInputs inputs)
    {
        var items = new List<CartItemEvidence>(basket.Lines.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var weight = 1.0;
        for (var i = basket.Lines.Count - 1; i >= 0; i--)
        {
            var sku = basket.Lines[i].Sku;
            if (!seen.Add(sku)) continue;
            var leaf = inputs.Catalog?.Find(sku)?.LeafCategory;
            items.Add(new CartItemEvidence(sku, Math.Max(weight, _options.RecencyFloor), leaf, items.Count, inputs.Evidence));
            weight *= _options.RecencyDecay;
        }
        return items;
    }

    /// <summary>
    /// Popular items of the leaf categories most often bought with the cart's leaf categories: the same categories,
    /// scores and candidates as <see cref="AddCategorySourceByName"/> (the same sums in the same order), aggregated by
    /// row handle in the call's slot table instead of by name. A cart's category rows hold hundreds of category pairs;
    /// cutting a name out of each pair's key, looking its weight up by that name and sorting the lot was a seventh of a
    /// streaming recommender's learned ranking. A name is cut only for the categories chosen.
    /// </summary>
    private void AddCategorySource(List<CartItemEvidence> cart, RankingInputs inputs, double nowWeight,
        RowReader reader, Accumulators acc)
    {
        if (_options.ComplementCategories == 0 || _options.CategoryDepth == 0) return;
        // The cart's leaf categories in cart order (most recent first), each once, with its first item's recency.
        var leaves = acc.CartLeaves;
        leaves.Clear();
        foreach (var item in cart)
            if (!string.IsNullOrEmpty(item.LeafCategory) && IndexOfLeaf(leaves, item.LeafCategory) < 0)
                leaves.Add((item.LeafCategory, item.Recency));
        if (leaves.Count == 0) return;
        var categories = acc.Categories;
        categories.Clear();
        foreach (var (leaf, recency) in leaves)
        {
            if (!reader.TryRow(RowKeys.CategoryPrefix, leaf, out var rowHandle, out var rowWeight) || !(rowWeight > 0)) continue;
            var n = reader.LoadNeighbors(rowHandle, rowWeight, items: false);
            for (var i = 0; i < n; i++)
            {
                var h = reader.Handles[i];
                var slot = reader.SlotOf(h);
                if (slot == RefusedCategory) continue;
                if (slot == -1)
                {
                    // First sight of this row in the call: a category that is not the cart's own and has a weight, or refused.
                    var key = reader.Key(h);
                    if (!RowKeys.IsCategory(key) || IndexOfLeaf(leaves, key.AsSpan(RowKeys.CategoryPrefix.Length)) >= 0 || !(reader.NeighborWeights[i] > 0))
                    {
                        reader.SetSlot(h, RefusedCategory);
                        continue;
                    }
                    slot = FirstCategorySlot - categories.Count;
                    reader.SetSlot(h, slot);
                    categories.Add(new CategoryScore(h, 0, reader.NeighborWeights[i]));
                }
                var pair = reader.Pairs[i];
                var pairCount = pair / nowWeight;
                var shrink = _options.Shrinkage > 0 ? pairCount / (pairCount + _options.Shrinkage) : 1;
                var cos = pair / Math.Sqrt(rowWeight * reader.NeighborWeights[i]) * shrink;
                ref var c = ref System.Runtime.InteropServices.CollectionsMarshal.AsSpan(categories)[FirstCategorySlot - slot];
                c.Score += recency * cos;
            }
        }
        // The best ComplementCategories by score, equal scores by name (their row keys share the prefix, so they order alike).
        var chosen = acc.ChosenCategories;
        chosen.Clear();
        var shortList = new BestFirst(chosen, _options.ComplementCategories, ComesBefore);
        for (var i = 0; i < categories.Count; i++) shortList.Offer(i);
        foreach (var index in chosen)
        {
            var category = categories[index];
            var leaf = RowKeys.CategoryOf(reader.Key(category.Handle));
            var leaders = inputs.CategoryLeaders(leaf, _options.ItemsPerCategory);
            var handles = inputs.LeaderHandles(reader, leaf, leaders);
            for (var i = 0; i < leaders.Count; i++)
            {
                var (sku, weight) = leaders[i];
                var handle = handles?[i] ?? ItemHandle(reader, sku, out _);
                if (handle < 0) continue;
                var slot = Slot(reader, acc, handle, weight);
                if (slot < 0) continue;
                ref var c = ref acc.Items[slot];
                c.CategoryScore = Math.Max(c.CategoryScore, category.Score * Math.Min(1, weight / category.Weight));
            }
        }

        bool ComesBefore(int a, int b) => categories[a].Score > categories[b].Score
            || (categories[a].Score == categories[b].Score && string.CompareOrdinal(reader.Key(categories[a].Handle), reader.Key(categories[b].Handle)) < 0);
    }

    /// <summary>A complementary category's row handle, summed score and weight during one call.</summary>
    private record struct CategoryScore(int Handle, double Score, double Weight);

    /// <summary>Slot-table value of a row the category source refused (not a category, a cart category, no weight).</summary>
    private const int RefusedCategory = int.MinValue;

    /// <summary>Slot-table value of the first complementary category; the next ones count down (items' slots count up from 0).</summary>
    private const int FirstCategorySlot = -3;

    private static int IndexOfLeaf(List<(string Leaf, double Recency)> leaves, ReadOnlySpan<char> leaf)
    {
        for (var i = 0; i < leaves.Count; i++)
            if (leaf.SequenceEqual(leaves[i].Leaf)) return i;
        return -1;
    }

    /// <summary>
    /// The category source by name, as it was before 2026-11-30 (dictionaries of names, a LINQ sort): the reference
    /// <see cref="ExhaustiveRanks"/> runs and the exactness tests compare <see cref="AddCategorySource"/> against.
    /// </summary>
    private void AddCategorySourceByName(List<CartItemEvidence> cart, RankingInputs inputs, double nowWeight,
        RowReader reader, Accumulators acc)
    {
        if (_options.ComplementCategories == 0 || _options.CategoryDepth == 0) return;
        var evidence = inputs.Evidence;
        var cartLeaves = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var item in cart)
            if (!string.IsNullOrEmpty(item.LeafCategory) && !cartLeaves.ContainsKey(item.LeafCategory))
                cartLeaves[item.LeafCategory] = item.Recency;
        if (cartLeaves.Count == 0) return;
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
            foreach (var (sku, weight) in inputs.CategoryLeaders(leaf, _options.ItemsPerCategory))
            {
                var handle = ItemHandle(reader, sku, out _);
                if (handle < 0) continue;
                var slot = Slot(reader, acc, handle, weight);
                if (slot < 0) continue;
                ref var c = ref acc.Items[slot];
                c.CategoryScore = Math.Max(c.CategoryScore, score * Math.Min(1, weight / categoryWeight));
            }
        }
    }

    private delegate double Score(in Acc c);
    private delegate void SetRank(ref Acc c, int rank);

    /// <summary>Ranks every candidate a source scores (highest first, ties by row key) and marks its top as the source's.</summary>
    private static void Mark(Accumulators acc, Score score, int depth, CandidateSource source, SetRank setRank)
    {
        if (depth == 0) return;
        var keys = acc.Keys;
        var order = acc.Order;
        var n = 0;
        for (var i = 0; i < acc.Count; i++)
        {
            var v = score(in acc.Items[i]);
            if (v <= 0) continue;
            keys[n] = -v;
            order[n] = i;
            n++;
        }
        Array.Sort(keys, order, 0, n);
        TiedRuns.Sort(keys, order, 0, n, acc); // equal scores by row key (acc.Reader is the call's reader)
        for (var r = 0; r < n; r++)
        {
            ref var c = ref acc.Items[order[r]];
            setRank(ref c, r + 1);
            if (r < depth) c.Sources |= source;
        }
    }

    /// <summary>
    /// Marks each source's top and ranks the union's members in every source that scores them; the same candidates,
    /// flags and ranks as <see cref="Mark"/> (highest score first, equal scores by row key) without sorting everything a
    /// source scores (~770 neighbours for a ten-item cart). Per source: a selection moves its top (depth entries) to the
    /// front, only the top is sorted, and once the union is known, a union member below a source's top gets its rank by
    /// counting the entries below the top that come before it (a vectorised count of higher scores, row keys compared
    /// only among equal scores) instead of by a sort of all.
    /// Scores are finite (as they are: weights and counts are positive), so the order is total: no two rows share a key.
    /// </summary>
    private void MarkSources(Accumulators acc)
    {
        var depths = acc.Depths;
        depths[0] = _options.BasketDepth;
        depths[1] = _options.LastItemsDepth;
        depths[2] = _options.SequenceDepth;
        depths[3] = _options.CategoryDepth;
        depths[4] = _options.PopularDepth;
        var counts = acc.Counts;
        Array.Clear(counts);
        var keys = acc.SourceKeys;
        var order = acc.SourceOrder;
        var items = acc.Items;
        // One pass computes every source's score (the same expressions as the reference's).
        for (var i = 0; i < acc.Count; i++)
        {
            ref var c = ref items[i];
            double v;
            if ((v = c.CosWeighted) > 0) Put(keys[0], order[0], ref counts[0], v, i);
            if ((v = c.LastCos + 0.5 * c.SecondLastCos) > 0) Put(keys[1], order[1], ref counts[1], v, i);
            if ((v = c.NextSum + c.PreviousSum) > 0) Put(keys[2], order[2], ref counts[2], v, i);
            if ((v = c.CategoryScore) > 0) Put(keys[3], order[3], ref counts[3], v, i);
            if (c.BestSellerRank > 0) Put(keys[4], order[4], ref counts[4], 1.0 / c.BestSellerRank, i);
        }
        for (var s = 0; s < Sources; s++)
        {
            var depth = depths[s];
            if (depth == 0) continue;
            var top = Math.Min(depth, counts[s]);
            if (counts[s] > depth) acc.SelectSmallest(keys[s], order[s], counts[s], depth);
            acc.SortByKey(keys[s], order[s], 0, top);
            var source = (CandidateSource)(1 << s);
            for (var r = 0; r < top; r++)
            {
                ref var c = ref items[order[s][r]];
                SetSourceRank(ref c, s, r + 1);
                c.Sources |= source;
            }
        }
        // Ranks below a source's top, for the union's members only (the popular source keeps no rank).
        for (var s = 0; s < Sources - 1; s++)
        {
            var depth = depths[s];
            var n = counts[s];
            if (depth == 0 || n <= depth) continue;
            var k = keys[s];
            var o = order[s];
            for (var j = depth; j < n; j++)
            {
                var slot = o[j];
                if (items[slot].Sources == CandidateSource.None) continue;
                SetSourceRank(ref items[slot], s, depth + 1 + acc.CountAhead(k, o, depth, n, k[j], slot));
            }
        }
    }

    private const int Sources = 5;

    private static void Put(double[] keys, int[] order, ref int n, double score, int slot)
    {
        keys[n] = -score;
        order[n] = slot;
        n++;
    }

    private static void SetSourceRank(ref Acc c, int source, int rank)
    {
        switch (source)
        {
            case 0: c.RankBasket = rank; break;
            case 1: c.RankLastItems = rank; break;
            case 2: c.RankSequence = rank; break;
            case 3: c.RankCategory = rank; break;
        }
    }

    /// <summary>Accumulators of one call, by slot; grown as needed and reused by the next call on the thread.</summary>
    private sealed class Accumulators : IComparer<int>
    {
        public Acc[] Items = new Acc[512];
        public double[] Keys = new double[512];
        public int[] Order = new int[512];
        public int Count;

        /// <summary>The reader of the current call: row keys break ties.</summary>
        public RowReader? Reader;

        // Per source (basket, last items, sequence, category, popular): negated scores and slots, as many as Items.
        public readonly double[][] SourceKeys = NewArrays<double>(Sources, 512);
        public readonly int[][] SourceOrder = NewArrays<int>(Sources, 512);
        public readonly int[] Counts = new int[Sources];
        public readonly int[] Depths = new int[Sources];

        private static T[][] NewArrays<T>(int count, int length)
        {
            var arrays = new T[count][];
            for (var i = 0; i < count; i++) arrays[i] = new T[length];
            return arrays;
        }

        /// <summary>Candidate slots by row key (the tie order of equal scores).</summary>
        public int Compare(int x, int y) => string.CompareOrdinal(Reader!.Key(Items[x].Handle), Reader.Key(Items[y].Handle));

        /// <summary>Whether (negated score, slot) <paramref name="ka"/> comes before <paramref name="kb"/>: higher score first, then row key.</summary>
        public bool Less(double ka, int a, double kb, int b) => ka < kb || (ka == kb && Compare(a, b) < 0);

        /// <summary>Sorts by negated score, equal scores by row key.</summary>
        public void SortByKey(double[] keys, int[] order, int start, int length)
        {
            Array.Sort(keys, order, start, length);
            TiedRuns.Sort(keys, order, start, start + length, this);
        }

        /// <summary>Moves the <paramref name="m"/> first entries in (negated score, row key) order to the front, in any order.</summary>
        public void SelectSmallest(double[] keys, int[] order, int n, int m)
        {
            int lo = 0, hi = n - 1, target = m - 1;
            while (lo < hi)
            {
                // Median of three as the pivot, moved to hi.
                var mid = (lo + hi) >>> 1;
                if (Less(keys[mid], order[mid], keys[lo], order[lo])) Swap(keys, order, mid, lo);
                if (Less(keys[hi], order[hi], keys[lo], order[lo])) Swap(keys, order, hi, lo);
                if (Less(keys[mid], order[mid], keys[hi], order[hi])) Swap(keys, order, mid, hi);
                double pk = keys[hi];
                var po = order[hi];
                var store = lo;
                for (var i = lo; i < hi; i++)
                {
                    // No branch on the comparison of scores (random scores mispredict half the time): every entry is
                    // swapped with the store position, which advances only past the entries that come first. Equal
                    // scores, rare, take the row keys' comparison.
                    var k = keys[i];
                    var o = order[i];
                    var first = k < pk;
                    if (k == pk) first = Compare(o, po) < 0;
                    keys[i] = keys[store];
                    order[i] = order[store];
                    keys[store] = k;
                    order[store] = o;
                    store += first ? 1 : 0;
                }
                Swap(keys, order, store, hi);
                if (store == target) return;
                if (store < target) lo = store + 1;
                else hi = store - 1;
            }
        }

        /// <summary>
        /// How many of the entries [start, end) come before (<paramref name="key"/>, <paramref name="slot"/>), which is
        /// one of them: the lower negated scores counted side by side, equal ones by row key.
        /// </summary>
        public int CountAhead(double[] keys, int[] order, int start, int end, double key, int slot)
        {
            var span = keys.AsSpan(start, end - start);
            long less = 0, equal = 0;
            var i = 0;
            if (Vector.IsHardwareAccelerated && span.Length >= Vector<double>.Count)
            {
                var k = new Vector<double>(key);
                var lessCounts = Vector<long>.Zero;
                var equalCounts = Vector<long>.Zero;
                for (; i <= span.Length - Vector<double>.Count; i += Vector<double>.Count)
                {
                    var v = new Vector<double>(span[i..]);
                    lessCounts -= Vector.LessThan(v, k);
                    equalCounts -= Vector.Equals(v, k);
                }
                less = Vector.Sum(lessCounts);
                equal = Vector.Sum(equalCounts);
            }
            for (; i < span.Length; i++)
            {
                if (span[i] < key) less++;
                else if (span[i] == key) equal++;
            }
            if (equal > 1)
                for (var j = start; j < end; j++)
                    if (keys[j] == key && order[j] != slot && Compare(order[j], slot) < 0) less++;
            return (int)less;
        }

        private static void Swap(double[] keys, int[] order, int a, int b)
        {
            (keys[a], keys[b]) = (keys[b], keys[a]);
            (order[a], order[b]) = (order[b], order[a]);
        }
        private (int Handle, double Weight)[] _cartRows = [];
        private UInt128[] _sortKeys = [];
        private string[] _memberSkus = [];
        private int[] _memberSlots = [], _memberOrder = [];

        // Scratch of the union's sort (SkuOrder): its members' skus, slots, sku keys and order.
        public string[] MemberSkus(int count) => Scratch(ref _memberSkus, count);
        public int[] MemberSlots(int count) => Scratch(ref _memberSlots, count);
        public int[] MemberOrder(int count) => Scratch(ref _memberOrder, count);
        public UInt128[] SortKeys(int count) => Scratch(ref _sortKeys, count);

        private static T[] Scratch<T>(ref T[] array, int count)
        {
            if (array.Length < count) array = new T[Math.Max(count, Math.Max(256, 2 * array.Length))];
            return array;
        }

        /// <summary>Scratch for the cart items' row handles and weights of this call.</summary>
        public (int Handle, double Weight)[] CartRows(int count) => Scratch(ref _cartRows, count);

        /// <summary>Scratch of the category source: the cart's leaves, the complementary categories, the chosen ones.</summary>
        public readonly List<(string Leaf, double Recency)> CartLeaves = [];
        public readonly List<CategoryScore> Categories = [];
        public readonly List<int> ChosenCategories = [];

        // Recorded pair weights (cart index, weight), one linked list per slot from Acc.PairHead: a cart item's row names
        // each neighbour once, so a slot holds at most one entry per cart item.
        public int[] PairNext = new int[1024];
        public int[] PairCart = new int[1024];
        public double[] PairWeight = new double[1024];
        public int PairEntries;

        public void AddPair(int slot, int cartIndex, double pair)
        {
            if (PairEntries == PairNext.Length)
            {
                Array.Resize(ref PairNext, 2 * PairEntries);
                Array.Resize(ref PairCart, 2 * PairEntries);
                Array.Resize(ref PairWeight, 2 * PairEntries);
            }
            ref var c = ref Items[slot];
            PairNext[PairEntries] = c.PairHead;
            PairCart[PairEntries] = cartIndex;
            PairWeight[PairEntries] = pair;
            c.PairHead = PairEntries++;
        }

        public int Add(int handle, double weight)
        {
            if (Count == Items.Length)
            {
                Array.Resize(ref Items, Items.Length * 2);
                Keys = new double[Items.Length];
                Order = new int[Items.Length];
                for (var s = 0; s < Sources; s++)
                {
                    SourceKeys[s] = new double[Items.Length];
                    SourceOrder[s] = new int[Items.Length];
                }
            }
            Items[Count] = new Acc { Handle = handle, Weight = weight, BestCartItem = -1, SecondCartItem = -1, PairHead = -1 };
            return Count++;
        }
    }
}

/// <summary>What the sources learn about one candidate during a call (a struct: only the union becomes objects).</summary>
internal struct Acc
{
    public int Handle;
    public double Weight;
    public double CosWeighted, CosUniform, CosMax, CountSum, CountMax, ConfidenceSum, ConfidenceMax, LiftMax;
    public int Matches;
    public double LastCos, SecondLastCos, LastConfidence, NextSum, NextFromLast, PreviousSum, PreviousFromLast, CategoryScore;
    public int BestSellerRank;
    public CandidateSource Sources;
    public int RankBasket, RankLastItems, RankSequence, RankCategory;
    public int BestCartItem, SecondCartItem;
    public double BestContribution, SecondContribution;
    /// <summary>First of its recorded pair weights (Accumulators.PairNext), -1 none.</summary>
    public int PairHead;

    public void AddContribution(int cartIndex, double contribution) =>
        TopTwo.Add(ref BestCartItem, ref BestContribution, ref SecondCartItem, ref SecondContribution, cartIndex, contribution);

    public readonly CandidateEvidence ToEvidence(string sku) => new()
    {
        Sku = sku, Weight = Weight, CosWeighted = CosWeighted, CosUniform = CosUniform, CosMax = CosMax, CountSum = CountSum,
        CountMax = CountMax, ConfidenceSum = ConfidenceSum, ConfidenceMax = ConfidenceMax, LiftMax = LiftMax, Matches = Matches,
        LastCos = LastCos, SecondLastCos = SecondLastCos, LastConfidence = LastConfidence, NextSum = NextSum, NextFromLast = NextFromLast,
        PreviousSum = PreviousSum, PreviousFromLast = PreviousFromLast, CategoryScore = CategoryScore, BestSellerRank = BestSellerRank,
        Sources = Sources, RankBasket = RankBasket, RankLastItems = RankLastItems, RankSequence = RankSequence, RankCategory = RankCategory,
        BestCartItem = BestCartItem, SecondCartItem = SecondCartItem,
    };
}
