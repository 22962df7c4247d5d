namespace CartCrossSell.Engine.Ranking;

/// <summary>How many past baskets <see cref="SimilarBaskets"/> holds and reads.</summary>
public sealed record SimilarBasketsOptions
{
    public const string SectionName = "SimilarBaskets";

    /// <summary>The newest baskets held; the oldest is forgotten when one more arrives. Default 50,000 (about 10 MB for baskets of 20 items).</summary>
    public int Capacity { get; set; } = 50_000;

    /// <summary>Per cart item, the newest baskets holding it that are compared with the cart. Default 1,000.</summary>
    public int SamplePerItem { get; set; } = 1_000;

    /// <summary>
    /// The most similar baskets whose items are scored. Default 50: on validation as good as 100 by the trainer's own
    /// measure (docs/engine.md, "Similar baskets") at half the scoring.
    /// </summary>
    public int Neighbors { get; set; } = 50;

    public void Validate()
    {
        if (Capacity is < 1 or > 10_000_000) throw new ArgumentOutOfRangeException(nameof(Capacity), Capacity, $"{SectionName}:Capacity must be between 1 and 10000000");
        if (SamplePerItem is < 1 or > 1_000_000) throw new ArgumentOutOfRangeException(nameof(SamplePerItem), SamplePerItem, $"{SectionName}:SamplePerItem must be between 1 and 1000000");
        if (Neighbors is < 1 or > 100_000) throw new ArgumentOutOfRangeException(nameof(Neighbors), Neighbors, $"{SectionName}:Neighbors must be between 1 and 100000");
    }
}

/// <summary>
/// The newest orders' baskets, indexed by item: evidence of a different order than the learned rows. A row says what
/// one item is bought with; this says what the past baskets that look most like the whole cart also held (session
/// k-nearest neighbours): a basket sharing three of the cart's items counts for more than three baskets sharing one
/// each, which no sum over pairs can tell. Measured on validation, it lifted the random-item protocol on both stores
/// (docs/engine.md, "Similar baskets").
/// </summary>
/// <remarks>
/// Pure and in memory. One writer (<see cref="Add"/>) and any number of readers (<see cref="Score"/>) may run at once:
/// the stream's replicated table adds orders on its own thread while stream threads rank. Memory is bounded by
/// <see cref="SimilarBasketsOptions.Capacity"/> baskets: each basket's items as numbers, and each item's baskets, newest
/// last; an item no held basket names is forgotten.
/// </remarks>
public sealed class SimilarBaskets
{
    private readonly SimilarBasketsOptions _options;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly HashSet<string> _orderIds = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal); // the writer's scratch: an order's distinct skus,
    private readonly List<string> _distinct = []; // and in their order
    private readonly List<string?> _skus = [];
    private readonly List<ItemBaskets> _byItem = [];
    private readonly Stack<int> _freeIds = new();
    private readonly Held[] _ring;
    // Each held basket's 1 / √(items), by ring position beside the ring: a ranking reads it for every basket it touches
    // (thousands on a year of orders), and these 8 bytes are a quarter of a cache line where the ring's entry is half of one.
    private readonly double[] _inverseSqrtSizes;
    private long _next; // sequence number of the next basket; basket s sits at _ring[s % Capacity]

    private struct Held
    {
        public string OrderId;
        public int[] Items;
        public long Sequence;
    }

    public SimilarBaskets(SimilarBasketsOptions? options = null)
    {
        _options = options ?? new SimilarBasketsOptions();
        _options.Validate();
        _ring = new Held[_options.Capacity];
        _inverseSqrtSizes = new double[_options.Capacity];
    }

    public SimilarBasketsOptions Options => _options;

    /// <summary>Baskets held.</summary>
    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try { return (int)Math.Min(_next, _ring.Length); }
            finally { _lock.ExitReadLock(); }
        }
    }

    /// <summary>Distinct items the held baskets name.</summary>
    public int ItemCount
    {
        get
        {
            _lock.EnterReadLock();
            try { return _ids.Count; }
            finally { _lock.ExitReadLock(); }
        }
    }

    /// <summary>Whether the basket of <paramref name="orderId"/> is held.</summary>
    public bool Holds(string orderId)
    {
        _lock.EnterReadLock();
        try { return _orderIds.Contains(orderId); }
        finally { _lock.ExitReadLock(); }
    }

    /// <summary>
    /// Holds an order's basket (its distinct skus), forgetting the oldest basket when full. False, and nothing held,
    /// for an order id already held (a replay) or a basket of fewer than two items (it is like nothing). The skus may
    /// repeat (an order's lines): each is held once.
    /// </summary>
    public bool Add(string orderId, IEnumerable<string> skus)
    {
        ArgumentNullException.ThrowIfNull(orderId);
        _lock.EnterWriteLock();
        try
        {
            if (_orderIds.Contains(orderId)) return false;
            var distinct = _distinct;
            distinct.Clear();
            _seen.Clear();
            foreach (var sku in skus)
                if (!string.IsNullOrEmpty(sku) && _seen.Add(sku)) distinct.Add(sku);
            if (distinct.Count < 2) return false;
            var position = (int)(_next % _ring.Length);
            // The oldest basket leaves first: an item only it named is forgotten, and must not be in the new basket's
            // numbers by then (it is numbered again below).
            if (_next >= _ring.Length) Forget(position);
            var items = new int[distinct.Count];
            for (var i = 0; i < items.Length; i++) items[i] = IdOf(distinct[i]);
            _ring[position] = new Held { OrderId = orderId, Items = items, Sequence = _next };
            _inverseSqrtSizes[position] = 1 / Math.Sqrt(items.Length);
            foreach (var id in items) _byItem[id].Append(position);
            _orderIds.Add(orderId);
            _next++;
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Forgets every basket (a replicated table reading its topic again from the beginning).</summary>
    public void Clear()
    {
        _lock.EnterWriteLock();
        try
        {
            _ids.Clear();
            _orderIds.Clear();
            _skus.Clear();
            _byItem.Clear();
            _freeIds.Clear();
            Array.Clear(_ring);
            Array.Clear(_inverseSqrtSizes);
            _next = 0;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private int IdOf(string sku)
    {
        if (_ids.TryGetValue(sku, out var id)) return id;
        if (_freeIds.TryPop(out id))
        {
            _skus[id] = sku;
            _byItem[id] = new ItemBaskets();
        }
        else
        {
            id = _skus.Count;
            _skus.Add(sku);
            _byItem.Add(new ItemBaskets());
        }
        _ids[sku] = id;
        return id;
    }

    private void Forget(int position)
    {
        ref var held = ref _ring[position];
        foreach (var id in held.Items)
        {
            var baskets = _byItem[id];
            baskets.RemoveOldest(position);
            if (baskets.Count == 0) Release(id);
        }
        _orderIds.Remove(held.OrderId);
        held = default;
    }

    private void Release(int id)
    {
        _ids.Remove(_skus[id]!);
        _skus[id] = null;
        _freeIds.Push(id);
    }

    /// <summary>
    /// Scores items by the past baskets most like <paramref name="cart"/>: each of the newest
    /// <see cref="SimilarBasketsOptions.SamplePerItem"/> baskets of every cart item is compared with the cart (cosine of
    /// the two item sets: shared items / √(cart items × basket items)); the <see cref="SimilarBasketsOptions.Neighbors"/>
    /// most similar (newer first among equals) give each of their items not in the cart their similarity.
    /// The result is this thread's scratch and holds the index's read lock (a basket added meanwhile waits) until it is
    /// disposed: dispose it before the thread's next call, and do not call <see cref="Add"/> on the thread meanwhile.
    /// <paramref name="neighbors"/> and <paramref name="samplePerItem"/>, when given, replace the options' for this call
    /// (a model is served with the reading it was fitted with, whatever the index's own settings).
    /// </summary>
    public Scores Score(IReadOnlyList<string> cart, int? neighbors = null, int? samplePerItem = null)
    {
        var neighborCount = neighbors ?? _options.Neighbors;
        var sample = samplePerItem ?? _options.SamplePerItem;
        ArgumentOutOfRangeException.ThrowIfLessThan(neighborCount, 1, nameof(neighbors));
        ArgumentOutOfRangeException.ThrowIfLessThan(sample, 1, nameof(samplePerItem));
        var scratch = _scratch ??= new Scores();
        if (scratch.Index is not null) throw new InvalidOperationException("the thread's previous scores are not disposed");
        _lock.EnterReadLock();
        scratch.Index = this;
        try
        {
            var cartIds = scratch.CartIds;
            // A cart item's score is NaN while the call runs: it is never counted as scored (NaN is not 0) and what
            // its baskets add stays NaN, so the loops below need no branch on whether an item is in the cart (a coin
            // toss the branch predictor lost, as it did whether an item or a basket was seen before). Dispose sets
            // these back to 0.
            var scores = scratch.ItemScores(_skus.Count);
            foreach (var sku in cart)
                if (_ids.TryGetValue(sku, out var id) && !double.IsNaN(scores[id]))
                {
                    scores[id] = double.NaN;
                    cartIds.Add(id);
                }
            if (cartIds.Count == 0) return scratch;
            var overlap = scratch.Overlap(_ring.Length);
            var touchedCount = 0;
            foreach (var id in cartIds)
            {
                var baskets = _byItem[id];
                var from = Math.Max(0, baskets.Count - sample);
                var touched = scratch.Touched(touchedCount + baskets.Count - from);
                for (var i = from; i < baskets.Count; i++)
                {
                    // Every position is written; the count moves past it only the first time it is seen.
                    var position = baskets[i];
                    var seen = overlap[position];
                    touched[touchedCount] = position;
                    touchedCount += seen == 0 ? 1 : 0;
                    overlap[position] = seen + 1;
                }
            }
            // The most similar baskets: similarity, then the newer basket (a higher sequence) first.
            var count = touchedCount;
            var positions = scratch.Touched(count);
            var similarities = scratch.Similarities(count);
            var cartNorm = 1 / Math.Sqrt(cartIds.Count);
            var inverseSqrtSizes = _inverseSqrtSizes;
            for (var i = 0; i < count; i++)
            {
                var position = positions[i];
                similarities[i] = overlap[position] * cartNorm * inverseSqrtSizes[position];
                overlap[position] = 0;
            }
            var neighbours = scratch.Neighbours(Math.Min(count, neighborCount));
            var k = MostSimilar(positions, similarities, count, neighborCount, neighbours, scratch);
            var scoredCount = 0;
            for (var b = 0; b < k; b++)
            {
                var items = _ring[neighbours[b].Position].Items;
                var similarity = neighbours[b].Similarity;
                var scored = scratch.Scored(scoredCount + items.Length);
                foreach (var id in items)
                {
                    var before = scores[id];
                    scored[scoredCount] = id;
                    scoredCount += before == 0 ? 1 : 0;
                    scores[id] = before + similarity;
                }
                scratch.Count = scoredCount; // per basket, so Dispose clears what was scored even after a failure
            }
            return scratch;
        }
        catch
        {
            scratch.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the <paramref name="neighborCount"/> most similar of the touched baskets (similarity, then the newer basket
    /// first: the same baskets a full sort would put first) into <paramref name="neighbours"/>, in the order they were
    /// touched, and returns how many. The order is fixed by the cart and the index alone, not by how they were chosen, so
    /// the items' sums (added in that order) are too. They are chosen in two passes over plain numbers: the cut (the
    /// neighborCount-th highest similarity) is found among the similarities alone, then every basket above it is taken
    /// and, of those at it, the newest; a selection of whole entries with their ties broken by sequence numbers took
    /// over 40 % of the index's time on a year of orders (2,800 baskets touched per ten-item cart; docs/benchmarks.md).
    /// </summary>
    private int MostSimilar(int[] positions, double[] similarities, int count, int neighborCount, Neighbour[] neighbours, Scores scratch)
    {
        if (count <= neighborCount)
        {
            for (var i = 0; i < count; i++) neighbours[i] = new Neighbour(similarities[i], positions[i]);
            return count;
        }
        var cut = Selection.KthLargest(similarities.AsSpan(0, count), neighborCount, scratch.Cut(count));
        var above = 0;
        var ties = scratch.Ties;
        ties.Clear();
        for (var i = 0; i < count; i++)
        {
            var similarity = similarities[i];
            if (similarity > cut) above++;
            else if (similarity == cut) ties.Add(new Tie(_ring[positions[i]].Sequence, i));
        }
        // Of the baskets at the cut, the newest fill the places left (all of them when they fit, as they do unless equal
        // similarities straddle the cut); those taken are marked by an infinite similarity (every real one is finite).
        var needed = neighborCount - above;
        var everyTie = ties.Count <= needed;
        if (!everyTie)
        {
            var newest = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ties);
            Selection.SelectFirst(newest, needed, new NewestFirst());
            foreach (var tie in newest[..needed]) similarities[tie.Index] = double.PositiveInfinity;
        }
        var k = 0;
        for (var i = 0; i < count; i++)
        {
            var similarity = similarities[i];
            if (similarity > cut || (everyTie && similarity == cut))
                neighbours[k++] = new Neighbour(double.IsPositiveInfinity(similarity) ? cut : similarity, positions[i]);
        }
        return k;
    }

    /// <summary>A basket at the cut: its sequence number and its index among the touched.</summary>
    internal readonly record struct Tie(long Sequence, int Index);

    private readonly struct NewestFirst : IComparer<Tie>
    {
        public int Compare(Tie a, Tie b) => b.Sequence.CompareTo(a.Sequence);
    }

    /// <summary>A basket compared with a cart: its similarity and where it sits in the ring.</summary>
    internal readonly record struct Neighbour(double Similarity, int Position);

    [ThreadStatic] private static Scores? _scratch;

    /// <summary>
    /// One call's item scores (the thread's scratch), read while the index's read lock is held: dispose to release it.
    /// </summary>
    public sealed class Scores : IDisposable
    {
        internal SimilarBaskets? Index;
        internal readonly List<int> CartIds = [];

        // The call's scratch, kept for the thread's next call and grown as needed by one rule (what was written is kept;
        // the overlaps and item scores are all 0 between calls, so growing them keeps them so).
        private int[] _overlap = [];
        private int[] _touched = [];
        private double[] _similarities = [];
        private double[] _cut = [];
        private Neighbour[] _neighbours = [];
        private double[] _itemScores = [];
        private int[] _scored = [];

        /// <summary>Shared items per ring position (0 outside a call).</summary>
        internal int[] Overlap(int length) => Grown(ref _overlap, length);

        /// <summary>The baskets touched so far, room for <paramref name="length"/>.</summary>
        internal int[] Touched(int length) => Grown(ref _touched, length);

        /// <summary>The touched baskets' similarities, and a copy the cut is found in.</summary>
        internal double[] Similarities(int length) => Grown(ref _similarities, length);
        internal Span<double> Cut(int length) => Grown(ref _cut, length).AsSpan(0, length);

        /// <summary>The baskets at the cut of one call.</summary>
        internal readonly List<Tie> Ties = [];

        internal Neighbour[] Neighbours(int length) => Grown(ref _neighbours, length);

        /// <summary>Scores by item id (0 outside a call).</summary>
        internal double[] ItemScores(int length) => Grown(ref _itemScores, length);

        /// <summary>The items scored so far, room for <paramref name="length"/>.</summary>
        internal int[] Scored(int length) => Grown(ref _scored, length);

        private static T[] Grown<T>(ref T[] array, int length)
        {
            if (array.Length < length) Array.Resize(ref array, Math.Max(length, 2 * array.Length));
            return array;
        }

        /// <summary>How many items scored above 0 (indices 0 to Count - 1 below, in no particular order).</summary>
        public int Count { get; internal set; }

        public string Sku(int i) => Index!._skus[Ids[i]]!;

        public double ScoreAt(int i) => _itemScores[Ids[i]];

        // The same as Sku(i) and ScoreAt(i) reads, for a caller that passes over every scored item: item i's id is
        // Ids[i], its score ScoresById[Ids[i]].
        internal ReadOnlySpan<int> Ids => _scored.AsSpan(0, Count);
        internal ReadOnlySpan<double> ScoresById => _itemScores;

        /// <summary>A sku's score (0: in no similar basket, in the cart, or unknown to the index).</summary>
        public double Of(string sku) => Index is { } index && index._ids.TryGetValue(sku, out var id) ? At(id) : 0;

        /// <summary>An item's score by id: 0 for a cart item (NaN while the call runs, see Score) and beyond the array.</summary>
        private double At(int id)
        {
            var score = id < _itemScores.Length ? _itemScores[id] : 0;
            return double.IsNaN(score) ? 0 : score;
        }

        /// <summary>
        /// As <see cref="Of(string)"/>, with the sku's id in the index remembered by the caller in <paramref name="id"/>
        /// (-1: unknown): used only when the index still holds that sku at that id (an id is freed when its item is
        /// forgotten and may hold another sku since), otherwise looked up and remembered again.
        /// </summary>
        internal double Of(string sku, ref int id)
        {
            var index = Index!;
            var skus = index._skus;
            if ((uint)id >= (uint)skus.Count || !string.Equals(skus[id], sku, StringComparison.Ordinal))
            {
                if (!index._ids.TryGetValue(sku, out id))
                {
                    id = -1;
                    return 0;
                }
            }
            return At(id);
        }

        /// <summary>Releases the index's read lock and clears the scratch for the thread's next call.</summary>
        public void Dispose()
        {
            if (Index is not { } index) return;
            foreach (var id in Ids) _itemScores[id] = 0;
            foreach (var id in CartIds) _itemScores[id] = 0;
            CartIds.Clear();
            Count = 0;
            Index = null;
            index._lock.ExitReadLock();
        }
    }

    /// <summary>
    /// One item's baskets by ring position, oldest first: a ring of a power-of-two length that grows, so the oldest
    /// leaves in O(1). A position is reused only after its basket was forgotten, and forgetting removes it from here.
    /// </summary>
    private sealed class ItemBaskets
    {
        private int[] _items = new int[4];
        private int _head;
        public int Count { get; private set; }

        public int this[int i] => _items[(_head + i) & (_items.Length - 1)];

        public void Append(int position)
        {
            if (Count == _items.Length)
            {
                var grown = new int[2 * _items.Length];
                for (var i = 0; i < Count; i++) grown[i] = this[i];
                _items = grown;
                _head = 0;
            }
            _items[(_head + Count) & (_items.Length - 1)] = position;
            Count++;
        }

        /// <summary>Removes <paramref name="position"/> when it is the oldest (baskets leave in the order they came).</summary>
        public void RemoveOldest(int position)
        {
            if (Count == 0 || _items[_head] != position) return;
            _head = (_head + 1) & (_items.Length - 1);
            Count--;
        }
    }
}
