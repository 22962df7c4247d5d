using System.Runtime.InteropServices;

namespace CartCrossSell.Engine;

/// <summary>Options of the co-occurrence learner.</summary>
public sealed record LearningOptions
{
    /// <summary>Half-life of the exponential decay of evidence. Default 30 days.</summary>
    public TimeSpan HalfLife { get; init; } = TimeSpan.FromDays(30);

    /// <summary>At most this many neighbours are kept per row (the strongest). Default 150.</summary>
    public int MaxNeighbors { get; init; } = 150;

    public DateTimeOffset Landmark { get; init; } = DecayClock.DefaultLandmark;

    public const int DefaultSequenceWindow = 1;

    /// <summary>
    /// Order of addition: the <c>next:</c>/<c>prev:</c> rows pair an item with the items added within this many
    /// distinct lines after or before it. Default 1, the line right after or before (chosen on validation: 1, 2, 3 and
    /// 5 measured on Online Retail's invoices, docs/engine.md "Candidate sources"); 0 learns no order-of-addition rows.
    /// </summary>
    public int SequenceWindow { get; init; } = DefaultSequenceWindow;

    public void Validate()
    {
        if (HalfLife <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(HalfLife), HalfLife, "must be positive");
        if (MaxNeighbors <= 0) throw new ArgumentOutOfRangeException(nameof(MaxNeighbors), MaxNeighbors, "must be positive");
        if (SequenceWindow < 0) throw new ArgumentOutOfRangeException(nameof(SequenceWindow), SequenceWindow, "must not be negative");
    }
}

/// <summary>
/// Learns what is bought together from completed orders, in memory: item and category rows with decayed weights.
/// The streaming learner keeps the same rows partitioned across instances; this one serves evaluation, batch
/// recommendation and tests. It learns exactly what <see cref="BasketSplitter"/> plus one
/// <see cref="EvidenceAccumulator"/> per row learn (same weights, same pruning), only faster: rows are numbered and
/// an order updates them without building contributions. Not thread-safe for writes; use <see cref="Compact"/> for
/// a store that serves concurrent reads.
/// </summary>
public sealed class BasketLearner : IBasketEvidence, Ranking.IBestSellers
{
    private readonly Dictionary<string, int> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _bySku = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _byCategory = new(StringComparer.Ordinal);
    private readonly List<string> _keys = [];
    private readonly List<RowState?> _rows = [];
    private readonly List<int> _ids = [];
    private readonly List<int> _categoryIds = [];
    private readonly Dictionary<int, (int Next, int Previous)> _sequenceIds = [];

    // Row ids in the ordinal order of their keys: one comparer for every tie run StrongestFirst orders (a new one per
    // run was 4 % of drawing the development set's training tasks).
    private readonly IComparer<int> _keyOrder;

    public BasketLearner(LearningOptions? options = null)
    {
        _keyOrder = Comparer<int>.Create((a, b) => string.CompareOrdinal(_keys[a], _keys[b]));
        Options = options ?? new LearningOptions();
        Options.Validate();
        Clock = new DecayClock(Options.HalfLife, Options.Landmark);
    }

    public LearningOptions Options { get; }
    public DecayClock Clock { get; }
    public double Baskets { get; private set; }
    public int RowCount { get; private set; }

    /// <summary>Learns one completed order: its distinct skus (and their leaf categories, when known) at time <paramref name="at"/>.</summary>
    public void AddOrder(IReadOnlyCollection<string> skus, DateTimeOffset at, Func<string, string?>? leafCategoryOf = null)
    {
        _ids.Clear();
        foreach (var sku in skus)
        {
            if (string.IsNullOrEmpty(sku)) continue;
            var id = ItemId(sku);
            if (!_ids.Contains(id)) _ids.Add(id);
        }
        if (_ids.Count == 0) return;
        var weight = Clock.WeightAt(at);
        Baskets += weight;
        Learn(_ids, weight);
        LearnSequence(_ids, weight);

        if (leafCategoryOf is null) return;
        _categoryIds.Clear();
        foreach (var id in _ids)
        {
            var category = leafCategoryOf(RowKeys.SkuOf(_keys[id]));
            if (string.IsNullOrEmpty(category)) continue;
            var cid = CategoryId(category);
            if (!_categoryIds.Contains(cid)) _categoryIds.Add(cid);
        }
        Learn(_categoryIds, weight);
    }

    /// <summary>Applies one contribution as produced by <see cref="BasketSplitter"/> (the streaming path).</summary>
    public void Apply(RowContribution contribution)
    {
        if (contribution.RowKey == RowKeys.Baskets)
        {
            Baskets += contribution.Weight;
            return;
        }
        var row = Row(KeyId(contribution.RowKey));
        row.Weight += contribution.Weight;
        foreach (var pair in contribution.Pairs) row.Pairs.Add(KeyId(pair.Key), pair.PairWeight);
        Touch(row);
    }

    public EvidenceRow? Find(string rowKey)
    {
        if (!_byKey.TryGetValue(rowKey, out var id) || _rows[id] is not { } row) return null;
        return row.Snapshot ??= ToRow(id, row);
    }

    public bool TryGetWeight(string rowKey, out double weight)
    {
        if (_byKey.TryGetValue(rowKey, out var id) && _rows[id] is { } row)
        {
            weight = row.Weight;
            return true;
        }
        weight = 0;
        return false;
    }

    public IEnumerable<string> RowKeysLearned
    {
        get
        {
            for (var i = 0; i < _keys.Count; i++)
                if (_rows[i] is not null) yield return _keys[i];
        }
    }

    /// <summary>Every learned item with its decayed basket weight.</summary>
    public IReadOnlyList<string> BestSellers(int count = 100) => Ranking.RankingInputs.BestSellersOf(Items(), count);

    public IEnumerable<(string Sku, double Weight)> Items()
    {
        foreach (var (sku, id) in _bySku)
            if (_rows[id] is { } row) yield return (sku, row.Weight);
    }

    /// <summary>
    /// Everything learned as the streaming recommender holds its replicated rows (<see cref="LiveEvidence"/>, read by
    /// number): what benchmarks and tests rank over to rank as the stream does.
    /// </summary>
    public LiveEvidence Live()
    {
        var live = new LiveEvidence();
        foreach (var key in RowKeysLearned)
            if (Find(key) is { } row) live.Apply(row);
        live.SetBaskets(Baskets);
        return live;
    }

    /// <summary>A compact, read-only copy of everything learned, for serving concurrent reads.</summary>
    public CompactEvidence Compact()
    {
        var builder = new CompactEvidence.Builder(_keys.Count, RowCount * Math.Min(Options.MaxNeighbors, 32));
        for (var id = 0; id < _keys.Count; id++)
        {
            if (_rows[id] is not { } row) continue;
            var r = row.Snapshot ??= ToRow(id, row);
            builder.Add(r.Key, r.Weight, (Neighbor[])r.Neighbors);
        }
        return builder.SetBaskets(Baskets).Build();
    }

    private void Learn(List<int> ids, double weight)
    {
        var span = CollectionsMarshal.AsSpan(ids);
        foreach (var id in span)
        {
            var row = Row(id);
            row.Weight += weight;
            var pairs = row.Pairs;
            foreach (var other in span)
            {
                if (other != id) pairs.Add(other, weight);
            }
            Touch(row);
        }
    }

    /// <summary>The order-of-addition rows, exactly as <see cref="BasketSplitter"/> emits them.</summary>
    private void LearnSequence(List<int> ids, double weight)
    {
        var window = Options.SequenceWindow;
        if (window <= 0) return;
        for (var i = 0; i < ids.Count; i++)
        {
            var (nextId, previousId) = SequenceIds(ids[i]);
            var after = Math.Min(ids.Count - 1, i + window) - i;
            if (after > 0)
            {
                var row = Row(nextId);
                row.Weight += weight;
                for (var j = 0; j < after; j++) row.Pairs.Add(ids[i + 1 + j], weight);
                Touch(row);
            }
            var before = i - Math.Max(0, i - window);
            if (before > 0)
            {
                var row = Row(previousId);
                row.Weight += weight;
                for (var j = 0; j < before; j++) row.Pairs.Add(ids[i - 1 - j], weight);
                Touch(row);
            }
        }
    }

    /// <summary>The row numbers of an item's <c>next:</c> and <c>prev:</c> rows, interned once per item.</summary>
    private (int Next, int Previous) SequenceIds(int itemId)
    {
        ref var ids = ref CollectionsMarshal.GetValueRefOrAddDefault(_sequenceIds, itemId, out var exists);
        if (!exists)
        {
            var sku = RowKeys.SkuOf(_keys[itemId]);
            ids = (KeyId(RowKeys.Next(sku)), KeyId(RowKeys.Previous(sku)));
        }
        return ids;
    }

    private void Touch(RowState row)
    {
        row.Snapshot = null;
        if (row.Pairs.Count >= 2 * Options.MaxNeighbors) Prune(row);
    }

    /// <summary>Keeps the strongest <see cref="LearningOptions.MaxNeighbors"/> pairs, ties by key (as EvidenceAccumulator).</summary>
    private void Prune(RowState row)
    {
        var (ids, weights) = StrongestFirst(row, Options.MaxNeighbors);
        row.Pairs.Clear();
        for (var i = 0; i < ids.Length; i++) row.Pairs.Add(ids[i], weights[i]);
    }

    private EvidenceRow ToRow(int id, RowState row)
    {
        var (ids, weights) = StrongestFirst(row, Options.MaxNeighbors);
        var neighbors = new Neighbor[ids.Length];
        for (var i = 0; i < ids.Length; i++) neighbors[i] = new Neighbor(_keys[ids[i]], weights[i]);
        return new EvidenceRow(_keys[id], row.Weight, neighbors);
    }

    /// <summary>
    /// The <paramref name="take"/> strongest pairs of a row, strongest first, equal weights by key (ordinal). Sorted as
    /// numbers (weights negated, so ascending is strongest first), then only runs of equal weights are ordered by
    /// key: a sort with a comparer that reads the keys was a quarter of the time to draw training tasks.
    /// </summary>
    private (int[] Ids, double[] Weights) StrongestFirst(RowState row, int take)
    {
        var entries = row.Pairs.ToArray();
        var negated = new double[entries.Length];
        var ids = new int[entries.Length];
        for (var i = 0; i < entries.Length; i++) (negated[i], ids[i]) = (-entries[i].Value, entries[i].Key);
        Array.Sort(negated, ids);
        var n = Math.Min(take, entries.Length);
        // A run of equal weights that starts before the cut is ordered by key, all of it: which of its pairs are kept
        // must not depend on the order the sort left them in.
        TiedRuns.Sort(negated, ids, 0, entries.Length, _keyOrder, runsStartingBefore: n);
        var weights = new double[n];
        for (var i = 0; i < n; i++) weights[i] = -negated[i];
        return (ids[..n], weights);
    }

    private RowState Row(int id)
    {
        if (_rows[id] is { } row) return row;
        RowCount++;
        return (_rows[id] = new RowState())!;
    }

    private int ItemId(string sku)
    {
        return _bySku.TryGetValue(sku, out var id) ? id : KeyId(RowKeys.Item(sku));
    }

    private int CategoryId(string leaf)
    {
        return _byCategory.TryGetValue(leaf, out var id) ? id : KeyId(RowKeys.Category(leaf));
    }

    private int KeyId(string key)
    {
        if (_byKey.TryGetValue(key, out var id)) return id;
        id = _keys.Count;
        _byKey[key] = id;
        _keys.Add(key);
        _rows.Add(null);
        if (RowKeys.IsItem(key)) _bySku.TryAdd(RowKeys.SkuOf(key), id);
        else if (RowKeys.IsCategory(key)) _byCategory.TryAdd(RowKeys.CategoryOf(key), id);
        return id;
    }

    private sealed class RowState
    {
        public double Weight;
        public readonly PairMap Pairs = new();
        public EvidenceRow? Snapshot;
    }
}

/// <summary>
/// Pair weights of one row by neighbour row number: open addressing with linear probing in two flat arrays, so an
/// update is a multiply, a shift and a probe (no per-entry objects, no buckets).
/// </summary>
internal sealed class PairMap
{
    private int[] _keys = Empty(8);
    private double[] _values = new double[8];

    public int Count { get; private set; }

    public void Add(int key, double weight)
    {
        var mask = _keys.Length - 1;
        var i = Slot(key, mask);
        while (true)
        {
            var k = _keys[i];
            if (k == key)
            {
                _values[i] += weight;
                return;
            }
            if (k < 0) break;
            i = (i + 1) & mask;
        }
        if (2 * (Count + 1) > _keys.Length)
        {
            Grow();
            Add(key, weight);
            return;
        }
        _keys[i] = key;
        _values[i] = weight;
        Count++;
    }

    public KeyValuePair<int, double>[] ToArray()
    {
        var result = new KeyValuePair<int, double>[Count];
        var n = 0;
        for (var i = 0; i < _keys.Length; i++)
            if (_keys[i] >= 0) result[n++] = new KeyValuePair<int, double>(_keys[i], _values[i]);
        return result;
    }

    public void Clear()
    {
        Array.Fill(_keys, -1);
        Count = 0;
    }

    private void Grow()
    {
        var keys = _keys;
        var values = _values;
        _keys = Empty(keys.Length * 2);
        _values = new double[keys.Length * 2];
        Count = 0;
        for (var i = 0; i < keys.Length; i++)
            if (keys[i] >= 0) Add(keys[i], values[i]);
    }

    private static int Slot(int key, int mask) => (int)((uint)(key * -1640531535) >> 7) & mask;

    private static int[] Empty(int size)
    {
        var keys = new int[size];
        Array.Fill(keys, -1);
        return keys;
    }
}
