namespace CartCrossSell.Engine.Ranking;

/// <summary>
/// Candidate generation: each source is a pure function of the learned rows (and the catalog for the category
/// source); the union of their tops is what the ranker scores. Nothing in the cart is ever a candidate.
/// </summary>
public sealed partial class CandidateGenerator
{
    private readonly CandidateOptions _options;

    public CandidateGenerator(CandidateOptions? options = null)
    {
        _options = options ?? new CandidateOptions();
        _options.Validate();
    }

    public CandidateOptions Options => _options;

    /// <summary>
    /// Orders each source's scores by a full sort, ranks its top, and aggregates complementary categories by name (as the
    /// generator did before 2026-11-30; since 2026-12-01 with ranks shared by equal scores, within each top only): the straightforward
    /// reference the exactness tests compare the selection of <see cref="MarkSources"/>, <see cref="AddCategorySource"/>
    /// and the similar baskets' top (<see cref="SimilarTop"/>, since 2026-12-02) against. Slower; same candidates, same values.
    /// </summary>
    internal bool ExhaustiveRanks { get; init; }

    /// <summary>Per-thread scratch of one call: accumulators by slot, reused so a call allocates little.</summary>
    [ThreadStatic] private static Accumulators? _scratch;

    public CandidateSet Generate(Basket basket, RankingInputs inputs, DateTimeOffset now) => Generate(basket, inputs, now, pool: null);

    /// <summary>
    /// As <see cref="Generate(Basket, RankingInputs, DateTimeOffset)"/>, the candidates taken from <paramref name="pool"/>
    /// (null: new ones): the set is valid until the pool's next use, so only a caller that keeps nothing of it beyond
    /// its call may pass one (the serving ranker; the trainer keeps its sets and does not).
    /// </summary>
    internal CandidateSet Generate(Basket basket, RankingInputs inputs, DateTimeOffset now, EvidencePool? pool)
    {
        var evidence = inputs.Evidence;
        var nowWeight = inputs.Clock.WeightAt(now);
        var baskets = evidence.Baskets;
        var cart = CartItems(basket, inputs);
        var reader = RowReader.For(evidence);
        var acc = _scratch ?? new Accumulators();
        _scratch = null;
        SimilarBaskets.Scores? similar = null;
        try
        {
            acc.Count = 0;
            acc.MemberCount = 0;
            acc.PairEntries = 0;
            // Cart items are never candidates: their handles take a slot that refuses every contribution. Their rows are
            // looked up once, here, and read below.
            var rows = acc.CartRows(cart.Count);
            for (var ci = 0; ci < cart.Count; ci++)
            {
                var found = reader.FindItemRows(cart[ci].Sku);
                if (found.Item.Handle >= 0) reader.SetSlot(found.Item.Handle, CartSlot);
                rows[ci] = found;
            }

            for (var ci = 0; ci < cart.Count; ci++)
            {
                var item = cart[ci];
                var itemRows = rows[ci];
                if (!itemRows.Item.Found) continue;
                var (rowHandle, wa) = (itemRows.Item.Handle, itemRows.Item.Weight);
                // Same-category evidence (features, learned substitutes) reads the pair weights of items with a leaf.
                var recordPairs = item.LeafCategory is { Length: > 0 } && wa > 0;
                if (recordPairs) item.RowWeight = wa;
                var n = reader.LoadNeighbors(rowHandle, wa, items: true);
                // The loaded arrays in locals: Slot may add a slot, and the reader's fields would be read again each time.
                var neighborHandles = reader.Handles;
                var neighborPairs = reader.Pairs;
                var neighborWeights = reader.NeighborWeights;
                var shrinkage = _options.Shrinkage;
                for (var i = 0; i < n; i++)
                {
                    var wc = neighborWeights[i];
                    if (wc <= 0) continue;
                    var slot = Slot(reader, acc, neighborHandles[i], wc);
                    if (slot < 0) continue;
                    ref var c = ref acc.Items[slot];
                    var pair = neighborPairs[i];
                    var pairCount = pair / nowWeight;
                    var shrink = shrinkage > 0 ? pairCount / (pairCount + shrinkage) : 1;
                    var cos = pair / Math.Sqrt(wa * wc) * shrink;
                    var confidence = pair / wa;
                    var lift = baskets > 0 ? pair * baskets / (wa * wc) : 0;
                    // Maxima without a branch (whether a neighbour beats a candidate's maximum is a coin toss the branch
                    // predictor loses): MaxNative is the CPU's maximum instruction, whose only differences from the
                    // comparison (NaN, -0) cannot occur here, where the values are finite and not negative.
                    c.CosWeighted += item.Recency * cos;
                    c.CosUniform += cos;
                    c.CosMax = double.MaxNative(c.CosMax, cos);
                    c.CountSum += pairCount;
                    c.CountMax = double.MaxNative(c.CountMax, pairCount);
                    c.ConfidenceSum += confidence;
                    c.ConfidenceMax = double.MaxNative(c.ConfidenceMax, confidence);
                    c.LiftMax = double.MaxNative(c.LiftMax, lift);
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
                AddSequence(reader, acc, itemRows.Next, wa, item.Recency, ci == 0, next: true);
                AddSequence(reader, acc, itemRows.Previous, wa, item.Recency, ci == 0, next: false);
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
                if (bestSellerHandles is null) handle = reader.LookUpItem(inputs.BestSellers[i], out w);
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

            // The similar-baskets source takes its top here, outside the sources ranked from slots below: its scores come
            // from the index, not from the rows, and its top is chosen among every item the similar baskets hold.
            // The scores hold the index's read lock until disposed (in finally, once the union has read them).
            if (inputs.SimilarBaskets is { } index && _options.SimilarBasketsDepth > 0)
            {
                similar = index.Score(acc.CartSkus(cart), _options.SimilarBasketsNeighbors, _options.SimilarBasketsSamplePerItem);
                AddSimilarSource(similar, reader, acc);
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

            // The union (the slots the sources' tops joined) in ordinal sku order (CandidateSet.Find searches it).
            var members = acc.MemberCount;
            var slots = acc.Members;
            var skus = acc.MemberSkus(members);
            var pairs = 0;
            for (var m = 0; m < members; m++)
            {
                ref var c = ref acc.Items[slots[m]];
                skus[m] = reader.Sku(c.Handle);
                for (var e = c.PairHead; e >= 0; e = acc.PairNext[e]) pairs++;
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
                var member = pool is null ? c.ToEvidence(skus[order[r]]) : c.CopyTo(pool.At(r), skus[order[r]]);
                // A member below the similar-baskets top still has its score there (a feature, as the other sources' scores are),
                // read by the index id its handle had in earlier calls (the reference looks each sku up).
                if (similar is not null && member.RankSimilar == 0)
                    member.SimilarScore = ExhaustiveRanks ? similar.Of(member.Sku) : similar.Of(member.Sku, ref acc.SimilarIdOf(c.Handle));
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
            similar?.Dispose();
            reader.Release();
            acc.Reader = null;
            _scratch = acc;
        }
    }

    /// <summary>
    /// Candidate objects reused from one ranking call to the next on a thread: a ten-item cart's ~150 candidates were
    /// 28 of the 37 KB a learned ranking allocated (December extract), and their fresh memory showed in every call's
    /// time and in the collections' pauses (docs/benchmarks.md). Every field is written anew at each use.
    /// </summary>
    internal sealed class EvidencePool
    {
        private CandidateEvidence[] _items = [];

        /// <summary>The pooled candidate at <paramref name="index"/>, made on first need.</summary>
        public CandidateEvidence At(int index)
        {
            if (index >= _items.Length) Array.Resize(ref _items, Math.Max(index + 1, Math.Max(256, 2 * _items.Length)));
            return _items[index] ??= new CandidateEvidence { Sku = "" };
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

    /// <summary>
    /// The similar-baskets source: the <see cref="CandidateOptions.SimilarBasketsDepth"/> items scored highest by the
    /// past baskets most like the cart (equal scores by sku), ranked within that top as every source is (1 + the number
    /// of higher scores). An item without a learned row is not a candidate (no other source knows it either).
    /// </summary>
    private void AddSimilarSource(SimilarBaskets.Scores similar, RowReader reader, Accumulators acc)
    {
        var top = ExhaustiveRanks ? SimilarTopBySort(similar, acc) : SimilarTop(similar, acc);
        foreach (var (score, index) in top)
        {
            // The index keeps one string per item, so its skus' handles are remembered by reference from call to call.
            var handle = reader.ItemHandleOfKeptSku(similar.Sku(index), out var weight);
            if (handle < 0) continue;
            var slot = Slot(reader, acc, handle, weight);
            if (slot < 0) continue;
            var higher = 0;
            foreach (var other in top)
                if (other.Score > score) higher++;
            ref var c = ref acc.Items[slot];
            c.Similar = score;
            c.RankSimilar = 1 + higher;
            acc.Join(slot, CandidateSource.SimilarBaskets);
        }
    }

    /// <summary>
    /// The similar-baskets source's top, in no particular order: the same items as <see cref="SimilarTopBySort"/>
    /// without comparing skus but where they decide. The similar baskets' scores tie often (every item of a single
    /// neighbour basket has its similarity), and a selection ordering equal scores by sku as it went compared strings
    /// most of the time (the source's top with its row lookups was 7 % of a learned ranking's samples, 3.4 % since). Here one pass finds the cut (the depth-th highest score) in a short
    /// list of the highest scores seen, a second takes every item above it and those at it; of those the smallest skus
    /// (<see cref="SkuOrder"/>) fill the top. Scores are finite and positive.
    /// </summary>
    private ReadOnlySpan<SimilarItem> SimilarTop(SimilarBaskets.Scores similar, Accumulators acc)
    {
        var n = similar.Count;
        var depth = _options.SimilarBasketsDepth;
        var ids = similar.Ids;
        var byId = similar.ScoresById;
        var top = acc.SimilarItems(Math.Max(depth, 1) + 1);
        if (n <= depth)
        {
            for (var i = 0; i < n; i++) top[i] = new SimilarItem(byId[ids[i]], i);
            return top.AsSpan(0, n);
        }
        // The depth highest scores, repeats included, highest first: most scores are below the last and cost one comparison.
        var highest = acc.SimilarScores(depth);
        var filled = 0;
        for (var i = 0; i < n; i++)
        {
            var score = byId[ids[i]];
            if (filled == depth && !(score > highest[depth - 1])) continue;
            var at = filled < depth ? filled++ : depth - 1;
            while (at > 0 && highest[at - 1] < score)
            {
                highest[at] = highest[at - 1];
                at--;
            }
            highest[at] = score;
        }
        var cut = highest[depth - 1];
        // Every item above the cut (fewer than depth), then those at it in a list of their own.
        var above = 0;
        var tied = acc.TiedItems(n);
        var atCut = 0;
        for (var i = 0; i < n; i++)
        {
            var score = byId[ids[i]];
            if (score > cut) top[above++] = new SimilarItem(score, i);
            else if (score == cut) tied[atCut++] = new SimilarItem(score, i);
        }
        var needed = depth - above;
        if (atCut > needed)
        {
            var skus = acc.TiedSkus(atCut);
            var order = acc.MemberOrder(atCut);
            for (var t = 0; t < atCut; t++) skus[t] = similar.Sku(tied[t].Index);
            SkuOrder.Sort(skus, acc.SortKeys(atCut), order, atCut);
            for (var t = 0; t < needed; t++) top[above + t] = tied[order[t]];
            Array.Clear(skus, 0, atCut);
        }
        else tied.AsSpan(0, needed).CopyTo(top.AsSpan(above));
        return top.AsSpan(0, depth);
    }

    /// <summary>The similar-baskets source's top by a full sort (higher score, then sku): the reference <see cref="ExhaustiveRanks"/> runs.</summary>
    private ReadOnlySpan<SimilarItem> SimilarTopBySort(SimilarBaskets.Scores similar, Accumulators acc)
    {
        var scored = acc.SimilarItems(similar.Count);
        for (var i = 0; i < similar.Count; i++) scored[i] = new SimilarItem(similar.ScoreAt(i), i);
        var all = scored.AsSpan(0, similar.Count);
        all.Sort(new HigherScoreThenSku(similar));
        return all[..Math.Min(_options.SimilarBasketsDepth, all.Length)];
    }

    /// <summary>A scored item of the similar baskets: its score and its index in the call's scores.</summary>
    private readonly record struct SimilarItem(double Score, int Index);

    /// <summary>Higher score first, equal scores by sku (ordinal): a total order, as every source's top.</summary>
    private readonly struct HigherScoreThenSku(SimilarBaskets.Scores scores) : IComparer<SimilarItem>
    {
        public int Compare(SimilarItem a, SimilarItem b)
        {
            var byScore = b.Score.CompareTo(a.Score);
            return byScore != 0 ? byScore : string.CompareOrdinal(scores.Sku(a.Index), scores.Sku(b.Index));
        }
    }

    /// <summary>The sequence source: what was added right after (<paramref name="next"/>) or before a cart item, from its <paramref name="row"/> of that kind.</summary>
    private static void AddSequence(RowReader reader, Accumulators acc, RowLookup row, double itemWeight, double recency, bool last, bool next)
    {
        if (!row.Found) return;
        var n = reader.LoadNeighbors(row.Handle, row.Weight, items: true);
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
        // The cart's own category rows are refused before any row is read: a neighbour that is one of them is then
        // known by its handle, where comparing each newly seen category's name with every cart leaf was most of this
        // source's time (a few hundred categories a call, up to ten leaves each).
        var leafRows = acc.CartLeafRows;
        leafRows.Clear();
        foreach (var (leaf, _) in leaves)
        {
            var found = reader.TryRow(RowKeys.CategoryPrefix, leaf, out var rowHandle, out var rowWeight);
            if (rowHandle >= 0) reader.SetSlot(rowHandle, RefusedCategory);
            leafRows.Add((found ? rowHandle : -1, found ? rowWeight : 0));
        }
        for (var l = 0; l < leaves.Count; l++)
        {
            var recency = leaves[l].Recency;
            var (rowHandle, rowWeight) = leafRows[l];
            if (rowHandle < 0 || !(rowWeight > 0)) continue;
            var n = reader.LoadNeighbors(rowHandle, rowWeight, items: false);
            for (var i = 0; i < n; i++)
            {
                var h = reader.Handles[i];
                var slot = reader.SlotOf(h);
                if (slot == RefusedCategory) continue;
                if (slot == -1)
                {
                    // First sight of this row in the call: a category that is not the cart's own and has a weight, or refused.
                    if (!RowKeys.IsCategory(reader.Key(h)) || !(reader.NeighborWeights[i] > 0))
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
                var handle = handles?[i] ?? reader.LookUpItem(sku, out _);
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
                var handle = reader.LookUpItem(sku, out _);
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

    /// <summary>
    /// Marks each source's top (equal scores at the cut by row key) and ranks its entries, highest first; equal scores
    /// share the rank of the first of them. A candidate outside a source's top has no rank in it.
    /// </summary>
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
        for (int r = 0, rank = 1; r < n && r < depth; r++)
        {
            if (r > 0 && keys[r] != keys[r - 1]) rank = r + 1;
            ref var c = ref acc.Items[order[r]];
            setRank(ref c, rank);
            acc.Join(order[r], source);
        }
    }

    /// <summary>
    /// Marks each source's top and ranks its entries: the same candidates, flags and ranks as <see cref="Mark"/>
    /// without sorting everything a source scores (~770 neighbours for a ten-item cart). Per source, a selection moves
    /// its top (depth entries; equal scores at the cut by row key) to the front, in any order, and an entry's rank is 1
    /// + the number of higher scores, a vectorised count within the top (every higher score is there).
    /// A rank is 1 + the number of strictly higher scores, so equal scores share a rank: a rank that depends on sku names
    /// among equal scores (as it did before 2026-12-01) was noise to the model, and ordering each run of equal scores by
    /// row key was 17 of the 39 µs the tops and ranks took in a ~106 µs candidate stage (December extract, ten-item carts).
    /// A union member below a source's top has no rank in it (Absent to the model): until 2026-12-01 it was ranked among
    /// all the source's scores, a count over ~1,400 scores per member that was a ninth of the candidate stage, and the
    /// models fitted without those ranks read within the seeds' spread on validation (docs/engine.md, Features).
    /// Scores are finite (as they are: weights and counts are positive).
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
        // One pass computes every source's score (the same expressions as the reference's). Each score is written and
        // kept only when above 0, without a branch: whether a candidate has a last-items or sequence score is a coin
        // toss the branch predictor loses.
        var (k0, k1, k2, k3) = (keys[0], keys[1], keys[2], keys[3]);
        var (o0, o1, o2, o3) = (order[0], order[1], order[2], order[3]);
        int n0 = 0, n1 = 0, n2 = 0, n3 = 0;
        for (var i = 0; i < acc.Count; i++)
        {
            ref var c = ref items[i];
            Put(k0, o0, ref n0, c.CosWeighted, i);
            Put(k1, o1, ref n1, c.LastCos + 0.5 * c.SecondLastCos, i);
            Put(k2, o2, ref n2, c.NextSum + c.PreviousSum, i);
            Put(k3, o3, ref n3, c.CategoryScore, i);
            if (c.BestSellerRank > 0)
            {
                keys[4][counts[4]] = -1.0 / c.BestSellerRank;
                order[4][counts[4]++] = i;
            }
        }
        (counts[0], counts[1], counts[2], counts[3]) = (n0, n1, n2, n3);
        for (var s = 0; s < Sources; s++)
        {
            var depth = depths[s];
            if (depth == 0) continue;
            var top = Math.Min(depth, counts[s]);
            if (counts[s] > depth) acc.SelectSmallest(keys[s], order[s], counts[s], depth);
            var k = keys[s];
            var source = (CandidateSource)(1 << s);
            for (var r = 0; r < top; r++)
            {
                SetSourceRank(ref items[order[s][r]], s, 1 + Accumulators.CountLess(k, 0, top, k[r]));
                acc.Join(order[s][r], source);
            }
        }
    }

    private const int Sources = 5;

    /// <summary>
    /// Writes (negated <paramref name="score"/>, <paramref name="slot"/>) at <paramref name="n"/> and keeps it (moves
    /// <paramref name="n"/> on) only when the score is above 0; the arrays hold a place for every slot, so the write
    /// is always in bounds.
    /// </summary>
    private static void Put(double[] keys, int[] order, ref int n, double score, int slot)
    {
        keys[n] = -score;
        order[n] = slot;
        n += score > 0 ? 1 : 0;
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
}
