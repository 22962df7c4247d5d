using CartCrossSell.Engine.Merchandising;

namespace CartCrossSell.Engine;

/// <summary>One recommended add-on: full catalog price, a preselected variant, a score and the reasons.</summary>
public sealed record AddOn(
    string Sku,
    string VariantId,
    string Title,
    decimal Price,
    double Score,
    string Reason,
    string VariantReason);

/// <summary>The ranked add-ons for a basket (possibly none) and the strategy that produced them.</summary>
public sealed record AddOnList(IReadOnlyList<AddOn> AddOns, string Strategy)
{
    private readonly IReadOnlyList<AddOn> _addOns = WithFiniteScores(AddOns);

    /// <summary>
    /// The add-ons, best first, without any whose score is not a finite number: every ranker's list is made here, so no
    /// consumer (the recommender's Redis value, <c>recommend-batch</c>, the evaluation) meets one. The table refuses rows
    /// with negative or non-finite weights, <see cref="Similarity.Score"/> counts an infinite similarity as none and the
    /// learned scores are probabilities, so no ranker produces such a score today; a value that does not serialise would
    /// stop the Redis writer at that cart after every restart.
    /// </summary>
    public IReadOnlyList<AddOn> AddOns { get => _addOns; init => _addOns = WithFiniteScores(value); }

    /// <summary>The version of the learned model that ranked the list; null when the heuristic did.</summary>
    public string? ModelVersion { get; init; }

    /// <summary>The merchandising rules (and diversity) that changed the list, by id (docs/merchandising.md).</summary>
    public IReadOnlyList<string> AppliedRules { get; init; } = [];

    public static AddOnList Empty(string strategy) => new([], strategy);

    private static IReadOnlyList<AddOn> WithFiniteScores(IReadOnlyList<AddOn> addOns)
    {
        foreach (var addOn in addOns)
            if (!double.IsFinite(addOn.Score))
                return [.. addOns.Where(a => double.IsFinite(a.Score))];
        return addOns;
    }
}

/// <summary>
/// Ranks add-ons for a whole basket. Pure: no I/O, time arrives as a parameter. Safe for concurrent calls when the
/// catalog and the evidence are.
/// <para>
/// A candidate's relevance is the sum over every cart item a of recency(a) * similarity(a, candidate) (rule 2);
/// candidates already in the cart, substitutes of cart items, items priced at or above the price cap, items out of
/// stock and items without a one-click variant are dropped (rules 3 to 5); the final score is
/// relevance * price-band preference * (1 + MarginWeight * margin rate); at most MaxAddOns are returned and none
/// below RelativeScoreFloor of the best (rule 6). When item evidence yields nothing, complementary leaf categories
/// learned from the same orders supply their popular items (rule 7). Every add-on says why (rule 8).
/// </para>
/// <para>
/// The merchandising stage (<see cref="Merchandiser"/>: rules, diversity) acts on the qualified candidates between
/// the cart rules and the cut to at most MaxAddOns above the floor; the baselines skip it.
/// </para>
/// </summary>
public sealed class AddOnRanker
{
    public const string BasketAware = "basket-aware";
    public const string LastItem = "last-item";
    public const string CategoryFallback = "category-fallback";

    private readonly RecommendationOptions _options;
    private readonly DecayClock _clock;

    public AddOnRanker(RecommendationOptions? options = null) : this(options, null)
    {
    }

    /// <param name="clock">The learner's decay clock (for shrinkage counts); default: the default LearningOptions.</param>
    public AddOnRanker(RecommendationOptions? options, DecayClock? clock)
    {
        _options = options ?? new RecommendationOptions();
        _options.Validate();
        var learning = new LearningOptions();
        _clock = clock ?? new DecayClock(learning.HalfLife, learning.Landmark);
    }

    public RecommendationOptions Options => _options;

    /// <summary>The cart-page add-ons for the whole basket, with the merchandising <paramref name="rules"/> active at <paramref name="now"/>.</summary>
    public AddOnList Rank(Basket basket, ICatalog catalog, IBasketEvidence evidence, DateTimeOffset now, MerchandisingRuleSet? rules = null)
    {
        if (basket.IsEmpty) return AddOnList.Empty(BasketAware);
        var merchandiser = new Merchandiser(rules ?? MerchandisingRuleSet.None, _options.Diversity, basket, catalog, now);
        var context = new RankContext(this, basket, catalog, evidence, now, merchandiser);
        try
        {
            var cart = context.CartItems(_options.RecencyDecay, _options.RecencyFloor);
            var found = context.RankItems(cart);
            if (found.Count > 0 || !_options.CategoryFallback) return new AddOnList(found, BasketAware) { AppliedRules = context.AppliedRules };
            var fallback = context.RankCategories(cart);
            return fallback.Count > 0
                ? new AddOnList(fallback, CategoryFallback) { AppliedRules = context.AppliedRules }
                : AddOnList.Empty(BasketAware) with { AppliedRules = context.AppliedRules };
        }
        finally
        {
            context.Release();
        }
    }

    /// <summary>
    /// The product-page baseline, kept only to measure against: "frequently bought with the last item added", with
    /// the same similarity, dropping only what is already in the cart. No substitute, price, variant or margin rules,
    /// no thresholds.
    /// </summary>
    public AddOnList RankLastItem(Basket basket, ICatalog catalog, IBasketEvidence evidence, DateTimeOffset now) =>
        RankWithoutRules(basket, catalog, evidence, now, recency: 0, LastItem);

    /// <summary>
    /// The whole-basket baseline, kept only to measure against: an unweighted sum over every cart item of the
    /// configured similarity (basket counts with <see cref="SimilarityMeasure.Cooccurrence"/> and no shrinkage, basket
    /// cosine with <see cref="SimilarityMeasure.Cosine"/>), dropping only what is already in the cart.
    /// </summary>
    public AddOnList RankUniformBasket(Basket basket, ICatalog catalog, IBasketEvidence evidence, DateTimeOffset now, string strategy) =>
        RankWithoutRules(basket, catalog, evidence, now, recency: 1, strategy);

    /// <summary>
    /// The baselines' ranking: item evidence only, no cart rule but "not in the cart". Recency 0 weighs only the last
    /// item (decay and floor 0); recency 1 weighs every cart item alike.
    /// </summary>
    private AddOnList RankWithoutRules(Basket basket, ICatalog catalog, IBasketEvidence evidence, DateTimeOffset now, double recency, string strategy)
    {
        if (basket.IsEmpty) return AddOnList.Empty(strategy);
        var context = new RankContext(this, basket, catalog, evidence, now, merchandiser: null);
        try
        {
            return new AddOnList(context.RankItems(context.CartItems(recency, recency)), strategy);
        }
        finally
        {
            context.Release();
        }
    }

    private readonly record struct CartItem(string Sku, double Recency, string Title);

    private sealed class RankContext(
        AddOnRanker ranker, Basket basket, ICatalog catalog, IBasketEvidence evidence, DateTimeOffset now, Merchandiser? merchandiser)
    {
        /// <summary>The rule-abiding ranking (cart rules and the merchandising stage); the baselines have neither.</summary>
        private readonly bool _cartRules = merchandiser is not null;

        private readonly List<string> _appliedRules = [];

        public IReadOnlyList<string> AppliedRules => _appliedRules.Count == 0 ? [] : _appliedRules.Distinct(StringComparer.Ordinal).ToArray();

        private readonly RecommendationOptions _o = ranker._options;
        private readonly RowReader _reader = RowReader.For(evidence);
        private readonly double _nowWeight = ranker._clock.WeightAt(now);
        private readonly double _baskets = evidence.Baskets;
        private readonly CartRules _rules = new(basket, catalog, ranker._options);

        public void Release() => _reader.Release();

        /// <summary>Distinct cart skus, most recent first, with their recency weights (decay^position from the end).</summary>
        public List<CartItem> CartItems(double decay, double floor)
        {
            var items = new List<CartItem>(basket.Lines.Count);
            var weight = 1.0;
            for (var i = basket.Lines.Count - 1; i >= 0 && Math.Max(weight, floor) > 0; i--)
            {
                var sku = basket.Lines[i].Sku;
                if (IndexOf(items, sku) >= 0) continue;
                items.Add(new CartItem(sku, Math.Max(weight, floor), TitleOf(sku)));
                weight *= decay;
            }
            return items;
        }

        public List<AddOn> RankItems(List<CartItem> cart)
        {
            var candidates = _reader.Candidates;
            var candidateCount = 0;
            for (var ci = 0; ci < cart.Count; ci++)
            {
                if (!_reader.TryRow(RowKeys.ItemPrefix, cart[ci].Sku, out var rowHandle, out var wa)) continue;
                var count = _reader.LoadNeighbors(rowHandle, wa, items: true);
                var handles = _reader.Handles;
                var pairs = _reader.Pairs;
                var weights = _reader.NeighborWeights;
                for (var i = 0; i < count; i++)
                {
                    var h = handles[i];
                    var slot = _reader.SlotOf(h);
                    if (slot < 0)
                    {
                        if (candidateCount == candidates.Length) candidates = _reader.GrowCandidates();
                        slot = candidateCount++;
                        _reader.SetSlot(h, slot);
                        candidates[slot] = new Candidate { Handle = h, Weight = weights[i], Best = -1, Second = -1 };
                    }
                    var pairCount = pairs[i] / _nowWeight;
                    ref var c = ref candidates[slot];
                    var sim = Similarity.Score(_o.Similarity, pairs[i], wa, c.Weight, _baskets, pairCount, _o.Shrinkage);
                    if (sim <= 0) continue;
                    c.Add(ci, cart[ci].Recency * sim);
                    if (pairCount > c.Support) c.Support = pairCount;
                }
            }
            return Select(candidates, candidateCount, c => _reader.Key(c.Handle), c => _reader.Sku(c.Handle), c => ItemReason(cart, c));
        }

        /// <summary>
        /// Rule 7: popular items of the leaf categories most complementary to the cart's categories; <paramref name="cart"/>
        /// is the cart's items as <see cref="RankItems"/> weighed them.
        /// </summary>
        public List<AddOn> RankCategories(List<CartItem> cart)
        {
            var cartCategories = new List<CartItem>();
            foreach (var item in cart)
            {
                var leaf = catalog.Find(item.Sku)?.LeafCategory;
                if (string.IsNullOrEmpty(leaf) || IndexOf(cartCategories, leaf) >= 0) continue;
                cartCategories.Add(new CartItem(leaf, item.Recency, leaf));
            }
            // Complementary categories, scored like items, never a cart category unless it is multi-buy. They are
            // aggregated by row handle in the call's slot table (category handles are never item candidates'), and a
            // category's name is cut from its row key only for the few chosen: a cart's category rows hold thousands of
            // category pairs, and a name per pair was most of what a fallback call allocated.
            var categories = new List<Candidate>();
            for (var ci = 0; ci < cartCategories.Count; ci++)
            {
                if (!_reader.TryRow(RowKeys.CategoryPrefix, cartCategories[ci].Sku, out var rowHandle, out var wx)) continue;
                var count = _reader.LoadNeighbors(rowHandle, wx, items: false);
                for (var i = 0; i < count; i++)
                {
                    var h = _reader.Handles[i];
                    var slot = _reader.SlotOf(h);
                    if (slot == Refused) continue;
                    if (slot < 0)
                    {
                        var key = _reader.Key(h);
                        if (!RowKeys.IsCategory(key) || _rules.IsInCartCategory(key.AsSpan(RowKeys.CategoryPrefix.Length)))
                        {
                            _reader.SetSlot(h, Refused);
                            continue;
                        }
                        slot = categories.Count;
                        _reader.SetSlot(h, slot);
                        categories.Add(new Candidate { Handle = h, Weight = _reader.NeighborWeights[i], Best = -1, Second = -1 });
                    }
                    var pairCount = _reader.Pairs[i] / _nowWeight;
                    var sim = Similarity.Score(_o.Similarity, _reader.Pairs[i], wx, _reader.NeighborWeights[i], _baskets, pairCount, _o.Shrinkage);
                    if (sim <= 0) continue;
                    var c = categories[slot];
                    c.Add(ci, cartCategories[ci].Recency * sim);
                    if (pairCount > c.Support) c.Support = pairCount;
                    categories[slot] = c;
                }
            }
            // The FallbackCategories best scored among those with enough support (ties by name: row keys share their
            // prefix, so they order alike).
            var chosen = new List<int>(_o.FallbackCategories + 1);
            var shortList = new BestFirst(chosen, _o.FallbackCategories, ComesBefore);
            for (var i = 0; i < categories.Count && _o.FallbackCategories > 0; i++)
                if (categories[i].Score > 0 && categories[i].Support >= _o.MinSupport) shortList.Offer(i);

            var candidates = new List<Candidate>();
            var skus = new List<string>();
            var reasons = new List<string>();
            foreach (var index in chosen)
            {
                var category = categories[index];
                var leaf = RowKeys.CategoryOf(_reader.Key(category.Handle));
                var reason = $"popular in {leaf}, a category often bought with {cartCategories[category.Best].Sku}";
                foreach (var item in catalog.InCategory(leaf))
                {
                    if (!evidence.TryGetWeight(RowKeys.Item(item.Sku), out var w) || w <= 0) continue;
                    var popularity = Math.Min(1, w / category.Weight);
                    candidates.Add(new Candidate
                    {
                        Handle = skus.Count, Weight = w, Score = category.Score * popularity, Support = category.Support,
                        Matches = category.Matches, Best = -1, Second = -1,
                    });
                    skus.Add(item.Sku);
                    reasons.Add(reason);
                }
            }
            return Select([.. candidates], candidates.Count, c => skus[c.Handle], c => skus[c.Handle], c => reasons[c.Handle]);

            bool ComesBefore(int a, int b) => categories[a].Score > categories[b].Score
                || (categories[a].Score == categories[b].Score && string.CompareOrdinal(_reader.Key(categories[a].Handle), _reader.Key(categories[b].Handle)) < 0);
        }

        /// <summary>The slot of a row this call has refused as a candidate (a cart category, or a row of another kind).</summary>
        private const int Refused = int.MinValue;

        private static int IndexOf(List<CartItem> items, string sku)
        {
            for (var i = 0; i < items.Count; i++)
                if (string.Equals(items[i].Sku, sku, StringComparison.Ordinal)) return i;
            return -1;
        }

        /// <summary>
        /// With the cart rules: the <see cref="Merchandised"/> selection. For the baselines: walks the candidates from
        /// the most relevant down, keeps the MaxAddOns most relevant not in the cart, and stops as soon as no remaining
        /// candidate can reach the list. Reasons are written only for the add-ons finally shown.
        /// </summary>
        private List<AddOn> Select(
            Candidate[] candidates, int count, Func<Candidate, string> tieKeyOf, Func<Candidate, string> skuOf, Func<Candidate, string> reasonOf)
        {
            var result = new List<AddOn>(_o.MaxAddOns);
            if (merchandiser is not null)
                return Merchandised(candidates, MostRelevant(candidates.AsSpan(0, count), Math.Max(_o.RerankDepth, _o.MaxAddOns), tieKeyOf), skuOf, reasonOf);
            if (count == 0) return result;
            var order = MostRelevant(candidates.AsSpan(0, count), Math.Max(_o.RerankDepth, _o.MaxAddOns * 3), tieKeyOf);

            var accepted = new List<Accepted>(_o.MaxAddOns + 1);
            foreach (var index in order)
            {
                var mustBeat = accepted.Count == _o.MaxAddOns ? accepted[^1].Score : 0;
                if (mustBeat > 0 && candidates[index].Score <= mustBeat) break;
                var candidate = candidates[index];
                if (!Qualify(skuOf(candidate), index, candidate, mustBeat, out var a)) continue;
                if (accepted.Count == _o.MaxAddOns && a.Score <= accepted[^1].Score) continue;
                var at = accepted.FindIndex(x => x.Score < a.Score);
                accepted.Insert(at < 0 ? accepted.Count : at, a);
                if (accepted.Count > _o.MaxAddOns) accepted.RemoveAt(accepted.Count - 1);
            }
            foreach (var a in accepted)
            {
                result.Add(new AddOn(a.Sku, a.VariantId, a.Item?.Title ?? a.Sku, a.Item?.Price ?? 0m, a.Score,
                    reasonOf(candidates[a.Index]), a.VariantReason));
            }
            return result;
        }

        /// <summary>
        /// The rule-abiding selection: every candidate of <paramref name="order"/> that passes the cart rules goes to the
        /// merchandising stage, which hands the survivors back to <see cref="Cut"/> (at most MaxAddOns, none below
        /// RelativeScoreFloor of the best). Pinned items outside the shortlist go through the same cart rules.
        /// </summary>
        private List<AddOn> Merchandised(Candidate[] candidates, int[] order, Func<Candidate, string> skuOf, Func<Candidate, string> reasonOf)
        {
            var accepted = new List<Accepted>(order.Length);
            var shortlist = new List<ShortlistItem>(order.Length);
            foreach (var index in order)
            {
                if (!Qualify(skuOf(candidates[index]), index, candidates[index], 0, out var a)) continue;
                shortlist.Add(new ShortlistItem(a.Sku, a.Item, a.Score, accepted.Count));
                accepted.Add(a);
            }
            ShortlistItem? QualifyPin(string sku)
            {
                var at = shortlist.FindIndex(s => s.Sku == sku);
                if (at >= 0) return shortlist[at];
                if (basket.Contains(sku) || catalog.Find(sku) is not { } item || !_rules.TryQualify(item, 0, 0, out var q)) return null;
                accepted.Add(new Accepted(-1, sku, 0, item, q.VariantId, q.VariantReason));
                return new ShortlistItem(sku, item, 0, accepted.Count - 1);
            }
            var list = merchandiser!.Apply(shortlist, _o.MaxAddOns, Cut, QualifyPin);
            _appliedRules.AddRange(list.AppliedRules);
            return list.AddOns.Select(m =>
            {
                var a = accepted[m.Candidate.Index];
                var reason = m.PinnedBy is { } pin ? merchandiser.PinReason(pin) : reasonOf(candidates[a.Index]);
                return new AddOn(a.Sku, a.VariantId, a.Item?.Title ?? a.Sku, a.Item?.Price ?? 0m, m.Candidate.Score, reason, a.VariantReason);
            }).ToList();
        }

        /// <summary>Rule 6 on qualified candidates, best first: at most <paramref name="slots"/>, none below RelativeScoreFloor of the best.</summary>
        private IReadOnlyList<ShortlistItem> Cut(IReadOnlyList<ShortlistItem> bestFirst, int slots)
        {
            var result = new List<ShortlistItem>(Math.Max(0, slots));
            if (bestFirst.Count == 0) return result;
            var floor = _o.RelativeScoreFloor * bestFirst[0].Score;
            foreach (var c in bestFirst)
            {
                if (result.Count >= slots || c.Score < floor) break;
                result.Add(c);
            }
            return result;
        }

        /// <summary>
        /// The <paramref name="depth"/> most relevant candidates, most relevant first (ties by key), by insertion into
        /// a short sorted list: linear in the number of candidates, no sort of them all.
        /// </summary>
        private static int[] MostRelevant(ReadOnlySpan<Candidate> span, int depth, Func<Candidate, string> tieKeyOf)
        {
            var top = new int[Math.Min(depth, span.Length)];
            if (top.Length == 0) return top;
            var n = 0;
            for (var i = 0; i < span.Length; i++)
            {
                var score = span[i].Score;
                if (score <= 0) continue;
                if (n == top.Length && !Better(span, i, top[n - 1], tieKeyOf)) continue;
                var pos = n == top.Length ? n - 1 : n++;
                while (pos > 0 && Better(span, i, top[pos - 1], tieKeyOf))
                {
                    top[pos] = top[pos - 1];
                    pos--;
                }
                top[pos] = i;
            }
            return n == top.Length ? top : top[..n];
        }

        private static bool Better(ReadOnlySpan<Candidate> span, int a, int b, Func<Candidate, string> tieKeyOf) =>
            span[a].Score > span[b].Score
            || (span[a].Score == span[b].Score && string.CompareOrdinal(tieKeyOf(span[a]), tieKeyOf(span[b])) < 0);

        private readonly record struct Accepted(int Index, string Sku, double Score, CatalogItem? Item, string VariantId, string VariantReason);

        /// <summary>
        /// The cart rules (3, 4, 5) for one candidate: false when it must not be shown, or when it cannot beat
        /// <paramref name="mustBeat"/> (checked before the variant, the costliest rule).
        /// </summary>
        private bool Qualify(string sku, int index, Candidate candidate, double mustBeat, out Accepted accepted)
        {
            accepted = default;
            if (basket.Contains(sku)) return false;
            if (_cartRules && candidate.Support < _o.MinSupport) return false;
            var item = catalog.Find(sku);
            if (item is null)
            {
                if (!_o.AllowUnknownItems) return false;
                accepted = new Accepted(index, sku, candidate.Score, null, sku, "not in the catalog: variant not checked");
                return true;
            }
            if (!item.InStock) return false;
            if (!_cartRules)
            {
                var first = item.Variants.FirstOrDefault(v => v.InStock);
                if (item.Variants.Count > 0 && first is null) return false;
                accepted = new Accepted(index, sku, candidate.Score, item, first?.VariantId ?? sku,
                    first is null ? "single product without variants" : "first variant in stock (product-page baseline)");
                return true;
            }
            if (!_rules.TryQualify(item, candidate.Score, mustBeat, out var q)) return false;
            accepted = new Accepted(index, sku, candidate.Score * q.Factor, item, q.VariantId, q.VariantReason);
            return true;
        }

        private string TitleOf(string sku) => catalog.Find(sku)?.Title ?? sku;

        private static string ItemReason(List<CartItem> cart, Candidate c)
        {
            if (c.Best < 0) return "often bought with items in your cart";
            var first = cart[c.Best].Title.ToLowerInvariant();
            if (c.Second < 0) return $"often bought with {first}";
            var second = cart[c.Second].Title.ToLowerInvariant();
            var more = c.Matches - 2;
            return more > 0
                ? $"often bought with {first}, {second} and {more} more in your cart"
                : $"often bought with {first} and {second}";
        }
    }

    /// <summary>
    /// 1 inside [PriceBandLow, PriceBandHigh] of the cart value; outside, halves for every PriceBandHalfDistance of
    /// distance from the band.
    /// </summary>
    public static double PriceBandPreference(double share, RecommendationOptions options)
    {
        var distance = share < options.PriceBandLow ? options.PriceBandLow - share
            : share > options.PriceBandHigh ? share - options.PriceBandHigh
            : 0;
        return distance <= 0 ? 1 : Math.Pow(0.5, distance / options.PriceBandHalfDistance);
    }
}

/// <summary>One candidate of a ranking call: its relevance and the cart items it owes it to.</summary>
internal struct Candidate
{
    public int Handle;
    public double Weight;
    public double Score;
    public double Support;
    public int Matches;
    public int Best;
    public double BestContribution;
    public int Second;
    public double SecondContribution;

    public void Add(int cartIndex, double contribution)
    {
        Matches++;
        Score += contribution;
        TopTwo.Add(ref Best, ref BestContribution, ref Second, ref SecondContribution, cartIndex, contribution);
    }
}

/// <summary>Keeps the two cart items a candidate owes most of its score to (for the reason shown with it).</summary>
internal static class TopTwo
{
    public static void Add(ref int best, ref double bestContribution, ref int second, ref double secondContribution, int index, double contribution)
    {
        if (contribution > bestContribution)
        {
            second = best;
            secondContribution = bestContribution;
            best = index;
            bestContribution = contribution;
        }
        else if (contribution > secondContribution)
        {
            second = index;
            secondContribution = contribution;
        }
    }
}
